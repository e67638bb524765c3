/**
 * The channel of a peer that can resume (it connected with `resumable=1`): a `PeerChannel`
 * over the connection that currently carries the peer, which a later connection of ANY
 * transport can replace (`swap`) without the peer leaving its room — a WebSocket cut by a
 * proxy continues over HTTP, an HTTP session moves back to WebSocket, and the other peers
 * see nothing. When the current connection is LOST (closed without a handshake: 1006), the
 * peer is held for `graceMs` (frames to it are dropped as a lossy network would, control
 * to it is lost) before the core is told it closed.
 *
 * Frames in flight on a replaced connection are settled as sent (no error: the outbox goes
 * on, and in ack mode the ack window expires them as lost), and that connection's later
 * callbacks and messages are ignored.
 */
import { CloseCode } from '../../protocol/index.ts';
import type { ChannelReceiver, PeerChannel, SendResult } from '../channels/peer-channel.ts';

/** Close code of a connection lost without a close handshake (ws and the HTTP channel's idle timeout). */
export const LOST_CLOSE_CODE = 1006;
/** Reason the replaced connection is closed with (1000). */
export const RESUMED_REASON = 'resumed';

type Done = (error?: Error | null) => void;

/** One connection's part: the `done` callbacks it owes, in send order, and one callback for all of them. */
interface Generation {
  readonly channel: PeerChannel;
  readonly owed: Done[];
  /** The callback handed to this connection with every frame (one closure per connection, not per frame). */
  readonly done: Done;
  retired: boolean;
}

const NO_RECEIVER: ChannelReceiver = { onFrame: () => undefined, onControl: () => undefined, onClose: () => undefined };

/** Options of `ResumableChannel`. */
export interface ResumableChannelOptions {
  /** How long a lost peer is held for a resume, ms; 0 = not at all (the core hears the close at once). */
  graceMs: number;
  /** Told when a lost connection starts the grace period (for logs). */
  onDetached?: (code: number, reason: string) => void;
}

export class ResumableChannel implements PeerChannel {
  readonly #graceMs: number;
  readonly #onDetached: ((code: number, reason: string) => void) | undefined;
  #receiver: ChannelReceiver = NO_RECEIVER;
  #current: Generation;
  /** Waiting for a resume after a lost connection. */
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #detached = false;
  /** The core asked for the close: no grace, whatever the code. */
  #closing = false;
  #ended = false;

  constructor(channel: PeerChannel, options: ResumableChannelOptions) {
    this.#graceMs = options.graceMs;
    this.#onDetached = options.onDetached;
    this.#current = this.#generation(channel);
  }

  /** True while held after a lost connection, waiting for a resume. */
  get detached(): boolean {
    return this.#detached;
  }

  /** The connection carrying the peer now. */
  get current(): PeerChannel {
    return this.#current.channel;
  }

  get isOpen(): boolean {
    return !this.#detached && !this.#ended && this.#current.channel.isOpen;
  }

  get bufferedAmount(): number {
    return this.#detached ? 0 : this.#current.channel.bufferedAmount;
  }

  receive(receiver: ChannelReceiver): void {
    this.#receiver = receiver;
    this.#listen(this.#current);
  }

  sendControl(text: string): boolean {
    return this.isOpen && this.#current.channel.sendControl(text);
  }

  sendFrame(bytes: Uint8Array, done: Done): SendResult {
    // NOTE: while held, frames are lost as on a broken network: 'flushed' keeps the outbox
    // going ('failed' would close it for good); acked peers count them lost by expiry.
    if (this.#detached || this.#ended) return 'flushed';
    const generation = this.#current;
    const result = generation.channel.sendFrame(bytes, generation.done);
    if (result !== 'failed') generation.owed.push(done);
    return result;
  }

  /**
   * Moves the peer onto `channel` (a new connection that presented this peer's token): the
   * old connection is retired (closed 1000 'resumed' if still open), the grace period ends.
   * False if this channel already ended (the peer is gone: admit the connection afresh).
   */
  swap(channel: PeerChannel): boolean {
    if (this.#ended) return false;
    const old = this.#current;
    this.#retire(old);
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#detached = false;
    this.#current = this.#generation(channel);
    this.#listen(this.#current);
    if (old.channel.isOpen) old.channel.close(CloseCode.normal, RESUMED_REASON);
    return true;
  }

  close(code: number, reason: string): void {
    this.#closing = true;
    if (this.#detached) return this.#end(code, reason);
    this.#current.channel.close(code, reason);
  }

  terminate(): void {
    this.#closing = true;
    if (this.#detached) return this.#end(LOST_CLOSE_CODE, '');
    this.#current.channel.terminate();
  }

  #generation(channel: PeerChannel): Generation {
    const owed: Done[] = [];
    const generation: Generation = {
      channel,
      owed,
      retired: false,
      done: (error) => {
        if (!generation.retired) owed.shift()?.(error);
      },
    };
    return generation;
  }

  /** Settles what `generation` still owes as sent, and ignores it from now on. */
  #retire(generation: Generation): void {
    generation.retired = true;
    for (const done of generation.owed.splice(0)) done(null);
  }

  #listen(generation: Generation): void {
    generation.channel.receive({
      onFrame: (bytes) => {
        if (!generation.retired) this.#receiver.onFrame(bytes);
      },
      onControl: (utf8) => {
        if (!generation.retired) this.#receiver.onControl(utf8);
      },
      onClose: (code, reason) => {
        if (generation.retired || this.#ended) return;
        this.#retire(generation);
        if (code === LOST_CLOSE_CODE && this.#graceMs > 0 && !this.#closing) {
          this.#detached = true;
          this.#onDetached?.(code, reason);
          this.#graceTimer = setTimeout(() => this.#end(code, reason), this.#graceMs);
          this.#graceTimer.unref?.();
          return;
        }
        this.#end(code, reason);
      },
    });
  }

  #end(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#detached = false;
    clearTimeout(this.#graceTimer);
    this.#receiver.onClose(code, reason);
  }
}

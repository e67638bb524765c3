/**
 * An in-process `PeerChannel` pair, no sockets: what one end sends, the other receives, in
 * order, on a later turn of the event loop (`setImmediate`), as a COPY (like bytes through
 * a socket: the sender may reuse its buffer, the receiver owns what it gets).
 *
 * Flush semantics: a frame is in flight until the other end has received it — `sendFrame`
 * returns 'in-flight' and `done` runs at delivery; `bufferedAmount` is the bytes not yet
 * delivered. `pause()` on the receiving end holds deliveries (a reader that stopped
 * reading), `resume()` lets them go. `close` is a handshake: it is queued behind the data
 * already sent, then both ends get `onClose(code, reason)`; `terminate` closes both at
 * once with 1006.
 */
import type { ChannelReceiver, PeerChannel, SendResult } from './peer-channel.ts';

/** Close code of a connection lost without a close handshake (RFC 6455 §7.1.5). */
const ABNORMAL_CLOSURE = 1006;

type Delivery =
  | { kind: 'frame'; bytes: Uint8Array; done: ((error?: Error | null) => void) | undefined }
  | { kind: 'control'; bytes: Uint8Array }
  | { kind: 'close'; code: number; reason: string };

const encoder = new TextEncoder();
const NO_RECEIVER: ChannelReceiver = { onFrame: () => undefined, onControl: () => undefined, onClose: () => undefined };

/** Creates two connected ends (e.g. one for the relay, one for the test's client). */
export function createMemoryChannelPair(): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.connect(b);
  b.connect(a);
  return [a, b];
}

export class MemoryChannel implements PeerChannel {
  /** The other end (set by `connect`, right after construction). */
  #peer!: MemoryChannel;
  #receiver: ChannelReceiver = NO_RECEIVER;
  /** What this end sent and the other has not received yet. */
  #outgoing: Delivery[] = [];
  #buffered = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #paused = false;
  #scheduled = false;
  #closedWith: { code: number; reason: string } | undefined;

  /** Wires this end to `peer` (done by `createMemoryChannelPair`). */
  connect(peer: MemoryChannel): void {
    this.#peer = peer;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  receive(receiver: ChannelReceiver): void {
    this.#receiver = receiver;
    if (this.#closedWith !== undefined) receiver.onClose(this.#closedWith.code, this.#closedWith.reason);
  }

  sendControl(text: string): boolean {
    if (this.#state !== 'open') return false;
    const bytes = encoder.encode(text);
    this.#enqueue({ kind: 'control', bytes }, bytes.byteLength);
    return true;
  }

  sendFrame(bytes: Uint8Array, done: (error?: Error | null) => void): SendResult {
    if (this.#state !== 'open') return 'failed';
    this.#enqueue({ kind: 'frame', bytes: bytes.slice(), done }, bytes.byteLength);
    return 'in-flight';
  }

  close(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#enqueue({ kind: 'close', code, reason }, 0);
  }

  terminate(): void {
    if (this.#state === 'closed') return;
    this.#finish(ABNORMAL_CLOSURE, '');
    this.#peer.#finish(ABNORMAL_CLOSURE, '');
  }

  /** Holds messages sent TO this end (its receiver stops reading). */
  pause(): void {
    this.#paused = true;
  }

  /** Delivers what was held, and what comes next. */
  resume(): void {
    this.#paused = false;
    this.#peer.#schedule();
  }

  #enqueue(delivery: Delivery, bytes: number): void {
    this.#outgoing.push(delivery);
    this.#buffered += bytes;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#outgoing.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  /** Hands the queued messages to the other end, in order, until it pauses or the channel closes. */
  #deliver(): void {
    const peer = this.#peer;
    while (this.#state !== 'closed' && !peer.#paused && this.#outgoing.length > 0) {
      const next = this.#outgoing.shift()!;
      if (next.kind === 'close') {
        this.#closeBoth(next.code, next.reason);
        return;
      }
      this.#buffered -= next.bytes.byteLength;
      if (next.kind === 'frame') {
        peer.#receiver.onFrame(next.bytes);
        next.done?.();
      } else {
        peer.#receiver.onControl(next.bytes);
      }
    }
  }

  #closeBoth(code: number, reason: string): void {
    this.#finish(code, reason);
    this.#peer.#finish(code, reason);
  }

  #finish(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    // Frames never delivered fail, so their sender's outbox stops counting them in flight.
    for (const d of this.#outgoing) if (d.kind === 'frame') d.done?.(new Error('channel closed'));
    this.#outgoing = [];
    this.#buffered = 0;
    this.#closedWith = { code, reason };
    this.#receiver.onClose(code, reason);
  }
}

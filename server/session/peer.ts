/**
 * One participant as the relay sees it: its channel (any transport), its frame outbox
 * (backpressure per stream) and its control-message budgets. The relay decides; the peer
 * only sends.
 */
import { Offset } from '../../codec/index.ts';
import type { PeerSummary } from '../../protocol/index.ts';
import type { PeerChannel } from '../channels/peer-channel.ts';
import { FrameOutbox, streamKindOf } from './frame-outbox.ts';
import { RateLimiter } from './rate-limiter.ts';

/** A peer as exposed to listeners and extensions (a snapshot, safe to keep). */
export interface PeerInfo {
  /** Positive u32, unique per relay process; the `sourceId` stamped into this peer's frames. */
  id: number;
  /** Display name. */
  name: string;
  /** What the peer streams: 'jpeg', 'bgra', 'webrtc', … (from the connect URL). */
  mode: string;
  /** Room name. */
  room: string;
}

/** Options of `Peer`. */
export interface PeerOptions {
  id: number;
  name: string;
  mode: string;
  room: string;
  channel: PeerChannel;
  /** Frames per stream in flight before the stream's queue applies. */
  maxInFlight: number;
  /** Control messages per second, and burst. */
  controlRatePerSecond: number;
  controlBurst: number;
  /** Refused control messages tolerated (burst; refilled at one per `errorRefillMs`). */
  maxControlErrors: number;
  errorRefillMs: number;
  /** Called for each frame handed to the channel. */
  onFrameSent: (bytes: Uint8Array) => void;
  /** Called for each frame dropped by backpressure. */
  onFrameDropped: (sourceId: number, bytes: Uint8Array) => void;
  /** Called for each control message sent. */
  onControlSent: () => void;
  /** Unsent bytes in the channel above which `onOverflow` is called (checked on control sends). */
  maxBufferedBytes: number;
  /** The channel holds more than `maxBufferedBytes`: the relay terminates the peer. */
  onOverflow: (peer: Peer) => void;
}

export class Peer {
  readonly id: number;
  readonly name: string;
  readonly mode: string;
  readonly room: string;
  readonly channel: PeerChannel;
  readonly joinedAt = Date.now();
  #outbox: FrameOutbox;
  #excluded = new Set<number>();
  #controlLimiter: RateLimiter;
  #errorBudget: RateLimiter;
  #onControlSent: () => void;
  #maxBufferedBytes: number;
  #onOverflow: (peer: Peer) => void;
  #leaving = false;

  constructor(options: PeerOptions) {
    this.id = options.id;
    this.name = options.name;
    this.mode = options.mode;
    this.room = options.room;
    this.channel = options.channel;
    this.#onControlSent = options.onControlSent;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#onOverflow = options.onOverflow;
    this.#controlLimiter = new RateLimiter(options.controlRatePerSecond, options.controlBurst);
    this.#errorBudget = new RateLimiter(1000 / options.errorRefillMs, options.maxControlErrors);
    const channel = options.channel;
    const onFrameSent = options.onFrameSent;
    this.#outbox = new FrameOutbox({
      maxInFlight: options.maxInFlight,
      onDrop: options.onFrameDropped,
      send(bytes, done) {
        // NOTE: the same bytes go to every receiver; the channel must not modify them.
        const result = channel.sendFrame(bytes, done);
        if (result !== 'failed') onFrameSent(bytes);
        return result;
      },
    });
  }

  info(): PeerInfo {
    return { id: this.id, name: this.name, mode: this.mode, room: this.room };
  }

  /** The peer as others see it (`welcome.peers`, `peer-joined`). */
  summary(): PeerSummary {
    return { id: this.id, name: this.name, mode: this.mode };
  }

  /** True once the relay has started to close or remove this peer. */
  get leaving(): boolean {
    return this.#leaving;
  }

  /** Marks the peer as leaving and drops its pending frames; true the first time. */
  markLeaving(): boolean {
    if (this.#leaving) return false;
    this.#leaving = true;
    this.#outbox.close();
    return true;
  }

  /** Sends a JSON control message (never dropped). False if the channel is not open. */
  sendControl(msg: object): boolean {
    if (!this.channel.sendControl(JSON.stringify(msg))) return false;
    this.#onControlSent();
    if (this.channel.bufferedAmount > this.#maxBufferedBytes && !this.#leaving) this.#onOverflow(this);
    return true;
  }

  /** Sends a frame through the backpressure of its stream (source id × kind of its codec byte). False if not sent nor queued. */
  sendFrame(bytes: Uint8Array, sourceId = readSourceId(bytes)): boolean {
    if (this.#leaving) return false;
    return this.#outbox.push(sourceId, bytes, streamKindOf(bytes[Offset.codec]!)) !== 'closed';
  }

  /** Relayed frames of `sourceId` are (not) sent to this peer. */
  setExcluded(sourceId: number, excluded: boolean): void {
    if (excluded) this.#excluded.add(sourceId);
    else this.#excluded.delete(sourceId);
  }

  excludes(sourceId: number): boolean {
    return this.#excluded.size > 0 && this.#excluded.has(sourceId);
  }

  /** A source left the room: forget its pending frames. */
  forgetSource(sourceId: number): void {
    this.#outbox.forget(sourceId);
    this.#excluded.delete(sourceId);
  }

  /** Frames dropped towards this peer, per source. */
  drops(): Map<number, number> {
    return this.#outbox.drops();
  }

  /** Frames of all streams waiting or in flight towards this peer. */
  get queuedFrames(): number {
    return this.#outbox.pendingCount + this.#outbox.inFlightCount;
  }

  /** Takes one control-message token; false when over the rate limit. */
  takeControlToken(): boolean {
    return this.#controlLimiter.take();
  }

  /** Takes one refused-message token; false when the peer has been refused too often. */
  takeErrorToken(): boolean {
    return this.#errorBudget.take();
  }
}

/** The sourceId field of an encoded frame (u32 big-endian at offset 20). */
export function readSourceId(bytes: Uint8Array): number {
  if (bytes.byteLength < Offset.payload) throw new TypeError(`not a frame: ${bytes.byteLength} bytes`);
  return new DataView(bytes.buffer, bytes.byteOffset, Offset.payload).getUint32(Offset.sourceId, false);
}

/**
 * One participant as the relay sees it: its channel (any transport), its frame outbox
 * (backpressure per stream; ack mode once it sends `ack`), its control-message budgets and,
 * once it is feedback-aware, the uplink acks waiting for the next `delivery` message. The
 * relay decides; the peer only sends.
 */
import { Offset } from '../../codec/index.ts';
import type { AckEntry, PeerSummary, UplinkAck } from '../../protocol/index.ts';
import type { PeerChannel } from '../channels/peer-channel.ts';
import { AckWindow, type PathFigures, type SourceFigures } from './ack-window.ts';
import { FrameOutbox, streamKindOf } from './frame-outbox.ts';
import { RateLimiter } from './rate-limiter.ts';

/** Control messages per second of type `ack` (their own bucket, apart from chat/signal): a receiver acks ~20/s. */
export const ACK_RATE_PER_SECOND = 100;
/** Burst of `ack` messages. */
export const ACK_BURST = 100;
/** Uplink acks kept between two `delivery` messages (the oldest are overwritten beyond: ~8 s of 30 fps at a 50 ms tick). */
export const MAX_PENDING_UPLINK_ACKS = 256;
/** Control bytes a receiver may leave unread in its channel (beyond frames in flight) before it is cut. */
export const DEFAULT_MAX_CONTROL_BACKLOG_BYTES = 1024 * 1024;
/** How long more than `CONTROL_BACKLOG_AGE_BYTES` of control may stay unread before the receiver is cut, ms. */
export const DEFAULT_MAX_CONTROL_BACKLOG_MS = 10_000;
/** Control backlog below which a receiver counts as keeping up (the age bound starts above it). */
export const CONTROL_BACKLOG_AGE_BYTES = 64 * 1024;

/** Why a peer's channel overflowed. */
export type OverflowReason = 'buffered' | 'control-bytes' | 'control-age';

/** What a peer reports before it has sent any `ack`. */
const FLUSH_MODE_PATH: PathFigures = {
  ackMode: false,
  goodputBps: 0,
  queueDelayMs: 0,
  baseRoundTripMs: 0,
  windowBytes: 0,
  inFlightBytes: 0,
  inFlightFrames: 0,
  acked: 0,
  lost: 0,
};

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
  /** Control bytes waiting in the channel (beyond the frames in flight) above which the receiver is cut. Default `DEFAULT_MAX_CONTROL_BACKLOG_BYTES` (1 MiB). */
  maxControlBacklogBytes?: number;
  /** Longest control messages may keep waiting in the channel (more than 64 KiB of them), ms. Default `DEFAULT_MAX_CONTROL_BACKLOG_MS` (10 s). */
  maxControlBacklogMs?: number;
  /** The channel holds too much (`why`: all bytes over `maxBufferedBytes`, or control over its byte or age bound): the relay terminates the peer. */
  onOverflow: (peer: Peer, why: OverflowReason) => void;
  /** Queue delay the ack window aims at, ms (`AckWindowOptions.targetDelayMs`). */
  feedbackTargetDelayMs: number;
  /** Frames unacked this long are released as lost, ms (`AckWindowOptions.expireMs`). */
  feedbackExpireMs: number;
  /** The peer sent its first `ack`: it is feedback-aware (ack mode, gets `delivery`). */
  onFeedback: (peer: Peer) => void;
  /** An acked frame's delivery delay (relay send → receiver receive), ms. */
  onDelivered: (delayMs: number) => void;
  /** A frame in flight was released unacked. */
  onLost: () => void;
}

export class Peer {
  readonly id: number;
  readonly name: string;
  readonly mode: string;
  readonly room: string;
  readonly channel: PeerChannel;
  readonly joinedAt = Date.now();
  /** The microphone is muted (the peer's last `state`). */
  muted = false;
  #maxControlBacklogBytes: number;
  #maxControlBacklogMs: number;
  /** Since when control messages have been waiting in the channel (performance.now() ms), while they are. */
  #controlBacklogSince: number | undefined;
  #outbox: FrameOutbox;
  #excluded = new Set<number>();
  #controlLimiter: RateLimiter;
  #errorBudget: RateLimiter;
  #onControlSent: () => void;
  #maxBufferedBytes: number;
  #onOverflow: (peer: Peer, why: OverflowReason) => void;
  #leaving = false;
  #ackLimiter: RateLimiter;
  #feedbackOptions: Pick<PeerOptions, 'feedbackTargetDelayMs' | 'feedbackExpireMs' | 'onFeedback' | 'onDelivered' | 'onLost'>;
  #window: AckWindow | undefined;
  /** Uplink acks since the last `delivery`: a ring (allocated once the peer is feedback-aware). */
  #upSeq: Uint32Array | undefined;
  #upAt: Float64Array | undefined;
  #upHead = 0;
  #upCount = 0;

  constructor(options: PeerOptions) {
    this.id = options.id;
    this.name = options.name;
    this.mode = options.mode;
    this.room = options.room;
    this.channel = options.channel;
    this.#onControlSent = options.onControlSent;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#maxControlBacklogBytes = options.maxControlBacklogBytes ?? DEFAULT_MAX_CONTROL_BACKLOG_BYTES;
    this.#maxControlBacklogMs = options.maxControlBacklogMs ?? DEFAULT_MAX_CONTROL_BACKLOG_MS;
    this.#onOverflow = options.onOverflow;
    this.#controlLimiter = new RateLimiter(options.controlRatePerSecond, options.controlBurst);
    this.#errorBudget = new RateLimiter(1000 / options.errorRefillMs, options.maxControlErrors);
    this.#ackLimiter = new RateLimiter(ACK_RATE_PER_SECOND, ACK_BURST);
    this.#feedbackOptions = options;
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
    return this.muted ? { id: this.id, name: this.name, mode: this.mode, muted: true } : { id: this.id, name: this.name, mode: this.mode };
  }

  /** Bytes the relay holds for this peer: its channel's buffers both ways and its outbox's waiting frames (the memory budget). */
  heldBytes(): number {
    return this.channel.bufferedAmount + (this.channel.incomingBytes ?? 0) + this.#outbox.waitingBytes;
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
    if (this.#leaving) return true;
    const buffered = this.channel.bufferedAmount;
    if (buffered > this.#maxBufferedBytes) {
      this.#onOverflow(this, 'buffered');
      return true;
    }
    // Control messages towards a receiver that does not read them are bounded in bytes and in
    // age: what the channel holds beyond the frames in flight is control (frames have their
    // own bounds, frame-outbox.ts). The receiver is the slow one: it is cut, the senders are not.
    const control = buffered - this.#outbox.frameBytesInFlight;
    const now = performance.now();
    if (control > this.#maxControlBacklogBytes) {
      this.#onOverflow(this, 'control-bytes');
    } else if (control > CONTROL_BACKLOG_AGE_BYTES) {
      this.#controlBacklogSince ??= now;
      if (now - this.#controlBacklogSince > this.#maxControlBacklogMs) this.#onOverflow(this, 'control-age');
    } else {
      this.#controlBacklogSince = undefined;
    }
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

  /** Audio frames dropped towards this receiver, per source (a subset of `drops()`). */
  audioDrops(): Map<number, number> {
    return this.#outbox.audioDrops();
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

  /** Takes one `ack`-message token (acks have their own bucket); false when over `ACK_RATE_PER_SECOND`. */
  takeAckToken(): boolean {
    return this.#ackLimiter.take();
  }

  /** True once the peer has sent an `ack` (empty ones too): its outbox is in ack mode and it gets `delivery`. */
  get feedback(): boolean {
    return this.#window !== undefined;
  }

  /** One `ack` message (checked): the first puts the peer in ack mode; each releases those frames. */
  ack(frames: readonly AckEntry[]): void {
    if (this.#leaving) return;
    if (this.#window === undefined) {
      const o = this.#feedbackOptions;
      this.#window = new AckWindow({ targetDelayMs: o.feedbackTargetDelayMs, expireMs: o.feedbackExpireMs, onDelivered: o.onDelivered, onLost: o.onLost });
      this.#upSeq = new Uint32Array(MAX_PENDING_UPLINK_ACKS);
      this.#upAt = new Float64Array(MAX_PENDING_UPLINK_ACKS);
      this.#outbox.enableAcks(this.#window);
      o.onFeedback(this);
    }
    if (frames.length > 0) this.#outbox.ack(frames);
  }

  /** Releases frames in flight past their expiry (ack mode). */
  expireInFlight(): void {
    this.#outbox.expire();
  }

  /** Its connection was replaced (a resume): frames in flight on the old one will never be acked. */
  connectionReplaced(): void {
    this.#outbox.loseInFlight();
  }

  /** A frame of this (feedback-aware) peer reached the relay at `receivedAt` (relay clock). */
  recordUplink(seq: number, receivedAt: number): void {
    const seqs = this.#upSeq;
    if (seqs === undefined) return;
    const i = (this.#upHead + this.#upCount) % MAX_PENDING_UPLINK_ACKS;
    seqs[i] = seq;
    this.#upAt![i] = receivedAt;
    if (this.#upCount < MAX_PENDING_UPLINK_ACKS) this.#upCount++;
    else this.#upHead = (this.#upHead + 1) % MAX_PENDING_UPLINK_ACKS;
  }

  /** Uplink acks waiting for the next `delivery` message. */
  get pendingUplinkAcks(): number {
    return this.#upCount;
  }

  /** Takes the uplink acks since the last call, oldest first. */
  takeUplinkAcks(): UplinkAck[] {
    const out: UplinkAck[] = new Array<UplinkAck>(this.#upCount);
    for (let k = 0; k < this.#upCount; k++) {
      const i = (this.#upHead + k) % MAX_PENDING_UPLINK_ACKS;
      out[k] = [this.#upSeq![i]!, this.#upAt![i]!];
    }
    this.#upHead = 0;
    this.#upCount = 0;
    return out;
  }

  /** The path towards this peer (ack window figures; zeros with `ackMode: false` before its first ack). */
  path(): PathFigures {
    return this.#window?.figures() ?? { ...FLUSH_MODE_PATH };
  }

  /** How `sourceId`'s frames reach this peer over the last second; undefined before ack mode or before any of them was acked or dropped. */
  sourceFigures(sourceId: number): SourceFigures | undefined {
    return this.#window?.source(sourceId);
  }
}

/** The sourceId field of an encoded frame (u32 big-endian at offset 20). */
export function readSourceId(bytes: Uint8Array): number {
  if (bytes.byteLength < Offset.payload) throw new TypeError(`not a frame: ${bytes.byteLength} bytes`);
  return new DataView(bytes.buffer, bytes.byteOffset, Offset.payload).getUint32(Offset.sourceId, false);
}

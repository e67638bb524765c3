/**
 * The delivery window of ONE receiver in ack mode (it has sent an `ack`): which of the
 * frames handed to its channel it has not acknowledged yet, and how many bytes may be in
 * flight. A frame is in flight from when the outbox hands it to the channel until the
 * receiver acks it, or until it expires (`expireMs`, counted lost). Nothing is allocated per
 * frame: the frames in flight are a ring of typed arrays.
 *
 * Window. `windowBytes = goodput × (base round trip + targetDelayMs)`: the path's
 * bandwidth-delay product plus `targetDelayMs` of queue, where goodput is the bytes acked
 * over the last second and the base round trip the minimum (relay send → ack arrival) over
 * the last 10 s. A frame may go out when it fits, or when nothing is in flight (the window
 * is never less than one frame). In equilibrium on a bottleneck the in-flight bytes hold
 * the queue at ≈ `targetDelayMs` (minus ack batching); when the sender is app-limited the
 * window is larger than what flows by (base + target) / (base + queue), so a sender that
 * speeds up is let through and its higher goodput grows the window: that is the probe. A
 * receiver that stops acking stops getting frames after one window; its goodput then decays
 * to nothing within a second and it is served one frame per `expireMs`.
 *
 * Acks come in order (one ordered channel): when a batch acks a frame, every earlier frame
 * still unacked will never be (the receiver skipped it) and is released as lost.
 *
 * Queue delay: the receiver's stated receive time − relay send time (one way), minus its
 * minimum over 10 s — a constant clock offset cancels — smoothed over the last acks.
 */
import type { PathReport } from '../../protocol/index.ts';
import { relayNow } from '../clock.ts';
import { MinWindow, RateWindow } from './rate-window.ts';

/** Options of `AckWindow`. */
export interface AckWindowOptions {
  /** Queue delay the window aims at, ms. Default `DEFAULT_FEEDBACK_TARGET_DELAY_MS` (100). */
  targetDelayMs?: number;
  /** A frame unacknowledged this long is released as lost, ms. Default `DEFAULT_FEEDBACK_EXPIRE_MS` (1500). */
  expireMs?: number;
  /** Most frames in flight (a full ring waits like a full window). Default `DEFAULT_MAX_FRAMES_IN_FLIGHT` (256). */
  maxFrames?: number;
  /** Called per acked frame with its delivery delay (relay send → receiver receive, ms, ≥ 0). Default none. */
  onDelivered?: (delayMs: number) => void;
  /** Called per frame released unacknowledged. Default none. */
  onLost?: () => void;
  /** The relay clock, ms (tests drive it). Default `relayNow`. */
  now?: () => number;
}

export const DEFAULT_FEEDBACK_TARGET_DELAY_MS = 100;
export const DEFAULT_FEEDBACK_EXPIRE_MS = 1500;
export const DEFAULT_MAX_FRAMES_IN_FLIGHT = 256;

/** Smoothing of the queue delay per acked frame. */
const QUEUE_DELAY_GAIN = 0.25;

/** The path towards one receiver, as `Relay.path` reports it (and `stats` shows it, as `PathReport`). */
export interface PathFigures extends PathReport {
  /** True once the receiver has sent an `ack` (else: flush-based backpressure, the other figures 0). */
  ackMode: boolean;
}

/** What the relay reports to a sender about one receiver of its frames (see `DeliveryMessage.down`). */
export interface SourceFigures {
  /** This source's bytes acked by the receiver over the last second, bit/s. */
  goodputBps: number;
  /** This source's frames acked per second. */
  fps: number;
  /** This source's frames dropped by the relay (latest wins) towards the receiver, per second. */
  droppedPerSecond: number;
}

interface SourceCounters {
  bytes: RateWindow;
  frames: RateWindow;
  drops: RateWindow;
}

export class AckWindow {
  readonly #targetDelayMs: number;
  readonly #expireMs: number;
  readonly #now: () => number;
  readonly #onDelivered: ((delayMs: number) => void) | undefined;
  readonly #onLost: (() => void) | undefined;
  // The frames in flight, oldest at #head.
  readonly #source: Uint32Array;
  readonly #seq: Uint32Array;
  readonly #bytes: Float64Array;
  readonly #sentAt: Float64Array;
  readonly #acked: Uint8Array;
  #head = 0;
  #count = 0;
  /** Offset from #head of the newest frame acked in the current batch (-1: none). */
  #newestAcked = -1;
  /** Where the next ack's search starts (offset from #head). */
  #cursor = 0;
  #inFlightBytes = 0;
  #windowBytes = 0;
  #goodput = new RateWindow();
  #baseRoundTrip = new MinWindow();
  #baseOneWay = new MinWindow();
  #queueDelayMs = 0;
  #ackedTotal = 0;
  #lostTotal = 0;
  #sources = new Map<number, SourceCounters>();

  constructor(options: AckWindowOptions = {}) {
    const target = options.targetDelayMs ?? DEFAULT_FEEDBACK_TARGET_DELAY_MS;
    const expire = options.expireMs ?? DEFAULT_FEEDBACK_EXPIRE_MS;
    const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES_IN_FLIGHT;
    if (!(target > 0) || !Number.isFinite(target)) throw new TypeError(`targetDelayMs must be a positive number [targetDelayMs:${target}]`);
    if (!(expire > target) || !Number.isFinite(expire)) throw new TypeError(`expireMs must be a number above targetDelayMs [expireMs:${expire}, targetDelayMs:${target}]`);
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new TypeError(`maxFrames must be an integer >= 1 [maxFrames:${maxFrames}]`);
    this.#targetDelayMs = target;
    this.#expireMs = expire;
    this.#now = options.now ?? relayNow;
    this.#onDelivered = options.onDelivered;
    this.#onLost = options.onLost;
    this.#source = new Uint32Array(maxFrames);
    this.#seq = new Uint32Array(maxFrames);
    this.#bytes = new Float64Array(maxFrames);
    this.#sentAt = new Float64Array(maxFrames);
    this.#acked = new Uint8Array(maxFrames);
  }

  /** True if a frame of `bytes` may go out now: it fits the window, or nothing is in flight. */
  canSend(bytes: number, allowance = 0): boolean {
    return this.#count === 0 || (this.#count < this.#source.length && this.#inFlightBytes + bytes <= this.#windowBytes + allowance);
  }

  /** A frame was handed to the channel. */
  sent(sourceId: number, seq: number, bytes: number): void {
    if (this.#count === this.#source.length) this.#release(1, this.#now()); // cannot happen through canSend; keep the ring sound
    const i = (this.#head + this.#count) % this.#source.length;
    this.#source[i] = sourceId;
    this.#seq[i] = seq;
    this.#bytes[i] = bytes;
    this.#sentAt[i] = this.#now();
    this.#acked[i] = 0;
    this.#count++;
    this.#inFlightBytes += bytes;
  }

  /** One entry of an `ack` batch; false if no such frame is in flight (sent before ack mode, expired, or unknown). Call `endBatch` after the batch. */
  ack(sourceId: number, seq: number, receivedAt: number): boolean {
    const n = this.#source.length;
    const count = this.#count;
    let offset = -1;
    for (let k = 0; k < count; k++) {
      const o = (this.#cursor + k) % count;
      const i = (this.#head + o) % n;
      if (this.#seq[i] === seq && this.#source[i] === sourceId && this.#acked[i] === 0) {
        offset = o;
        break;
      }
    }
    if (offset < 0) return false;
    const i = (this.#head + offset) % n;
    this.#acked[i] = 1;
    this.#cursor = offset + 1 < count ? offset + 1 : 0;
    if (offset > this.#newestAcked) this.#newestAcked = offset;
    const now = this.#now();
    const bytes = this.#bytes[i]!;
    const sentAt = this.#sentAt[i]!;
    this.#goodput.add(now, bytes);
    this.#baseRoundTrip.add(now, now - sentAt);
    const oneWay = receivedAt - sentAt;
    this.#baseOneWay.add(now, oneWay);
    const queue = Math.max(0, oneWay - this.#baseOneWay.min(now));
    this.#queueDelayMs += QUEUE_DELAY_GAIN * (queue - this.#queueDelayMs);
    this.#ackedTotal++;
    const counters = this.#counters(sourceId);
    counters.bytes.add(now, bytes);
    counters.frames.add(now, 1);
    this.#onDelivered?.(Math.max(0, oneWay));
    return true;
  }

  /** Ends an `ack` batch: releases the acked frames and the earlier ones the receiver skipped, and resizes the window. */
  endBatch(): void {
    const now = this.#now();
    if (this.#newestAcked >= 0) this.#release(this.#newestAcked + 1, now);
    this.#newestAcked = -1;
    this.#cursor = 0;
    this.#resize(now);
  }

  /** Releases frames in flight longer than `expireMs` as lost and resizes the window; the number released. */
  expire(): number {
    const now = this.#now();
    const deadline = now - this.#expireMs;
    const n = this.#source.length;
    let k = 0;
    while (k < this.#count && this.#sentAt[(this.#head + k) % n]! <= deadline) k++;
    if (k > 0) this.#release(k, now);
    this.#resize(now);
    return k;
  }

  /**
   * The connection those frames went out on is gone (a resume moved the peer to a new one):
   * releases every frame in flight as lost now rather than at expiry, so the window does not
   * sit full of frames that can never be acked. The number released.
   */
  loseInFlight(): number {
    const now = this.#now();
    const k = this.#count;
    if (k > 0) this.#release(k, now);
    this.#resize(now);
    return k;
  }

  /** The relay dropped a frame of `sourceId` towards this receiver (latest wins). */
  dropped(sourceId: number): void {
    this.#counters(sourceId).drops.add(this.#now(), 1);
  }

  /** A source left: forget its counters (its frames in flight are still released by acks or expiry). */
  forget(sourceId: number): void {
    this.#sources.delete(sourceId);
  }

  /** The figures of `sourceId` towards this receiver over the last second, undefined before its first ack or drop. */
  source(sourceId: number): SourceFigures | undefined {
    const c = this.#sources.get(sourceId);
    if (c === undefined) return undefined;
    const now = this.#now();
    return { goodputBps: c.bytes.rate(now) * 8, fps: c.frames.rate(now), droppedPerSecond: c.drops.rate(now) };
  }

  get windowBytes(): number {
    return this.#windowBytes;
  }

  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  get inFlightFrames(): number {
    return this.#count;
  }

  get queueDelayMs(): number {
    return this.#queueDelayMs;
  }

  /** Bytes acked over the last second, bit/s. */
  get goodputBps(): number {
    return this.#goodput.rate(this.#now()) * 8;
  }

  figures(): PathFigures {
    const now = this.#now();
    const base = this.#baseRoundTrip.min(now);
    return {
      ackMode: true,
      goodputBps: this.#goodput.rate(now) * 8,
      queueDelayMs: this.#queueDelayMs,
      baseRoundTripMs: Number.isFinite(base) ? base : 0,
      windowBytes: this.#windowBytes,
      inFlightBytes: this.#inFlightBytes,
      inFlightFrames: this.#count,
      acked: this.#ackedTotal,
      lost: this.#lostTotal,
    };
  }

  #counters(sourceId: number): SourceCounters {
    let c = this.#sources.get(sourceId);
    if (c === undefined) this.#sources.set(sourceId, (c = { bytes: new RateWindow(), frames: new RateWindow(), drops: new RateWindow() }));
    return c;
  }

  /** Releases the `k` oldest frames in flight; the unacked ones count as lost. */
  #release(k: number, _now: number): void {
    const n = this.#source.length;
    for (let j = 0; j < k; j++) {
      const i = this.#head;
      this.#inFlightBytes -= this.#bytes[i]!;
      if (this.#acked[i] === 0) {
        this.#lostTotal++;
        this.#onLost?.();
      }
      this.#head = (i + 1) % n;
      this.#count--;
    }
    if (this.#count === 0) this.#inFlightBytes = 0; // no float drift across releases
  }

  #resize(now: number): void {
    const base = this.#baseRoundTrip.min(now);
    const goodputBytesPerSecond = this.#goodput.rate(now);
    this.#windowBytes = (goodputBytesPerSecond * ((Number.isFinite(base) ? base : 0) + this.#targetDelayMs)) / 1000;
  }
}

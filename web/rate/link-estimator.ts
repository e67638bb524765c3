/**
 * What one path carries now, from the sender's side: capacity (delivered goodput), queue
 * delay and what is in flight, estimated from the frames it sent (seq, bytes, send time)
 * and the acknowledgements of their arrival (seq, arrival time on the sender's clock).
 * Pure: plain method calls in, figures out; no clock of its own, no I/O.
 *
 * Capacity. A frame that reached the bottleneck while the previous one was still there
 * (sent before that one arrived, minus the base one-way delay) was served back to back:
 * its bytes over the gap between the two arrivals is the bottleneck rate, exactly (a FIFO
 * does not care about packets). Such "busy" samples are summed over the last
 * `capacityWindowMs` of arrivals — bytes / busy time, so a rate drop shows within a frame
 * or two (slow frames have long gaps and outweigh fast ones). When the sender has been
 * app-limited (no busy samples in the window) the estimate holds its last busy value, never
 * below the delivered rate (a lower bound); an ack that is overdue caps it from above (the
 * oldest frame cannot have been served faster than it was not). Chosen over a max filter:
 * a max holds a stale high rate for its whole window after a drop, which is exactly when a
 * window sized from it fills the queue.
 *
 * Queue delay: the latest one-way delay minus its windowed minimum, or, while an ack is
 * overdue, the lower bound that the wait implies; 0 when nothing is in flight.
 *
 * In flight: sent, not acknowledged. A frame is lost when one sent `reorderFrames` later
 * was acknowledged (one ordered socket: it never will be), or expired after `expireMs`.
 * Memory is bounded by `maxInFlightFrames` and the windows' sample limits.
 *
 * One instance per path: the relay's uplink acks give the sender → relay path; a receiver's
 * acks (its receive times, on the sender's clock) fed to another instance give that path.
 */
import { SlidingWindow } from '../stats/sliding-window.ts';
import { WindowedMin } from './windowed-min.ts';

/** Options of `LinkEstimator`. */
export interface LinkEstimatorOptions {
  /** Arrivals over which busy (back-to-back) samples are summed for capacity, ms. Default `DEFAULT_CAPACITY_WINDOW_MS` (500). */
  capacityWindowMs?: number;
  /** Arrivals over which the delivered rate (a lower bound of capacity) is measured, ms. Default `DEFAULT_DELIVERY_WINDOW_MS` (1000). */
  deliveryWindowMs?: number;
  /** Window of the base (minimum) one-way delay and round trip, ms. Default `DEFAULT_BASE_DELAY_WINDOW_MS` (10 000). */
  baseDelayWindowMs?: number;
  /** A frame unacknowledged this long is dropped from the in-flight count as lost, ms. Default `DEFAULT_EXPIRE_MS` (3000). */
  expireMs?: number;
  /** A frame is lost once a frame sent this many later is acknowledged. Default `DEFAULT_REORDER_FRAMES` (3). */
  reorderFrames?: number;
  /** Most frames tracked in flight (the oldest counts as lost beyond). Default `DEFAULT_MAX_IN_FLIGHT_FRAMES` (256). */
  maxInFlightFrames?: number;
  /** How late an ack may be for batching before it counts as overdue, ms. Default `DEFAULT_ACK_SLACK_MS` (60: acks come about every 50 ms). */
  ackSlackMs?: number;
}

export const DEFAULT_CAPACITY_WINDOW_MS = 500;
export const DEFAULT_DELIVERY_WINDOW_MS = 1000;
export const DEFAULT_BASE_DELAY_WINDOW_MS = 10_000;
export const DEFAULT_EXPIRE_MS = 3000;
export const DEFAULT_REORDER_FRAMES = 3;
export const DEFAULT_MAX_IN_FLIGHT_FRAMES = 256;
export const DEFAULT_ACK_SLACK_MS = 60;

/** Samples a window keeps at most (bounded memory whatever the frame rate). */
const MAX_WINDOW_SAMPLES = 512;

interface SentFrame {
  seq: number;
  bytes: number;
  sentAt: number;
  /** Counted in `inFlightBytes` (false once expired: a late ack still gives a delay sample). */
  counted: boolean;
}

export class LinkEstimator {
  readonly #expireMs: number;
  readonly #reorder: number;
  readonly #maxFrames: number;
  readonly #ackSlackMs: number;
  readonly #capacityWindowMs: number;
  /** Sent, unacknowledged frames in send order. */
  #frames: SentFrame[] = [];
  #inFlightBytes = 0;
  #inFlightFrames = 0;
  #lost = 0;
  #acked = 0;
  readonly #busyBytes: SlidingWindow;
  readonly #busyGaps: SlidingWindow;
  readonly #delivered: SlidingWindow;
  /** Per-frame lower bounds of the rate (bytes over the whole one-way delay), bit/s. */
  readonly #selfTimed: SlidingWindow;
  /**
   * Windowed minimum of the one-way delay: propagation plus the smallest frame's own time.
   * NOTE: not net of serialization at the estimated rate — that estimate is itself made
   * with this base, and the loop drifts; the raw minimum only ever hides a little queue.
   */
  readonly #baseDelay: WindowedMin;
  /** Windowed minimum of the one-way delay net of serialization (while the rate is measured): propagation. */
  readonly #propagation: WindowedMin;
  readonly #minAckDelay: WindowedMin;
  #lastArrival: number | null = null;
  /** Queue delay seen by the last acknowledged frame, ms. */
  #lastQueueMs = 0;
  #measuredBps: number | null = null;
  #capacityBps: number | null = null;
  #queueDelayMs = 0;
  #now = -Infinity;

  constructor(options: LinkEstimatorOptions = {}) {
    this.#capacityWindowMs = options.capacityWindowMs ?? DEFAULT_CAPACITY_WINDOW_MS;
    const deliveryWindowMs = options.deliveryWindowMs ?? DEFAULT_DELIVERY_WINDOW_MS;
    const baseWindowMs = options.baseDelayWindowMs ?? DEFAULT_BASE_DELAY_WINDOW_MS;
    this.#expireMs = options.expireMs ?? DEFAULT_EXPIRE_MS;
    this.#reorder = options.reorderFrames ?? DEFAULT_REORDER_FRAMES;
    this.#maxFrames = options.maxInFlightFrames ?? DEFAULT_MAX_IN_FLIGHT_FRAMES;
    this.#ackSlackMs = options.ackSlackMs ?? DEFAULT_ACK_SLACK_MS;
    for (const [name, value] of [
      ['capacityWindowMs', this.#capacityWindowMs],
      ['deliveryWindowMs', deliveryWindowMs],
      ['baseDelayWindowMs', baseWindowMs],
      ['expireMs', this.#expireMs],
    ] as const) {
      if (!(value > 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number > 0 [${name}:${value}]`);
    }
    if (!Number.isInteger(this.#reorder) || this.#reorder < 1) {
      throw new TypeError(`reorderFrames must be an integer >= 1 [reorderFrames:${this.#reorder}]`);
    }
    if (!Number.isInteger(this.#maxFrames) || this.#maxFrames < 1) {
      throw new TypeError(`maxInFlightFrames must be an integer >= 1 [maxInFlightFrames:${this.#maxFrames}]`);
    }
    if (!(this.#ackSlackMs >= 0) || !Number.isFinite(this.#ackSlackMs)) {
      throw new TypeError(`ackSlackMs must be a finite number >= 0 [ackSlackMs:${this.#ackSlackMs}]`);
    }
    const window = (windowMs: number): SlidingWindow => new SlidingWindow({ windowMs, maxSamples: MAX_WINDOW_SAMPLES });
    this.#busyBytes = window(this.#capacityWindowMs);
    this.#busyGaps = window(this.#capacityWindowMs);
    this.#delivered = window(deliveryWindowMs);
    this.#selfTimed = window(deliveryWindowMs);
    this.#baseDelay = new WindowedMin({ windowMs: baseWindowMs });
    this.#propagation = new WindowedMin({ windowMs: baseWindowMs });
    this.#minAckDelay = new WindowedMin({ windowMs: baseWindowMs });
  }

  /** Records frame `seq` (`bytes` on the wire) handed to the socket at `now` (ms, sender clock). */
  onSent(seq: number, bytes: number, now: number): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new TypeError(`bytes must be a finite number >= 0 [bytes:${bytes}]`);
    this.#frames.push({ seq, bytes, sentAt: now, counted: true });
    this.#inFlightBytes += bytes;
    this.#inFlightFrames++;
    while (this.#frames.length > this.#maxFrames) this.#forget(0, true);
    this.update(now);
  }

  /**
   * Records that frame `seq` arrived at `arrivedAt` (the far end's receive time, already on
   * the sender's clock), learnt at `now`. Unknown seqs (forgotten, duplicated) are ignored.
   */
  onAck(seq: number, arrivedAt: number, now: number): void {
    const index = this.#frames.findIndex((f) => f.seq === seq);
    if (index < 0) {
      this.update(now);
      return;
    }
    const frame = this.#frames[index]!;
    this.#forget(index, false);
    this.#acked++;
    // Frames sent `reorder` or more before this one will never be acknowledged.
    for (let i = index - this.#reorder; i >= 0; i--) this.#forget(i, true);

    const owd = arrivedAt - frame.sentAt;
    this.#minAckDelay.add(now - arrivedAt, now);
    const base = this.#baseDelay.min(now) ?? owd;
    // It reached the bottleneck (sentAt + base) before the previous frame was through: it
    // waited that long, then was served back to back — its bytes over the gap is the rate.
    const previous = this.#lastArrival;
    const wait = previous === null ? 0 : Math.max(0, previous - frame.sentAt - base);
    if (wait > 0 && arrivedAt > previous!) {
      this.#busyBytes.add(frame.bytes, arrivedAt);
      this.#busyGaps.add(arrivedAt - previous!, arrivedAt);
    }
    if (previous === null || arrivedAt > previous) this.#lastArrival = arrivedAt;
    this.#delivered.add(frame.bytes, arrivedAt);
    // A frame cannot arrive sooner than its own serialization: bytes / one-way delay is a lower bound.
    if (owd > 0) this.#selfTimed.add((frame.bytes * 8000) / owd, arrivedAt);
    const busyTime = this.#busyGaps.sum(this.#lastArrival!);
    if (busyTime > 0) this.#measuredBps = (this.#busyBytes.sum(this.#lastArrival!) * 8000) / busyTime;
    this.#refreshCapacity();
    this.#baseDelay.add(owd, now);
    // The same delay net of the frame's own serialization: over the propagation minimum, it
    // is queueing (also behind others' traffic). The rate is exact only while saturated, so
    // only then does a net sample feed the propagation minimum.
    const own = this.#serializationMs(frame.bytes);
    this.#propagation.add(this.saturated ? owd - own : owd, now);
    const netQueue = owd - own - (this.#propagation.min(now) ?? owd);
    this.#lastQueueMs = Math.max(wait, netQueue, 0);
    this.update(now);
  }

  /**
   * Brings the time-dependent figures up to `now`: expiry, and what an overdue ack says
   * about capacity and queue delay. `onSent`/`onAck` call it; call it before reading the
   * figures when neither happened since.
   */
  update(now: number): void {
    if (now > this.#now) this.#now = now;
    now = this.#now;
    for (const f of this.#frames) {
      if (f.counted && now - f.sentAt > this.#expireMs) this.#expire(f);
    }
    this.#refreshCapacity();
    const oldest = this.#frames.find((f) => f.counted);
    // Before the first ack the base is unknown: 0 makes the overdue bound pessimistic, not wrong.
    const base = this.#baseDelay.min(now) ?? 0;
    let queueDelay = 0;
    if (oldest !== undefined) {
      queueDelay = this.#lastQueueMs;
      // Latest time the oldest frame can have arrived, given no ack for it by now.
      const notBy = now - (this.#minAckDelay.min(now) ?? 0) - this.#ackSlackMs;
      const waited = notBy - Math.max(oldest.sentAt + base, this.#lastArrival ?? -Infinity);
      if (waited > 0) {
        const bound = (oldest.bytes * 8000) / waited;
        if (this.#capacityBps === null || bound < this.#capacityBps) this.#capacityBps = bound;
        queueDelay = Math.max(queueDelay, notBy - oldest.sentAt - base - this.#serializationMs(oldest.bytes));
      }
    }
    this.#queueDelayMs = queueDelay;
  }

  /** Recent busy samples measure the bottleneck; without them, hold the last, never below what was delivered. */
  #refreshCapacity(): void {
    const delivered = Math.max(this.deliveredBps, this.#lastArrival === null ? 0 : (this.#selfTimed.percentile(100, this.#lastArrival) ?? 0));
    if (this.#measuredBps === null) this.#capacityBps = delivered > 0 ? delivered : null;
    else this.#capacityBps = this.saturated ? this.#measuredBps : Math.max(this.#measuredBps, delivered);
  }

  /** Time the bottleneck takes for `bytes` at the estimated capacity, ms (0 while unknown). */
  #serializationMs(bytes: number): number {
    return this.#capacityBps === null || this.#capacityBps <= 0 ? 0 : (bytes * 8000) / this.#capacityBps;
  }

  /** Estimated bottleneck rate, bit/s, as of the last call; null before anything was sent long enough ago to tell. */
  get capacityBps(): number | null {
    return this.#capacityBps;
  }

  /**
   * Whether `capacityBps` is a measurement of the bottleneck (frames were served back to
   * back within the last `capacityWindowMs` of arrivals); false while the sender has been
   * app-limited, when it is only a lower bound (the delivered rate, or an older measurement).
   */
  get saturated(): boolean {
    return this.#lastArrival !== null && this.#busyGaps.count(this.#lastArrival) > 0;
  }

  /** Rate delivered over the last `deliveryWindowMs` of arrivals, bit/s (0 before two arrivals). */
  get deliveredBps(): number {
    return this.#lastArrival === null ? 0 : this.#delivered.rate(this.#lastArrival, true) * 8;
  }

  /**
   * Queue delay at the bottleneck, ms, as the last acknowledged frame saw it: its one-way
   * delay above the windowed minimum, both net of serialization at the estimated rate (a
   * large frame is not a queue), and at least how long it waited behind our previous frame
   * (previous arrival − its send time − base delay); at least what an overdue ack implies;
   * 0 when nothing is in flight.
   */
  get queueDelayMs(): number {
    return this.#queueDelayMs;
  }

  /** Base one-way delay (its windowed minimum), ms; null before the first ack. */
  get baseDelayMs(): number | null {
    return this.#baseDelay.min(this.#now);
  }

  /** Bytes sent and neither acknowledged nor given up. */
  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Frames sent and neither acknowledged nor given up. */
  get inFlightFrames(): number {
    return this.#inFlightFrames;
  }

  /**
   * The connection the frames in flight went out on is gone (the link moved to another
   * transport and resumed the session): they will never be acknowledged. Forgets them —
   * not counted lost (that was no congestion), and no longer holding the link "busy".
   */
  forgetInFlight(): void {
    this.#frames = [];
    this.#inFlightBytes = 0;
    this.#inFlightFrames = 0;
  }

  /** Frames acknowledged so far. */
  get ackedFrames(): number {
    return this.#acked;
  }

  /** Frames given up so far (a later one was acknowledged, or they expired). */
  get lostFrames(): number {
    return this.#lost;
  }

  /**
   * How long the bottleneck still needs, at `now`, for what is in flight, ms (0 when it is
   * idle): the in-flight frames replayed through a FIFO at the estimated capacity, starting
   * from the last known arrival. Frames that have arrived but whose ack is still on its way
   * count for nothing — unlike raw `inFlightBytes`, which also holds the return trip.
   * Before the first measurement the replay runs at `assumedBps` (0 without it).
   */
  backlogMs(now: number, assumedBps?: number): number {
    this.update(now);
    const capacity = this.#capacityBps ?? assumedBps ?? null;
    if (capacity === null || capacity <= 0) return 0;
    const base = this.#baseDelay.min(this.#now) ?? 0;
    let done = this.#lastArrival ?? -Infinity;
    for (const f of this.#frames) {
      if (f.counted) done = Math.max(done, f.sentAt + base) + (f.bytes * 8000) / capacity;
    }
    // `done` is when the last frame is through; a frame sent now would be through at now + base + its own time.
    return Math.max(0, done - (this.#now + base));
  }

  #forget(index: number, lost: boolean): void {
    const [frame] = this.#frames.splice(index, 1);
    if (frame === undefined) return;
    if (frame.counted) {
      this.#inFlightBytes -= frame.bytes;
      this.#inFlightFrames--;
      if (lost) this.#lost++;
    }
  }

  #expire(frame: SentFrame): void {
    frame.counted = false;
    this.#inFlightBytes -= frame.bytes;
    this.#inFlightFrames--;
    this.#lost++;
  }
}

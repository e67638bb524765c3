/**
 * The sender's view of its receivers' paths (the relay's `down` reports, docs/protocol.md ›
 * Delivery feedback), and the one thing the sender does with them: never send more than
 * the FASTEST receiver takes. A thin receiver alone changes nothing here — the relay drops
 * for it latest-wins (and transcodes it down) while the others keep the full picture; only
 * when every receiver has been queueing (relay → receiver delay above `congestionDelayMs`)
 * for `sustainMs` does the sender's rate stop paying off, and it is capped at
 * `decreaseFactor` × the best goodput. Later cuts, at most every `decreaseIntervalMs`, only
 * while the queue does not drain (or the relay drops for every receiver): a receiver that
 * queues without dropping gets our rate as its goodput, so cutting again while its queue
 * drains would only spiral down. Lifted as soon as one receiver's queue is back under
 * `clearDelayMs`.
 *
 * NOTE: the sender's own uplink and each receiver's downlink are queues in series; the
 * sender's controller keeps the first short, this cap keeps the second from adding the
 * relay's whole window (≈ 100 ms) on top — measured on bench:thin-link scenario a (4 Mbit/s
 * both homes): p50 185 ms with the cap only on drops.
 */

/** One receiver's path as the relay reported it last. */
export interface ReceiverPath {
  receiverId: number;
  /** Delivered goodput over the last second, bit/s. */
  goodputBps: number;
  /** Queue delay relay → receiver, ms. */
  queueDelayMs: number;
  /** Frames delivered per second. */
  fps: number;
  /** Frames the relay dropped for it per second. */
  droppedPerSecond: number;
  /** When the report arrived (caller's clock, ms). */
  at: number;
}

/** Options of `ReceiverCap`. */
export interface ReceiverCapOptions {
  /** A receiver whose queue delay is above this is congested, ms. Default `DEFAULT_RECEIVER_CONGESTION_MS` (60). */
  congestionDelayMs?: number;
  /** Every receiver must have been congested this long before the cap, ms. Default `DEFAULT_RECEIVER_SUSTAIN_MS` (500). */
  sustainMs?: number;
  /** The cap is lifted once a receiver's queue delay is below this, ms. Default half of `congestionDelayMs`. */
  clearDelayMs?: number;
  /** Cap = factor × the best goodput. Default `DEFAULT_DECREASE_FACTOR` (0.85). */
  decreaseFactor?: number;
  /** Least time between two lowerings of the cap, ms. Default `DEFAULT_DECREASE_INTERVAL_MS` (300). */
  decreaseIntervalMs?: number;
  /** Reports older than this are ignored, ms. Default `DEFAULT_REPORT_STALE_MS` (2000). */
  staleMs?: number;
}

export const DEFAULT_REPORT_STALE_MS = 2000;
export const DEFAULT_RECEIVER_CONGESTION_MS = 60;
export const DEFAULT_RECEIVER_SUSTAIN_MS = 500;
const DEFAULT_FACTOR = 0.85;
const DEFAULT_INTERVAL_MS = 300;

/** `[receiverId, goodputBps, queueDelayMs, fps, droppedPerSecond]` (protocol/feedback.ts `ReceiverReport`). */
export type ReceiverReportTuple = readonly [number, number, number, number, number];

export class ReceiverCap {
  readonly #congestionMs: number;
  readonly #sustainMs: number;
  readonly #clearMs: number;
  readonly #factor: number;
  readonly #intervalMs: number;
  readonly #staleMs: number;
  readonly #paths = new Map<number, ReceiverPath>();
  #cap: number | null = null;
  #lastDecisionAt = -Infinity;
  /** The least receiver queue delay at the last cut decision (a later cut needs it not to have drained since). */
  #queueAtCheck = Infinity;
  /** Since when every receiver is congested (null: one is not). */
  #congestedSince: number | null = null;

  constructor(options: ReceiverCapOptions = {}) {
    this.#congestionMs = options.congestionDelayMs ?? DEFAULT_RECEIVER_CONGESTION_MS;
    this.#sustainMs = options.sustainMs ?? DEFAULT_RECEIVER_SUSTAIN_MS;
    this.#clearMs = options.clearDelayMs ?? this.#congestionMs / 2;
    this.#factor = options.decreaseFactor ?? DEFAULT_FACTOR;
    this.#intervalMs = options.decreaseIntervalMs ?? DEFAULT_INTERVAL_MS;
    this.#staleMs = options.staleMs ?? DEFAULT_REPORT_STALE_MS;
    if (!(this.#factor > 0 && this.#factor < 1)) throw new TypeError(`decreaseFactor must be in (0, 1) [decreaseFactor:${this.#factor}]`);
    for (const [name, value] of [
      ['congestionDelayMs', this.#congestionMs],
      ['clearDelayMs', this.#clearMs],
      ['sustainMs', this.#sustainMs],
      ['decreaseIntervalMs', this.#intervalMs],
      ['staleMs', this.#staleMs],
    ] as const) {
      if (!(value >= 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number >= 0 [${name}:${value}]`);
    }
    if (this.#clearMs > this.#congestionMs) {
      throw new TypeError(`clearDelayMs must be <= congestionDelayMs [clearDelayMs:${this.#clearMs}, congestionDelayMs:${this.#congestionMs}]`);
    }
  }

  /** Takes one `down` list received at `now` and returns the cap in force, bit/s (null: none). */
  update(reports: readonly ReceiverReportTuple[], now: number): number | null {
    for (const [receiverId, goodputBps, queueDelayMs, fps, droppedPerSecond] of reports) {
      this.#paths.set(receiverId, { receiverId, goodputBps, queueDelayMs, fps, droppedPerSecond, at: now });
    }
    const fresh = this.paths(now);
    if (fresh.length === 0) {
      this.#cap = null;
      this.#congestedSince = null;
      return null;
    }
    const leastQueue = Math.min(...fresh.map((p) => p.queueDelayMs));
    if (leastQueue > this.#congestionMs) this.#congestedSince ??= now;
    else this.#congestedSince = null;
    const sustained = this.#congestedSince !== null && now - this.#congestedSince >= this.#sustainMs;
    if (leastQueue < this.#clearMs) {
      this.#cap = null;
      this.#queueAtCheck = Infinity;
    } else if (sustained && now - this.#lastDecisionAt >= this.#intervalMs) {
      // A further cut only while the queue is not draining (by 10 % since the last decision),
      // or the relay drops for everyone.
      const draining = leastQueue < 0.9 * this.#queueAtCheck;
      const allDropping = fresh.every((p) => p.droppedPerSecond > 0);
      const best = Math.max(...fresh.map((p) => p.goodputBps));
      if (best > 0 && (this.#cap === null || allDropping || !draining)) {
        this.#cap = Math.min(this.#cap ?? Infinity, this.#factor * best);
      }
      this.#lastDecisionAt = now;
      this.#queueAtCheck = leastQueue;
    }
    return this.#cap;
  }

  /** The cap in force, bit/s (null: none). */
  get capBps(): number | null {
    return this.#cap;
  }

  /** The receivers reported within `staleMs` of `now`, by id. */
  paths(now: number): ReceiverPath[] {
    const fresh: ReceiverPath[] = [];
    for (const [id, path] of this.#paths) {
      if (now - path.at > this.#staleMs) this.#paths.delete(id);
      else fresh.push(path);
    }
    return fresh.sort((a, b) => a.receiverId - b.receiverId);
  }

  /** The last report about `receiverId`, if fresh at `now`. */
  path(receiverId: number, now: number): ReceiverPath | undefined {
    const path = this.#paths.get(receiverId);
    return path !== undefined && now - path.at <= this.#staleMs ? path : undefined;
  }

  /** Forgets a receiver (it left). */
  forget(receiverId: number): void {
    this.#paths.delete(receiverId);
  }
}

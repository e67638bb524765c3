/**
 * The minimum of a signal over a sliding time window, in bounded memory: samples are kept
 * as one minimum per bucket (`windowMs / buckets` wide), so memory is `buckets + 1` pairs
 * whatever the sample rate. The window is exact to one bucket's width. Used for the base
 * one-way delay and round-trip time of a path (their minimum is the empty-queue figure).
 */

/** Options of `WindowedMin`. */
export interface WindowedMinOptions {
  /** Window length, ms. Default `DEFAULT_MIN_WINDOW_MS` (10 000). */
  windowMs?: number;
  /** Buckets the window is cut into (memory and resolution). Default `DEFAULT_MIN_BUCKETS` (10). */
  buckets?: number;
}

export const DEFAULT_MIN_WINDOW_MS = 10_000;
export const DEFAULT_MIN_BUCKETS = 10;

export class WindowedMin {
  readonly #windowMs: number;
  readonly #bucketMs: number;
  /** Bucket start times (ms), oldest first, and each bucket's minimum. */
  #starts: number[] = [];
  #mins: number[] = [];

  constructor(options: WindowedMinOptions = {}) {
    this.#windowMs = options.windowMs ?? DEFAULT_MIN_WINDOW_MS;
    const buckets = options.buckets ?? DEFAULT_MIN_BUCKETS;
    if (!(this.#windowMs > 0)) throw new TypeError(`windowMs must be > 0 [windowMs:${this.#windowMs}]`);
    if (!Number.isInteger(buckets) || buckets < 1) throw new TypeError(`buckets must be an integer >= 1 [buckets:${buckets}]`);
    this.#bucketMs = this.#windowMs / buckets;
  }

  /** Records `value` seen at `now` (ms; non-decreasing across calls). */
  add(value: number, now: number): void {
    this.#evict(now);
    const last = this.#starts.length - 1;
    if (last >= 0 && now - this.#starts[last]! < this.#bucketMs) {
      if (value < this.#mins[last]!) this.#mins[last] = value;
    } else {
      this.#starts.push(now);
      this.#mins.push(value);
    }
  }

  /** The minimum over the window ending at `now`, or null when the window is empty. */
  min(now: number): number | null {
    this.#evict(now);
    if (this.#mins.length === 0) return null;
    let min = Infinity;
    for (const v of this.#mins) if (v < min) min = v;
    return min;
  }

  #evict(now: number): void {
    const cutoff = now - this.#windowMs;
    let drop = 0;
    // A bucket leaves once all of it is older than the window.
    while (drop < this.#starts.length && this.#starts[drop]! + this.#bucketMs <= cutoff) drop++;
    if (drop > 0) {
      this.#starts.splice(0, drop);
      this.#mins.splice(0, drop);
    }
  }
}

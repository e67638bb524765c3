/**
 * Time-windowed samples: percentiles (latency p50/p95) and rates (fps, kbps) over the last
 * `windowMs`. Old samples are evicted lazily on every add/read.
 */
import { percentile } from './percentile.ts';

/** Options of `SlidingWindow`. */
export interface SlidingWindowOptions {
  /** Window length, ms. Default `DEFAULT_WINDOW_MS` (5000). */
  windowMs?: number;
  /** Most samples kept (oldest evicted first). Default `DEFAULT_WINDOW_MAX_SAMPLES` (2000). */
  maxSamples?: number;
}

export const DEFAULT_WINDOW_MS = 5000;
export const DEFAULT_WINDOW_MAX_SAMPLES = 2000;

export class SlidingWindow {
  readonly #windowMs: number;
  readonly #max: number;
  #times: number[] = [];
  #values: number[] = [];

  constructor(options: SlidingWindowOptions = {}) {
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#max = options.maxSamples ?? DEFAULT_WINDOW_MAX_SAMPLES;
    if (!(this.#windowMs > 0)) throw new TypeError(`windowMs must be > 0 [windowMs:${this.#windowMs}]`);
  }

  /** Records `value` at time `now` (ms, any monotonic-enough clock). */
  add(value: number, now: number): void {
    this.#times.push(now);
    this.#values.push(value);
    if (this.#times.length > this.#max) {
      this.#times.shift();
      this.#values.shift();
    }
    this.#evict(now);
  }

  /** Samples in the window at `now`. */
  count(now: number): number {
    this.#evict(now);
    return this.#times.length;
  }

  /** Sum of the values in the window at `now`. */
  sum(now: number): number {
    this.#evict(now);
    let total = 0;
    for (const v of this.#values) total += v;
    return total;
  }

  /**
   * Events (or, with `valueSum`, value units) per second at `now`: everything after the
   * oldest sample in the window, divided by the time since that sample. Decays towards 0
   * when samples stop. 0 with fewer than 2 samples.
   */
  rate(now: number, valueSum = false): number {
    this.#evict(now);
    const n = this.#times.length;
    if (n < 2) return 0;
    const span = Math.max(now - this.#times[0]!, 1);
    const total = valueSum ? this.sum(now) - this.#values[0]! : n - 1;
    return (total * 1000) / span;
  }

  /**
   * The `p`-th percentile (0..100) of the values in the window, or null if empty: the
   * project's one definition (linear interpolation, `percentile.ts`), as in the benches.
   */
  percentile(p: number, now: number): number | null {
    this.#evict(now);
    return this.#values.length === 0 ? null : percentile(this.#values, p);
  }

  /** Forgets everything. */
  clear(): void {
    this.#times = [];
    this.#values = [];
  }

  #evict(now: number): void {
    const cutoff = now - this.#windowMs;
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! < cutoff) drop++;
    if (drop > 0) {
      this.#times.splice(0, drop);
      this.#values.splice(0, drop);
    }
  }
}

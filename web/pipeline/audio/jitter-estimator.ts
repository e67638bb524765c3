/**
 * How much delay the playout needs: from each frame's transit (arrival − capture, any
 * constant clock offset included), the windowed minimum is the fastest path and a high
 * percentile of the excess over it the jitter to absorb. The target rises at once when the
 * jitter grows and decays slowly when it shrinks. Pure: no DOM, no allocation after construction.
 */

/** Options of `JitterEstimator`. */
export interface JitterEstimatorOptions {
  /** Arrivals remembered. Default 200 (4 s of 20 ms frames). */
  windowFrames?: number;
  /** Percentile of the excess transit the target covers, 0..1. Default 0.95. */
  percentile?: number;
  /** Safety added on top of the jitter percentile, ms (render quanta, message hops). Default 6. */
  marginMs?: number;
  /** Lowest target, ms. Default 20. */
  minTargetMs?: number;
  /** Highest target, ms. Default 200. */
  maxTargetMs?: number;
  /** How fast the target may fall, ms per second of arrivals. Default 40. */
  decayMsPerSecond?: number;
}

export const DEFAULT_JITTER_ESTIMATOR_OPTIONS: Required<JitterEstimatorOptions> = {
  windowFrames: 200,
  percentile: 0.95,
  marginMs: 6,
  minTargetMs: 20,
  maxTargetMs: 200,
  decayMsPerSecond: 40,
};

/** Windowed transit statistics → the playout's target delay over the fastest path. */
export class JitterEstimator {
  readonly options: Readonly<Required<JitterEstimatorOptions>>;
  readonly #window: Float64Array;
  readonly #sorted: Float64Array;
  #count = 0;
  #next = 0;
  #baseline = 0;
  #jitter = 0;
  #target: number;
  #lastArrival = Number.NaN;

  constructor(options: JitterEstimatorOptions = {}) {
    const o = { ...DEFAULT_JITTER_ESTIMATOR_OPTIONS, ...options };
    if (!(o.minTargetMs > 0) || !(o.maxTargetMs >= o.minTargetMs)) {
      throw new TypeError(`need 0 < minTargetMs ≤ maxTargetMs [min:${o.minTargetMs}, max:${o.maxTargetMs}]`);
    }
    if (!Number.isInteger(o.windowFrames) || o.windowFrames < 2) throw new TypeError(`windowFrames must be an integer ≥ 2 [windowFrames:${o.windowFrames}]`);
    if (!(o.percentile > 0 && o.percentile <= 1)) throw new TypeError(`percentile must be in (0, 1] [percentile:${o.percentile}]`);
    this.options = o;
    this.#window = new Float64Array(o.windowFrames);
    this.#sorted = new Float64Array(o.windowFrames);
    this.#target = o.minTargetMs;
  }

  /** Records one arrival: `transitMs` = arrival − capture (ms, any constant offset), at local time `arrivalMs`. */
  add(transitMs: number, arrivalMs: number): void {
    this.#window[this.#next] = transitMs;
    this.#next = (this.#next + 1) % this.#window.length;
    if (this.#count < this.#window.length) this.#count++;
    const sorted = this.#sorted.subarray(0, this.#count);
    sorted.set(this.#window.subarray(0, this.#count));
    sorted.sort();
    this.#baseline = sorted[0]!;
    const high = sorted[Math.min(this.#count - 1, Math.ceil(this.options.percentile * (this.#count - 1)))]!;
    this.#jitter = high - this.#baseline;
    const wanted = Math.max(this.options.minTargetMs, Math.min(this.options.maxTargetMs, this.#jitter + this.options.marginMs));
    const elapsed = Number.isNaN(this.#lastArrival) ? 0 : Math.max(0, arrivalMs - this.#lastArrival);
    this.#lastArrival = arrivalMs;
    this.#target = wanted >= this.#target ? wanted : Math.max(wanted, this.#target - (this.options.decayMsPerSecond * elapsed) / 1000);
  }

  /** Fastest transit in the window, ms (0 before any arrival). */
  get baselineMs(): number {
    return this.#baseline;
  }

  /** Percentile excess transit over the fastest, ms. */
  get jitterMs(): number {
    return this.#jitter;
  }

  /** Delay the playout should keep over the fastest path, ms, within [minTargetMs, maxTargetMs]. */
  get targetMs(): number {
    return this.#target;
  }

  /** Arrivals in the window. */
  get count(): number {
    return this.#count;
  }

  /** Forgets every arrival. */
  reset(): void {
    this.#count = 0;
    this.#next = 0;
    this.#baseline = 0;
    this.#jitter = 0;
    this.#target = this.options.minTargetMs;
    this.#lastArrival = Number.NaN;
  }
}

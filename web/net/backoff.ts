/**
 * Reconnect delays: exponential backoff with "equal jitter" (half the step fixed, half
 * random), so a relay restart does not bring every client back in the same millisecond
 * while no client waits much longer than the nominal step.
 */

/** Options of `Backoff`. */
export interface BackoffOptions {
  /** First delay step, ms. Default `DEFAULT_BACKOFF_BASE_MS` (500). */
  baseMs?: number;
  /** Largest delay, ms. Default `DEFAULT_BACKOFF_MAX_MS` (10 000). */
  maxMs?: number;
  /** Growth per attempt. Default `DEFAULT_BACKOFF_FACTOR` (2). */
  factor?: number;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_MAX_MS = 10_000;
export const DEFAULT_BACKOFF_FACTOR = 2;

export class Backoff {
  readonly #base: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.#max = options.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.#factor = options.factor ?? DEFAULT_BACKOFF_FACTOR;
    this.#random = options.random ?? Math.random;
    if (!(this.#base > 0) || !(this.#max >= this.#base)) {
      throw new TypeError(`backoff needs 0 < baseMs <= maxMs [baseMs:${this.#base}, maxMs:${this.#max}]`);
    }
    if (!(this.#factor >= 1)) throw new TypeError(`backoff factor must be >= 1 [factor:${this.#factor}]`);
  }

  /** Attempts made since the last `reset()`. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, ms: step/2 + random·step/2, step = min(max, base·factor^attempt). */
  next(): number {
    const step = Math.min(this.#max, this.#base * this.#factor ** this.#attempt);
    this.#attempt++;
    return step / 2 + this.#random() * (step / 2);
  }

  /** Back to the first step (after a successful connection). */
  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. Used per connection for control
 * messages and for the refused-message budget.
 */
export class RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  /** `now` returns milliseconds; it exists so unit tests can drive time. */
  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    if (!(perSecond > 0) || !(burst >= 1)) {
      throw new TypeError(`rate limit needs perSecond > 0 and burst >= 1 [perSecond:${perSecond}, burst:${burst}]`);
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes one token; false if the bucket is empty. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

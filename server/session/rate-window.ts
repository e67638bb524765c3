/**
 * Sliding-window statistics of fixed size, for the ack window (ack-window.ts): a sum per
 * time bucket in a ring, so adding a sample costs a few stores and memory never grows,
 * whatever the rate. Times are ms on any monotonic clock (the relay's).
 */

/** A sum over the last `buckets × bucketMs`, read as a rate per second. */
export class RateWindow {
  readonly #sums: Float64Array;
  readonly #bucketMs: number;
  readonly #minSpanMs: number;
  /** Bucket number (time / bucketMs) of the newest bucket. */
  #current = -1;
  /** Time of the first sample ever (the window is shorter before it has filled). */
  #first = Number.NaN;

  /** Default 20 buckets of 50 ms (one second); a rate is never averaged over less than `minSpanMs` (250). */
  constructor(bucketMs = 50, buckets = 20, minSpanMs = 250) {
    this.#sums = new Float64Array(buckets);
    this.#bucketMs = bucketMs;
    this.#minSpanMs = Math.min(minSpanMs, bucketMs * buckets);
  }

  /** Adds `value` at time `now` (ms). */
  add(now: number, value: number): void {
    this.#advance(now);
    this.#sums[this.#current % this.#sums.length] += value;
    if (Number.isNaN(this.#first)) this.#first = now;
  }

  /** Sum of the window at `now`. */
  sum(now: number): number {
    this.#advance(now);
    let total = 0;
    for (let i = 0; i < this.#sums.length; i++) total += this.#sums[i]!;
    return total;
  }

  /** The window's sum per second at `now` (0 before the first sample). */
  rate(now: number): number {
    if (Number.isNaN(this.#first)) return 0;
    const windowMs = this.#bucketMs * this.#sums.length;
    const span = Math.min(windowMs, Math.max(this.#minSpanMs, now - this.#first));
    return (this.sum(now) * 1000) / span;
  }

  #advance(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    if (bucket <= this.#current) return;
    const n = this.#sums.length;
    if (this.#current < 0 || bucket - this.#current >= n) this.#sums.fill(0);
    else for (let b = this.#current + 1; b <= bucket; b++) this.#sums[b % n] = 0;
    this.#current = bucket;
  }
}

/** The minimum over the last `buckets × bucketMs` (Infinity when empty). */
export class MinWindow {
  readonly #mins: Float64Array;
  readonly #bucketMs: number;
  #current = -1;

  /** Default 10 buckets of 1 s (ten seconds). */
  constructor(bucketMs = 1000, buckets = 10) {
    this.#mins = new Float64Array(buckets).fill(Infinity);
    this.#bucketMs = bucketMs;
  }

  add(now: number, value: number): void {
    this.#advance(now);
    const i = this.#current % this.#mins.length;
    if (value < this.#mins[i]!) this.#mins[i] = value;
  }

  min(now: number): number {
    this.#advance(now);
    let m = Infinity;
    for (let i = 0; i < this.#mins.length; i++) if (this.#mins[i]! < m) m = this.#mins[i]!;
    return m;
  }

  #advance(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    if (bucket <= this.#current) return;
    const n = this.#mins.length;
    if (this.#current < 0 || bucket - this.#current >= n) this.#mins.fill(Infinity);
    else for (let b = this.#current + 1; b <= bucket; b++) this.#mins[b % n] = Infinity;
    this.#current = bucket;
  }
}

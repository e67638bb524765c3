/**
 * A deterministic bottleneck for tests: frames (whole messages) go through a FIFO served at
 * a rate that may change in steps, behind a queue limit, then a fixed propagation delay.
 * Like a `tc tbf` cap on a path carrying one TCP connection: by default nothing is lost
 * (TCP turns the bottleneck's drops into retransmissions and the socket buffers hold the
 * rest), everything waits — which is how a 1 Mbit/s link reaches 6 s of delay.
 */

/** From `atMs` on, the link serves `bps` bit/s. */
export interface RateStep {
  atMs: number;
  bps: number;
}

/** Options of `SimulatedLink`. */
export interface SimulatedLinkOptions {
  /** Bottleneck rate, bit/s: one figure, or steps in time order (the first at 0). */
  rateBps: number | readonly RateStep[];
  /** One-way propagation delay after the bottleneck, ms. Default `DEFAULT_PROPAGATION_MS` (20). */
  propagationMs?: number;
  /** Drop-tail: a frame is dropped if the bytes in the queue (the one in service included) would exceed this. Default Infinity. */
  queueLimitBytes?: number;
  /** tbf-like latency limit: a frame that would wait longer than this to start is dropped, ms. Default Infinity. */
  queueLimitMs?: number;
}

export const DEFAULT_PROPAGATION_MS = 20;

export class SimulatedLink {
  readonly #steps: readonly RateStep[];
  readonly #propagationMs: number;
  readonly #limitBytes: number;
  readonly #limitMs: number;
  /** Frames in the system: when they finish service and their bytes (FIFO order). */
  #queue: Array<{ finish: number; bytes: number }> = [];
  #lastFinish = -Infinity;
  #lastAt = -Infinity;
  #dropped = 0;

  constructor(options: SimulatedLinkOptions) {
    const steps = typeof options.rateBps === 'number' ? [{ atMs: 0, bps: options.rateBps }] : options.rateBps;
    if (steps.length === 0 || steps[0]!.atMs !== 0) throw new TypeError('rate steps must start at atMs 0');
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (!(step.bps > 0) || !Number.isFinite(step.bps)) throw new TypeError(`rate must be a finite number > 0 [bps:${step.bps}]`);
      if (i > 0 && !(step.atMs > steps[i - 1]!.atMs)) throw new TypeError(`rate steps must be in time order [atMs:${step.atMs}]`);
    }
    this.#steps = steps.map((s) => ({ ...s }));
    this.#propagationMs = options.propagationMs ?? DEFAULT_PROPAGATION_MS;
    this.#limitBytes = options.queueLimitBytes ?? Infinity;
    this.#limitMs = options.queueLimitMs ?? Infinity;
    if (!(this.#propagationMs >= 0) || !Number.isFinite(this.#propagationMs)) {
      throw new TypeError(`propagationMs must be a finite number >= 0 [propagationMs:${this.#propagationMs}]`);
    }
    if (!(this.#limitBytes > 0)) throw new TypeError(`queueLimitBytes must be > 0 [queueLimitBytes:${this.#limitBytes}]`);
    if (!(this.#limitMs >= 0)) throw new TypeError(`queueLimitMs must be >= 0 [queueLimitMs:${this.#limitMs}]`);
  }

  /** One-way propagation delay, ms. */
  get propagationMs(): number {
    return this.#propagationMs;
  }

  /** Frames dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The bottleneck rate at `t`, bit/s. */
  rateAt(t: number): number {
    let bps = this.#steps[0]!.bps;
    for (const step of this.#steps) if (step.atMs <= t) bps = step.bps;
    return bps;
  }

  /**
   * Sends a frame of `bytes` entering the bottleneck at `at` (ms, non-decreasing across
   * calls). Returns when it arrives at the far end, or null when the queue dropped it.
   */
  send(bytes: number, at: number): number | null {
    if (at < this.#lastAt) throw new RangeError(`frames must be sent in time order [at:${at}, last:${this.#lastAt}]`);
    this.#lastAt = at;
    while (this.#queue.length > 0 && this.#queue[0]!.finish <= at) this.#queue.shift();
    const start = Math.max(at, this.#lastFinish);
    const queued = this.#queue.reduce((total, f) => total + f.bytes, 0);
    if (start - at > this.#limitMs || queued + bytes > this.#limitBytes) {
      this.#dropped++;
      return null;
    }
    const finish = this.#serve(start, bytes * 8);
    this.#queue.push({ finish, bytes });
    this.#lastFinish = finish;
    return finish + this.#propagationMs;
  }

  /** When `bits` started at `start` are through, walking the rate steps. */
  #serve(start: number, bits: number): number {
    let t = start;
    let left = bits;
    for (;;) {
      const bps = this.rateAt(t);
      const next = this.#steps.find((s) => s.atMs > t);
      const done = t + (left * 1000) / bps;
      if (next === undefined || done <= next.atMs) return done;
      left -= ((next.atMs - t) * bps) / 1000;
      t = next.atMs;
    }
  }
}

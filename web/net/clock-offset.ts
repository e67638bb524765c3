/**
 * Estimates the offset between this browser's clock and the relay's clock from ping/pong
 * round trips (NTP's idea, simplified): for a ping sent at local `t0`, answered with the
 * relay's `serverTime` and received at local `t1`, rtt = t1 − t0 and
 * offset = serverTime − (t0 + rtt/2). The sample with the smallest RTT among the recent
 * ones is the least disturbed by queueing, so it wins.
 *
 * framewire stamps `captureTime` in SERVER-clock terms (local capture instant + offset);
 * a receiver's latency for a frame is (its local now + its own offset) − captureTime.
 * Each side only needs its own offset, and senders on other machines are handled.
 */

/** Options of `ClockOffset`. */
export interface ClockOffsetOptions {
  /** How many recent samples the min-RTT choice looks at. Default `DEFAULT_CLOCK_SAMPLES` (10). */
  samples?: number;
}

export const DEFAULT_CLOCK_SAMPLES = 10;

/** One round trip. */
export interface ClockSample {
  /** Round-trip time, ms. */
  rtt: number;
  /** serverTime − local midpoint, ms. */
  offset: number;
}

/** The local wall clock in ms since the Unix epoch, with sub-millisecond resolution. */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ClockOffset {
  readonly #capacity: number;
  #samples: ClockSample[] = [];

  constructor(options: ClockOffsetOptions = {}) {
    this.#capacity = options.samples ?? DEFAULT_CLOCK_SAMPLES;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 1) {
      throw new TypeError(`samples must be a positive integer [samples:${this.#capacity}]`);
    }
  }

  /** Adds a round trip: sent at local `t0`, the relay's `serverTime`, received at local `t1` (all ms). Returns the sample, or undefined if it is impossible (t1 < t0). */
  add(t0: number, serverTime: number, t1: number): ClockSample | undefined {
    const rtt = t1 - t0;
    if (!(rtt >= 0) || !Number.isFinite(serverTime)) return undefined;
    const sample = { rtt, offset: serverTime - (t0 + rtt / 2) };
    this.#samples.push(sample);
    if (this.#samples.length > this.#capacity) this.#samples.shift();
    return sample;
  }

  /** The min-RTT sample among the recent ones, or undefined before the first pong. */
  best(): ClockSample | undefined {
    let best: ClockSample | undefined;
    for (const s of this.#samples) if (best === undefined || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Server time − local time, ms (0 until measured). */
  get offset(): number {
    return this.best()?.offset ?? 0;
  }

  /** True once at least one round trip was measured. */
  get synced(): boolean {
    return this.#samples.length > 0;
  }

  /** Maps a local wall-clock instant (ms since epoch) to the server clock. */
  toServer(localMs: number): number {
    return localMs + this.offset;
  }

  /** Forgets all samples (a new relay process may have another clock). */
  reset(): void {
    this.#samples = [];
  }
}

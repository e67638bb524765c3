/**
 * Tells whether something between the relay and us buffers a streamed HTTP response (a
 * proxy or a virus scanner that holds the body and lets it out in lumps). Pure: fed with
 * (arrival time, relay time) of each timed record — frames carry `relayTime`, pongs
 * `serverTime` — it decides from two signs seen together within `windowMs`:
 *
 * 1. **Bursts.** Records that arrive within `burstArrivalMs` of each other but left the
 *    relay `burstSpanMs` or more apart: the stream was held and let out at once. One burst
 *    can be a TCP retransmission; `minBursts` distinct ones cannot.
 * 2. **Swing.** The one-way delay (arrival − relay time on our clock) ranges over
 *    `minSwingMs` or more: held records came late, the first after a release came early.
 *
 * A smooth stream has neither (its records arrive as they left, with jitter of a few ms). A
 * slow but smooth one (a thin link: frames queue, the delay grows by seconds) has the swing
 * but no bursts: a frame takes longer to arrive than the previous one took to leave, so
 * arrivals spread out rather than bunch up. Bursts with little swing (a proxy holding a few
 * kB, a hiccup) cost little and are left alone.
 */

/** Options of `BurstDetector`. */
export interface BurstDetectorOptions {
  /** Samples older than this (by arrival) are forgotten, ms. Default `DEFAULT_BURST_WINDOW_MS` (10 000). */
  windowMs?: number;
  /** Records arriving at most this far apart count as arriving together, ms. Default `DEFAULT_BURST_ARRIVAL_MS` (30). */
  burstArrivalMs?: number;
  /** Records arriving together whose relay times span at least this make a burst, ms. Default `DEFAULT_BURST_SPAN_MS` (250). */
  burstSpanMs?: number;
  /** Records a burst takes at the least. Default `DEFAULT_MIN_BURST_RECORDS` (3). */
  minBurstRecords?: number;
  /** Distinct bursts within the window that make the verdict. Default `DEFAULT_MIN_BURSTS` (3). */
  minBursts?: number;
  /** Range of the one-way delay within the window that goes with the bursts, ms. Default `DEFAULT_MIN_SWING_MS` (400). */
  minSwingMs?: number;
}

export const DEFAULT_BURST_WINDOW_MS = 10_000;
export const DEFAULT_BURST_ARRIVAL_MS = 30;
export const DEFAULT_BURST_SPAN_MS = 250;
export const DEFAULT_MIN_BURST_RECORDS = 3;
export const DEFAULT_MIN_BURSTS = 3;
export const DEFAULT_MIN_SWING_MS = 400;

/** One timed record: when it arrived and when it left the relay, both on our clock (ms). */
interface Sample {
  arrival: number;
  sent: number;
}

export class BurstDetector {
  readonly #windowMs: number;
  readonly #arrivalMs: number;
  readonly #spanMs: number;
  readonly #minRecords: number;
  readonly #minBursts: number;
  readonly #minSwingMs: number;
  #samples: Sample[] = [];
  /** Arrival times of the bursts seen (the last record that completed each). */
  #bursts: number[] = [];
  #buffered = false;

  constructor(options: BurstDetectorOptions = {}) {
    this.#windowMs = options.windowMs ?? DEFAULT_BURST_WINDOW_MS;
    this.#arrivalMs = options.burstArrivalMs ?? DEFAULT_BURST_ARRIVAL_MS;
    this.#spanMs = options.burstSpanMs ?? DEFAULT_BURST_SPAN_MS;
    this.#minRecords = options.minBurstRecords ?? DEFAULT_MIN_BURST_RECORDS;
    this.#minBursts = options.minBursts ?? DEFAULT_MIN_BURSTS;
    this.#minSwingMs = options.minSwingMs ?? DEFAULT_MIN_SWING_MS;
    if (!(this.#windowMs > this.#arrivalMs && this.#arrivalMs >= 0)) {
      throw new TypeError(`burst detector needs 0 <= burstArrivalMs < windowMs [burstArrivalMs:${this.#arrivalMs}, windowMs:${this.#windowMs}]`);
    }
    if (!(this.#minRecords >= 2) || !(this.#minBursts >= 1)) {
      throw new TypeError(`burst detector needs minBurstRecords >= 2 and minBursts >= 1 [minBurstRecords:${this.#minRecords}, minBursts:${this.#minBursts}]`);
    }
  }

  /** True once the stream was found buffered (it stays so until `reset`). */
  get buffered(): boolean {
    return this.#buffered;
  }

  /** Bursts within the window, as of the last sample. */
  get bursts(): number {
    return this.#bursts.length;
  }

  /**
   * A record that left the relay at `relayTimeMs` (relay clock) arrived at local `arrivalMs`;
   * `offsetMs` is relay clock − ours (`ClockOffset.offset`). Returns `buffered`.
   */
  add(arrivalMs: number, relayTimeMs: number, offsetMs: number): boolean {
    if (this.#buffered || !Number.isFinite(arrivalMs) || !Number.isFinite(relayTimeMs)) return this.#buffered;
    const sample: Sample = { arrival: arrivalMs, sent: relayTimeMs - offsetMs };
    this.#samples.push(sample);
    this.#forget(arrivalMs - this.#windowMs);
    if (this.#completesBurst(sample)) {
      const last = this.#bursts[this.#bursts.length - 1];
      // Records of one burst keep completing it while they arrive together: count it once.
      if (last === undefined || arrivalMs - last > this.#arrivalMs) this.#bursts.push(arrivalMs);
      else this.#bursts[this.#bursts.length - 1] = arrivalMs;
    }
    this.#buffered = this.#bursts.length >= this.#minBursts && this.#swing() >= this.#minSwingMs;
    return this.#buffered;
  }

  /** Forgets everything (a new stream). */
  reset(): void {
    this.#samples = [];
    this.#bursts = [];
    this.#buffered = false;
  }

  /** True if `sample` and the records that arrived just before it left the relay far apart. */
  #completesBurst(sample: Sample): boolean {
    let count = 0;
    let first = sample.sent;
    let last = sample.sent;
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const s = this.#samples[i]!;
      if (sample.arrival - s.arrival > this.#arrivalMs) break;
      count++;
      if (s.sent < first) first = s.sent;
      if (s.sent > last) last = s.sent;
    }
    return count >= this.#minRecords && last - first >= this.#spanMs;
  }

  /** Max − min of the one-way delay over the window. */
  #swing(): number {
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.#samples) {
      const delay = s.arrival - s.sent;
      if (delay < min) min = delay;
      if (delay > max) max = delay;
    }
    return max - min;
  }

  #forget(before: number): void {
    let drop = 0;
    while (drop < this.#samples.length && this.#samples[drop]!.arrival < before) drop++;
    if (drop > 0) this.#samples.splice(0, drop);
    while (this.#bursts.length > 0 && this.#bursts[0]! < before) this.#bursts.shift();
  }
}

/**
 * Maps an AudioContext's time to the LOCAL wall clock (`performance.timeOrigin +
 * performance.now()`, ms): when a rendered sample is heard (`getOutputTimestamp`, output
 * latency included) and when the render thread processed it (heard − how far rendering runs
 * ahead of the speaker). Both offsets are smoothed; one clock per context.
 */

/** Smoothing factor of each new measurement. */
const SMOOTHING = 0.05;
/** Least time between two measurements, ms. */
const UPDATE_INTERVAL_MS = 20;

const clocks = new WeakMap<BaseAudioContext, ContextClock>();

/** See the module doc. */
export class ContextClock {
  readonly #context: AudioContext;
  /** heard wall − contextTime·1000, ms. */
  #offset = Number.NaN;
  /** How far rendering runs ahead of what is heard, ms. */
  #aheadMs = Number.NaN;
  #lastUpdate = Number.NEGATIVE_INFINITY;

  private constructor(context: AudioContext) {
    this.#context = context;
  }

  /** The clock of `context` (one per context). */
  static of(context: AudioContext): ContextClock {
    let clock = clocks.get(context);
    if (clock === undefined) {
      clock = new ContextClock(context);
      clocks.set(context, clock);
    }
    return clock;
  }

  /** Local wall time, ms. */
  static wallNow(): number {
    return performance.timeOrigin + performance.now();
  }

  /** Local wall time when the sample rendered at `contextTime` (s) is heard, ms. */
  heardWall(contextTime: number): number {
    this.#update();
    return this.#offset + contextTime * 1000;
  }

  /** Local wall time when the render thread processed the sample at `contextTime` (s), ms. */
  renderedWall(contextTime: number): number {
    this.#update();
    return this.#offset - this.#aheadMs + contextTime * 1000;
  }

  /** How far rendering runs ahead of the speaker, ms. */
  get aheadMs(): number {
    this.#update();
    return this.#aheadMs;
  }

  #update(): void {
    const now = performance.now();
    if (now - this.#lastUpdate < UPDATE_INTERVAL_MS && !Number.isNaN(this.#offset)) return;
    this.#lastUpdate = now;
    const context = this.#context;
    const stamp = context.getOutputTimestamp?.();
    const latencyMs = ((context.baseLatency ?? 0) + (context.outputLatency ?? 0)) * 1000;
    let offset: number;
    let ahead: number;
    if (stamp !== undefined && stamp.contextTime !== undefined && stamp.performanceTime !== undefined && stamp.performanceTime > 0) {
      offset = performance.timeOrigin + stamp.performanceTime - stamp.contextTime * 1000;
      ahead = Math.max(0, (context.currentTime - stamp.contextTime) * 1000);
    } else {
      // Not running yet (or no output timestamps): what is rendered now is heard after the latency.
      offset = performance.timeOrigin + now - context.currentTime * 1000 + latencyMs;
      ahead = latencyMs;
    }
    if (Number.isNaN(this.#offset) || Math.abs(offset - this.#offset) > 50) {
      this.#offset = offset;
      this.#aheadMs = ahead;
    } else {
      this.#offset += SMOOTHING * (offset - this.#offset);
      this.#aheadMs += SMOOTHING * (ahead - this.#aheadMs);
    }
  }
}

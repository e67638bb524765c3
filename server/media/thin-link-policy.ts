/**
 * When one receiver's path cannot carry one source's frames, and how much it can carry:
 * the decision behind automatic per-receiver transcoding (thin-receiver.ts). Pure: it sees
 * one `ThinLinkSample` per tick (the source's rate as it reaches the relay, what the
 * receiver acked of it over the last second, its queue delay) and keeps the state of one
 * (source, receiver) pair. No clock, no I/O: tests drive it sample by sample.
 *
 * - **On** after `onHoldMs` (1 s) of every sample "under": the receiver acks fewer than
 *   `onFpsRatio` (60 %) of the source's frames per second, or less than `onBitrateRatio`
 *   (70 %) of its bitrate. The budget starts at `startShare` (85 %) of what it was acking.
 * - **While on**, per sample: queue delay above `congestedQueueMs` (150 ms) or frames being
 *   dropped → budget = min(budget, `decrease` (0.85) × acked rate) but at least half of it,
 *   fast but at most once per
 *   `cutIntervalMs` (1 s: a queue takes a while to drain, and it is one congestion); under
 *   `clearQueueMs` (50 ms) and the frames sent all acked (app-limited) → budget ×
 *   `increase` (1.05 per 250 ms tick, ≈ 1.2×/s), slow, and never above 1.5 × what was acked
 *   (no growth on a promise); else hold. Never below `minBudgetBps`.
 * - **Off** after `offHoldMs` (5 s) of every sample "well above": app-limited and either the
 *   budget ≥ `offBitrateRatio` (1.2) × the source's bitrate, or the plan is already the
 *   whole picture at top quality and the source's frame rate (nothing left to gain but the
 *   originals — that is the probe). Turning on again within `reflapMs` (10 s) of an off
 *   doubles the next off hold (up to `maxOffHoldMs`, 60 s): a path that cannot take the
 *   originals is probed less and less often, so the picture never flaps.
 */

/** One tick's view of a (source, receiver) pair. */
export interface ThinLinkSample {
  /** Time, ms (any monotonic clock). */
  now: number;
  /** The source's frames per second as they reach the relay. */
  sourceFps: number;
  /** The source's bitrate as it reaches the relay (whole frames), bit/s. */
  sourceBps: number;
  /** The receiver's acked frames of this source per second (last second). */
  deliveredFps: number;
  /** The receiver's acked bytes of this source (last second), bit/s. */
  deliveredBps: number;
  /** This source's frames dropped towards the receiver per second (latest wins). */
  droppedPerSecond: number;
  /** The receiver's queue delay, ms (`PathFigures.queueDelayMs`). */
  queueDelayMs: number;
  /** While on: the plan already sends the whole picture at top quality at the source's rate. */
  atTop?: boolean;
  /** While on: frames per second the plan sends. */
  planFps?: number;
}

/** The state of a pair after a sample. */
export interface ThinLinkState {
  /** True while the receiver should get this source transcoded. */
  active: boolean;
  /** While active: the bitrate to fit, bit/s (0 when off). */
  budgetBps: number;
  /** True if `active` changed with this sample. */
  changed: boolean;
}

/** Options of `ThinLinkPolicy`; every field defaults to the constant named in the module doc. */
export interface ThinLinkPolicyOptions {
  /** Under for this long turns it on, ms. Default 1000. */
  onHoldMs?: number;
  /** "Under": acked fps below this share of the source's fps. Default 0.6. */
  onFpsRatio?: number;
  /** "Under": acked bitrate below this share of the source's bitrate. Default 0.7. */
  onBitrateRatio?: number;
  /** Well above for this long turns it off, ms (before backoff). Default 5000. */
  offHoldMs?: number;
  /** Longest off hold after backoff, ms. Default 60000. */
  maxOffHoldMs?: number;
  /** "Well above": budget at least this multiple of the source's bitrate. Default 1.2. */
  offBitrateRatio?: number;
  /** On again this soon after an off doubles the next off hold, ms. Default 10000. */
  reflapMs?: number;
  /** Share of the acked bitrate the budget starts at. Default 0.85. */
  startShare?: number;
  /** Queue delay above which the budget is cut, ms. Default 150. */
  congestedQueueMs?: number;
  /** Queue delay below which the budget may grow, ms. Default 50. */
  clearQueueMs?: number;
  /** Budget factor on congestion. Default 0.85. */
  decrease?: number;
  /** Shortest time between two cuts, ms. Default 1000. */
  cutIntervalMs?: number;
  /** Budget factor per app-limited sample. Default 1.05. */
  increase?: number;
  /** Lowest budget, bit/s. Default 64000. */
  minBudgetBps?: number;
}

export const DEFAULT_THIN_LINK_POLICY: Required<ThinLinkPolicyOptions> = {
  onHoldMs: 1000,
  onFpsRatio: 0.6,
  onBitrateRatio: 0.7,
  offHoldMs: 5000,
  maxOffHoldMs: 60_000,
  offBitrateRatio: 1.2,
  reflapMs: 10_000,
  startShare: 0.85,
  congestedQueueMs: 150,
  clearQueueMs: 50,
  decrease: 0.85,
  cutIntervalMs: 1000,
  increase: 1.05,
  minBudgetBps: 64_000,
};

/** One cut keeps at least this share of the budget. */
const MAX_CUT = 0.5;
/** The budget never grows beyond this multiple of what the receiver acked. */
const MAX_BUDGET_OVER_DELIVERED = 1.5;
/** "All frames sent were acked": acked fps at least this share of the plan's fps. */
const APP_LIMITED_FPS_SHARE = 0.9;
/** Sources slower than this are not judged (paused, or just started). */
const MIN_SOURCE_FPS = 1;

export class ThinLinkPolicy {
  readonly #o: Required<ThinLinkPolicyOptions>;
  #active = false;
  #budgetBps = 0;
  /** Since when the current condition (under while off, well above while on) holds; NaN: it does not. */
  #holdingSince = Number.NaN;
  #offHoldMs: number;
  #offAt = Number.NEGATIVE_INFINITY;
  #cutAt = Number.NEGATIVE_INFINITY;

  constructor(options: ThinLinkPolicyOptions = {}) {
    const o = { ...DEFAULT_THIN_LINK_POLICY, ...options };
    for (const [name, value] of Object.entries(o)) {
      if (!(value >= 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number >= 0 [${name}:${value}]`);
    }
    if (!(o.decrease < 1) || !(o.increase > 1)) throw new TypeError(`decrease must be < 1 and increase > 1 [decrease:${o.decrease}, increase:${o.increase}]`);
    if (o.maxOffHoldMs < o.offHoldMs) throw new TypeError(`maxOffHoldMs must be >= offHoldMs [maxOffHoldMs:${o.maxOffHoldMs}, offHoldMs:${o.offHoldMs}]`);
    this.#o = o;
    this.#offHoldMs = o.offHoldMs;
  }

  get active(): boolean {
    return this.#active;
  }

  get budgetBps(): number {
    return this.#active ? this.#budgetBps : 0;
  }

  /** The current off hold, ms (grows with backoff). */
  get offHoldMs(): number {
    return this.#offHoldMs;
  }

  /** Feeds one tick's sample; returns the state after it. */
  update(s: ThinLinkSample): ThinLinkState {
    return this.#active ? this.#whileOn(s) : this.#whileOff(s);
  }

  /** Forces the pair off (e.g. the receiver chose explicitly), without backoff. */
  reset(): void {
    this.#active = false;
    this.#budgetBps = 0;
    this.#holdingSince = Number.NaN;
  }

  #whileOff(s: ThinLinkSample): ThinLinkState {
    const o = this.#o;
    const under =
      s.sourceFps >= MIN_SOURCE_FPS && (s.deliveredFps < o.onFpsRatio * s.sourceFps || s.deliveredBps < o.onBitrateRatio * s.sourceBps);
    if (!this.#holds(under, s.now, o.onHoldMs)) return { active: false, budgetBps: 0, changed: false };
    if (s.now - this.#offAt < o.reflapMs) this.#offHoldMs = Math.min(o.maxOffHoldMs, this.#offHoldMs * 2);
    else this.#offHoldMs = o.offHoldMs;
    this.#active = true;
    this.#budgetBps = Math.max(o.minBudgetBps, o.startShare * s.deliveredBps);
    return { active: true, budgetBps: this.#budgetBps, changed: true };
  }

  #whileOn(s: ThinLinkSample): ThinLinkState {
    const o = this.#o;
    const planFps = s.planFps ?? s.sourceFps;
    const appLimited = s.queueDelayMs < o.clearQueueMs && s.deliveredFps >= APP_LIMITED_FPS_SHARE * Math.min(planFps, s.sourceFps);
    const congested = s.queueDelayMs > o.congestedQueueMs || s.droppedPerSecond > 0.5;
    if (congested) {
      if (s.now - this.#cutAt >= o.cutIntervalMs) {
        // A queue draining (e.g. the full-size frames still in flight at the switch) shows a low acked rate: halve at most.
        this.#budgetBps = Math.min(this.#budgetBps, Math.max(o.decrease * s.deliveredBps, MAX_CUT * this.#budgetBps));
        this.#cutAt = s.now;
      }
    } else if (appLimited) {
      this.#budgetBps = Math.min(this.#budgetBps * o.increase, Math.max(this.#budgetBps, MAX_BUDGET_OVER_DELIVERED * s.deliveredBps));
    }
    this.#budgetBps = Math.max(o.minBudgetBps, this.#budgetBps);
    const wellAbove = appLimited && !congested && (this.#budgetBps >= o.offBitrateRatio * s.sourceBps || s.atTop === true);
    if (!this.#holds(wellAbove, s.now, this.#offHoldMs)) return { active: true, budgetBps: this.#budgetBps, changed: false };
    this.#active = false;
    this.#budgetBps = 0;
    this.#offAt = s.now;
    return { active: false, budgetBps: 0, changed: true };
  }

  /** True once `condition` has held at every sample for `holdMs` (then the hold restarts). */
  #holds(condition: boolean, now: number, holdMs: number): boolean {
    if (!condition) {
      this.#holdingSince = Number.NaN;
      return false;
    }
    if (Number.isNaN(this.#holdingSince)) this.#holdingSince = now;
    if (now - this.#holdingSince < holdMs) return false;
    this.#holdingSince = Number.NaN;
    return true;
  }
}

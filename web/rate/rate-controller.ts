/**
 * Per-frame rate adaptation at the sender (issue 11), in the spirit of Salsify (NSDI '18):
 * every captured frame is sized for what the path carries now, or skipped if it won't fit.
 * Pure: `plan(now)` per captured frame, `observe(...)` per encoded JPEG; the caller feeds
 * the `LinkEstimator` (`onSent`, `onAck`) from the wire.
 *
 * ## Inputs (link-estimator.ts)
 * - capacity: bytes / gap of frames served back to back (sent before the previous one
 *   arrived), summed over 500 ms of arrivals — exact at a FIFO, falls within a frame or two
 *   on a drop. App-limited: the last measurement, never below the delivered rate or
 *   bytes / one-way delay of a frame (lower bounds). An overdue ack caps it from above.
 * - queue delay: what the last acked frame waited behind earlier ones, or its one-way delay
 *   above the 10 s minimum net of its own serialization, whichever is more; an overdue ack
 *   raises it without waiting for the ack.
 * - backlog: the in-flight frames replayed through a FIFO at the capacity from the last
 *   known arrival — what is still ahead of the bottleneck (not what is on the way back).
 *
 * ## Rules (constants below)
 * 1. Budget per frame = capacity × (max(target delay 100 ms, one frame interval) − backlog);
 *    the frame is sized to min(budget, target rate / fps). If even the floor quality at the
 *    current size does not fit, the frame is skipped ("skipped: link … busy"), unless the
 *    link is predicted drained: then one frame goes whatever its size (≥ one frame).
 * 2. Target rate, multiplicative decrease: queue delay > 50 ms → target = 0.85 × capacity
 *    (at most every 300 ms; × 0.85 of the target itself if the queue did not shrink since
 *    the last cut). The capacity at the cut is remembered as the knee.
 * 3. Increase only while the queue is < 25 ms and only as far as the link showed: up to the
 *    measured capacity when it was seen saturated, else 1.25 × what it delivered. Rate:
 *    +50 %/s until the first congestion (startup), +8 % of the knee per second within ±15 %
 *    of the knee (additive), +20 %/s elsewhere (probing); never above what the ceilings
 *    need (× 1.2), never below the floor (160×120, q10, 5 fps).
 * 4. Operating point from the target, with the learnt size model (frame-size-model.ts):
 *    the largest rung of the ladder (ceiling × 1, 3/4, 1/2, 3/8, 1/4 … down to 160×120)
 *    that carries q40 at 15 fps; above 15 fps only at the ceiling quality; on the floor
 *    rung the frame rate goes down to 5 fps first. Quality is then per frame: the highest
 *    that fits, rising at most 10 steps/s, falling at once.
 * 5. Hysteresis: a larger picture only ≥ 5 s after the last change and if still right with
 *    the target 25 % lower; a smaller one only ≥ 1.5 s after and if still right with it 25 %
 *    higher. The paced frame rate rises at most once a second. Except on a link with ≥ 2 ×
 *    the capacity the ceilings need and no queue (loopback, a LAN): there a cut was a stall
 *    of a busy machine, and target, size, frame rate and quality return to the ceilings at once.
 * 6. BGRA: a frame is w×h×4 bytes; only size and frame rate move, and the reason says that
 *    BGRA is uncompressed and JPEG would carry more.
 * 7. Sound beside the pictures (`setFrameTimeCap`, while audio frames flow on the same
 *    connection): a frame may also take at most `AUDIO_FRAME_TIME_MS` (50 ms) of capacity,
 *    so an audio frame never waits longer than that behind a picture at the bottleneck
 *    (one TCP stream: audio cannot overtake a picture already on the wire). Pictures get
 *    smaller (quality first, skips when even the floor quality does not fit); sound flows.
 * 8. Receivers: `setRateCap` caps the target at what the fastest receiver takes when even
 *    it is congested past the relay (receiver-cap.ts); thinner ones are the relay's job.
 * The user's settings (`setCeilings`) are ceilings for size, fps, quality; codec is theirs.
 *
 * ## Why
 * Rate cuts use the measured capacity, not the current target, so repeated cuts during one
 * drain don't compound; the budget (not the rate) bounds delay on a drop — frames already
 * in flight are the only unavoidable queue. Growth is capped by what the link showed, so an
 * app-limited sender (ceilings, quality rise) never builds a target it cannot back.
 * Limits: capacity is only a lower bound while app-limited (one arrival time per frame says
 * nothing about its own dispersion); cross traffic shows only through the one-way delay.
 * Figures per scenario: web/rate/rate-controller.test.ts (simulated link, simulated-call.ts).
 */
import { FrameSizeModel } from './frame-size-model.ts';
import { LinkEstimator } from './link-estimator.ts';
import { resolutionLadder, type Size } from './resolution-ladder.ts';

/** How a frame is encoded: JPEG (size from quality and resolution) or raw BGRA (w×h×4 bytes). */
export type FrameCodec = 'jpeg' | 'bgra';

/** The user's settings: the controller never goes above any of them. */
export interface Ceilings {
  /** Picture width, pixels. */
  width: number;
  /** Picture height, pixels. */
  height: number;
  /** Frames per second. */
  fps: number;
  /** JPEG quality 1..100 (ignored for BGRA). */
  quality: number;
  /** Codec. Default `'jpeg'`. */
  codec?: FrameCodec;
}

/** What to do with the frame just captured. */
export interface FramePlan {
  /** Encode and send it (false: skip it). */
  send: boolean;
  codec: FrameCodec;
  /** JPEG quality 1..100 (the ceiling's for BGRA, unused). */
  quality: number;
  /** Size to scale the picture to, pixels. */
  width: number;
  height: number;
  /** The frame rate the controller paces at now. */
  fps: number;
  /** The rate the controller aims at, bit/s. */
  targetBps: number;
  /** Why, for people: e.g. `link ≈ 900 kbit/s: 320×240 q45 12 fps`. */
  reason: string;
}

/** Options of `RateController`. */
export interface RateControllerOptions {
  /** The path's estimator (the caller feeds it `onSent`/`onAck`). Default a new `LinkEstimator()`. */
  estimator?: LinkEstimator;
  /** JPEG size model (the caller feeds it through `observe`). Default a new `FrameSizeModel()`. */
  sizeModel?: FrameSizeModel;
  /** The user's settings. Default `DEFAULT_CEILINGS` (640×480, 30 fps, q70, JPEG). */
  ceilings?: Ceilings;
  /** Delay a frame may spend queued or being serialized at the bottleneck, ms (at least one frame interval is allowed). Default `DEFAULT_TARGET_DELAY_MS` (100). */
  targetDelayMs?: number;
  /** Queue delay above which the rate is cut, ms. Default `DEFAULT_CONGESTION_DELAY_MS` (50). */
  congestionDelayMs?: number;
  /** Smallest picture. Default `DEFAULT_FLOOR_SIZE` (160×120). */
  floorSize?: Size;
  /** Lowest paced frame rate (below it only when even the floor frame does not fit). Default `DEFAULT_FLOOR_FPS` (5). */
  floorFps?: number;
  /** Lowest JPEG quality. Default `DEFAULT_FLOOR_QUALITY` (10). */
  floorQuality?: number;
  /** Quality below which a smaller picture looks better than a blurrier one. Default `DEFAULT_GOOD_QUALITY` (40). */
  goodQuality?: number;
  /** Frame rate kept before resolution and quality are spent on more. Default `DEFAULT_PREFERRED_FPS` (15). */
  preferredFps?: number;
  /** Target before anything is known, bit/s. Default `DEFAULT_START_BPS` (300 000). */
  startBps?: number;
  /** JPEG quality of the first frames (then it rises at `qualityRisePerS`), at most the ceiling's. Default `goodQuality` (40). */
  startQuality?: number;
  /** Cut on congestion: target = factor × measured capacity. Default `DEFAULT_DECREASE_FACTOR` (0.85). */
  decreaseFactor?: number;
  /** Least time between two cuts, ms. Default `DEFAULT_DECREASE_INTERVAL_MS` (300). */
  decreaseIntervalMs?: number;
  /** Growth per second before the first congestion (multiplicative). Default `DEFAULT_STARTUP_GROWTH` (0.5). */
  startupGrowth?: number;
  /** Growth per second away from the last congestion point (multiplicative). Default `DEFAULT_PROBE_GROWTH` (0.2). */
  probeGrowth?: number;
  /** Growth per second near the last congestion point, as a fraction of it (additive). Default `DEFAULT_KNEE_GROWTH` (0.08). */
  kneeGrowth?: number;
  /** "Near" the last congestion point: within this fraction of it. Default `DEFAULT_KNEE_BAND` (0.15). */
  kneeBand?: number;
  /** Least time after a resolution change before a larger one, ms. Default `DEFAULT_RESOLUTION_UP_HOLD_MS` (5000). */
  resolutionUpHoldMs?: number;
  /** Least time after a resolution change before a smaller one, ms. Default `DEFAULT_RESOLUTION_DOWN_HOLD_MS` (1500). */
  resolutionDownHoldMs?: number;
  /** Dead band of resolution changes: a rung is taken only if it is still right with the target this much worse. Default `DEFAULT_RESOLUTION_MARGIN` (0.25). */
  resolutionMargin?: number;
  /** Fastest rise of JPEG quality, steps per second (falls are immediate). Default `DEFAULT_QUALITY_RISE_PER_S` (10). */
  qualityRisePerS?: number;
}

export const DEFAULT_CEILINGS: Readonly<Required<Ceilings>> = { width: 640, height: 480, fps: 30, quality: 70, codec: 'jpeg' };
export const DEFAULT_TARGET_DELAY_MS = 100;
/** Longest a picture may occupy the bottleneck while audio shares the connection, ms (rule 7). */
export const AUDIO_FRAME_TIME_MS = 50;
export const DEFAULT_CONGESTION_DELAY_MS = 50;
export const DEFAULT_FLOOR_SIZE: Readonly<Size> = { width: 160, height: 120 };
export const DEFAULT_FLOOR_FPS = 5;
export const DEFAULT_FLOOR_QUALITY = 10;
export const DEFAULT_GOOD_QUALITY = 40;
export const DEFAULT_PREFERRED_FPS = 15;
export const DEFAULT_START_BPS = 300_000;
export const DEFAULT_DECREASE_FACTOR = 0.85;
export const DEFAULT_DECREASE_INTERVAL_MS = 300;
export const DEFAULT_STARTUP_GROWTH = 0.5;
export const DEFAULT_PROBE_GROWTH = 0.2;
export const DEFAULT_KNEE_GROWTH = 0.08;
export const DEFAULT_KNEE_BAND = 0.15;
export const DEFAULT_RESOLUTION_UP_HOLD_MS = 5000;
export const DEFAULT_RESOLUTION_DOWN_HOLD_MS = 1500;
export const DEFAULT_RESOLUTION_MARGIN = 0.25;
export const DEFAULT_QUALITY_RISE_PER_S = 10;

/** Bytes per pixel of BGRA. */
const BGRA_BYTES_PER_PIXEL = 4;
/** Headroom of the target above what the ceilings need (frame sizes vary). */
const CEILING_HEADROOM = 1.2;
/** While app-limited, the target may probe this far above what the link delivered. */
const PROBE_HEADROOM = 1.25;
/** Frames of pacing credit kept (above 1: a paced rate between camera ticks comes out right). */
const MAX_CREDIT = 1.5;
/** A link whose capacity is this many times what the ceilings need returns to them at once (no climb, no hold). */
const FAST_LINK_FACTOR = 2;
/** Least time between two rises of the paced frame rate, ms (falls are immediate). */
const FPS_UP_HOLD_MS = 1000;

interface Point {
  rung: number;
  fps: number;
}

export class RateController {
  readonly #estimator: LinkEstimator;
  readonly #model: FrameSizeModel;
  readonly #targetDelayMs: number;
  readonly #congestionDelayMs: number;
  readonly #floorSize: Size;
  readonly #floorFpsOption: number;
  readonly #floorQualityOption: number;
  readonly #goodQualityOption: number;
  readonly #preferredFpsOption: number;
  readonly #decreaseFactor: number;
  readonly #decreaseIntervalMs: number;
  readonly #startupGrowth: number;
  readonly #probeGrowth: number;
  readonly #kneeGrowth: number;
  readonly #kneeBand: number;
  readonly #upHoldMs: number;
  readonly #downHoldMs: number;
  readonly #margin: number;
  readonly #qualityRise: number;
  readonly #startBps: number;

  #ceilings: Required<Ceilings> = { ...DEFAULT_CEILINGS };
  #ladder: Size[] = [];
  #rung = 0;
  #fps = DEFAULT_PREFERRED_FPS;
  #qualityLevel = DEFAULT_GOOD_QUALITY;
  #targetBps: number;
  #knee: number | null = null;
  #startup = true;
  #lastDecreaseAt = -Infinity;
  #queueAtDecrease = 0;
  #lastResolutionChangeAt = -Infinity;
  #lastFpsChangeAt = -Infinity;
  #lastPlanAt: number | null = null;
  #credit = 1;
  /** Most the far ends take (the fastest receiver, from the relay's reports), bit/s; null: no limit. */
  #rateCapBps: number | null = null;
  /** The link carries FAST_LINK_FACTOR × what the ceilings need, with no queue: no hold times. */
  #fastLink = false;

  /** Rule 7: most of the capacity's time one frame may take, ms (Infinity: no cap). */
  #frameTimeCapMs = Infinity;

  /** Rule 7: caps each frame at `ms` of capacity (audio shares the connection), or lifts the cap (Infinity). */
  setFrameTimeCap(ms: number): void {
    if (!(ms > 0)) throw new TypeError(`frame time cap must be > 0 [ms:${ms}]`);
    this.#frameTimeCapMs = ms;
  }

  constructor(options: RateControllerOptions = {}) {
    this.#estimator = options.estimator ?? new LinkEstimator();
    this.#model = options.sizeModel ?? new FrameSizeModel();
    this.#targetDelayMs = positive('targetDelayMs', options.targetDelayMs ?? DEFAULT_TARGET_DELAY_MS);
    this.#congestionDelayMs = positive('congestionDelayMs', options.congestionDelayMs ?? DEFAULT_CONGESTION_DELAY_MS);
    this.#floorSize = options.floorSize ?? DEFAULT_FLOOR_SIZE;
    positive('floorSize.width', this.#floorSize.width);
    positive('floorSize.height', this.#floorSize.height);
    this.#floorFpsOption = positive('floorFps', options.floorFps ?? DEFAULT_FLOOR_FPS);
    this.#floorQualityOption = quality('floorQuality', options.floorQuality ?? DEFAULT_FLOOR_QUALITY);
    this.#goodQualityOption = quality('goodQuality', options.goodQuality ?? DEFAULT_GOOD_QUALITY);
    if (this.#goodQualityOption < this.#floorQualityOption) {
      throw new TypeError(
        `goodQuality must be >= floorQuality [goodQuality:${this.#goodQualityOption}, floorQuality:${this.#floorQualityOption}]`,
      );
    }
    this.#preferredFpsOption = positive('preferredFps', options.preferredFps ?? DEFAULT_PREFERRED_FPS);
    if (this.#preferredFpsOption < this.#floorFpsOption) {
      throw new TypeError(`preferredFps must be >= floorFps [preferredFps:${this.#preferredFpsOption}, floorFps:${this.#floorFpsOption}]`);
    }
    this.#startBps = positive('startBps', options.startBps ?? DEFAULT_START_BPS);
    this.#targetBps = this.#startBps;
    this.#decreaseFactor = options.decreaseFactor ?? DEFAULT_DECREASE_FACTOR;
    if (!(this.#decreaseFactor > 0 && this.#decreaseFactor < 1)) {
      throw new TypeError(`decreaseFactor must be in (0, 1) [decreaseFactor:${this.#decreaseFactor}]`);
    }
    this.#decreaseIntervalMs = positive('decreaseIntervalMs', options.decreaseIntervalMs ?? DEFAULT_DECREASE_INTERVAL_MS);
    this.#startupGrowth = positive('startupGrowth', options.startupGrowth ?? DEFAULT_STARTUP_GROWTH);
    this.#probeGrowth = positive('probeGrowth', options.probeGrowth ?? DEFAULT_PROBE_GROWTH);
    this.#kneeGrowth = positive('kneeGrowth', options.kneeGrowth ?? DEFAULT_KNEE_GROWTH);
    this.#kneeBand = positive('kneeBand', options.kneeBand ?? DEFAULT_KNEE_BAND);
    this.#upHoldMs = nonNegative('resolutionUpHoldMs', options.resolutionUpHoldMs ?? DEFAULT_RESOLUTION_UP_HOLD_MS);
    this.#downHoldMs = nonNegative('resolutionDownHoldMs', options.resolutionDownHoldMs ?? DEFAULT_RESOLUTION_DOWN_HOLD_MS);
    this.#margin = options.resolutionMargin ?? DEFAULT_RESOLUTION_MARGIN;
    if (!(this.#margin >= 0 && this.#margin < 1)) {
      throw new TypeError(`resolutionMargin must be in [0, 1) [resolutionMargin:${this.#margin}]`);
    }
    this.#qualityRise = positive('qualityRisePerS', options.qualityRisePerS ?? DEFAULT_QUALITY_RISE_PER_S);
    this.setCeilings(options.ceilings ?? DEFAULT_CEILINGS);
    this.#qualityLevel = Math.min(quality('startQuality', options.startQuality ?? this.#goodQualityOption), this.#ceilings.quality);
  }

  /** The estimator the caller feeds (`onSent` after each send, `onAck` for each ack). */
  get estimator(): LinkEstimator {
    return this.#estimator;
  }

  /** The rate aimed at now, bit/s. */
  get targetBps(): number {
    return this.#targetBps;
  }

  /** What the ceilings need (with headroom), bit/s: the target never goes above. */
  get ceilingBps(): number {
    return this.#ceilingBps();
  }

  /** The cap set by `setRateCap`, bit/s (null: none). */
  get rateCapBps(): number | null {
    return this.#rateCapBps;
  }

  /**
   * Caps the target at `bps` (null lifts the cap): what the fastest receiver takes, when
   * even it is congested beyond the relay (receiver-cap.ts). Never below the floor.
   * Throws `TypeError` unless null or a finite number > 0.
   */
  setRateCap(bps: number | null): void {
    if (bps !== null) positive('rate cap', bps);
    this.#rateCapBps = bps;
  }

  /** The user's settings in force. */
  get ceilings(): Readonly<Required<Ceilings>> {
    return this.#ceilings;
  }

  /** Sets the user's settings (ceilings): size, frame rate, quality, codec. Throws `TypeError` if invalid. */
  setCeilings(ceilings: Ceilings): void {
    const next: Required<Ceilings> = { codec: 'jpeg', ...ceilings };
    for (const key of ['width', 'height'] as const) {
      if (!Number.isInteger(next[key]) || next[key] < 1 || next[key] > 0xffff) {
        throw new TypeError(`ceiling ${key} must be an integer in 1..65535 [${key}:${next[key]}]`);
      }
    }
    positive('ceiling fps', next.fps);
    quality('ceiling quality', next.quality);
    if (next.codec !== 'jpeg' && next.codec !== 'bgra') throw new TypeError(`ceiling codec must be jpeg or bgra [codec:${String(next.codec)}]`);
    const previous = this.#ladder[this.#rung];
    this.#ceilings = next;
    this.#ladder = resolutionLadder(next, this.#floorSize);
    // Keep about the same picture size if the ladder allows it.
    this.#rung = previous === undefined ? this.#choose(this.#targetBps).rung : this.#ladder.findIndex((s) => s.width * s.height <= previous.width * previous.height);
    if (this.#rung < 0) this.#rung = this.#ladder.length - 1;
    this.#fps = this.#fpsFor(this.#targetBps, this.#rung);
    this.#qualityLevel = Math.min(this.#qualityLevel, next.quality);
  }

  /** Learns from an encoded JPEG frame (`bytes` for `width`×`height` at `quality`). */
  observe(bytes: number, width: number, height: number, quality: number): void {
    this.#model.observe(bytes, width, height, quality);
  }

  /** Decides about the frame captured at `now` (ms, the estimator's clock): call once per captured frame. */
  plan(now: number): FramePlan {
    const estimator = this.#estimator;
    estimator.update(now);
    const dt = this.#lastPlanAt === null ? 0 : Math.min(Math.max(now - this.#lastPlanAt, 0), 1000);
    this.#lastPlanAt = now;
    const congested = this.#adaptRate(now, dt);
    this.#adaptPoint(now);
    this.#qualityLevel = this.#fastLink ? this.#ceilings.quality : Math.min(this.#ceilings.quality, this.#qualityLevel + (this.#qualityRise * dt) / 1000);

    const size = this.#ladder[this.#rung]!;
    const fps = this.#fps;
    const isBgra = this.#ceilings.codec === 'bgra';
    const base = { codec: this.#ceilings.codec, width: size.width, height: size.height, fps, targetBps: this.#targetBps };
    const link = this.#linkText();

    this.#credit = Math.min(MAX_CREDIT, this.#credit + (fps * dt) / 1000);
    if (this.#credit < 0.99) {
      return { ...base, send: false, quality: Math.floor(this.#qualityLevel), reason: `pacing: ${link}: ${fps} fps` };
    }

    const capacity = estimator.capacityBps ?? this.#targetBps;
    const backlogMs = estimator.backlogMs(now, this.#targetBps);
    const budget = (capacity * (Math.min(Math.max(this.#targetDelayMs, 1000 / fps), this.#frameTimeCapMs) - backlogMs)) / 8000;
    const share = this.#targetBps / 8 / fps;
    // The budget is at least one frame: whatever its size, a frame may go once the link is drained.
    const idle = backlogMs <= 0;

    let q: number;
    if (isBgra) {
      q = this.#ceilings.quality;
      const bytes = this.#bgraBytes(size);
      if (bytes > budget && !idle) return this.#skip(base, q, bytes, budget, link);
    } else {
      const fit = this.#model.qualityFor(Math.min(share, budget), size.width, size.height, this.#floorQuality, Math.floor(this.#qualityLevel));
      if (fit !== null) {
        q = fit;
      } else {
        const smallest = this.#model.predict(size.width, size.height, this.#floorQuality);
        if (smallest > budget && !idle) return this.#skip(base, this.#floorQuality, smallest, budget, link);
        q = this.#floorQuality;
      }
      if (q < Math.floor(this.#qualityLevel)) this.#qualityLevel = q;
    }
    this.#credit -= 1;
    return { ...base, send: true, quality: q, reason: this.#reason(link, size, q, fps, congested) };
  }

  #skip(base: Omit<FramePlan, 'send' | 'quality' | 'reason'>, q: number, bytes: number, budget: number, link: string): FramePlan {
    const what = this.#ceilings.codec === 'bgra' ? 'BGRA' : `q${q}`;
    const reason =
      `skipped: ${link} is still busy (${Math.round(this.#estimator.backlogMs(this.#lastPlanAt ?? 0))} ms queued); ` +
      `${base.width}×${base.height} ${what} needs ${kb(bytes)}, room for ${kb(Math.max(0, budget))}`;
    return { ...base, send: false, quality: q, reason };
  }

  /** The target rate: cut on congestion, grow when the link carried it. Returns whether congested. */
  #adaptRate(now: number, dt: number): boolean {
    const estimator = this.#estimator;
    const queue = estimator.queueDelayMs;
    const congested = queue > this.#congestionDelayMs;
    if (congested) {
      if (now - this.#lastDecreaseAt >= this.#decreaseIntervalMs) {
        const capacity = estimator.capacityBps ?? this.#targetBps;
        let next = Math.min(this.#targetBps, this.#decreaseFactor * capacity);
        // Still queueing as much as at the last cut: the capacity figure is too high; cut the target itself.
        if (now - this.#lastDecreaseAt < 3 * this.#decreaseIntervalMs && queue >= this.#queueAtDecrease) {
          next = Math.min(next, this.#decreaseFactor * this.#targetBps);
        }
        this.#targetBps = next;
        this.#knee = capacity;
        this.#startup = false;
        this.#lastDecreaseAt = now;
        this.#queueAtDecrease = queue;
      }
    } else if (queue < this.#congestionDelayMs / 2) {
      const knee = this.#knee;
      let perSecond: number;
      if (this.#startup) perSecond = this.#startupGrowth * this.#targetBps;
      else if (knee !== null && Math.abs(this.#targetBps - knee) <= this.#kneeBand * knee) perSecond = this.#kneeGrowth * knee;
      else perSecond = this.#probeGrowth * this.#targetBps;
      // Only as far as the link has shown it carries: its measured rate when it was seen
      // saturated, else a step above what it delivered (a lower bound of its capacity).
      const shown = estimator.capacityBps ?? 0;
      const cap = estimator.saturated ? shown : Math.max(this.#startBps, PROBE_HEADROOM * Math.max(shown, estimator.deliveredBps));
      if (this.#targetBps < cap) this.#targetBps = Math.min(cap, this.#targetBps + (perSecond * dt) / 1000);
      // A link far faster than the settings need (loopback, a LAN): a cut was a stall of a
      // busy machine, not a bottleneck — back to the settings at once.
      if (shown >= FAST_LINK_FACTOR * this.#ceilingBps()) {
        this.#targetBps = this.#ceilingBps();
        this.#fastLink = true;
      }
    }
    if (queue >= this.#congestionDelayMs / 2) this.#fastLink = false;
    if (this.#rateCapBps !== null && this.#targetBps > this.#rateCapBps) this.#targetBps = this.#rateCapBps;
    this.#targetBps = Math.min(Math.max(this.#targetBps, this.#floorBps()), this.#ceilingBps());
    return congested;
  }

  /** Resolution (with hold times and a dead band) and paced frame rate for the target. */
  #adaptPoint(now: number): void {
    const target = this.#targetBps;
    const ideal = this.#choose(target).rung;
    const sinceChange = now - this.#lastResolutionChangeAt;
    let rung = this.#rung;
    // The dead band cannot ask for more than the ceilings need: at that rate the largest picture is right.
    const sure = target >= this.#ceilingBps() / CEILING_HEADROOM ? target : target * (1 - this.#margin);
    if (ideal < rung && (sinceChange >= this.#upHoldMs || this.#fastLink)) rung = Math.max(ideal, Math.min(rung, this.#choose(sure).rung));
    else if (ideal > rung && sinceChange >= this.#downHoldMs) rung = Math.max(rung, this.#choose(target * (1 + this.#margin)).rung);
    if (rung !== this.#rung) {
      this.#rung = rung;
      this.#lastResolutionChangeAt = now;
    }
    const fps = this.#fpsFor(target, this.#rung);
    if (fps < this.#fps || (fps > this.#fps && (now - this.#lastFpsChangeAt >= FPS_UP_HOLD_MS || this.#fastLink))) {
      this.#fps = fps;
      this.#lastFpsChangeAt = now;
    }
  }

  /** The largest rung that carries `bps` at the preferred frame rate and a good quality (else the floor). */
  #choose(bps: number): Point {
    const fps = this.#preferredFps;
    for (let rung = 0; rung < this.#ladder.length; rung++) {
      if (this.#frameBytes(this.#ladder[rung]!, this.#goodQuality) * 8 * fps <= bps) return { rung, fps };
    }
    return { rung: this.#ladder.length - 1, fps: this.#floorFps };
  }

  /**
   * Frame rate at `rung` for `bps`: above the preferred rate only at full quality; at the
   * floor rung down to the floor rate at a good quality; elsewhere quality gives first.
   */
  #fpsFor(bps: number, rung: number): number {
    const size = this.#ladder[rung]!;
    const best = this.#frameBytes(size, this.#ceilings.quality) * 8;
    for (let f = Math.floor(this.#ceilings.fps); f > this.#preferredFps; f--) if (best * f <= bps) return f;
    if (rung < this.#ladder.length - 1) return this.#preferredFps;
    const good = this.#frameBytes(size, this.#goodQuality) * 8;
    for (let f = Math.floor(this.#preferredFps); f > this.#floorFps; f--) if (good * f <= bps) return f;
    return this.#floorFps;
  }

  #frameBytes(size: Size, q: number): number {
    return this.#ceilings.codec === 'bgra' ? this.#bgraBytes(size) : this.#model.predict(size.width, size.height, q);
  }

  #bgraBytes(size: Size): number {
    return this.#model.headerBytes + size.width * size.height * BGRA_BYTES_PER_PIXEL;
  }

  /** What the ceilings need (with headroom): the target never goes above. */
  #ceilingBps(): number {
    const size = this.#ladder[0]!;
    return this.#frameBytes(size, this.#ceilings.quality) * 8 * this.#ceilings.fps * CEILING_HEADROOM;
  }

  /** What the floor needs: the target never goes below. */
  #floorBps(): number {
    return this.#frameBytes(this.#ladder.at(-1)!, this.#floorQuality) * 8 * this.#floorFps;
  }

  get #floorFps(): number {
    return Math.min(this.#floorFpsOption, this.#ceilings.fps);
  }

  get #preferredFps(): number {
    return Math.min(this.#preferredFpsOption, this.#ceilings.fps);
  }

  get #floorQuality(): number {
    return Math.min(this.#floorQualityOption, this.#ceilings.quality);
  }

  get #goodQuality(): number {
    return Math.min(this.#goodQualityOption, this.#ceilings.quality);
  }

  #linkText(): string {
    const capacity = this.#estimator.capacityBps;
    return capacity === null ? 'link not measured yet' : `link ≈ ${rate(capacity)}`;
  }

  #reason(link: string, size: Size, q: number, fps: number, congested: boolean): string {
    const c = this.#ceilings;
    const picture = c.codec === 'bgra' ? `${size.width}×${size.height} BGRA ${fps} fps` : `${size.width}×${size.height} q${q} ${fps} fps`;
    let reason = `${link}: ${picture}`;
    const shrunk = size.width < c.width || fps < Math.floor(c.fps);
    if (congested) reason += `; queue ${Math.round(this.#estimator.queueDelayMs)} ms, backing off`;
    if (this.#rateCapBps !== null && this.#targetBps >= this.#rateCapBps * 0.999) reason += `; fastest receiver takes ≈ ${rate(this.#rateCapBps)}`;
    if (c.codec === 'bgra' && shrunk) {
      reason += `; BGRA is uncompressed (${c.width}×${c.height} is ${kb(this.#bgraBytes(c))} a frame): smaller and slower to fit, JPEG would carry more`;
    } else if (!shrunk && q >= c.quality) {
      reason += ' (as set)';
    }
    return reason;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number > 0 [${name}:${value}]`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number >= 0 [${name}:${value}]`);
  return value;
}

function quality(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 100) throw new TypeError(`${name} must be an integer in 1..100 [${name}:${value}]`);
  return value;
}

/** `850 kbit/s`, `3.9 Mbit/s`. */
function rate(bps: number): string {
  return bps < 1e6 ? `${Math.round(bps / 1000)} kbit/s` : `${(bps / 1e6).toFixed(1)} Mbit/s`;
}

/** `1.2 KB` (1000 bytes). */
function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

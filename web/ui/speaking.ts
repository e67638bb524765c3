/**
 * The speaking indicator's logic: a level (0..1, as the audio pipeline reports it) above a
 * threshold marks a participant as speaking, held for a moment after the level drops so the
 * highlight does not flicker between words. No DOM: the tile renders what this decides.
 */

/** Level above which a participant counts as speaking (0..1). */
export const SPEAKING_THRESHOLD = 0.08;
/** How long "speaking" outlasts the last loud sample, ms. */
export const SPEAKING_HOLD_MS = 300;

/** Options of `SpeakingDetector`. */
export interface SpeakingDetectorOptions {
  /** Level above which the participant is speaking, in (0, 1]. Default `SPEAKING_THRESHOLD` (0.08). */
  threshold?: number;
  /** How long speaking lasts after the last loud level, ms (≥ 0). Default `SPEAKING_HOLD_MS` (300). */
  holdMs?: number;
}

/** Decides, sample by sample, whether one participant is speaking. */
export class SpeakingDetector {
  readonly #threshold: number;
  readonly #holdMs: number;
  #lastLoudAt = -Infinity;

  constructor(options: SpeakingDetectorOptions = {}) {
    const threshold = options.threshold ?? SPEAKING_THRESHOLD;
    const holdMs = options.holdMs ?? SPEAKING_HOLD_MS;
    if (!(threshold > 0 && threshold <= 1)) throw new TypeError(`threshold must be in (0, 1] [threshold:${threshold}]`);
    if (!(holdMs >= 0 && Number.isFinite(holdMs))) throw new TypeError(`holdMs must be a finite number ≥ 0 [holdMs:${holdMs}]`);
    this.#threshold = threshold;
    this.#holdMs = holdMs;
  }

  /**
   * Feeds the level heard at `now` (ms, monotonic); true while speaking. `null` (no audio
   * from the participant) ends speaking at once.
   */
  update(level: number | null, now: number): boolean {
    if (level === null) {
      this.#lastLoudAt = -Infinity;
      return false;
    }
    if (clampLevel(level) > this.#threshold) this.#lastLoudAt = now;
    return now - this.#lastLoudAt <= this.#holdMs;
  }
}

/** `level` limited to 0..1 (NaN → 0). */
export function clampLevel(level: number): number {
  return level > 0 ? Math.min(1, level) : 0;
}

/** `level` limited to 0..1 and rounded to 2 decimals (what `data-level` shows). */
export function roundLevel(level: number): number {
  return Math.round(clampLevel(level) * 100) / 100;
}

/**
 * How full the level bar is drawn, 0..1. Speech sits around 0.05..0.3 on a linear scale, so
 * the bar uses a square root: quiet speech is visible, loud speech fills it.
 */
export function meterFill(level: number): number {
  return Math.min(1, Math.sqrt(clampLevel(level)) * 1.4);
}

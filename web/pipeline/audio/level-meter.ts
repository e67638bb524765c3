/**
 * Loudness for the speaking indicator: RMS smoothed over ~100 ms, mapped from dBFS to 0..1
 * (−60 dBFS → 0, −10 dBFS → 1: normal speech at −40…−20 dBFS reads 0.4–0.8). Pure and
 * allocation-free (the player worklet runs it inside `process()`).
 */

/** dBFS that reads 0. */
export const LEVEL_FLOOR_DB = -60;
/** dBFS that reads 1. */
export const LEVEL_CEILING_DB = -10;
/** Smoothing time constant, ms. */
export const LEVEL_TIME_CONSTANT_MS = 100;

/** Maps an RMS amplitude (0..1) to the 0..1 level scale. */
export function rmsToLevel(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db - LEVEL_FLOOR_DB) / (LEVEL_CEILING_DB - LEVEL_FLOOR_DB)));
}

/** Exponentially smoothed mean square of the samples fed, read as a 0..1 level. */
export class LevelMeter {
  readonly #sampleRate: number;
  #meanSquare = 0;

  constructor(sampleRate: number) {
    this.#sampleRate = sampleRate;
  }

  /** Feeds `count` samples of `samples` from `offset`. */
  feed(samples: Float32Array, offset = 0, count = samples.length - offset): void {
    if (count <= 0) return;
    let sum = 0;
    for (let i = offset; i < offset + count; i++) sum += samples[i]! * samples[i]!;
    this.feedMeanSquare(sum / count, count);
  }

  /** Feeds a block's mean square directly (`count` samples long). */
  feedMeanSquare(meanSquare: number, count: number): void {
    const alpha = Math.exp(-(count / this.#sampleRate) * (1000 / LEVEL_TIME_CONSTANT_MS));
    this.#meanSquare = alpha * this.#meanSquare + (1 - alpha) * meanSquare;
  }

  /** Feeds `count` samples of silence. */
  silence(count: number): void {
    this.feedMeanSquare(0, count);
  }

  /** RMS now. */
  get rms(): number {
    return Math.sqrt(this.#meanSquare);
  }

  /** Level now, 0..1. */
  get level(): number {
    return rmsToLevel(this.rms);
  }

  reset(): void {
    this.#meanSquare = 0;
  }
}

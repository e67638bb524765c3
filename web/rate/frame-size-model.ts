/**
 * How many bytes a JPEG frame of a given size and quality will take, learnt online from the
 * frames actually encoded: `bytes ≈ headerBytes + width·height · k · shape(q)`.
 *
 * - `shape(q)` is bytes per pixel as a function of quality: a prior curve for camera
 *   pictures (`priorBytesPerPixel`), times a per-quality correction learnt slowly, one
 *   value per 5 quality steps, interpolated between them.
 * - `k` is the content's complexity (a busy room vs a plain wall), learnt fast from every
 *   frame and shared by all qualities, so a scene change at quality 40 also moves the
 *   prediction for quality 60 before any frame was encoded there.
 *
 * Both are updated in the log domain (a frame twice as large as predicted moves the
 * estimate by the same step as one half as large).
 */

/** Options of `FrameSizeModel`. */
export interface FrameSizeModelOptions {
  /** Bytes of a frame that do not scale with pixels (framewire header 40 + JPEG tables ≈ 600). Default `DEFAULT_FRAME_HEADER_BYTES` (640). */
  headerBytes?: number;
  /** Weight of a new frame in the content complexity `k` (0..1]. Default `DEFAULT_COMPLEXITY_GAIN` (0.3). */
  complexityGain?: number;
  /** Weight of a new frame in its quality's correction (0..1]. Default `DEFAULT_SHAPE_GAIN` (0.05). */
  shapeGain?: number;
}

export const DEFAULT_FRAME_HEADER_BYTES = 640;
export const DEFAULT_COMPLEXITY_GAIN = 0.3;
export const DEFAULT_SHAPE_GAIN = 0.05;

/** Quality steps per learnt correction. */
const BUCKET_WIDTH = 5;
const BUCKETS = 100 / BUCKET_WIDTH + 1;

/** Prior bytes per pixel of a baseline JPEG of a camera picture at quality `q` (1..100). */
export function priorBytesPerPixel(q: number): number {
  const x = q / 100;
  return 0.015 + 0.12 * x * x + 0.25 * x ** 12;
}

export class FrameSizeModel {
  readonly #header: number;
  readonly #complexityGain: number;
  readonly #shapeGain: number;
  /** log of the content complexity `k`. */
  #logK = 0;
  /** log of the per-quality corrections, at q = 0, 5, …, 100. */
  readonly #logShape = new Float64Array(BUCKETS);
  #observed = 0;

  constructor(options: FrameSizeModelOptions = {}) {
    this.#header = options.headerBytes ?? DEFAULT_FRAME_HEADER_BYTES;
    this.#complexityGain = options.complexityGain ?? DEFAULT_COMPLEXITY_GAIN;
    this.#shapeGain = options.shapeGain ?? DEFAULT_SHAPE_GAIN;
    if (!(this.#header >= 0) || !Number.isFinite(this.#header)) {
      throw new TypeError(`headerBytes must be a finite number >= 0 [headerBytes:${this.#header}]`);
    }
    for (const [name, gain] of [
      ['complexityGain', this.#complexityGain],
      ['shapeGain', this.#shapeGain],
    ] as const) {
      if (!(gain > 0 && gain <= 1)) throw new TypeError(`${name} must be in (0, 1] [${name}:${gain}]`);
    }
  }

  /** Bytes of a frame that do not scale with pixels. */
  get headerBytes(): number {
    return this.#header;
  }

  /** Frames observed so far. */
  get observed(): number {
    return this.#observed;
  }

  /** Predicted bytes of a `width`×`height` frame at `quality` (1..100). */
  predict(width: number, height: number, quality: number): number {
    return this.#header + width * height * this.bytesPerPixel(quality);
  }

  /** Predicted bytes per pixel (header aside) at `quality` (1..100) for the current content. */
  bytesPerPixel(quality: number): number {
    return Math.exp(this.#logK + this.#correction(quality)) * priorBytesPerPixel(quality);
  }

  /**
   * The highest integer quality in [`min`, `max`] whose predicted frame fits in `bytes`,
   * or null when even `min` does not.
   */
  qualityFor(bytes: number, width: number, height: number, min: number, max: number): number | null {
    for (let q = Math.floor(max); q >= min; q--) if (this.predict(width, height, q) <= bytes) return q;
    return null;
  }

  /** Learns from one encoded frame: `bytes` for `width`×`height` at `quality`. */
  observe(bytes: number, width: number, height: number, quality: number): void {
    if (!(width > 0 && height > 0) || !(quality >= 1 && quality <= 100) || !(bytes >= 0)) {
      throw new TypeError(`bad observation [bytes:${bytes}, width:${width}, height:${height}, quality:${quality}]`);
    }
    const perPixel = Math.max(bytes - this.#header, 1) / (width * height);
    const logRatio = Math.log(perPixel / priorBytesPerPixel(quality));
    // Fast: the content's complexity, from the whole error at this quality.
    this.#logK += this.#complexityGain * (logRatio - this.#correction(quality) - this.#logK);
    // Slow: what is left is this quality's share, learnt at its nearest bucket.
    const bucket = Math.round(quality / BUCKET_WIDTH);
    this.#logShape[bucket]! += this.#shapeGain * (logRatio - this.#logK - this.#logShape[bucket]!);
    this.#observed++;
  }

  #correction(quality: number): number {
    const at = Math.min(Math.max(quality / BUCKET_WIDTH, 0), BUCKETS - 1);
    const low = Math.floor(at);
    const high = Math.min(low + 1, BUCKETS - 1);
    return this.#logShape[low]! + (this.#logShape[high]! - this.#logShape[low]!) * (at - low);
  }
}

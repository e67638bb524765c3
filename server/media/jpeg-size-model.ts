/**
 * How big a JPEG from sharp will be, learned from sharp's own outputs, and the picture size
 * and quality that fit a byte budget. The model is
 *
 *   bytes ≈ JPEG_OVERHEAD_BYTES + c × pixels × e^(QUALITY_SLOPE × (quality − 50))
 *
 * where the shape in quality was measured with sharp (mozjpeg off, 4:2:0) over quality
 * 30..70 — the size about triples from 30 to 70 — and `c` (bytes per pixel at quality 50:
 * how detailed the picture is) is learned per stream from each JPEG made, smoothed in the log
 * domain. The ladder of scales is `SCALE_LADDER`; qualities are `MIN_QUALITY`..`MAX_QUALITY`.
 */

/** Scales of the source's width and height, largest first. */
export const SCALE_LADDER: readonly number[] = [1, 3 / 4, 1 / 2, 3 / 8, 1 / 4];
/** Lowest JPEG quality chosen. */
export const MIN_QUALITY = 30;
/** Highest JPEG quality chosen. */
export const MAX_QUALITY = 70;
/** A scale is kept while it fits at this quality or better; below it the next smaller scale is tried. */
export const GOOD_QUALITY = 45;
/** Headers and tables of a sharp JPEG, bytes. */
export const JPEG_OVERHEAD_BYTES = 600;
/** d ln(bytes) / d quality (measured: ×2.9 from 30 to 70). */
export const QUALITY_SLOPE = 0.027;
/** Bytes per pixel at quality 50 before anything was learned (camera-like content). */
export const DEFAULT_BYTES_PER_PIXEL = 0.05;
/** Quality a JPEG source's frames are taken to have when seeding (browsers' and the CLI's defaults are 70..80). */
export const SEED_QUALITY = 75;
/** Weight of a new observation in the learned bytes per pixel (log domain). */
const LEARN_GAIN = 0.3;

/** A picture size and quality, with its predicted size. */
export interface JpegChoice {
  /** Scale of the source's width and height (one of `SCALE_LADDER`). */
  scale: number;
  width: number;
  height: number;
  quality: number;
  /** Predicted JPEG bytes. */
  bytes: number;
}

export class JpegSizeModel {
  #logBytesPerPixel = Math.log(DEFAULT_BYTES_PER_PIXEL);
  #learned = false;

  /** Learned bytes per pixel at quality 50. */
  get bytesPerPixel(): number {
    return Math.exp(this.#logBytesPerPixel);
  }

  /** Predicted bytes of a `width`×`height` JPEG of `quality`. */
  predict(width: number, height: number, quality: number): number {
    return JPEG_OVERHEAD_BYTES + this.bytesPerPixel * width * height * Math.exp(QUALITY_SLOPE * (quality - 50));
  }

  /** True once it has learned from a JPEG (`learn` or `seed`). */
  get learned(): boolean {
    return this.#learned;
  }

  /**
   * Starts from a JPEG of unknown quality (a JPEG source's frame: `bytes` for `width`×`height`),
   * taken as `SEED_QUALITY`; replaces what was learned.
   */
  seed(width: number, height: number, bytes: number): void {
    const pixels = width * height;
    if (!(pixels > 0) || !(bytes > JPEG_OVERHEAD_BYTES)) return;
    this.#logBytesPerPixel = Math.log((bytes - JPEG_OVERHEAD_BYTES) / (pixels * Math.exp(QUALITY_SLOPE * (SEED_QUALITY - 50))));
    this.#learned = true;
  }

  /** Learns from one JPEG sharp made: its size, quality and byte count. */
  learn(width: number, height: number, quality: number, bytes: number): void {
    const pixels = width * height;
    if (!(pixels > 0) || !(bytes > 0)) return;
    const content = Math.max(bytes - JPEG_OVERHEAD_BYTES, bytes * 0.1);
    const observed = Math.log(content / (pixels * Math.exp(QUALITY_SLOPE * (quality - 50))));
    this.#logBytesPerPixel += (this.#learned ? LEARN_GAIN : 1) * (observed - this.#logBytesPerPixel);
    this.#learned = true;
  }

  /**
   * The best picture for a budget of `frameBytes` per frame from a `width`×`height` source:
   * the largest scale of the ladder that fits at `GOOD_QUALITY` or better, with the highest
   * quality that fits (≤ `MAX_QUALITY`); if none does, the smallest scale at the highest
   * quality that fits, and at least `MIN_QUALITY` (the floor: it may then exceed the budget).
   */
  choose(frameBytes: number, width: number, height: number): JpegChoice {
    let choice: JpegChoice | undefined;
    for (const scale of SCALE_LADDER) {
      const w = scaled(width, scale);
      const h = scaled(height, scale);
      const quality = this.#bestQuality(frameBytes, w, h);
      choice = { scale, width: w, height: h, quality, bytes: this.predict(w, h, quality) };
      if (quality >= GOOD_QUALITY) return choice;
    }
    return choice!;
  }

  /** The highest quality in MIN..MAX whose prediction fits `frameBytes` (MIN if none). */
  #bestQuality(frameBytes: number, width: number, height: number): number {
    const perPixel = (frameBytes - JPEG_OVERHEAD_BYTES) / (this.bytesPerPixel * width * height);
    if (!(perPixel > 0)) return MIN_QUALITY;
    const quality = Math.floor(50 + Math.log(perPixel) / QUALITY_SLOPE);
    return Math.min(MAX_QUALITY, Math.max(MIN_QUALITY, quality));
  }
}

/** A dimension at `scale`, at least 1 pixel. */
function scaled(size: number, scale: number): number {
  return Math.max(1, Math.round(size * scale));
}

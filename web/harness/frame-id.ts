/**
 * Frame-id blocks: a machine-readable frame number drawn into the pixels as a strip of
 * large black/white cells across the top of the picture, read back from whatever the
 * receiver actually painted. The cells span the full width at fixed fractions of it, so the
 * code survives scaling (640×480 → 320×240), JPEG and VP8 compression: the decoder samples
 * the middle of each cell, calibrates its threshold on two reference cells and rejects any
 * read whose CRC-8 does not match.
 *
 * Pure functions on RGBA (or BGRA: luma is taken as (R + 2G + B) / 4, symmetric in R and B)
 * byte arrays — `Uint8Array` or a canvas `ImageData.data` — so Node tests and the browser
 * share one implementation. No DOM here.
 *
 * Strip layout, left to right, `CELL_COUNT` equal cells over the full width:
 *
 * | cells | content |
 * |---|---|
 * | 0 | reference white |
 * | 1 | reference black |
 * | 2..17 | id, 16 bits, most significant first (white = 1) |
 * | 18..25 | CRC-8 (poly 0x07) of the id's two bytes, big-endian, most significant bit first |
 */

/** Bits of the id carried in the strip; ids wrap at 2^16. */
export const ID_BITS = 16;
/** Bits of the check code (CRC-8, polynomial 0x07). */
export const CHECK_BITS = 8;
/** Reference cells (white, black) that open the strip. */
export const REFERENCE_CELLS = 2;
/** Cells across the strip. */
export const CELL_COUNT = REFERENCE_CELLS + ID_BITS + CHECK_BITS;
/** Largest id + 1: ids are taken modulo this. */
export const ID_MODULO = 1 << ID_BITS;
/** Default height of the strip as a fraction of the frame height. */
export const DEFAULT_STRIP_FRACTION = 0.1;
/** Default smallest luma difference between the white and black reference cells (0..255). */
export const DEFAULT_MIN_CONTRAST = 64;
/** Default fraction of each cell's width and height that is averaged (the centre). */
export const DEFAULT_SAMPLE_FRACTION = 0.5;

/** A rectangle in pixels. */
export interface CellRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options shared by the writer and the reader. */
export interface FrameIdLayoutOptions {
  /** Height of the strip as a fraction of the image height (0 < f ≤ 1). Default 0.1. */
  stripFraction?: number;
}

/** Options of `readFrameId`. */
export interface ReadFrameIdOptions extends FrameIdLayoutOptions {
  /** Smallest luma difference between the reference cells for a read to count (0..255). Default 64. */
  minContrast?: number;
  /** Fraction of each cell (centred) that is averaged. Default 0.5. */
  sampleFraction?: number;
}

/** The error thrown by the frame-id writer for bad arguments. */
export class FrameIdError extends Error {
  override readonly name = 'FrameIdError';
  readonly code: 'bad-image' | 'bad-option';

  private constructor(code: 'bad-image' | 'bad-option', message: string) {
    super(message);
    this.code = code;
  }

  static badImage(width: number, height: number, bytes: number): FrameIdError {
    return new FrameIdError(
      'bad-image',
      `image size does not match its pixels [width:${width}, height:${height}, bytes:${bytes}, expected:${width * height * 4}]`,
    );
  }

  static tooSmall(width: number, height: number): FrameIdError {
    return new FrameIdError('bad-image', `image too small for the frame-id strip [width:${width}, height:${height}, minWidth:${CELL_COUNT}]`);
  }

  static badOption(name: string, value: unknown): FrameIdError {
    return new FrameIdError('bad-option', `bad frame-id option [${name}:${String(value)}]`);
  }
}

/** CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0, over the id's two bytes (big-endian). */
export function frameIdCheck(id: number): number {
  let crc = 0;
  for (const byte of [(id >>> 8) & 0xff, id & 0xff]) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** The colour of every cell for `id` (taken modulo 2^16), left to right: true = white. */
export function frameIdCells(id: number): boolean[] {
  const value = ((id % ID_MODULO) + ID_MODULO) % ID_MODULO;
  const check = frameIdCheck(value);
  const cells = [true, false];
  for (let bit = ID_BITS - 1; bit >= 0; bit--) cells.push(((value >>> bit) & 1) === 1);
  for (let bit = CHECK_BITS - 1; bit >= 0; bit--) cells.push(((check >>> bit) & 1) === 1);
  return cells;
}

/** Height of the strip in pixels for an image `height` pixels tall. */
export function stripHeight(height: number, options: FrameIdLayoutOptions = {}): number {
  const fraction = options.stripFraction ?? DEFAULT_STRIP_FRACTION;
  if (!(fraction > 0 && fraction <= 1)) throw FrameIdError.badOption('stripFraction', fraction);
  return Math.max(1, Math.round(height * fraction));
}

/** Pixel rectangles of the `CELL_COUNT` cells of the strip in a `width`×`height` image. */
export function frameIdLayout(width: number, height: number, options: FrameIdLayoutOptions = {}): CellRect[] {
  const h = stripHeight(height, options);
  const rects: CellRect[] = [];
  for (let i = 0; i < CELL_COUNT; i++) {
    const x0 = Math.round((i * width) / CELL_COUNT);
    const x1 = Math.round(((i + 1) * width) / CELL_COUNT);
    rects.push({ x: x0, y: 0, width: x1 - x0, height: h });
  }
  return rects;
}

/**
 * Writes the strip for `id` into `pixels` (RGBA or BGRA, `width`×`height`, 4 bytes per
 * pixel, rows top to bottom), opaque black and white. Throws `FrameIdError` on a size mismatch.
 */
export function writeFrameId(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  id: number,
  options: FrameIdLayoutOptions = {},
): void {
  checkImage(pixels, width, height);
  const cells = frameIdCells(id);
  const rects = frameIdLayout(width, height, options);
  for (let i = 0; i < CELL_COUNT; i++) {
    const rect = rects[i]!;
    const value = cells[i] ? 255 : 0;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      const start = (y * width + rect.x) * 4;
      const end = start + rect.width * 4;
      pixels.fill(value, start, end);
      for (let a = start + 3; a < end; a += 4) pixels[a] = 255;
    }
  }
}

/**
 * Reads the id back from `pixels` (RGBA or BGRA, `width`×`height`), or `null` when there
 * is no readable strip: too little contrast between the reference cells, or a check-code
 * mismatch. `height` may be the strip alone: pass `{ stripFraction: 1 }`.
 */
export function readFrameId(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  options: ReadFrameIdOptions = {},
): number | null {
  checkImage(pixels, width, height);
  const minContrast = options.minContrast ?? DEFAULT_MIN_CONTRAST;
  const sample = options.sampleFraction ?? DEFAULT_SAMPLE_FRACTION;
  if (!(sample > 0 && sample <= 1)) throw FrameIdError.badOption('sampleFraction', sample);
  const rects = frameIdLayout(width, height, options);
  const lumas = rects.map((rect) => meanLuma(pixels, width, rect, sample));
  const white = lumas[0]!;
  const black = lumas[1]!;
  if (white - black < minContrast) return null;
  const threshold = (white + black) / 2;
  let value = 0;
  for (let i = 0; i < ID_BITS; i++) value = (value << 1) | (lumas[REFERENCE_CELLS + i]! > threshold ? 1 : 0);
  let check = 0;
  for (let i = 0; i < CHECK_BITS; i++) check = (check << 1) | (lumas[REFERENCE_CELLS + ID_BITS + i]! > threshold ? 1 : 0);
  return check === frameIdCheck(value) ? value : null;
}

/**
 * The id that follows `previous` once ids wrap at 2^16 — what a sender draws next.
 */
export function nextFrameId(previous: number): number {
  return (previous + 1) % ID_MODULO;
}

function meanLuma(pixels: Uint8Array | Uint8ClampedArray, width: number, rect: CellRect, sample: number): number {
  const sw = Math.max(1, Math.round(rect.width * sample));
  const sh = Math.max(1, Math.round(rect.height * sample));
  const x0 = rect.x + Math.floor((rect.width - sw) / 2);
  const y0 = rect.y + Math.floor((rect.height - sh) / 2);
  let sum = 0;
  for (let y = y0; y < y0 + sh; y++) {
    let i = (y * width + x0) * 4;
    for (let x = 0; x < sw; x++, i += 4) sum += pixels[i]! + 2 * pixels[i + 1]! + pixels[i + 2]!;
  }
  return sum / (4 * sw * sh);
}

function checkImage(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || pixels.length !== width * height * 4) {
    throw FrameIdError.badImage(width, height, pixels.length);
  }
  if (width < CELL_COUNT) throw FrameIdError.tooSmall(width, height);
}

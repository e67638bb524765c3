/**
 * JPEG with sharp (libvips on the libuv thread pool): BGRA pixels → JPEG, and the size of a
 * JPEG. sharp reads raw pixels as RGBA, so BGRA is swizzled with the codec's `bgraToRgba`.
 */
import sharp from 'sharp';
import { bgraToRgba } from '../../codec/index.ts';

/** JPEG quality used when none is given, 1..100. */
export const DEFAULT_JPEG_QUALITY = 75;

/** Encodes `width`×`height` BGRA pixels as a JPEG of `quality` (1..100). */
export async function bgraToJpeg(
  bgra: Uint8Array,
  width: number,
  height: number,
  quality = DEFAULT_JPEG_QUALITY,
): Promise<Uint8Array> {
  checkQuality(quality);
  const expected = width * height * 4;
  if (bgra.byteLength !== expected) {
    throw new RangeError(`bgra buffer size wrong [bytes:${bgra.byteLength}, expected:${expected}]`);
  }
  const rgba = bgraToRgba(bgra);
  const jpeg = await sharp(rgba, { raw: { width, height, channels: 4 } })
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
}

/** Width and height of a JPEG (from its header, via sharp). */
export async function jpegSize(jpeg: Uint8Array): Promise<{ width: number; height: number; format: string }> {
  const meta = await sharp(jpeg).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? 'unknown' };
}

/** Throws `TypeError` unless `quality` is an integer 1..100. */
export function checkQuality(quality: number): void {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new TypeError(`JPEG quality must be an integer 1..100 [quality:${quality}]`);
  }
}

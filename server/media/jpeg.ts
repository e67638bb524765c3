/**
 * JPEG with sharp (libvips on the libuv thread pool): BGRA pixels → JPEG, a BGRA or JPEG
 * frame → a (smaller) JPEG, and the size of a JPEG. sharp reads raw pixels as RGBA, so BGRA is swizzled with the codec's `bgraToRgba`.
 */
import sharp, { type Sharp } from 'sharp';
import { bgraToRgba, Codec } from '../../codec/index.ts';

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

/**
 * Converts one video frame's pixels to a JPEG of `width`×`height` (a downscale, or the same
 * size) and `quality`: BGRA is swizzled and encoded, JPEG is decoded, resized and re-encoded.
 * Throws `TypeError` for other codecs.
 */
export async function scaledJpeg(
  frame: { codec: number; width: number; height: number; payload: Uint8Array },
  width: number,
  height: number,
  quality: number,
): Promise<Uint8Array> {
  checkQuality(quality);
  let image: Sharp;
  if (frame.codec === Codec.bgra) {
    const expected = frame.width * frame.height * 4;
    if (frame.payload.byteLength !== expected) {
      throw new RangeError(`bgra buffer size wrong [bytes:${frame.payload.byteLength}, expected:${expected}]`);
    }
    image = sharp(bgraToRgba(frame.payload), { raw: { width: frame.width, height: frame.height, channels: 4 } });
  } else if (frame.codec === Codec.jpeg) {
    image = sharp(frame.payload);
  } else {
    throw new TypeError(`cannot scale this codec to JPEG [codec:${frame.codec}]`);
  }
  if (width !== frame.width || height !== frame.height) image = image.resize(width, height, { fit: 'fill', kernel: 'linear' });
  const jpeg = await image.jpeg({ quality }).toBuffer();
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

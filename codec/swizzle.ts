/**
 * Pixel channel swaps between RGBA (what canvas `getImageData` gives) and BGRA (the wire's
 * raw format). Both swap bytes 0 and 2 of every pixel, so the two functions are one
 * operation; they are named apart for readability at call sites.
 *
 * Works in 32-bit lanes when the destination is 4-byte aligned (the usual case: a fresh
 * `Uint8Array`, `ImageData.data`, or a frame payload at offset 40 of an aligned message).
 * An unaligned source (a payload inside a Node Buffer slab) is first copied into the
 * destination with `set()` (memcpy speed) and swapped there in place; only an unaligned
 * destination falls back to a byte loop. `dst` may be `src` (in place).
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** RGBA → BGRA. Returns `dst` (allocated when omitted). */
export function rgbaToBgra(src: Uint8Array | Uint8ClampedArray, dst?: Uint8Array): Uint8Array {
  return swapRedBlue(src, dst);
}

/** BGRA → RGBA. Returns `dst` (allocated when omitted); pass `ImageData.data` to paint directly. */
export function bgraToRgba<T extends Uint8Array | Uint8ClampedArray = Uint8Array>(
  src: Uint8Array | Uint8ClampedArray,
  dst?: T,
): T {
  return swapRedBlue(src, dst ?? (new Uint8Array(src.byteLength) as T));
}

function swapRedBlue<T extends Uint8Array | Uint8ClampedArray>(src: Uint8Array | Uint8ClampedArray, dst?: T): T {
  const length = src.byteLength;
  if (length % 4 !== 0) throw new RangeError(`pixel buffer length not a multiple of 4 [bytes:${length}]`);
  const out = dst ?? (new Uint8Array(length) as T);
  if (out.byteLength < length) {
    throw new RangeError(`destination too small [bytes:${out.byteLength}, needed:${length}]`);
  }
  if (out.byteOffset % 4 !== 0) {
    swapBytes(src, out, length);
    return out;
  }
  const d = new Uint32Array(out.buffer, out.byteOffset, length >>> 2);
  let s = d;
  if (src.byteOffset % 4 === 0) s = new Uint32Array(src.buffer, src.byteOffset, length >>> 2);
  else out.set(src, 0);
  if (LITTLE_ENDIAN) swapLanesLE(s, d);
  else swapLanesBE(s, d);
  return out;
}

/**
 * Little-endian lane: 0xAABBGGRR (for RGBA) — swap the low byte and byte 2.
 * Exported (not from index.ts) so tests can check both byte orders on any machine.
 */
export function swapLanesLE(s: Uint32Array, d: Uint32Array): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const x = s[i]!;
    d[i] = (x & 0xff00ff00) | ((x & 0xff) << 16) | ((x >>> 16) & 0xff);
  }
}

/** Big-endian lane: 0xRRGGBBAA — swap the high byte and byte 1. Exported for tests, like `swapLanesLE`. */
export function swapLanesBE(s: Uint32Array, d: Uint32Array): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const x = s[i]!;
    d[i] = (x & 0x00ff00ff) | ((x >>> 16) & 0xff00) | ((x & 0xff00) << 16);
  }
}

function swapBytes(src: Uint8Array | Uint8ClampedArray, dst: Uint8Array | Uint8ClampedArray, length: number): void {
  for (let i = 0; i < length; i += 4) {
    const r = src[i]!;
    dst[i] = src[i + 2]!;
    dst[i + 1] = src[i + 1]!;
    dst[i + 2] = r;
    dst[i + 3] = src[i + 3]!;
  }
}

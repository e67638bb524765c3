import { describe, expect, it } from 'vitest';
import { bgraToRgba, rgbaToBgra } from './index.ts';
import { swapLanesBE, swapLanesLE } from './swizzle.ts';
import { xorshiftBytes } from './test-support/prng.ts';

/** Reference: swap bytes 0 and 2 of every pixel, one byte at a time. */
function reference(src: ArrayLike<number>): number[] {
  const out = Array.from(src);
  for (let i = 0; i < out.length; i += 4) [out[i], out[i + 2]] = [out[i + 2]!, out[i]!];
  return out;
}

/** `n` pseudo-random 4-byte pixels. */
function randomPixels(n: number, seed: number): Uint8Array {
  return xorshiftBytes(n * 4, seed);
}

/** A view of `bytes` copied to byte `offset` of a larger buffer filled with 0xEE. */
function at(bytes: Uint8Array, offset: number): Uint8Array {
  const slab = new Uint8Array(offset + bytes.byteLength + 5).fill(0xee);
  slab.set(bytes, offset);
  return slab.subarray(offset, offset + bytes.byteLength);
}

function same(a: Uint8Array | Uint8ClampedArray, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('swizzle', () => {
  describe('rgbaToBgra / bgraToRgba', () => {
    it('swaps red and blue of every pixel, leaving green and alpha', () => {
      const rgba = Uint8Array.from([1, 2, 3, 4, 0xff, 0x00, 0x80, 0x7f]);
      expect(Array.from(rgbaToBgra(rgba))).toEqual([3, 2, 1, 4, 0x80, 0x00, 0xff, 0x7f]);
      expect(Array.from(bgraToRgba(Uint8Array.from([3, 2, 1, 4])))).toEqual([1, 2, 3, 4]);
    });

    it('leaves the source untouched and returns a new array when dst is omitted', () => {
      const src = Uint8Array.from([1, 2, 3, 4]);
      const out = rgbaToBgra(src);
      expect(out).not.toBe(src);
      expect(Array.from(src)).toEqual([1, 2, 3, 4]);
    });

    it('returns dst and writes only its first src.byteLength bytes', () => {
      const dst = new Uint8Array(12).fill(9);
      expect(rgbaToBgra(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), dst)).toBe(dst);
      expect(Array.from(dst)).toEqual([3, 2, 1, 4, 7, 6, 5, 8, 9, 9, 9, 9]);
    });

    it('handles an empty buffer', () => {
      expect(rgbaToBgra(new Uint8Array(0)).byteLength).toBe(0);
    });

    for (const [srcOffset, dstOffset] of [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
      [0, 1],
      [0, 3],
      [1, 1],
      [3, 2],
      [4, 8],
    ] as const) {
      it(`matches the byte-wise reference, src at byte ${srcOffset}, dst at byte ${dstOffset}`, () => {
        const pixels = randomPixels(1023, srcOffset * 10 + dstOffset + 1);
        const src = at(pixels, srcOffset);
        const dst = at(new Uint8Array(pixels.byteLength), dstOffset);
        const dstSlab = new Uint8Array(dst.buffer);
        rgbaToBgra(src, dst);
        expect(same(dst, reference(pixels))).toBe(true);
        expect(same(src, pixels)).toBe(true);
        // Nothing written outside dst.
        expect(dstSlab.subarray(0, dstOffset).every((b) => b === 0xee)).toBe(true);
        expect(dstSlab.subarray(dstOffset + pixels.byteLength).every((b) => b === 0xee)).toBe(true);
      });
    }

    for (const offset of [0, 1, 2, 3]) {
      it(`works in place (dst === src) at byte ${offset}`, () => {
        const pixels = randomPixels(777, offset + 50);
        const view = at(pixels, offset);
        expect(bgraToRgba(view, view)).toBe(view);
        expect(same(view, reference(pixels))).toBe(true);
        bgraToRgba(view, view);
        expect(same(view, pixels)).toBe(true);
      });
    }

    it('reads and writes Uint8ClampedArray (ImageData.data)', () => {
      const pixels = randomPixels(100, 7);
      const clamped = new Uint8ClampedArray(pixels);
      const out = bgraToRgba(pixels, new Uint8ClampedArray(pixels.byteLength));
      expect(out).toBeInstanceOf(Uint8ClampedArray);
      expect(same(out, reference(pixels))).toBe(true);
      expect(same(rgbaToBgra(clamped), reference(pixels))).toBe(true);
    });

    for (const [width, height] of [
      [640, 480],
      [1280, 720],
      [1920, 1080],
    ] as const) {
      it(`round-trips ${width}×${height} and matches the reference`, () => {
        const pixels = randomPixels(width * height, width);
        const bgra = rgbaToBgra(pixels);
        expect(same(bgra, reference(pixels))).toBe(true);
        expect(same(bgraToRgba(bgra), pixels)).toBe(true);
        // unaligned source, the other path
        const back = bgraToRgba(at(bgra, 1));
        expect(same(back, pixels)).toBe(true);
      });
    }

    it('rejects a length that is not a multiple of 4', () => {
      expect(() => rgbaToBgra(new Uint8Array(6))).toThrow(new RangeError('pixel buffer length not a multiple of 4 [bytes:6]'));
    });

    it('rejects a destination that is too small', () => {
      expect(() => rgbaToBgra(new Uint8Array(8), new Uint8Array(4))).toThrow(
        new RangeError('destination too small [bytes:4, needed:8]'),
      );
    });
  });

  describe('32-bit lanes, both byte orders', () => {
    // Pixel bytes R G B A as the two byte orders read them into one u32.
    const pixels: [number, number, number, number][] = [
      [0x11, 0x22, 0x33, 0x44],
      [0xff, 0x00, 0x80, 0x01],
      [0x80, 0xff, 0x7f, 0xfe],
      [0x00, 0x00, 0xff, 0xff],
    ];
    const le = ([r, g, b, a]: number[]) => ((a! << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
    const be = ([r, g, b, a]: number[]) => ((r! << 24) | (g! << 16) | (b! << 8) | a!) >>> 0;

    it('little-endian lanes swap bytes 0 and 2 of memory', () => {
      const s = Uint32Array.from(pixels.map(le));
      const d = new Uint32Array(s.length);
      swapLanesLE(s, d);
      expect(Array.from(d)).toEqual(pixels.map(([r, g, b, a]) => le([b, g, r, a])));
    });

    it('big-endian lanes swap bytes 0 and 2 of memory', () => {
      const s = Uint32Array.from(pixels.map(be));
      const d = new Uint32Array(s.length);
      swapLanesBE(s, d);
      expect(Array.from(d)).toEqual(pixels.map(([r, g, b, a]) => be([b, g, r, a])));
    });

    it('both work in place', () => {
      const s = Uint32Array.from(pixels.map(be));
      swapLanesBE(s, s);
      swapLanesBE(s, s);
      expect(Array.from(s)).toEqual(pixels.map(be));
      const t = Uint32Array.from(pixels.map(le));
      swapLanesLE(t, t);
      expect(Array.from(t)).toEqual(pixels.map(([r, g, b, a]) => le([b, g, r, a])));
    });
  });
});

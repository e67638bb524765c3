import { describe, expect, it } from 'vitest';
import { readF64, readU16, readU32, writeF64, writeU16, writeU32 } from './big-endian.ts';
import { mulberry32 } from './test-support/prng.ts';

describe('big-endian field access', () => {
  it('writes the documented byte order', () => {
    const bytes = new Uint8Array(14);
    writeU16(bytes, 0, 0x4657); // "FW"
    writeU32(bytes, 2, 0x01020304);
    writeF64(bytes, 6, 1700000000123.25); // the worked example of docs/protocol.md
    expect(Array.from(bytes)).toEqual([0x46, 0x57, 1, 2, 3, 4, 0x42, 0x78, 0xbc, 0xfe, 0x56, 0x87, 0xb4, 0x00]);
    expect(readU16(bytes, 0)).toBe(0x4657);
    expect(readU32(bytes, 2)).toBe(0x01020304);
    expect(readF64(bytes, 6)).toBe(1700000000123.25);
  });

  it('reads u32 values with the top bit set as unsigned', () => {
    expect(readU32(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0xffffffff);
    expect(readU32(Uint8Array.from([0x80, 0, 0, 0]), 0)).toBe(0x80000000);
  });

  it('writes only the low bits of a value', () => {
    const bytes = new Uint8Array(6);
    writeU16(bytes, 0, 0x12345);
    writeU32(bytes, 2, 2 ** 32 + 7);
    expect(Array.from(bytes)).toEqual([0x23, 0x45, 0, 0, 0, 7]);
  });

  it('agrees with DataView (big-endian) on random values at every offset of a view with a byteOffset', () => {
    const random = mulberry32(7);
    const slab = new Uint8Array(64);
    const bytes = slab.subarray(5, 45);
    const view = new DataView(slab.buffer, 5, 40);
    const specials = [0, -0, 1, -1, 0.5, Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity, 1763740000123.456, 2 ** -1074 * 3];
    for (let i = 0; i < 5000; i++) {
      const offset = Math.floor(random() * 32);
      const u16 = Math.floor(random() * 0x10000);
      const u32 = Math.floor(random() * 0x100000000);
      const f64 = i < specials.length ? specials[i]! : (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      writeU16(bytes, offset, u16);
      expect(view.getUint16(offset, false)).toBe(u16);
      writeU32(bytes, offset, u32);
      expect(view.getUint32(offset, false)).toBe(u32);
      expect(readU16(bytes, offset)).toBe(view.getUint16(offset, false));
      writeF64(bytes, offset, f64);
      expect(Object.is(view.getFloat64(offset, false), f64)).toBe(true);
      view.setFloat64(offset, -f64, false);
      expect(Object.is(readF64(bytes, offset), -f64)).toBe(true);
      view.setUint32(offset, u32 ^ 0x80000001, false);
      expect(readU32(bytes, offset)).toBe((u32 ^ 0x80000001) >>> 0);
    }
    expect(Number.isNaN(readF64(Uint8Array.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]), 0))).toBe(true);
  });
});

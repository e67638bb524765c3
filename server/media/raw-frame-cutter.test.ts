import { describe, expect, it } from 'vitest';
import { RawFrameCutter } from './raw-frame-cutter.ts';

function bytes(from: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (from + i) & 0xff);
}

describe('RawFrameCutter', () => {
  it('rejects a non-positive frame size', () => {
    expect(() => new RawFrameCutter(0)).toThrow(TypeError);
  });

  describe('whole input', () => {
    it('cuts a chunk of two frames into two zero-copy views', () => {
      const cutter = new RawFrameCutter(4);
      const chunk = bytes(0, 8);
      const frames = cutter.push(chunk);
      expect(frames.map((f) => [...f])).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
      expect(frames[0]!.buffer).toBe(chunk.buffer);
      expect(cutter.bufferedBytes).toBe(0);
    });
  });

  describe('split input', () => {
    it('reassembles frames from chunks of every size', () => {
      const stream = bytes(0, 12 * 5);
      for (let size = 1; size <= 13; size++) {
        const cutter = new RawFrameCutter(12);
        const out: number[][] = [];
        for (let pos = 0; pos < stream.byteLength; pos += size) {
          for (const frame of cutter.push(stream.slice(pos, pos + size))) out.push([...frame]);
        }
        expect(out).toHaveLength(5);
        expect(out.flat()).toEqual([...stream]);
        expect(cutter.bufferedBytes).toBe(0);
      }
    });

    it('holds a partial frame until the rest arrives', () => {
      const cutter = new RawFrameCutter(6);
      expect(cutter.push(bytes(0, 4))).toEqual([]);
      expect(cutter.bufferedBytes).toBe(4);
      const frames = cutter.push(bytes(4, 9));
      expect(frames.map((f) => [...f])).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]);
      expect(cutter.bufferedBytes).toBe(1);
    });
  });
});

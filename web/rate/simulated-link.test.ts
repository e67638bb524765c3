import { describe, expect, it } from 'vitest';
import { FrameSizeModel } from './frame-size-model.ts';
import { resolutionLadder } from './resolution-ladder.ts';
import { SimulatedLink } from './simulated-link.ts';

describe('SimulatedLink', () => {
  it('serializes at the rate, FIFO, then adds the propagation delay', () => {
    const link = new SimulatedLink({ rateBps: 1e6, propagationMs: 20 });
    expect(link.send(12_500, 0)).toBe(120); // 100 ms on the wire + 20
    expect(link.send(12_500, 50)).toBe(220); // waits 50 ms behind the first
    expect(link.send(1250, 1000)).toBe(1030);
  });

  it('changes rate in steps, mid-frame too', () => {
    const link = new SimulatedLink({ rateBps: [{ atMs: 0, bps: 1e6 }, { atMs: 50, bps: 2e6 }], propagationMs: 0 });
    // 50 ms at 1 Mbit/s carry 50 000 bits; the other 50 000 take 25 ms at 2 Mbit/s.
    expect(link.send(12_500, 0)).toBe(75);
    expect(link.rateAt(49)).toBe(1e6);
    expect(link.rateAt(50)).toBe(2e6);
  });

  it('drops at the tail past a byte or a time limit', () => {
    const bytes = new SimulatedLink({ rateBps: 1e6, queueLimitBytes: 20_000 });
    expect(bytes.send(12_500, 0)).not.toBeNull();
    expect(bytes.send(12_500, 1)).toBeNull();
    expect(bytes.dropped).toBe(1);
    const time = new SimulatedLink({ rateBps: 1e6, queueLimitMs: 50 });
    expect(time.send(12_500, 0)).not.toBeNull();
    expect(time.send(100, 10)).toBeNull(); // would wait 90 ms
    expect(time.send(100, 60)).not.toBeNull(); // 40 ms
  });

  it('rejects bad options and out-of-order sends', () => {
    expect(() => new SimulatedLink({ rateBps: 0 })).toThrow(TypeError);
    expect(() => new SimulatedLink({ rateBps: [{ atMs: 5, bps: 1e6 }] })).toThrow(/start at atMs 0/);
    expect(() => new SimulatedLink({ rateBps: [{ atMs: 0, bps: 1e6 }, { atMs: 0, bps: 2e6 }] })).toThrow(/time order/);
    expect(() => new SimulatedLink({ rateBps: 1e6, propagationMs: -1 })).toThrow(/propagationMs/);
    const link = new SimulatedLink({ rateBps: 1e6 });
    link.send(10, 100);
    expect(() => link.send(10, 50)).toThrow(RangeError);
  });
});

describe('FrameSizeModel', () => {
  it('learns a content twice as complex as its prior within a few frames, at every quality', () => {
    const prior = new FrameSizeModel();
    const doubled = (q: number): number => 640 + 640 * 480 * 2 * prior.bytesPerPixel(q);
    const model = new FrameSizeModel();
    for (let i = 0; i < 15; i++) model.observe(doubled(50), 640, 480, 50);
    for (const q of [30, 50, 70]) {
      expect(model.predict(640, 480, q) / doubled(q)).toBeGreaterThan(0.9);
      expect(model.predict(640, 480, q) / doubled(q)).toBeLessThan(1.1);
    }
  });

  it('picks the highest quality that fits, or null', () => {
    const model = new FrameSizeModel();
    const q = model.qualityFor(model.predict(320, 240, 55) + 1, 320, 240, 10, 70)!;
    expect(q).toBe(55);
    expect(model.qualityFor(100, 320, 240, 10, 70)).toBeNull();
  });

  it('rejects bad options and observations', () => {
    expect(() => new FrameSizeModel({ complexityGain: 0 })).toThrow(/complexityGain must be in \(0, 1\]/);
    expect(() => new FrameSizeModel({ headerBytes: -1 })).toThrow(/headerBytes/);
    expect(() => new FrameSizeModel().observe(100, 0, 10, 50)).toThrow(/bad observation/);
  });
});

describe('resolutionLadder', () => {
  it('steps from the ceiling to the floor, aspect kept, sides even', () => {
    expect(resolutionLadder({ width: 640, height: 480 }, { width: 160, height: 120 })).toEqual([
      { width: 640, height: 480 },
      { width: 480, height: 360 },
      { width: 320, height: 240 },
      { width: 240, height: 180 },
      { width: 160, height: 120 },
    ]);
    const wide = resolutionLadder({ width: 1280, height: 720 }, { width: 160, height: 120 });
    expect(wide.at(-1)).toEqual({ width: 214, height: 120 });
  });

  it('is the ceiling alone when the ceiling is below the floor', () => {
    expect(resolutionLadder({ width: 120, height: 90 }, { width: 160, height: 120 })).toEqual([{ width: 120, height: 90 }]);
  });
});

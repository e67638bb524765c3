import { describe, expect, it } from 'vitest';
import { STALE_SOURCE_MS, rmsLevel, sourceLevel } from './audio-level.ts';

describe('sourceLevel', () => {
  const epoch = 1_700_000_000_000;
  const perf = 5_000;

  it('gives the level of the freshest source', () => {
    const sources = [
      { timestamp: epoch - 900, audioLevel: 0.9 },
      { timestamp: epoch - 20, audioLevel: 0.25 },
    ];
    expect(sourceLevel(sources, epoch, perf)).toBe(0.25);
  });

  it('reads timestamps on either clock: epoch ms or performance.now() ms', () => {
    expect(sourceLevel([{ timestamp: perf - 20, audioLevel: 0.5 }], epoch, perf)).toBe(0.5);
    expect(sourceLevel([{ timestamp: perf - STALE_SOURCE_MS - 1, audioLevel: 0.5 }], epoch, perf)).toBe(0);
  });

  it('is 0 once the latest packet is stale (muted sender), null without any source', () => {
    expect(sourceLevel([{ timestamp: epoch - STALE_SOURCE_MS - 1, audioLevel: 0.5 }], epoch, perf)).toBe(0);
    expect(sourceLevel([{ timestamp: epoch - 10, audioLevel: 0.5 }], epoch, perf, 5)).toBe(0);
    expect(sourceLevel([], epoch, perf)).toBeNull();
  });

  it('treats a missing or out-of-range audioLevel as silence or full scale', () => {
    expect(sourceLevel([{ timestamp: epoch }], epoch, perf)).toBe(0);
    expect(sourceLevel([{ timestamp: epoch, audioLevel: 3 }], epoch, perf)).toBe(1);
    expect(sourceLevel([{ timestamp: epoch, audioLevel: Number.NaN }], epoch, perf)).toBe(0);
  });
});

describe('rmsLevel', () => {
  it('is 0.707 for a full-scale sine, half that at half amplitude, 0 for silence', () => {
    const sine = (amplitude: number): Float32Array => Float32Array.from({ length: 4800 }, (_, i) => amplitude * Math.sin((2 * Math.PI * 1000 * i) / 48_000));
    expect(rmsLevel(sine(1))).toBeCloseTo(Math.SQRT1_2, 3);
    expect(rmsLevel(sine(0.5))).toBeCloseTo(Math.SQRT1_2 / 2, 3);
    expect(rmsLevel(new Float32Array(128))).toBe(0);
    expect(rmsLevel(new Float32Array(0))).toBe(0);
  });
});

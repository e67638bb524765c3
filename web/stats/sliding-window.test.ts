import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './sliding-window.ts';

describe('SlidingWindow', () => {
  describe('percentile', () => {
    it('interpolates linearly between the closest ranks of the samples in the window', () => {
      const w = new SlidingWindow({ windowMs: 1000 });
      for (let i = 1; i <= 100; i++) w.add(i, i);
      // 1..100: p50 rank 0.5·99 = 49.5 → 50 + 0.5·1 = 50.5; p95 rank 94.05 → 95 + 0.05·1 = 95.05.
      expect(w.percentile(50, 100)).toBeCloseTo(50.5, 10);
      expect(w.percentile(95, 100)).toBeCloseTo(95.05, 10);
      expect(w.percentile(100, 100)).toBe(100);
      expect(w.percentile(0, 100)).toBe(1);
    });

    it('forgets samples older than the window', () => {
      const w = new SlidingWindow({ windowMs: 1000 });
      w.add(500, 0);
      w.add(10, 900);
      // sorted 10 500: p95 rank 0.95·1 = 0.95 → 10 + 0.95·490 = 475.5.
      expect(w.percentile(95, 900)).toBeCloseTo(475.5, 10);
      expect(w.percentile(95, 1500)).toBe(10);
      expect(w.percentile(50, 5000)).toBeNull();
    });
  });

  describe('rate', () => {
    it('counts events per second and decays when they stop', () => {
      const w = new SlidingWindow({ windowMs: 5000 });
      for (let t = 0; t <= 2000; t += 100) w.add(1000, t); // 10 per second, 1000 bytes each
      expect(w.rate(2000)).toBeCloseTo(10, 5);
      expect(w.rate(2000, true)).toBeCloseTo(10_000, 5);
      expect(w.rate(4000)).toBeCloseTo(5, 5);
      expect(w.rate(9000)).toBe(0);
    });

    it('is 0 with fewer than two samples', () => {
      const w = new SlidingWindow();
      expect(w.rate(0)).toBe(0);
      w.add(1, 0);
      expect(w.rate(10)).toBe(0);
    });
  });

  it('caps the number of samples', () => {
    const w = new SlidingWindow({ windowMs: 1e9, maxSamples: 3 });
    for (let i = 0; i < 10; i++) w.add(i, i);
    expect(w.count(10)).toBe(3);
    expect(w.percentile(0, 10)).toBe(7);
  });
});

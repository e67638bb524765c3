import { describe, expect, it } from 'vitest';
import { cdfPoints, percentile, percentileOfSorted, summarize } from './percentile.ts';

describe('percentile (linear interpolation between closest ranks)', () => {
  describe('percentile', () => {
    it('interpolates linearly between closest ranks', () => {
      // 1..100: rank for p50 is 49.5 → 50.5; p95 rank 94.05 → 95.05; p99 rank 98.01 → 99.01.
      const values = Array.from({ length: 100 }, (_, i) => 100 - i);
      expect(percentile(values, 50)).toBeCloseTo(50.5, 10);
      expect(percentile(values, 95)).toBeCloseTo(95.05, 10);
      expect(percentile(values, 99)).toBeCloseTo(99.01, 10);
      expect(percentile(values, 0)).toBe(1);
      expect(percentile(values, 100)).toBe(100);
    });

    it('makes p50 the median: the middle sample, or the mean of the middle two', () => {
      // n = 3: rank 0.5·2 = 1 → 2. n = 4: rank 0.5·3 = 1.5 → 2 + 0.5·(3 − 2) = 2.5.
      expect(percentile([3, 1, 2], 50)).toBe(2);
      expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    });

    it('matches NumPy on a small sample', () => {
      // numpy.percentile([15, 20, 35, 40, 50], [5, 30, 40, 95]) → [16, 23, 29, 48]:
      // ranks 0.2, 1.2, 1.6, 3.8 → 15 + 0.2·5, 20 + 0.2·15, 20 + 0.6·15, 40 + 0.8·10.
      const values = [50, 15, 40, 20, 35];
      expect([5, 30, 40, 95].map((p) => percentile(values, p))).toEqual([16, 23, 29, 48]);
    });

    it('takes typed arrays', () => {
      expect(percentile(Float64Array.of(10, 30, 20), 75)).toBe(25); // rank 1.5 → 20 + 0.5·10
    });

    it('does not reorder its input', () => {
      const values = [3, 1, 2];
      percentile(values, 50);
      expect(values).toEqual([3, 1, 2]);
    });

    it('is NaN for no samples and rejects p outside 0..100', () => {
      expect(percentileOfSorted([], 50)).toBeNaN();
      expect(() => percentile([1], 101)).toThrowError(RangeError);
      expect(() => percentile([1], -1)).toThrowError('percentile out of range [p:-1, min:0, max:100]');
    });
  });

  describe('summarize', () => {
    it('gives count, min, max, mean and the three percentiles', () => {
      // sorted 2 4 6 8: p95 rank 2.85 → 6 + 0.85·2 = 7.7; p99 rank 2.97 → 7.94.
      const s = summarize([4, 2, 8, 6]);
      expect({ count: s.count, min: s.min, max: s.max, mean: s.mean, p50: s.p50 }).toEqual({ count: 4, min: 2, max: 8, mean: 5, p50: 5 });
      expect(s.p95).toBeCloseTo(7.7, 10);
      expect(s.p99).toBeCloseTo(7.94, 10);
    });

    it('is all NaN with count 0 when empty', () => {
      const s = summarize([]);
      expect(s.count).toBe(0);
      expect(s.p50).toBeNaN();
      expect(s.mean).toBeNaN();
    });
  });

  describe('cdfPoints', () => {
    it('rises to 1 at the largest value', () => {
      expect(cdfPoints([30, 10, 20, 40])).toEqual([
        { value: 10, fraction: 0.25 },
        { value: 20, fraction: 0.5 },
        { value: 30, fraction: 0.75 },
        { value: 40, fraction: 1 },
      ]);
    });

    it('thins long inputs but keeps the last point', () => {
      const points = cdfPoints(Array.from({ length: 1001 }, (_, i) => i), 100);
      expect(points.length).toBeLessThanOrEqual(101);
      expect(points.at(-1)).toEqual({ value: 1000, fraction: 1 });
    });
  });
});

import { describe, expect, it } from 'vitest';
import { median, percentile, summarize } from './relay-stats.ts';

describe('relay-stats', () => {
  describe('percentile', () => {
    it('uses the nearest rank', () => {
      const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
      expect(percentile(values, 50)).toBe(50);
      expect(percentile(values, 99)).toBe(99);
      expect(percentile(values, 100)).toBe(100);
      expect(percentile(values, 0)).toBe(1);
      expect(percentile([7], 99)).toBe(7);
    });

    it('is NaN for no samples and rejects p outside 0..100', () => {
      expect(percentile([], 50)).toBeNaN();
      expect(() => percentile([1], 101)).toThrow(RangeError);
    });
  });

  describe('summarize', () => {
    it('gives p50, p99, max and count in one pass', () => {
      expect(summarize([3, 1, 2])).toEqual({ p50: 2, p99: 3, max: 3, count: 3 });
      expect(summarize([]).count).toBe(0);
    });
  });

  describe('median', () => {
    it('averages the middle pair and ignores non-finite values', () => {
      expect(median([5, 1, 3])).toBe(3);
      expect(median([4, 1, 3, 2])).toBe(2.5);
      expect(median([Number.NaN, 2])).toBe(2);
      expect(median([])).toBeNaN();
    });
  });
});

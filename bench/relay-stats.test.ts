import { describe, expect, it } from 'vitest';
import { percentile } from '../web/stats/percentile.ts';
import { median } from './relay-stats.ts';

describe('relay-stats', () => {
  describe('median', () => {
    it('averages the middle pair and ignores non-finite values', () => {
      expect(median([5, 1, 3])).toBe(3);
      expect(median([4, 1, 3, 2])).toBe(2.5);
      expect(median([Number.NaN, 2, Number.POSITIVE_INFINITY])).toBe(2);
      expect(median([])).toBeNaN();
      expect(median([Number.NaN])).toBeNaN();
    });

    it('is the p50 of the one percentile definition', () => {
      const repeats = [12.5, 9, 30, 11, 10.25, 14];
      expect(median(repeats)).toBe(percentile(repeats, 50));
    });
  });
});

import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  describe('delays', () => {
    it('doubles the step from the base up to the max, half fixed and half jittered', () => {
      const low = new Backoff({ baseMs: 500, maxMs: 4000, random: () => 0 });
      expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([250, 500, 1000, 2000, 2000, 2000]);
      const high = new Backoff({ baseMs: 500, maxMs: 4000, random: () => 0.999999 });
      const delays = [1, 2, 3, 4, 5].map(() => high.next());
      expect(delays.map(Math.round)).toEqual([500, 1000, 2000, 4000, 4000]);
    });

    it('spreads clients apart with real randomness', () => {
      const delays = Array.from({ length: 50 }, () => new Backoff().next());
      expect(new Set(delays).size).toBeGreaterThan(40);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
      expect(Math.max(...delays)).toBeLessThanOrEqual(500);
    });

    it('starts again from the base after reset()', () => {
      const b = new Backoff({ random: () => 0 });
      b.next();
      b.next();
      expect(b.attempt).toBe(2);
      b.reset();
      expect(b.attempt).toBe(0);
      expect(b.next()).toBe(250);
    });
  });

  describe('options', () => {
    it('rejects impossible combinations with a TypeError', () => {
      expect(() => new Backoff({ baseMs: 0 })).toThrow(TypeError);
      expect(() => new Backoff({ baseMs: 1000, maxMs: 10 })).toThrow(/baseMs <= maxMs/);
      expect(() => new Backoff({ factor: 0.5 })).toThrow(/factor/);
    });
  });
});

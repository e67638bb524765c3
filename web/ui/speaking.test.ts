import { describe, expect, it } from 'vitest';
import { clampLevel, meterFill, roundLevel, SPEAKING_HOLD_MS, SPEAKING_THRESHOLD, SpeakingDetector } from './speaking.ts';

describe('SpeakingDetector', () => {
  describe('threshold', () => {
    it('is silent at or below the threshold and speaking above it', () => {
      const d = new SpeakingDetector();
      expect(d.update(0, 0)).toBe(false);
      expect(d.update(SPEAKING_THRESHOLD, 100)).toBe(false);
      expect(d.update(0.081, 200)).toBe(true);
    });

    it('starts speaking on the first loud sample', () => {
      expect(new SpeakingDetector().update(0.5, 1000)).toBe(true);
    });
  });

  describe('hold', () => {
    it('stays speaking for holdMs after the last loud sample, then stops', () => {
      const d = new SpeakingDetector();
      expect(d.update(0.3, 1000)).toBe(true);
      expect(d.update(0.01, 1100)).toBe(true);
      expect(d.update(0.01, 1000 + SPEAKING_HOLD_MS)).toBe(true);
      expect(d.update(0.01, 1000 + SPEAKING_HOLD_MS + 1)).toBe(false);
    });

    it('restarts the hold on every loud sample', () => {
      const d = new SpeakingDetector({ holdMs: 100 });
      d.update(0.2, 0);
      d.update(0.2, 90);
      expect(d.update(0, 180)).toBe(true);
      expect(d.update(0, 191)).toBe(false);
    });

    it('stops at once when the audio goes away (null)', () => {
      const d = new SpeakingDetector();
      d.update(0.5, 0);
      expect(d.update(null, 10)).toBe(false);
      expect(d.update(0, 20)).toBe(false);
    });
  });

  describe('odd input', () => {
    it('treats NaN and negative levels as silence, and levels above 1 as 1', () => {
      const d = new SpeakingDetector();
      expect(d.update(Number.NaN, 0)).toBe(false);
      expect(d.update(-1, 1)).toBe(false);
      expect(d.update(7, 2)).toBe(true);
    });

    it('rejects an invalid threshold or hold with a TypeError', () => {
      expect(() => new SpeakingDetector({ threshold: 0 })).toThrow(TypeError);
      expect(() => new SpeakingDetector({ threshold: 1.5 })).toThrow(/threshold must be in \(0, 1\] \[threshold:1.5\]/);
      expect(() => new SpeakingDetector({ holdMs: -1 })).toThrow(/holdMs/);
      expect(() => new SpeakingDetector({ holdMs: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    });
  });
});

describe('level helpers', () => {
  it('clampLevel limits to 0..1', () => {
    expect([-0.5, 0, 0.4, 1, 2, Number.NaN].map(clampLevel)).toEqual([0, 0, 0.4, 1, 1, 0]);
  });

  it('roundLevel rounds to 2 decimals (data-level)', () => {
    expect([0.123, 0.125, 0.996, 0.004, 3].map(roundLevel)).toEqual([0.12, 0.13, 1, 0, 1]);
  });

  it('meterFill grows with the level, shows quiet speech and is full for loud', () => {
    expect(meterFill(0)).toBe(0);
    expect(meterFill(0.05)).toBeGreaterThan(0.25);
    expect(meterFill(0.05)).toBeLessThan(meterFill(0.2));
    expect(meterFill(0.6)).toBe(1);
    expect(meterFill(5)).toBe(1);
  });
});

/**
 * The jitter buffer in a deterministic simulation: a sender producing 20 ms frames of a
 * 440 Hz sine, a network adding transit, jitter, loss, bursts, reordering and clock drift,
 * and a receiver pulling 128-sample render quanta at 48 kHz.
 */
import { mulberry32 } from '../../../codec/test-support/prng.ts';
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitter-buffer.ts';
import { JitterEstimator } from './jitter-estimator.ts';

const RATE = 48000;
const FRAME = 960;
const QUANTUM = 128;

const random = mulberry32;

interface Network {
  /** Extra delay of frame k beyond the base transit, ms; null = lost. */
  delay(k: number, sentMs: number): number | null;
}

interface SimOptions {
  seconds: number;
  network: Network;
  /** Sender's audio clock rate relative to the receiver's (1.005: the sender produces 0.5 % faster). Default 1. */
  drift?: number;
  baseTransitMs?: number;
}

interface Sim {
  buffer: JitterBuffer;
  out: Float32Array;
  /** Level and target sampled every 100 ms: [t, levelMs, targetMs]. */
  trace: [number, number, number][];
}

function simulate(options: SimOptions): Sim {
  const buffer = new JitterBuffer({ sampleRate: RATE });
  const drift = options.drift ?? 1;
  const base = options.baseTransitMs ?? 30;
  const frames = Math.floor((options.seconds * 1000) / 20);
  const arrivals: { at: number; capture: number; samples: Float32Array }[] = [];
  for (let k = 0; k < frames; k++) {
    const samples = new Float32Array(FRAME);
    for (let i = 0; i < FRAME; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (k * FRAME + i)) / RATE);
    const capture = 1_700_000_000_000 + k * 20; // the sender's clock
    const sentMs = (k * 20) / drift + 20; // receiver clock: the frame is complete 20 ms after its first sample
    const extra = options.network.delay(k, sentMs);
    if (extra === null) continue;
    arrivals.push({ at: sentMs + base + extra, capture, samples });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const quanta = Math.floor((options.seconds * RATE) / QUANTUM);
  const out = new Float32Array(quanta * QUANTUM);
  const trace: [number, number, number][] = [];
  let next = 0;
  for (let q = 0; q < quanta; q++) {
    const now = (q * QUANTUM * 1000) / RATE;
    while (next < arrivals.length && arrivals[next]!.at <= now) {
      const a = arrivals[next++]!;
      buffer.push(a.capture, a.samples, a.at);
    }
    buffer.pull(out.subarray(q * QUANTUM, (q + 1) * QUANTUM), now);
    if (q % 38 === 0) {
      const s = buffer.stats();
      trace.push([now, s.levelMs, s.targetMs]);
    }
  }
  return { buffer, out, trace };
}

/** Largest sample-to-sample step of the output (a click is a big step; the sine's own is 0.029). */
function largestStep(out: Float32Array, fromSample = 0): number {
  let max = 0;
  for (let i = fromSample + 1; i < out.length; i++) max = Math.max(max, Math.abs(out[i]! - out[i - 1]!));
  return max;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const after = (trace: [number, number, number][], ms: number) => trace.filter(([t]) => t >= ms);

describe('JitterBuffer', () => {
  describe('a clean network', () => {
    it('keeps the 20 ms minimum target, loses nothing and converges on it', () => {
      const { buffer, trace, out } = simulate({ seconds: 10, network: { delay: () => 0 } });
      const s = buffer.stats();
      expect(s.targetMs).toBe(20);
      expect(s.late).toBe(0);
      expect(s.lost).toBe(0);
      expect(Math.abs(median(after(trace, 2000).map(([, level]) => level)) - 20)).toBeLessThan(4);
      expect(largestStep(out, RATE)).toBeLessThan(0.05);
    });
  });

  describe('arrival jitter', () => {
    it.each([
      { jitter: 30, min: 25, max: 50 },
      { jitter: 60, min: 45, max: 80 },
      { jitter: 120, min: 100, max: 140 },
    ])('uniform 0–$jitter ms: the target follows it ($min–$max ms), late frames stay rare, the level converges', ({ jitter, min, max }) => {
      const rand = random(jitter);
      const { buffer, trace } = simulate({ seconds: 20, network: { delay: () => rand() * jitter } });
      const s = buffer.stats();
      console.log(`[jitter 0–${jitter} ms] target ${s.targetMs.toFixed(1)} ms, jitter ${s.jitterMs.toFixed(1)}, level ${s.levelMs.toFixed(1)}, late ${s.late}, lost ${s.lost}, rewound ${s.rewound}, speed-ups ${s.speedUps}, slow-downs ${s.slowDowns}, skips ${s.skips}`);
      expect(s.targetMs).toBeGreaterThanOrEqual(min);
      expect(s.targetMs).toBeLessThanOrEqual(max);
      expect(s.late).toBeLessThan(0.05 * s.packets);
      const level = median(after(trace, 10_000).map(([, l, target]) => l - target));
      expect(Math.abs(level)).toBeLessThan(10);
    });

    it('clamps the target at 200 ms when the jitter is larger', () => {
      const rand = random(7);
      const { buffer } = simulate({ seconds: 10, network: { delay: () => rand() * 400 } });
      expect(buffer.stats().targetMs).toBe(200);
    });

    it('plays reordered frames in capture order (no loss when the target covers the jitter)', () => {
      // Every pair swapped: frame 2k+1 arrives 5 ms before 2k.
      const { buffer, out } = simulate({ seconds: 10, network: { delay: (k) => (k % 2 === 0 ? 25 : 0) } });
      const s = buffer.stats();
      expect(s.lost).toBe(0);
      expect(s.late).toBe(0);
      expect(largestStep(out, RATE)).toBeLessThan(0.05);
    });
  });

  describe('loss', () => {
    it('conceals 10 % random loss without clicks and counts it', () => {
      const rand = random(42);
      const { buffer, out } = simulate({ seconds: 20, network: { delay: () => (rand() < 0.1 ? null : 0) } });
      const s = buffer.stats();
      console.log(`[loss 10 %] lost ${s.lost} of ${s.packets + s.lost}, concealed ${s.concealedMs.toFixed(0)} ms`);
      expect(s.lost).toBeGreaterThan(0.07 * 1000);
      expect(s.lost).toBeLessThan(0.13 * 1000);
      expect(s.concealedMs).toBeCloseTo(s.lost * 20, -1);
      expect(largestStep(out, RATE)).toBeLessThan(0.08);
    });

    it('drops and counts a frame arriving after its playout point', () => {
      const { buffer } = simulate({ seconds: 5, network: { delay: (k) => (k === 100 ? 300 : 0) } });
      const s = buffer.stats();
      expect(s.late).toBe(1);
      expect(s.lost).toBe(1);
    });

    it('steps back for a late frame while it is still concealing (adds delay instead of losing audio)', () => {
      // From frame 100 on, everything takes 60 ms longer: the first late frame finds the output concealing.
      const { buffer } = simulate({ seconds: 5, network: { delay: (k) => (k >= 100 ? 60 : 0) } });
      const s = buffer.stats();
      expect(s.rewound).toBeGreaterThanOrEqual(1);
      expect(s.late).toBeLessThanOrEqual(1);
      expect(s.targetMs).toBeGreaterThan(20);
    });
  });

  describe('bursts', () => {
    it('raises the target for bursty arrivals and lowers it again when they stop', () => {
      // For 10 s, 100 ms of frames are held back and delivered together once a second; then a clean path.
      const { trace } = simulate({
        seconds: 30,
        network: { delay: (k, sent) => (sent < 10_000 ? ((k * 20) % 1000 < 100 ? 100 - ((k * 20) % 1000) : 0) : 0) },
      });
      const during = median(trace.filter(([t]) => t > 5000 && t < 10_000).map(([, , target]) => target));
      const late = trace.at(-1)![2];
      console.log(`[bursts] target during ${during.toFixed(1)} ms, 20 s later ${late.toFixed(1)} ms`);
      // 10 % of the frames come 20–100 ms late: the 95th percentile covers all but the worst.
      expect(during).toBeGreaterThanOrEqual(50);
      expect(during).toBeLessThanOrEqual(110);
      expect(late).toBeLessThan(30);
    });
  });

  describe('clock drift', () => {
    it.each([{ drift: 1.005 }, { drift: 0.995 }])('sender clock ×$drift: time-stretching keeps the level on target', ({ drift }) => {
      const rand = random(3);
      const { buffer, trace, out } = simulate({ seconds: 40, drift, network: { delay: () => rand() * 10 } });
      const s = buffer.stats();
      console.log(`[drift ×${drift}] level ${s.levelMs.toFixed(1)} target ${s.targetMs.toFixed(1)}, speed-ups ${s.speedUps}, slow-downs ${s.slowDowns}, skips ${s.skips}, late ${s.late}, lost ${s.lost}, rewound ${s.rewound}, concealed ${s.concealedMs.toFixed(1)} ms, jumps ${s.jumps}`);
      const errors = after(trace, 10_000).map(([, l, target]) => Math.abs(l - target));
      expect(Math.max(...errors)).toBeLessThan(15);
      if (drift > 1) expect(s.speedUps + s.skips).toBeGreaterThan(10);
      // A slow sender drains the buffer: slowed down, or (NOTE: most of it today, see the report)
      // stepped back to frames that came a few samples late, concealing the sliver in between.
      else expect(s.slowDowns + s.rewound).toBeGreaterThan(10);
      expect(s.lost).toBeLessThan(10);
      expect(largestStep(out, RATE)).toBeLessThan(0.08);
    });
  });
});

describe('JitterEstimator', () => {
  it('rejects bad options with a TypeError', () => {
    expect(() => new JitterEstimator({ minTargetMs: 50, maxTargetMs: 20 })).toThrow(TypeError);
    expect(() => new JitterEstimator({ windowFrames: 1 })).toThrow(TypeError);
  });

  it('measures the excess over the fastest transit', () => {
    const estimator = new JitterEstimator({ percentile: 1, marginMs: 0 });
    for (let k = 0; k < 100; k++) estimator.add(50 + (k % 10) * 5, k * 20);
    expect(estimator.baselineMs).toBe(50);
    expect(estimator.jitterMs).toBe(45);
    expect(estimator.targetMs).toBe(45);
  });
});

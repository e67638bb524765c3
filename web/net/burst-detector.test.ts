/**
 * `BurstDetector` on a deterministic simulation: a relay sending frames (seeded jitter), and
 * paths between it and us — smooth, thin (a FIFO bottleneck), a proxy flushing on a timer,
 * a proxy flushing when its buffer fills, and a single TCP stall.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 as random } from '../../codec/test-support/prng.ts';
import { BurstDetector, type BurstDetectorOptions } from './burst-detector.ts';

/** The relay's clock minus ours, ms (the detector must undo it). */
const OFFSET = 51_234.5;

/** A frame leaving the relay: when (our clock, ms) and how big (bytes). */
interface Sent {
  at: number;
  bytes: number;
}

/** `sources` senders at `fps` each for `seconds`, send times jittered by ±`jitterMs`, in send order. */
function relayFrames(options: { fps: number; seconds: number; sources?: number; bytes?: number; jitterMs?: number; seed?: number }): Sent[] {
  const rnd = random(options.seed ?? 1);
  const out: Sent[] = [];
  for (let s = 0; s < (options.sources ?? 1); s++) {
    const phase = rnd() * (1000 / options.fps);
    for (let i = 0; i < options.fps * options.seconds; i++) {
      out.push({ at: 1000 + phase + (i * 1000) / options.fps + (rnd() * 2 - 1) * (options.jitterMs ?? 3), bytes: options.bytes ?? 20_000 });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A path: when each frame (in send order) arrives, on our clock. */
type Path = (frames: Sent[]) => number[];

const smooth =
  (baseMs: number, jitterMs: number, seed = 2): Path =>
  (frames) => {
    const rnd = random(seed);
    let last = -Infinity;
    // TCP keeps order: an arrival is never before the previous one.
    return frames.map((f) => (last = Math.max(last, f.at + baseMs + rnd() * jitterMs)));
  };

/** A bottleneck of `bitsPerSecond` with a FIFO queue before it, then `propagationMs`. */
const thin =
  (bitsPerSecond: number, propagationMs: number): Path =>
  (frames) => {
    let free = -Infinity;
    return frames.map((f) => {
      const start = Math.max(free, f.at);
      free = start + (f.bytes * 8 * 1000) / bitsPerSecond;
      return free + propagationMs;
    });
  };

/** A proxy that lets out everything it holds every `everyMs` (then a fast hop: 0.05 ms per record). */
const timedFlush =
  (everyMs: number, baseMs = 10): Path =>
  (frames) => {
    let last = -Infinity;
    return frames.map((f) => {
      const flush = Math.ceil((f.at + baseMs) / everyMs) * everyMs;
      return (last = Math.max(last + 0.05, flush));
    });
  };

/** A proxy that holds the body until `bufferBytes` are in, then lets all of it out. */
const sizeFlush =
  (bufferBytes: number, baseMs = 10): Path =>
  (frames) => {
    const out: number[] = [];
    let held: number[] = [];
    let heldBytes = 0;
    for (const [i, f] of frames.entries()) {
      held.push(i);
      heldBytes += f.bytes;
      if (heldBytes >= bufferBytes) {
        for (const [k, j] of held.entries()) out[j] = f.at + baseMs + k * 0.05;
        held = [];
        heldBytes = 0;
      }
    }
    for (const j of held) out[j] = Infinity; // never let out
    return out;
  };

/** Smooth, but frames sent in [stallAt, stallAt + stallMs) arrive together at its end (one retransmission timeout). */
const oneStall =
  (stallAt: number, stallMs: number): Path =>
  (frames) =>
    smooth(15, 4)(frames).map((arrival, i) => {
      const sent = frames[i]!.at;
      return sent >= stallAt && sent < stallAt + stallMs ? stallAt + stallMs + 15 + i * 0.01 : arrival;
    });

/** Feeds the frames through `path` into a detector; the arrival time of the verdict, or null. */
function run(frames: Sent[], path: Path, options?: BurstDetectorOptions): { detectedAt: number | null; detector: BurstDetector } {
  const detector = new BurstDetector(options);
  const arrivals = path(frames);
  const order = frames.map((f, i) => ({ relayTime: f.at + OFFSET, arrival: arrivals[i]! })).filter((r) => Number.isFinite(r.arrival));
  order.sort((a, b) => a.arrival - b.arrival);
  for (const r of order) if (detector.add(r.arrival, r.relayTime, OFFSET)) return { detectedAt: r.arrival, detector };
  return { detectedAt: null, detector };
}

describe('BurstDetector', () => {
  describe('a stream nobody buffers', () => {
    it('stays quiet on a smooth 30 fps stream', () => {
      expect(run(relayFrames({ fps: 30, seconds: 60 }), smooth(20, 8)).detectedAt).toBeNull();
    });

    it('stays quiet on three senders interleaved (frames arrive ~11 ms apart)', () => {
      expect(run(relayFrames({ fps: 30, seconds: 60, sources: 3 }), smooth(40, 15)).detectedAt).toBeNull();
    });

    it('stays quiet on a thin link whose queue grows by seconds (slow but smooth)', () => {
      // 20 KB frames at 15 fps = 2.4 Mbit/s into 1 Mbit/s: the delay grows without bound.
      const { detectedAt, detector } = run(relayFrames({ fps: 15, seconds: 30 }), thin(1_000_000, 30));
      expect(detectedAt).toBeNull();
      expect(detector.bursts).toBe(0);
    });

    it('stays quiet on a thin link carrying small frames from several senders', () => {
      expect(run(relayFrames({ fps: 30, seconds: 30, sources: 4, bytes: 3000 }), thin(1_000_000, 80)).detectedAt).toBeNull();
    });

    it('stays quiet after one stall of 600 ms (a retransmission), though it is a burst', () => {
      const { detectedAt, detector } = run(relayFrames({ fps: 30, seconds: 20 }), oneStall(5000, 600));
      expect(detectedAt).toBeNull();
      expect(detector.bursts).toBe(0); // forgotten: the window has moved on
    });

    it('stays quiet under a proxy holding 64 kB of a fast stream (lumps of ~150 ms)', () => {
      expect(run(relayFrames({ fps: 30, seconds: 30, bytes: 20_000 }), sizeFlush(64_000)).detectedAt).toBeNull();
    });
  });

  describe('a buffered stream', () => {
    it('is found under a proxy flushing every second, within 4 s', () => {
      const { detectedAt } = run(relayFrames({ fps: 15, seconds: 30 }), timedFlush(1000));
      expect(detectedAt).not.toBeNull();
      expect(detectedAt! - 1000).toBeLessThan(4000);
    });

    it('is found under a proxy flushing every 500 ms with three senders', () => {
      expect(run(relayFrames({ fps: 30, seconds: 30, sources: 3 }), timedFlush(500)).detectedAt).not.toBeNull();
    });

    it('is found under a proxy holding 64 kB of a slow stream (5 kB frames at 5 fps: lumps of 2.6 s)', () => {
      const { detectedAt } = run(relayFrames({ fps: 5, seconds: 30, bytes: 5000 }), sizeFlush(64_000));
      expect(detectedAt).not.toBeNull();
      expect(detectedAt! - 1000).toBeLessThan(10_000);
    });

    it('keeps its verdict until reset', () => {
      const { detector } = run(relayFrames({ fps: 15, seconds: 10 }), timedFlush(1000));
      expect(detector.buffered).toBe(true);
      expect(detector.add(99_999, 99_999 + OFFSET, OFFSET)).toBe(true);
      detector.reset();
      expect(detector.buffered).toBe(false);
      expect(detector.bursts).toBe(0);
    });
  });

  describe('thresholds', () => {
    it('needs the swing: bursts whose delay ranges less than minSwingMs are no verdict', () => {
      const bursty = run(relayFrames({ fps: 15, seconds: 30 }), timedFlush(1000), { minSwingMs: 2000 });
      expect(bursty.detectedAt).toBeNull();
      expect(bursty.detector.bursts).toBeGreaterThanOrEqual(3);
    });

    it('needs minBursts distinct bursts: one lump of records is counted once', () => {
      const d = new BurstDetector({ minBursts: 2, minSwingMs: 0 });
      for (let i = 0; i < 20; i++) d.add(5000 + i * 0.5, 1000 + i * 50 + OFFSET, OFFSET);
      expect(d.bursts).toBe(1);
      expect(d.buffered).toBe(false);
    });

    it('rejects options that cannot work with a TypeError', () => {
      expect(() => new BurstDetector({ burstArrivalMs: 20_000 })).toThrow(TypeError);
      expect(() => new BurstDetector({ minBurstRecords: 1 })).toThrow(/minBurstRecords >= 2/);
      expect(() => new BurstDetector({ minBursts: 0 })).toThrow(TypeError);
    });

    it('ignores samples that are not numbers', () => {
      const d = new BurstDetector();
      expect(d.add(Number.NaN, 1, 0)).toBe(false);
      expect(d.add(1, Number.POSITIVE_INFINITY, 0)).toBe(false);
      expect(d.bursts).toBe(0);
    });
  });
});

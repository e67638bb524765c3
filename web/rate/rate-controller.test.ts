import { describe, expect, it } from 'vitest';
import { AUDIO_FRAME_TIME_MS, RateController, type Ceilings } from './rate-controller.ts';
import { SimulatedLink, type RateStep } from './simulated-link.ts';
import { simulateCall, summarizeCall, type TickRecord } from './simulated-call.ts';

const VGA: Ceilings = { width: 640, height: 480, fps: 30, quality: 70 };

/** A call through a link of `rate` (20 ms each way), the controller at `ceilings`. */
function call(rate: number | RateStep[], durationMs: number, ceilings: Ceilings = VGA): TickRecord[] {
  return simulateCall({ link: new SimulatedLink({ rateBps: rate }), durationMs, controller: new RateController({ ceilings }) });
}

describe('RateController', () => {
  describe('on a simulated 1 Mbit/s link (640×480@30 q70 ceilings)', () => {
    const records = call(1e6, 60_000);
    const warm = summarizeCall(records, 3000, 60_000);

    it('keeps p95 glass-to-glass delay ≤ 250 ms after a 3 s warm-up', () => {
      expect(warm.delay.p95).toBeLessThanOrEqual(250);
      expect(warm.lost).toBe(0);
    });

    it('delivers ≥ 10 fps', () => {
      expect(warm.fps).toBeGreaterThanOrEqual(10);
    });

    it('shows no upward trend (last 20 s vs the middle)', () => {
      const middle = summarizeCall(records, 20_000, 40_000);
      const last = summarizeCall(records, 40_000, 60_000);
      expect(last.delay.p50).toBeLessThanOrEqual(middle.delay.p50 * 1.2 + 10);
      expect(last.delay.p95).toBeLessThanOrEqual(middle.delay.p95 * 1.2 + 10);
    });

    it('does not oscillate: at most 2 resolution changes per 10 s', () => {
      for (let from = 10_000; from < 60_000; from += 10_000) {
        expect(summarizeCall(records, from, from + 10_000).resolutionChanges).toBeLessThanOrEqual(2);
      }
    });

    it('says what the link carries and what it chose', () => {
      const sent = records.filter((r) => r.sent).at(-1)!;
      expect(sent.reason).toMatch(/^link ≈ \d+(\.\d)? (k|M)bit\/s: \d+×\d+ q\d+ \d+ fps/);
      const paced = records.filter((r) => !r.sent).at(-1)!;
      expect(paced.reason).toMatch(/^(pacing|skipped): /);
    });
  });

  it('with sound on the connection, keeps each picture within 50 ms of the link (1 Mbit/s): an audio frame never waits longer behind one', () => {
    const plain = summarizeCall(call(1e6, 30_000), 5000, 30_000);
    const controller = new RateController({ ceilings: VGA });
    controller.setFrameTimeCap(AUDIO_FRAME_TIME_MS);
    const records = simulateCall({ link: new SimulatedLink({ rateBps: 1e6 }), durationMs: 30_000, controller });
    const capped = summarizeCall(records, 5000, 30_000);
    const sent = records.filter((r) => r.sent && r.at >= 5000);
    // 50 ms of 1 Mbit/s is 6250 bytes: allow the size model's noise (±15 %) and the header.
    const over = sent.filter((r) => r.bytes > 6250 * 1.2 + 640);
    expect(over.length / sent.length).toBeLessThan(0.05);
    expect(plain.meanBytes).toBeGreaterThan(capped.meanBytes * 1.3); // without the cap pictures are bigger
    expect(capped.fps).toBeGreaterThanOrEqual(10);
    expect(capped.delay.p95).toBeLessThanOrEqual(plain.delay.p95 + 10);
    expect(() => controller.setFrameTimeCap(0)).toThrow(TypeError);
  });

  it('gives a higher quality and a larger picture at 4 Mbit/s than at 1 Mbit/s', () => {
    const slow = summarizeCall(call(1e6, 30_000), 10_000, 30_000);
    const fast = summarizeCall(call(4e6, 30_000), 10_000, 30_000);
    expect(fast.meanQuality).toBeGreaterThan(slow.meanQuality);
    expect(fast.meanWidth * fast.meanHeight).toBeGreaterThan(1.5 * slow.meanWidth * slow.meanHeight);
    expect(fast.delay.p95).toBeLessThanOrEqual(250);
  });

  describe('a step 8 → 1 → 8 Mbit/s', () => {
    const records = call(
      [
        { atMs: 0, bps: 8e6 },
        { atMs: 20_000, bps: 1e6 },
        { atMs: 40_000, bps: 8e6 },
      ],
      60_000,
    );

    it('is back under 250 ms within 2 s of the drop', () => {
      const after = summarizeCall(records, 22_000, 40_000);
      expect(after.delay.max).toBeLessThan(250);
    });

    it('climbs back in quality within 10 s of the rise', () => {
      const low = summarizeCall(records, 30_000, 40_000);
      const climbed = summarizeCall(records, 48_000, 50_000);
      expect(climbed.meanQuality).toBeGreaterThanOrEqual(low.meanQuality);
      expect(climbed.meanBytes * climbed.fps).toBeGreaterThan(3 * low.meanBytes * low.fps);
      expect(climbed.meanWidth).toBe(640);
    });
  });

  it('reaches the ceilings on a fast link (640×480, q70, 30 fps)', () => {
    const records = call(100e6, 20_000);
    const end = summarizeCall(records, 15_000, 20_000);
    expect(end.meanWidth).toBe(640);
    expect(end.meanHeight).toBe(480);
    expect(end.meanQuality).toBe(70);
    expect(end.fps).toBeGreaterThanOrEqual(29);
    expect(records.at(-1)!.reason).toMatch(/640×480 q70 30 fps \(as set\)$/);
  });

  it('returns to the settings at once after an outage of a link far faster than they need (loopback, LAN)', () => {
    // 100 Mbit/s, then 4 s of almost nothing, then 100 Mbit/s again.
    const records = call(
      [
        { atMs: 0, bps: 100e6 },
        { atMs: 10_000, bps: 10e3 },
        { atMs: 14_000, bps: 100e6 },
      ],
      20_000,
    );
    // Within a second of the link's return (without the fast return: quality climbs 10 steps/s for 5 s).
    const back = summarizeCall(records, 15_000, 16_000);
    expect(back.meanWidth).toBe(640);
    expect(back.meanQuality).toBe(70);
    expect(back.fps).toBeGreaterThanOrEqual(29);
  });

  it('holds the floor on a 100 kbit/s link: 160×120, ≥ 5 fps', () => {
    const s = summarizeCall(call(100e3, 30_000), 5000, 30_000);
    expect(s.meanWidth).toBe(160);
    expect(s.meanHeight).toBe(120);
    expect(s.fps).toBeGreaterThanOrEqual(5);
    expect(s.delay.p95).toBeLessThanOrEqual(250);
  });

  it('skips, and says why, when even the floor does not fit (20 kbit/s)', () => {
    const records = call(20e3, 30_000);
    const s = summarizeCall(records, 10_000, 30_000);
    expect(s.meanWidth).toBe(160);
    expect(s.fps).toBeLessThan(5);
    expect(s.fps).toBeGreaterThan(1);
    // Bounded: about one floor frame (1 KB = 400 ms at 20 kbit/s) ahead of each frame, not a growing queue.
    expect(s.delay.max).toBeLessThan(1500);
    expect(records.some((r) => r.at > 10_000 && /^skipped: link ≈ 20 kbit\/s is still busy/.test(r.reason))).toBe(true);
  });

  it('shrinks BGRA on 4 Mbit/s and says why', () => {
    const records = call(4e6, 20_000, { ...VGA, codec: 'bgra' });
    const s = summarizeCall(records, 5000, 20_000);
    expect(s.meanWidth).toBe(160);
    expect(s.fps).toBeGreaterThanOrEqual(4);
    expect(s.delay.p95).toBeLessThanOrEqual(250);
    const sent = records.filter((r) => r.sent).at(-1)!;
    expect(sent.codec).toBe('bgra');
    expect(sent.bytes).toBe(640 + 160 * 120 * 4);
    expect(sent.reason).toMatch(/160×120 BGRA \d+ fps; BGRA is uncompressed \(640×480 is 1229\.4 KB a frame\)/);
  });

  describe('options', () => {
    it.each([
      [{ targetDelayMs: 0 }, /targetDelayMs must be a finite number > 0/],
      [{ decreaseFactor: 1 }, /decreaseFactor must be in \(0, 1\)/],
      [{ floorQuality: 0 }, /floorQuality must be an integer in 1\.\.100/],
      [{ goodQuality: 5, floorQuality: 10 }, /goodQuality must be >= floorQuality/],
      [{ preferredFps: 2 }, /preferredFps must be >= floorFps/],
      [{ resolutionMargin: 1 }, /resolutionMargin must be in \[0, 1\)/],
      [{ startBps: Number.NaN }, /startBps must be a finite number > 0/],
      [{ ceilings: { ...VGA, width: 0 } }, /ceiling width must be an integer in 1\.\.65535/],
      [{ ceilings: { ...VGA, quality: 101 } }, /ceiling quality must be an integer in 1\.\.100/],
      [{ ceilings: { ...VGA, codec: 'vp8' as 'jpeg' } }, /ceiling codec must be jpeg or bgra/],
    ])('rejects %o', (options, message) => {
      expect(() => new RateController(options)).toThrow(TypeError);
      expect(() => new RateController(options)).toThrow(message);
    });

    it('never goes above ceilings set during the call', () => {
      const controller = new RateController();
      const link = new SimulatedLink({ rateBps: 100e6 });
      simulateCall({ link, durationMs: 5000, controller });
      controller.setCeilings({ width: 320, height: 240, fps: 10, quality: 50 });
      const plans = Array.from({ length: 60 }, (_, i) => controller.plan(5000 + i * 33.4));
      for (const p of plans) {
        expect(p.width).toBeLessThanOrEqual(320);
        expect(p.quality).toBeLessThanOrEqual(50);
        expect(p.fps).toBeLessThanOrEqual(10);
      }
      expect(plans.filter((p) => p.send).length).toBeLessThanOrEqual(8);
    });
  });
});

describe('the simulated call without a controller', () => {
  it('shows the delay growing (fixed 640×480 q70 30 fps on 1 Mbit/s): the harness can fail', () => {
    const records = simulateCall({ link: new SimulatedLink({ rateBps: 1e6 }), durationMs: 20_000 });
    const early = summarizeCall(records, 0, 5000);
    const late = summarizeCall(records, 15_000, 20_000);
    expect(late.delay.p50).toBeGreaterThan(early.delay.p50 + 10_000);
    expect(late.delay.p95).toBeGreaterThan(250);
  });
});

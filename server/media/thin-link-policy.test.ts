import { describe, expect, it } from 'vitest';
import { JpegSizeModel } from './jpeg-size-model.ts';
import { ThinLinkPolicy, type ThinLinkSample } from './thin-link-policy.ts';
import { planFor } from './thin-receiver.ts';

const TICK = 250;
/** A 30 fps source of 40 KB frames: 9.6 Mbit/s. */
const SOURCE = { sourceFps: 30, sourceBps: 30 * 40_000 * 8 };

/** Feeds `policy` one sample per tick from `from` (ms) for `ms`; returns the states. */
function feed(policy: ThinLinkPolicy, from: number, ms: number, sample: Omit<ThinLinkSample, 'now'>): ReturnType<ThinLinkPolicy['update']>[] {
  const out = [];
  for (let t = from; t < from + ms; t += TICK) out.push(policy.update({ now: t, ...sample }));
  return out;
}

/** The receiver acks everything (a fast path). */
const fastPath = { ...SOURCE, deliveredFps: 30, deliveredBps: SOURCE.sourceBps, droppedPerSecond: 0, queueDelayMs: 5 };
/** The receiver acks 3 of 30 frames (a 1 Mbit/s path with full-size frames). */
const thinPath = { ...SOURCE, deliveredFps: 3, deliveredBps: 1_000_000, droppedPerSecond: 27, queueDelayMs: 90 };

describe('ThinLinkPolicy', () => {
  describe('turning on', () => {
    it('never turns on for a receiver that gets every frame', () => {
      const policy = new ThinLinkPolicy();
      expect(feed(policy, 0, 30_000, fastPath).some((s) => s.active)).toBe(false);
    });

    it('turns on after one second of every sample under, not before, with the budget at 85 % of what was acked', () => {
      const policy = new ThinLinkPolicy();
      const states = feed(policy, 0, 1000, thinPath); // t = 0, 250, 500, 750
      expect(states.every((s) => !s.active)).toBe(true);
      const on = policy.update({ now: 1000, ...thinPath });
      expect(on).toEqual({ active: true, changed: true, budgetBps: 850_000 });
    });

    it('restarts the hold when one sample is fine (a burst of drops is not a thin path)', () => {
      const policy = new ThinLinkPolicy();
      feed(policy, 0, 750, thinPath);
      policy.update({ now: 750, ...fastPath });
      expect(feed(policy, 1000, 1000, thinPath).some((s) => s.active)).toBe(false); // 1000..1750: under for 750 ms only
      expect(policy.update({ now: 2000, ...thinPath }).active).toBe(true);
    });

    it('counts a low bitrate as under even when the frame count is fine (frames shrunk on the way are not)', () => {
      const policy = new ThinLinkPolicy();
      feed(policy, 0, 1000, { ...fastPath, deliveredBps: 0.5 * SOURCE.sourceBps });
      expect(policy.update({ now: 1000, ...fastPath, deliveredBps: 0.5 * SOURCE.sourceBps }).active).toBe(true);
    });

    it('does not judge a source that is paused', () => {
      const policy = new ThinLinkPolicy();
      expect(feed(policy, 0, 5000, { ...thinPath, sourceFps: 0.5 }).some((s) => s.active)).toBe(false);
    });
  });

  describe('while on', () => {
    /** A policy switched on at t = 1000 with a 850 kbit/s budget. */
    function switchedOn(): ThinLinkPolicy {
      const policy = new ThinLinkPolicy();
      feed(policy, 0, 1250, thinPath);
      expect(policy.active).toBe(true);
      return policy;
    }
    const fitting = { ...SOURCE, deliveredFps: 12, deliveredBps: 850_000, droppedPerSecond: 0, queueDelayMs: 20, planFps: 12 };

    it('cuts the budget at once when the queue grows', () => {
      const policy = switchedOn();
      const s = policy.update({ now: 1250, ...fitting, deliveredBps: 700_000, queueDelayMs: 300 });
      expect(s.budgetBps).toBeCloseTo(0.85 * 700_000);
    });

    it('cuts once per second at most while the queue drains (one congestion, one cut)', () => {
      const policy = switchedOn();
      const congested = { ...fitting, deliveredBps: 700_000, queueDelayMs: 300 };
      const states = feed(policy, 1250, 1000, congested); // 1250..2000
      expect(states.map((s) => s.budgetBps)).toEqual([595_000, 595_000, 595_000, 595_000]);
      expect(policy.update({ now: 2250, ...congested, deliveredBps: 595_000 }).budgetBps).toBeCloseTo(0.85 * 595_000);
    });

    it('climbs slowly while everything sent is acked, and never beyond 1.5 × what was acked', () => {
      const policy = switchedOn();
      const first = policy.update({ now: 1250, ...fitting }).budgetBps;
      expect(first).toBeCloseTo(850_000 * 1.05);
      const states = feed(policy, 1500, 10_000, fitting);
      expect(Math.max(...states.map((s) => s.budgetBps))).toBeLessThanOrEqual(1.5 * 850_000 + 1);
      expect(states.every((s) => s.active)).toBe(true); // 1.5 × 0.85 Mbit/s is far below the source's 9.6
    });

    it('holds while the path is full but the queue is fine', () => {
      const policy = switchedOn();
      const s = feed(policy, 1250, 2000, { ...fitting, deliveredFps: 8, queueDelayMs: 80 });
      expect(s.every((x) => x.budgetBps === 850_000)).toBe(true);
    });

    it('halves at most per cut, and never goes below the floor', () => {
      const policy = switchedOn();
      const s = feed(policy, 1250, 10_000, { ...fitting, deliveredFps: 0, deliveredBps: 0, queueDelayMs: 500 });
      expect(s[0]!.budgetBps).toBe(425_000);
      expect(s.at(-1)!.budgetBps).toBe(64_000);
    });
  });

  describe('turning off', () => {
    const atTop = { ...SOURCE, deliveredFps: 30, deliveredBps: 8_000_000, droppedPerSecond: 0, queueDelayMs: 10, planFps: 30, atTop: true };

    it('turns off after five seconds of every sample well above, not before', () => {
      const policy = new ThinLinkPolicy();
      feed(policy, 0, 1250, thinPath);
      const states = feed(policy, 1250, 5000, atTop); // 1250..6000: the hold starts at 1250
      expect(states.every((s) => s.active)).toBe(true);
      expect(policy.update({ now: 6250, ...atTop })).toEqual({ active: false, changed: true, budgetBps: 0 });
    });

    it('turns off once the budget is well above the source bitrate, even below the top of the ladder', () => {
      const policy = new ThinLinkPolicy();
      feed(policy, 0, 1250, { ...thinPath, deliveredBps: 14_000_000 }); // budget 11.9 Mbit/s ≥ 1.2 × 9.6
      const states = feed(policy, 1250, 6000, { ...atTop, atTop: false, deliveredBps: 12_000_000 });
      expect(states.at(-1)!.active).toBe(false);
    });

    it('doubles the off hold each time it has to turn on again soon after: no flapping', () => {
      const policy = new ThinLinkPolicy();
      let t = 0;
      const changes: number[] = [];
      // A path that carries the picture at the top of the ladder but not the originals: off tries the originals, on again.
      for (; t < 120_000; t += TICK) {
        const s = policy.update({ now: t, ...(policy.active ? atTop : thinPath) });
        if (s.changed) changes.push(t);
      }
      const offs = changes.filter((_, i) => i % 2 === 1);
      const gaps = offs.slice(1).map((at, i) => at - offs[i]!);
      expect(offs.length).toBeGreaterThanOrEqual(3);
      expect(offs.length).toBeLessThanOrEqual(5); // 5, 10, 20, 40 s holds: at most a handful in two minutes
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
      expect(policy.offHoldMs).toBeLessThanOrEqual(60_000);
    });
  });

  it('rejects bad thresholds with a TypeError', () => {
    expect(() => new ThinLinkPolicy({ onHoldMs: -1 })).toThrow(/onHoldMs must be a finite number/);
    expect(() => new ThinLinkPolicy({ increase: 0.9 })).toThrow(TypeError);
    expect(() => new ThinLinkPolicy({ offHoldMs: 10_000, maxOffHoldMs: 5000 })).toThrow(/maxOffHoldMs/);
  });
});

describe('planFor', () => {
  it('fits a 1 Mbit/s budget at 12 fps by shrinking the picture', () => {
    const model = new JpegSizeModel();
    model.seed(640, 480, 40_000);
    const plan = planFor(1_000_000, 30, 640, 480, model, 12);
    expect(plan.target.fps).toBe(12);
    expect(plan.target.width).toBeLessThan(640);
    expect(model.predict(plan.target.width, plan.target.height, plan.target.quality) * 8 * 12).toBeLessThanOrEqual(1_000_000);
    expect(plan.atTop).toBe(false);
  });

  it('sends more frames per second once the whole picture at top quality fits, up to the source’s', () => {
    const model = new JpegSizeModel();
    model.seed(640, 480, 20_000);
    const plan = planFor(50_000_000, 30, 640, 480, model, 12);
    expect(plan.target).toMatchObject({ width: 640, height: 480, quality: 70, fps: 30 });
    expect(plan.atTop).toBe(true);
  });

  it('never asks for more frames than the source sends', () => {
    const plan = planFor(1_000_000, 5, 640, 480, new JpegSizeModel(), 12);
    expect(plan.target.fps).toBe(5);
  });
});

describe('ThinLinkPolicy + planFor on a simulated link', () => {
  /**
   * A deterministic bottleneck of `capacity` bit/s in front of the receiver: what the plan
   * sends beyond it is dropped and queues (the relay's window keeps the queue near 100 ms).
   */
  function simulate(capacityAt: (t: number) => number, ms: number) {
    const policy = new ThinLinkPolicy();
    const model = new JpegSizeModel();
    model.seed(640, 480, 40_000);
    let plan: ReturnType<typeof planFor> | undefined;
    const trace: { t: number; active: boolean; sentBps: number; capacity: number; changed: boolean }[] = [];
    for (let t = 0; t < ms; t += TICK) {
      const capacity = capacityAt(t);
      const sentBps = plan === undefined ? SOURCE.sourceBps : plan.target.fps * model.predict(plan.target.width, plan.target.height, plan.target.quality) * 8;
      const sentFps = plan === undefined ? SOURCE.sourceFps : plan.target.fps;
      const share = Math.min(1, capacity / sentBps);
      const state = policy.update({
        now: t,
        ...SOURCE,
        deliveredFps: sentFps * share,
        deliveredBps: sentBps * share,
        droppedPerSecond: sentFps * (1 - share),
        queueDelayMs: share < 1 ? 100 : 10,
        atTop: plan?.atTop,
        planFps: plan?.target.fps,
      });
      plan = state.active ? planFor(state.budgetBps, SOURCE.sourceFps, 640, 480, model, 12) : undefined;
      trace.push({ t, active: state.active, sentBps, capacity, changed: state.changed });
    }
    return trace;
  }

  it('on a 1 Mbit/s path: on within about a second, then sends what fits, and stays on', () => {
    const trace = simulate(() => 1_000_000, 30_000);
    const onAt = trace.find((s) => s.active)!.t;
    expect(onAt).toBeLessThanOrEqual(1250);
    const settled = trace.filter((s) => s.t > onAt + 3000);
    expect(settled.every((s) => s.active)).toBe(true);
    expect(trace.filter((s) => s.changed)).toHaveLength(1);
    // What it sends stays within the link, mostly (a probe may overshoot by a step, then is cut).
    const over = settled.filter((s) => s.sentBps > 1.1 * s.capacity).length;
    expect(over / settled.length).toBeLessThan(0.2);
    expect(Math.min(...settled.map((s) => s.sentBps))).toBeGreaterThan(0.5 * 1_000_000);
  });

  it('after the path recovers (1 → 50 Mbit/s) it turns off once, and stays off', () => {
    const trace = simulate((t) => (t < 10_000 ? 1_000_000 : 50_000_000), 60_000);
    const changes = trace.filter((s) => s.changed);
    expect(changes.map((s) => s.active)).toEqual([true, false]);
    expect(changes[1]!.t).toBeGreaterThan(10_000 + 5000);
    expect(changes[1]!.t).toBeLessThan(10_000 + 30_000);
  });
});

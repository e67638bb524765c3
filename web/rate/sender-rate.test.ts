import { describe, expect, it } from 'vitest';
import { SenderRate } from './sender-rate.ts';

const CEILINGS = { width: 640, height: 480, fps: 30, quality: 70 };
/** Relay clock − local clock in these tests, ms. */
const OFFSET = 5_000;

describe('SenderRate', () => {
  it('is passive until the first delivery: no plan, no figures (frames go as before)', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    rate.onSent(0, 30_000, 0);
    expect(rate.active).toBe(false);
    expect(rate.plan(33)).toBeNull();
    expect(rate.figures()).toBeNull();
  });

  it('starts at the ceilings on the first delivery (nothing shrinks before the path says so)', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    for (let seq = 0; seq < 10; seq++) {
      rate.observe(30_000, 640, 480, 70);
      rate.onSent(seq, 30_000, seq * 33);
    }
    // The relay acks only some of the frames sent before it knew we want feedback: the
    // others must not count as overdue (no false congestion at the start).
    rate.onDelivery([[9, 9 * 33 + 10 + OFFSET]], undefined, OFFSET, 320);
    const plan = rate.plan(340)!;
    expect(plan).toMatchObject({ send: true, width: 640, height: 480, quality: 70, fps: 30 });
    expect(rate.figures()).toMatchObject({ queueDelayMs: 0, lost: 0, receiverCapBps: null });
  });

  it('forgets frames sent into a connection that is gone (a resumed session): they no longer hold the link busy', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    rate.onDelivery([], undefined, OFFSET, 0);
    // A 1 Mbit/s path: each 12.5 KB frame takes 100 ms.
    for (let seq = 0; seq < 5; seq++) {
      rate.observe(12_500, 640, 480, 70);
      rate.onSent(seq, 12_500, seq * 100);
      rate.onDelivery([[seq, seq * 100 + 100 + OFFSET]], [], OFFSET, seq * 100 + 110);
    }
    // The socket dies silently: a second of frames goes into it, none acked.
    for (let seq = 5; seq < 15; seq++) rate.onSent(seq, 12_500, 500 + (seq - 5) * 33);
    expect(rate.plan(900)!.send).toBe(false);
    rate.onConnectionReplaced();
    expect(rate.plan(910)!.send).toBe(true);
    expect(rate.figures()!.lost).toBe(0); // no congestion signal from the switch
  });

  it('converts relay-clock receive times with the clock offset', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    rate.onDelivery([], undefined, OFFSET, 900);
    rate.onSent(0, 30_000, 1000);
    // Received 10 ms after it was sent, on the relay clock: a 30 KB frame in 10 ms is ≥ 24 Mbit/s.
    rate.onDelivery([[0, 1010 + OFFSET]], [], OFFSET, 1020);
    expect(rate.figures()!.capacityBps).toBeGreaterThanOrEqual(24e6);
    expect(rate.figures()!.queueDelayMs).toBe(0);
  });

  it('caps the target at the fastest receiver when every receiver is congested, and says so', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    rate.onDelivery([], undefined, OFFSET, 0);
    rate.onSent(0, 30_000, 0);
    rate.onDelivery([[0, 10 + OFFSET]], [[2, 1e6, 400, 4, 20]], OFFSET, 20);
    rate.onDelivery([], [[2, 1e6, 400, 4, 20]], OFFSET, 520);
    expect(rate.figures()!.receiverCapBps).toBeCloseTo(0.85e6);
    expect(rate.receiverPath(2, 530)).toMatchObject({ goodputBps: 1e6, queueDelayMs: 400 });
    const plan = rate.plan(540)!;
    expect(plan.targetBps).toBeLessThanOrEqual(0.85e6);
    expect(plan.reason).toMatch(/fastest receiver takes ≈ 850 kbit\/s/);
    rate.forgetReceiver(2);
    expect(rate.receiverPath(2, 550)).toBeUndefined();
  });

  it('follows new ceilings (a smaller setting is never exceeded)', () => {
    const rate = new SenderRate({ ceilings: CEILINGS });
    rate.onDelivery([], undefined, 0, 0);
    rate.setCeilings({ width: 320, height: 240, fps: 15, quality: 50 });
    const plan = rate.plan(100)!;
    expect(plan.width).toBeLessThanOrEqual(320);
    expect(plan.quality).toBeLessThanOrEqual(50);
    expect(plan.fps).toBeLessThanOrEqual(15);
  });
});

describe('SenderRate on a fast link', () => {
  it('climbs back to a raised BGRA ceiling (the dead band never asks for more than the ceilings need)', () => {
    const rate = new SenderRate({ ceilings: { width: 320, height: 240, fps: 10, quality: 70, codec: 'bgra' } });
    rate.onDelivery([], undefined, 0, 0);
    rate.setCeilings({ width: 640, height: 480, fps: 10, quality: 70, codec: 'bgra' });
    let seq = 0;
    let last = rate.plan(0)!;
    // A 1 Gbit/s path, 1 ms away: every frame acked 50 ms later.
    for (let t = 100; t <= 10_000; t += 100) {
      last = rate.plan(t)!;
      if (!last.send) continue;
      const bytes = 40 + last.width * last.height * 4;
      rate.onSent(seq, bytes, t);
      rate.onDelivery([[seq, t + 1 + (bytes * 8) / 1e6]], undefined, 0, t + 50);
      seq++;
    }
    expect([last.width, last.height]).toEqual([640, 480]);
  });
});

import { describe, expect, it } from 'vitest';
import { localNow } from '../../web/net/clock-offset.ts';
import { RelayClock } from './relay-clock.ts';

describe('RelayClock', () => {
  it('is the local clock until a pong says otherwise', () => {
    const clock = new RelayClock(() => undefined);
    expect(clock.offset).toBe(0);
    expect(Math.abs(clock.now() - localNow())).toBeLessThan(5);
  });

  it('takes the min-RTT pong: a relay clock 500 ms ahead', () => {
    const clock = new RelayClock(() => undefined);
    const t = localNow();
    // A slow round trip with a misleading midpoint, then a fast one.
    expect(clock.onControl({ type: 'pong', t: t - 400, serverTime: t - 400 + 500 + 300 })).toBe(true);
    expect(clock.onControl({ type: 'pong', t: t - 2, serverTime: t - 1 + 500 })).toBe(true);
    expect(clock.offset).toBeGreaterThan(498);
    expect(clock.offset).toBeLessThan(502);
    expect(clock.rttMs).toBeLessThan(10);
    const p = performance.now();
    expect(clock.fromPerformance(p) - (performance.timeOrigin + p)).toBeCloseTo(clock.offset, 3);
  });

  it('an offset within half the round trip is no offset (one machine)', () => {
    const clock = new RelayClock(() => undefined);
    const t = localNow();
    clock.onControl({ type: 'pong', t: t - 4, serverTime: t - 1.5 });
    expect(clock.offset).toBe(0);
  });

  it('ignores other messages; pings through send; close() stops them', async () => {
    const sent: object[] = [];
    const clock = new RelayClock((msg) => sent.push(msg));
    expect(clock.onControl({ type: 'welcome' })).toBe(false);
    clock.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    clock.close();
    clock.close();
    const count = sent.length;
    expect(count).toBeGreaterThanOrEqual(2);
    expect(sent[0]).toMatchObject({ type: 'ping', t: expect.any(Number) });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(sent.length).toBe(count);
  });
});

import { describe, expect, it } from 'vitest';
import { AddressLimits } from './address-limits.ts';

function limits(now: { t: number }): AddressLimits {
  return new AddressLimits({ maxConnections: 2, joinsPerMinute: 60, joinBurst: 3, now: () => now.t });
}

describe('AddressLimits', () => {
  it('counts connections per key up to the limit, and frees them on release', () => {
    const clock = { t: 0 };
    const l = limits(clock);
    expect(l.acquire('a')).toBe(true);
    expect(l.acquire('a')).toBe(true);
    expect(l.acquire('a')).toBe(false);
    expect(l.acquire('b')).toBe(true); // another address is not affected
    expect(l.acquire('a', 3)).toBe(true); // a higher bound for this call (the gate's allowance)
    expect(l.connections('a')).toBe(3);
    l.release('a');
    l.release('a');
    l.release('a');
    l.release('a'); // one too many: ignored
    expect(l.connections('a')).toBe(0);
    expect(l.acquire('a')).toBe(true);
  });

  it('refills joins at joinsPerMinute up to the burst', () => {
    const clock = { t: 0 };
    const l = limits(clock);
    expect([l.takeJoin('a'), l.takeJoin('a'), l.takeJoin('a'), l.takeJoin('a')]).toEqual([true, true, true, false]);
    clock.t = 999;
    expect(l.takeJoin('a')).toBe(false);
    clock.t = 1000; // one per second at 60/min
    expect(l.takeJoin('a')).toBe(true);
    expect(l.takeJoin('a')).toBe(false);
    clock.t = 100_000;
    expect([l.takeJoin('a'), l.takeJoin('a'), l.takeJoin('a'), l.takeJoin('a')]).toEqual([true, true, true, false]);
  });

  it('forgets keys that hold nothing once their bucket is full again', () => {
    const clock = { t: 0 };
    const l = limits(clock);
    for (let i = 0; i < 1000; i++) l.takeJoin(`scan-${i}`);
    l.acquire('held');
    expect(l.size).toBe(1001);
    clock.t = 61_000;
    l.takeJoin('x'); // any use after a minute sweeps
    expect(l.size).toBe(2); // 'held' and 'x'
    l.release('held');
    expect(l.size).toBe(1);
  });

  it('refuses bad options', () => {
    expect(() => new AddressLimits({ maxConnections: 0, joinsPerMinute: 1, joinBurst: 1 })).toThrow(/maxConnections/);
    expect(() => new AddressLimits({ maxConnections: 1, joinsPerMinute: 0, joinBurst: 1 })).toThrow(/joinsPerMinute/);
    expect(() => new AddressLimits({ maxConnections: 1, joinsPerMinute: 1, joinBurst: 0.5 })).toThrow(/joinBurst/);
  });
});

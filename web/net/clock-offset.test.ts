import { describe, expect, it } from 'vitest';
import { ClockOffset, localNow } from './clock-offset.ts';

describe('ClockOffset', () => {
  it('estimates offset = serverTime − (t0 + rtt/2)', () => {
    const clock = new ClockOffset();
    // sent at 1000, relay stamped 6010 (its clock runs 5000 ahead), received at 1020: rtt 20.
    expect(clock.add(1000, 6010, 1020)).toEqual({ rtt: 20, offset: 5000 });
    expect(clock.offset).toBe(5000);
    expect(clock.toServer(2000)).toBe(7000);
  });

  it('keeps the minimum-RTT sample among the recent ones', () => {
    const clock = new ClockOffset({ samples: 3 });
    clock.add(0, 5030, 60); // rtt 60, offset 5000
    clock.add(100, 5104, 104); // rtt 4, offset 5002 — best
    clock.add(200, 5240, 280); // rtt 80, offset 5000
    expect(clock.best()).toEqual({ rtt: 4, offset: 5002 });
    clock.add(300, 5330, 360);
    clock.add(400, 5430, 460);
    clock.add(500, 5530, 560); // the rtt-4 sample has left the window
    expect(clock.best()?.rtt).toBe(60);
  });

  it('ignores impossible samples and reports unsynced until the first pong', () => {
    const clock = new ClockOffset();
    expect(clock.synced).toBe(false);
    expect(clock.offset).toBe(0);
    expect(clock.add(100, 5000, 90)).toBeUndefined();
    expect(clock.add(100, Number.NaN, 110)).toBeUndefined();
    expect(clock.synced).toBe(false);
    clock.add(100, 200, 110);
    expect(clock.synced).toBe(true);
    clock.reset();
    expect(clock.synced).toBe(false);
  });

  it('reads the local wall clock with sub-millisecond resolution', () => {
    const now = localNow();
    expect(Math.abs(now - Date.now())).toBeLessThan(50);
  });

  it('rejects a non-positive sample count', () => {
    expect(() => new ClockOffset({ samples: 0 })).toThrow(TypeError);
  });
});

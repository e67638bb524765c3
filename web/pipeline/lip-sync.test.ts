import { describe, expect, it } from 'vitest';
import { DelayLine, MAX_HELD, MAX_HOLD_MS, paintHoldMs, SYNC_TOLERANCE_MS } from './lip-sync.ts';

/** Timers driven by the test. */
function timers() {
  let now = 0;
  const pending: { at: number; callback: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => now,
    setTimer: (callback: () => void, ms: number) => {
      const id = next++;
      pending.push({ at: now + ms, callback, id });
      return id;
    },
    clearTimer: (handle: unknown) => {
      const i = pending.findIndex((p) => p.id === handle);
      if (i >= 0) pending.splice(i, 1);
    },
    advance(ms: number) {
      now += ms;
      for (const p of pending.filter((x) => x.at <= now).sort((a, b) => a.at - b.at)) {
        pending.splice(pending.indexOf(p), 1);
        p.callback();
      }
    },
  };
}

describe('lip sync', () => {
  it('holds a picture by how much later its sound is heard, within the tolerance and the cap', () => {
    expect(paintHoldMs(40, 120)).toBe(80);
    expect(paintHoldMs(40, 40 + SYNC_TOLERANCE_MS)).toBe(0); // close enough
    expect(paintHoldMs(120, 40)).toBe(0); // video later: nothing to hold
    expect(paintHoldMs(10, 900)).toBe(MAX_HOLD_MS);
    expect(paintHoldMs(40, null)).toBe(0); // no sound
    expect(paintHoldMs(Number.NaN, 100)).toBe(0);
  });

  it('hands frames on in order at their due times; a shorter hold waits for the frames ahead', () => {
    const t = timers();
    const out: string[] = [];
    const line = new DelayLine<string>({ release: (x) => out.push(x), drop: () => undefined, ...t });
    line.offer('a', 0);
    expect(out).toEqual(['a']); // nothing waiting, no hold: at once
    line.offer('b', 100); // due 100
    t.advance(33);
    line.offer('c', 100); // due 133: held too, not replacing b (at 30 fps every frame would be)
    t.advance(33);
    line.offer('d', 10); // due 76 → after c (133)
    expect(line.held).toBe(3);
    t.advance(33); // 99
    expect(out).toEqual(['a']);
    t.advance(1); // 100
    expect(out).toEqual(['a', 'b']);
    t.advance(33); // 133
    expect(out).toEqual(['a', 'b', 'c', 'd']);
    line.offer('e', 0);
    expect(out.at(-1)).toBe('e');
  });

  it(`holds at most ${MAX_HELD} frames (the oldest goes at once) and close drops the rest`, () => {
    const t = timers();
    const out: number[] = [];
    const dropped: number[] = [];
    const line = new DelayLine<number>({ release: (x) => out.push(x), drop: (x) => dropped.push(x), ...t });
    for (let i = 0; i < MAX_HELD + 2; i++) line.offer(i, 200);
    expect(out).toEqual([0, 1]);
    expect(line.held).toBe(MAX_HELD);
    line.close();
    line.offer(99, 0);
    t.advance(500);
    expect(out).toEqual([0, 1]);
    expect(dropped).toHaveLength(MAX_HELD + 1);
    line.close();
  });
});

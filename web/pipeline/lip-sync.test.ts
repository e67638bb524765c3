import { describe, expect, it } from 'vitest';
import { MAX_HOLD_MS, PaintHold, paintHoldMs, SYNC_TOLERANCE_MS } from './lip-sync.ts';

/** Timers driven by the test. */
function timers() {
  let now = 0;
  const pending: { at: number; callback: () => void; id: number }[] = [];
  let next = 1;
  return {
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

  it('paints now without a hold, after it with one, and a newer picture replaces a held one', () => {
    const t = timers();
    const painted: string[] = [];
    const dropped: string[] = [];
    const hold = new PaintHold<string>({ paint: (x) => painted.push(x), drop: (x) => dropped.push(x), ...t });
    hold.offer('a', 0);
    expect(painted).toEqual(['a']);
    hold.offer('b', 50);
    expect(hold.holding).toBe(true);
    t.advance(30);
    expect(painted).toEqual(['a']);
    hold.offer('c', 50); // b still held: replaced
    expect(dropped).toEqual(['b']);
    t.advance(49);
    expect(painted).toEqual(['a']);
    t.advance(1);
    expect(painted).toEqual(['a', 'c']);
    hold.offer('d', 20);
    hold.offer('e', 0); // a picture without a hold replaces the held one and is painted at once
    expect(painted).toEqual(['a', 'c', 'e']);
    expect(dropped).toEqual(['b', 'd']);
    t.advance(100);
    expect(painted).toEqual(['a', 'c', 'e']);
  });

  it('close drops the held picture and every later one', () => {
    const t = timers();
    const painted: string[] = [];
    const dropped: string[] = [];
    const hold = new PaintHold<string>({ paint: (x) => painted.push(x), drop: (x) => dropped.push(x), ...t });
    hold.offer('a', 40);
    hold.close();
    hold.offer('b', 0);
    t.advance(100);
    expect(painted).toEqual([]);
    expect(dropped).toEqual(['a', 'b']);
    hold.close();
  });
});

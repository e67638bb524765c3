import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdmissionPacer } from './admission-pacer.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('AdmissionPacer', () => {
  it('lets a burst through at once, then paces the rest in order at the rate, and refuses what would wait too long', () => {
    vi.useFakeTimers();
    const pacer = new AdmissionPacer({ perSecond: 10, burst: 3, maxWaitMs: 500, now: () => Date.now() });
    const went: number[] = [];
    const refused: number[] = [];
    for (let i = 0; i < 10; i++) pacer.schedule(() => went.push(i), () => refused.push(i));
    expect(went).toEqual([0, 1, 2]);
    // 100 ms per token: 3..7 wait 100..500 ms, 8 and 9 would wait longer.
    expect(refused).toEqual([8, 9]);
    expect(pacer.waiting).toBe(5);
    vi.advanceTimersByTime(100);
    expect(went).toEqual([0, 1, 2, 3]);
    vi.advanceTimersByTime(400);
    expect(went).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(pacer.waiting).toBe(0);
  });

  it('skips a cancelled wait without spending a token on it', () => {
    vi.useFakeTimers();
    const pacer = new AdmissionPacer({ perSecond: 10, burst: 1, maxWaitMs: 1000, now: () => Date.now() });
    const went: string[] = [];
    pacer.schedule(() => went.push('a'), () => undefined);
    const cancelB = pacer.schedule(() => went.push('b'), () => undefined);
    pacer.schedule(() => went.push('c'), () => undefined);
    cancelB();
    cancelB();
    expect(pacer.waiting).toBe(1);
    vi.advanceTimersByTime(100);
    expect(went).toEqual(['a', 'c']);
  });

  it('with maxWaitMs 0 refuses at once when the bucket is empty; close() lets waiting ones through and refuses new ones', () => {
    vi.useFakeTimers();
    const zero = new AdmissionPacer({ perSecond: 1, burst: 1, maxWaitMs: 0, now: () => Date.now() });
    const log: string[] = [];
    zero.schedule(() => log.push('go'), () => log.push('refused'));
    zero.schedule(() => log.push('go'), () => log.push('refused'));
    expect(log).toEqual(['go', 'refused']);
    const pacer = new AdmissionPacer({ perSecond: 1, burst: 1, maxWaitMs: 5000, now: () => Date.now() });
    pacer.schedule(() => log.push('a'), () => undefined);
    pacer.schedule(() => log.push('b'), () => undefined);
    pacer.close();
    pacer.schedule(() => log.push('c'), () => log.push('c refused'));
    expect(log.slice(2)).toEqual(['a', 'b', 'c refused']);
  });
});

import { describe, expect, it } from 'vitest';
import { ReceiverCap } from './receiver-cap.ts';

describe('ReceiverCap', () => {
  it('sets no cap while one receiver keeps up, however thin the others are', () => {
    const cap = new ReceiverCap();
    // receiver 2: fast, 5 ms queue; receiver 3: thin, 900 ms queue.
    expect(
      cap.update(
        [
          [2, 4e6, 5, 30, 0],
          [3, 1e6, 900, 4, 20],
        ],
        0,
      ),
    ).toBeNull();
    expect(cap.paths(0).map((p) => p.receiverId)).toEqual([2, 3]);
  });

  it('caps at 0.85 × the fastest goodput once every receiver is congested for 500 ms, lowering at most every 300 ms', () => {
    const cap = new ReceiverCap();
    const both = (a: number, b: number): [number, number, number, number, number][] => [
      [2, a, 120, 10, 5],
      [3, b, 300, 5, 10],
    ];
    // A spike is no reason: not yet after 400 ms.
    expect(cap.update(both(2e6, 1e6), 0)).toBeNull();
    expect(cap.update(both(2e6, 1e6), 400)).toBeNull();
    expect(cap.update(both(2e6, 1e6), 500)).toBeCloseTo(0.85 * 2e6);
    // 100 ms later, lower goodput: too soon for another cut.
    expect(cap.update(both(1e6, 1e6), 600)).toBeCloseTo(0.85 * 2e6);
    expect(cap.update(both(1e6, 1e6), 800)).toBeCloseTo(0.85 * 1e6);
    // Never raised while congested.
    expect(cap.update(both(3e6, 1e6), 1200)).toBeCloseTo(0.85 * 1e6);
  });

  it('holds the cap between the clear and congestion delays, lifts it below the clear delay', () => {
    const cap = new ReceiverCap({ sustainMs: 0 });
    cap.update([[2, 1e6, 150, 10, 3]], 0);
    expect(cap.update([[2, 1e6, 50, 10, 3]], 400)).toBeCloseTo(0.85e6);
    expect(cap.update([[2, 1e6, 20, 10, 0]], 800)).toBeNull();
  });

  it('a receiver that queues without dropping: one cut, no more while its queue drains, another if it does not', () => {
    const cap = new ReceiverCap({ sustainMs: 0 });
    // Its goodput is our rate: cut 15 % below it once.
    expect(cap.update([[2, 1e6, 300, 10, 0]], 0)).toBeCloseTo(0.85e6);
    // Draining (300 → 150 ms) at the lower rate: no second cut, so no spiral.
    expect(cap.update([[2, 0.85e6, 150, 10, 0]], 400)).toBeCloseTo(0.85e6);
    expect(cap.update([[2, 0.85e6, 100, 10, 0]], 800)).toBeCloseTo(0.85e6);
    // The queue stopped draining (100 → 95 ms is within 10 %): cut again.
    expect(cap.update([[2, 0.85e6, 95, 10, 0]], 1200)).toBeCloseTo(0.85 * 0.85e6);
  });

  it('forgets stale reports and receivers that left', () => {
    const cap = new ReceiverCap({ staleMs: 1000 });
    cap.update([[2, 1e6, 100, 10, 0]], 0);
    expect(cap.path(2, 500)?.goodputBps).toBe(1e6);
    expect(cap.path(2, 1500)).toBeUndefined();
    expect(cap.update([], 1500)).toBeNull();
    cap.update([[4, 1e6, 1, 10, 0]], 2000);
    cap.forget(4);
    expect(cap.paths(2000)).toEqual([]);
  });

  it('rejects bad options with a TypeError', () => {
    expect(() => new ReceiverCap({ decreaseFactor: 1 })).toThrow(/decreaseFactor must be in \(0, 1\) \[decreaseFactor:1\]/);
    expect(() => new ReceiverCap({ congestionDelayMs: 10, clearDelayMs: 20 })).toThrow(TypeError);
  });
});

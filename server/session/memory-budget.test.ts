import { describe, expect, it } from 'vitest';
import { LARGE_MESSAGE_BYTES, MemoryBudget } from './memory-budget.ts';

const holder = (name: string, bytes: number) => ({ name, bytes, heldBytes: () => bytes });

describe('MemoryBudget', () => {
  it('does nothing under the budget', () => {
    const evicted: string[] = [];
    const budget = new MemoryBudget<ReturnType<typeof holder>>({ budgetBytes: 1000, onEvict: (h) => evicted.push(h.name) });
    expect(budget.check([holder('a', 400), holder('b', 500)])).toEqual({ totalBytes: 900, evicted: 0 });
    expect(budget.overBudget).toBe(false);
    expect(budget.admitsMessage(LARGE_MESSAGE_BYTES + 1)).toBe(true);
  });

  it('over the budget closes the biggest holders first, down to the low-water mark, never the small ones', () => {
    const evicted: string[] = [];
    const budget = new MemoryBudget<ReturnType<typeof holder>>({ budgetBytes: 1000, lowWater: 0.8, onEvict: (h) => evicted.push(h.name) });
    const small = Array.from({ length: 20 }, (_, i) => holder(`honest${i}`, 10)); // 200 bytes in all
    const result = budget.check([...small, holder('hoarder1', 500), holder('hoarder2', 400), holder('hoarder3', 300)]);
    expect(result).toEqual({ totalBytes: 1400, evicted: 2 });
    expect(evicted).toEqual(['hoarder1', 'hoarder2']); // 1400 → 900 → 500 ≤ 800
    expect(budget.overBudget).toBe(true);
    expect(budget.heldBytes).toBe(500);
    expect(budget.admitsMessage(LARGE_MESSAGE_BYTES + 1)).toBe(false);
    expect(budget.admitsMessage(1000)).toBe(true); // small messages still go
    // The next check, under the budget again, lifts the refusal.
    budget.check([...small, holder('hoarder3', 300)]);
    expect(budget.overBudget).toBe(false);
    expect(budget.evictions).toBe(2);
  });

  it('rejects a bad budget or low-water mark', () => {
    expect(() => new MemoryBudget({ budgetBytes: 0, onEvict: () => undefined })).toThrow(TypeError);
    expect(() => new MemoryBudget({ budgetBytes: 10, lowWater: 1.5, onEvict: () => undefined })).toThrow(TypeError);
  });
});

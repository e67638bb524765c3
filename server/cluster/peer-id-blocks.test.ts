import { describe, expect, it } from 'vitest';
import { PeerIdBlocks, wrapPeerId } from './peer-id-blocks.ts';

describe('PeerIdBlocks', () => {
  it('hands out its blocks in order, fetches the next one early, and has none when the directory fails', async () => {
    let counter = 0;
    let fail = false;
    const reserve = async (size: number): Promise<number> => {
      if (fail) throw new Error('redis away');
      counter += size;
      return counter - size + 1;
    };
    const ids = new PeerIdBlocks(4, reserve);
    expect(ids.take()).toBeUndefined(); // nothing in hand before the first fill
    await ids.fill();
    expect([ids.take(), ids.take(), ids.take()]).toEqual([1, 2, 3]); // a quarter (1) left: no fetch yet
    expect(ids.take()).toBe(4); // 0 left: the next block is on its way
    await new Promise((r) => setImmediate(r));
    expect(ids.available).toBe(4);
    fail = true;
    expect([ids.take(), ids.take(), ids.take(), ids.take()]).toEqual([5, 6, 7, 8]);
    await new Promise((r) => setImmediate(r));
    expect(ids.take()).toBeUndefined(); // the refill failed: a join is refused rather than given a duplicate
    fail = false;
    await ids.fill();
    expect(ids.take()).toBe(9);
  });

  it('wraps ids at 2³² − 1, never 0', () => {
    expect(wrapPeerId(1)).toBe(1);
    expect(wrapPeerId(0xffffffff)).toBe(0xffffffff);
    expect(wrapPeerId(0xffffffff + 1)).toBe(1);
  });
});

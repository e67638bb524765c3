import { describe, expect, it } from 'vitest';
import { Room } from './room.ts';

describe('Room', () => {
  it('checks the secret set by the first joiner', () => {
    const open = new Room('open', 8, undefined);
    expect(open.checkSecret(undefined)).toBe(true);
    expect(open.checkSecret('anything')).toBe(true);
    const closed = new Room('closed', 8, 'pässword');
    expect(closed.hasSecret).toBe(true);
    expect(closed.checkSecret('pässword')).toBe(true);
    expect(closed.checkSecret('password')).toBe(false);
    expect(closed.checkSecret('')).toBe(false);
    expect(closed.checkSecret(undefined)).toBe(false);
  });

  it('is full at maxPeers', () => {
    const room = new Room<{ id: number }>('r', 2, undefined);
    const a = { id: 1 };
    room.add(a);
    room.add({ id: 2 });
    expect(room.isFull).toBe(true);
    expect(room.remove(a)).toBe(true);
    expect(room.remove(a)).toBe(false);
    expect(room.isFull).toBe(false);
  });
});

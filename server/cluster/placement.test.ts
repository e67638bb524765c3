import { describe, expect, it } from 'vitest';
import { judgeOwner, leastLoaded, type NodeLoad } from './placement.ts';

const node = (id: string, connections: number, rooms = 0, cpu = 0): NodeLoad => ({ id, url: `http://${id}`, connections, peers: connections, rooms: Array.from({ length: rooms }, (_, i) => [`r${i}`, 1] as [string, number]), cpu });

describe('placement', () => {
  it('picks the node with the fewest connections, then rooms, then CPU, then the id', () => {
    expect(leastLoaded([node('a', 5), node('b', 3), node('c', 4)])?.id).toBe('b');
    expect(leastLoaded([node('a', 3, 2), node('b', 3, 1)])?.id).toBe('b');
    expect(leastLoaded([node('a', 3, 1, 0.9), node('b', 3, 1, 0.2)])?.id).toBe('b');
    expect(leastLoaded([node('b', 3, 1, 0.2), node('a', 3, 1, 0.2)])?.id).toBe('a');
    expect(leastLoaded([])).toBeUndefined();
  });

  it('admits here, redirects to a live owner, and claims a free room or a dead owner’s', () => {
    const live = new Map([['a', node('a', 1)], ['b', node('b', 1)]]);
    expect(judgeOwner('a', 'a', live)).toEqual({ kind: 'here' });
    expect(judgeOwner('b', 'a', live)).toEqual({ kind: 'there', node: live.get('b') });
    expect(judgeOwner(null, 'a', live)).toEqual({ kind: 'claim', deadOwner: '' });
    expect(judgeOwner('gone', 'a', live)).toEqual({ kind: 'claim', deadOwner: 'gone' });
  });
});

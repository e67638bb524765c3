/**
 * Where a join goes, as pure decisions over what the directory said (no Redis here, so the
 * rules are unit-tested on their own): the room's owner if it is alive, else the least-loaded
 * live node, this one included.
 */
import type { NodeRecord } from './redis-directory.ts';

/** A node as placement sees it. */
export type NodeLoad = Pick<NodeRecord, 'id' | 'url' | 'connections' | 'peers' | 'rooms' | 'cpu'>;

/**
 * The least-loaded node: fewest connections, then fewest rooms, then the lowest CPU, then the
 * id (so every node picks the same one from the same figures). Undefined for none.
 */
export function leastLoaded<N extends NodeLoad>(nodes: Iterable<N>): N | undefined {
  let best: N | undefined;
  for (const n of nodes) {
    if (best === undefined || compareLoad(n, best) < 0) best = n;
  }
  return best;
}

function compareLoad(a: NodeLoad, b: NodeLoad): number {
  return a.connections - b.connections || a.rooms.length - b.rooms.length || a.cpu - b.cpu || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** What the owner lookup means for a join at node `self`. */
export type OwnerVerdict =
  /** This node owns the room: admit here. */
  | { kind: 'here' }
  /** A live node owns it: redirect there. */
  | { kind: 'there'; node: NodeLoad }
  /** Nobody owns it, or its owner is gone (`deadOwner`): claim it for the least-loaded node. */
  | { kind: 'claim'; deadOwner: string };

/** Reads the owner of a room against the live nodes. */
export function judgeOwner(owner: string | null, self: string, live: ReadonlyMap<string, NodeLoad>): OwnerVerdict {
  if (owner === self) return { kind: 'here' };
  if (owner === null) return { kind: 'claim', deadOwner: '' };
  const node = live.get(owner);
  return node === undefined ? { kind: 'claim', deadOwner: owner } : { kind: 'there', node };
}

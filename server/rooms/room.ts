/**
 * A room: the peers that see each other, and the room's optional secret (set by the first
 * joiner, compared in constant time). A room exists while it has peers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Digest of a secret; digests have a fixed length, so `timingSafeEqual` applies. */
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export class Room<P extends { readonly id: number }> {
  readonly name: string;
  readonly maxPeers: number;
  #secret: Buffer | undefined;
  #peers = new Map<number, P>();

  /** `secret` (if any) protects the room for every later joiner. */
  constructor(name: string, maxPeers: number, secret: string | undefined) {
    this.name = name;
    this.maxPeers = maxPeers;
    this.#secret = secret === undefined ? undefined : digest(secret);
  }

  /** True if the room has a secret. */
  get hasSecret(): boolean {
    return this.#secret !== undefined;
  }

  /** True if the room has no secret or `secret` matches it (constant-time compare). */
  checkSecret(secret: string | undefined): boolean {
    if (this.#secret === undefined) return true;
    // Always hash and compare, even when no secret was given, so timing tells nothing.
    const ok = timingSafeEqual(this.#secret, digest(secret ?? ''));
    return ok && secret !== undefined;
  }

  get size(): number {
    return this.#peers.size;
  }

  get isFull(): boolean {
    return this.#peers.size >= this.maxPeers;
  }

  add(peer: P): void {
    this.#peers.set(peer.id, peer);
  }

  /** Removes a peer; true if it was here. */
  remove(peer: P): boolean {
    return this.#peers.get(peer.id) === peer && this.#peers.delete(peer.id);
  }

  get(id: number): P | undefined {
    return this.#peers.get(id);
  }

  /** The peers, in join order. */
  peers(): IterableIterator<P> {
    return this.#peers.values();
  }
}

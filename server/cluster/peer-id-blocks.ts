/**
 * Peer ids unique across the cluster: a node takes blocks of ids from the directory's counter
 * and hands them out locally, so a join costs no Redis round trip for its id. The next block
 * is fetched when a quarter of the current one is left; while Redis is away the node goes on
 * with what it holds and only an empty pool refuses a join.
 */

/** Ids wrap like the relay's own counter: 1 .. 2³² − 1. */
const MAX_ID = 0xffffffff;

/** Maps the counter's n-th id (1-based, unbounded) onto 1 .. 2³² − 1. */
export function wrapPeerId(n: number): number {
  return ((n - 1) % MAX_ID) + 1;
}

export class PeerIdBlocks {
  readonly #size: number;
  readonly #reserve: (size: number) => Promise<number>;
  /** Blocks fetched and not used up, as [next, end) of the counter. */
  #blocks: Array<[next: number, end: number]> = [];
  #fetching: Promise<void> | undefined;

  /** `reserve(size)` returns the first id of a fresh block of `size` (the directory's counter). */
  constructor(size: number, reserve: (size: number) => Promise<number>) {
    this.#size = size;
    this.#reserve = reserve;
  }

  /** Ids left in hand. */
  get available(): number {
    return this.#blocks.reduce((sum, [next, end]) => sum + end - next, 0);
  }

  /** Fetches a block (resolves when it is in hand; rejects if the directory fails). */
  fill(): Promise<void> {
    this.#fetching ??= this.#reserve(this.#size)
      .then((first) => {
        this.#blocks.push([first, first + this.#size]);
      })
      .finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  /** The next id, or undefined if none is in hand (the directory was away too long). */
  take(): number | undefined {
    const block = this.#blocks[0];
    if (block === undefined) return undefined;
    const id = wrapPeerId(block[0]++);
    if (block[0] >= block[1]) this.#blocks.shift();
    if (this.available < this.#size / 4) this.fill().catch(() => undefined); // retried at the next take
    return id;
  }
}

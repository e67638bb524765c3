/**
 * ONE memory budget for the whole relay: the bytes it holds for clients — what each
 * connection has handed it and not yet finished (a partly received message), and what waits
 * to go out to it (its channel's buffer and its outbox queue) — summed over every connection
 * of every channel, checked on a timer. Over the budget, the biggest holders are closed, one
 * at a time, biggest first, until the total is back under the low-water mark: the peer that
 * makes the relay hold the most goes first, never an honest small one. While over the budget,
 * `overBudget` is true and channels refuse new large messages (they ask `admitsMessage`).
 *
 * Pure bookkeeping: who holds what is asked through `Holder.heldBytes()`, closing is the
 * caller's (`onEvict`).
 */

/** Something that makes the relay hold bytes. */
export interface Holder {
  /** Bytes the relay holds for it now. */
  heldBytes(): number;
}

/** Options of `MemoryBudget`. */
export interface MemoryBudgetOptions<H extends Holder> {
  /** The budget, bytes. Required (> 0). */
  budgetBytes: number;
  /** Once over, holders are closed until the total is under this fraction of the budget. Default `DEFAULT_LOW_WATER` (0.8). */
  lowWater?: number;
  /** Closes a holder (it stops holding: its bytes no longer count). */
  onEvict: (holder: H, heldBytes: number, totalBytes: number) => void;
}

export const DEFAULT_LOW_WATER = 0.8;
/** A message larger than this is refused while the relay is over its budget, bytes. */
export const LARGE_MESSAGE_BYTES = 64 * 1024;

/** What one check found. */
export interface BudgetCheck {
  /** Bytes held before any eviction. */
  totalBytes: number;
  /** Holders closed by this check. */
  evicted: number;
}

export class MemoryBudget<H extends Holder> {
  readonly budgetBytes: number;
  readonly #lowWater: number;
  readonly #onEvict: MemoryBudgetOptions<H>['onEvict'];
  #over = false;
  #lastTotal = 0;
  #evictions = 0;

  constructor(options: MemoryBudgetOptions<H>) {
    if (!(options.budgetBytes > 0)) throw new TypeError(`budgetBytes must be > 0 [budgetBytes:${options.budgetBytes}]`);
    const lowWater = options.lowWater ?? DEFAULT_LOW_WATER;
    if (!(lowWater > 0 && lowWater <= 1)) throw new TypeError(`lowWater must be in (0, 1] [lowWater:${lowWater}]`);
    this.budgetBytes = options.budgetBytes;
    this.#lowWater = lowWater;
    this.#onEvict = options.onEvict;
  }

  /** True since the last check found the total over the budget (until one finds it under). */
  get overBudget(): boolean {
    return this.#over;
  }

  /** Bytes held at the last check. */
  get heldBytes(): number {
    return this.#lastTotal;
  }

  /** Holders closed so far. */
  get evictions(): number {
    return this.#evictions;
  }

  /** May a message of `bytes` be taken now? False for a large one while over the budget. */
  admitsMessage(bytes: number): boolean {
    return !this.#over || bytes <= LARGE_MESSAGE_BYTES;
  }

  /** Sums what `holders` hold; over the budget, closes the biggest until under the low-water mark. `holders` is iterated again when over: a collection, not an iterator. */
  check(holders: Iterable<H>): BudgetCheck {
    // NOTE: summed without allocating (every 100 ms over every peer); holders are listed only when over.
    let total = 0;
    for (const holder of holders) total += holder.heldBytes();
    const totalBytes = total;
    let evicted = 0;
    if (total > this.budgetBytes) {
      const held: { holder: H; bytes: number }[] = [];
      for (const holder of holders) {
        const bytes = holder.heldBytes();
        if (bytes > 0) held.push({ holder, bytes });
      }
      held.sort((a, b) => b.bytes - a.bytes);
      const target = this.budgetBytes * this.#lowWater;
      for (const { holder, bytes } of held) {
        if (total <= target) break;
        this.#onEvict(holder, bytes, total);
        total -= bytes;
        evicted++;
      }
    }
    this.#evictions += evicted;
    this.#over = totalBytes > this.budgetBytes;
    this.#lastTotal = total;
    return { totalBytes, evicted };
  }
}

/**
 * Per-address budgets (keys from `limitKey`: an IPv4 address or an IPv6 /64): how many
 * connections an address holds (half-open sockets, connections waiting for admission, open
 * WebSockets and HTTP sessions), and a token bucket of joins per minute. Entries that hold
 * nothing and have a full bucket are forgotten (swept at most once a minute), so a scan of
 * many addresses costs memory only while their buckets refill. Pure: the clock is injected.
 */

/** Open connections per address before the next is refused `too-many-connections`. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 20;
/** Joins (WebSocket upgrades, HTTP sessions) per address per minute, refilled continuously. */
export const DEFAULT_JOINS_PER_IP_PER_MINUTE = 60;
/** Joins an address may make at once before the rate applies. */
export const DEFAULT_JOIN_BURST_PER_IP = 10;
/** How often forgotten entries are swept, ms. */
const SWEEP_MS = 60_000;

/** Options of `AddressLimits`. */
export interface AddressLimitsOptions {
  /** Connections per key. Required. */
  maxConnections: number;
  /** Joins per key per minute. Required. */
  joinsPerMinute: number;
  /** Join burst per key. Required. */
  joinBurst: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  now?: () => number;
}

interface Entry {
  connections: number;
  tokens: number;
  /** When `tokens` was last brought up to date, ms. */
  at: number;
}

export class AddressLimits {
  readonly maxConnections: number;
  readonly joinsPerMinute: number;
  readonly joinBurst: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #sweptAt: number;

  constructor(options: AddressLimitsOptions) {
    const { maxConnections, joinsPerMinute, joinBurst } = options;
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new TypeError(`maxConnections must be an integer >= 1 [maxConnections:${maxConnections}]`);
    if (!(joinsPerMinute > 0) || !Number.isFinite(joinsPerMinute)) throw new TypeError(`joinsPerMinute must be a positive number [joinsPerMinute:${joinsPerMinute}]`);
    if (!Number.isInteger(joinBurst) || joinBurst < 1) throw new TypeError(`joinBurst must be an integer >= 1 [joinBurst:${joinBurst}]`);
    this.maxConnections = maxConnections;
    this.joinsPerMinute = joinsPerMinute;
    this.joinBurst = joinBurst;
    this.#now = options.now ?? (() => performance.now());
    this.#sweptAt = this.#now();
  }

  /** Keys currently remembered (holding connections or refilling). */
  get size(): number {
    return this.#entries.size;
  }

  /** Connections `key` holds. */
  connections(key: string): number {
    return this.#entries.get(key)?.connections ?? 0;
  }

  /** Counts one more connection of `key` if it holds fewer than `max` (default `maxConnections`); false (nothing counted) if not. */
  acquire(key: string, max = this.maxConnections): boolean {
    const entry = this.#entry(key);
    if (entry.connections >= max) return false;
    entry.connections++;
    return true;
  }

  /** One connection of `key` ended (call once per successful `acquire`). */
  release(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.connections === 0) return;
    entry.connections--;
    if (entry.connections === 0 && this.#refill(entry) >= this.joinBurst) this.#entries.delete(key);
  }

  /** Takes one join token of `key`; false if its bucket is empty. */
  takeJoin(key: string): boolean {
    const entry = this.#entry(key);
    if (this.#refill(entry) < 1) return false;
    entry.tokens -= 1;
    return true;
  }

  #entry(key: string): Entry {
    const now = this.#now();
    if (now - this.#sweptAt >= SWEEP_MS) this.#sweep(now);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { connections: 0, tokens: this.joinBurst, at: now };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** Brings `entry.tokens` up to now; returns it. */
  #refill(entry: Entry): number {
    const now = this.#now();
    entry.tokens = Math.min(this.joinBurst, entry.tokens + ((now - entry.at) / 60_000) * this.joinsPerMinute);
    entry.at = now;
    return entry.tokens;
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [key, entry] of this.#entries) {
      if (entry.connections === 0 && this.#refill(entry) >= this.joinBurst) this.#entries.delete(key);
    }
  }
}

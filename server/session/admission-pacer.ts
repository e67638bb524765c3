/**
 * Paces admissions (WebSocket upgrades, HTTP session creations) relay-wide: a token bucket of
 * `perSecond` with `burst`; a connection over it waits in a FIFO, released at the bucket's
 * rate, as long as its wait would not exceed `maxWaitMs` — else it is refused at once
 * (`server-busy`), never after having waited. So a burst of connections costs the event loop
 * at most `burst` admissions at a time and `perSecond` per second, and running calls keep
 * their frames flowing. One timer, armed only while someone waits.
 */

/** Admissions per second, relay-wide. */
export const DEFAULT_ADMISSIONS_PER_SECOND = 200;
/** Admissions at once before the rate applies. */
export const DEFAULT_ADMISSION_BURST = 20;
/** Longest wait for an admission, ms; a connection that would wait longer is refused `server-busy`. */
export const DEFAULT_ADMISSION_WAIT_MS = 2_000;

/** Options of `AdmissionPacer`. */
export interface AdmissionPacerOptions {
  /** Admissions per second. Required. */
  perSecond: number;
  /** Bucket size. Required. */
  burst: number;
  /** Longest wait, ms; 0 = refuse at once when the bucket is empty. Required. */
  maxWaitMs: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  now?: () => number;
}

interface Waiting {
  go: () => void;
  cancelled: boolean;
}

export class AdmissionPacer {
  readonly perSecond: number;
  readonly burst: number;
  readonly maxWaitMs: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;
  #queue: Waiting[] = [];
  #head = 0;
  /** Entries in the queue not cancelled. */
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AdmissionPacerOptions) {
    const { perSecond, burst, maxWaitMs } = options;
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new TypeError(`perSecond must be a positive number [perSecond:${perSecond}]`);
    if (!Number.isInteger(burst) || burst < 1) throw new TypeError(`burst must be an integer >= 1 [burst:${burst}]`);
    if (!Number.isInteger(maxWaitMs) || maxWaitMs < 0) throw new TypeError(`maxWaitMs must be an integer >= 0 [maxWaitMs:${maxWaitMs}]`);
    this.perSecond = perSecond;
    this.burst = burst;
    this.maxWaitMs = maxWaitMs;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = burst;
    this.#at = this.#now();
  }

  /** Connections waiting for their turn. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Runs `go` now if the bucket has a token, later (in arrival order) if the wait fits in
   * `maxWaitMs`, else calls `refuse` at once. Returns a cancel function (the connection went
   * while waiting: `go` will not be called); calling it after `go` or `refuse` does nothing.
   */
  schedule(go: () => void, refuse: () => void): () => void {
    if (this.#closed) {
      refuse();
      return noop;
    }
    this.#refill();
    if (this.#waiting === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      go();
      return noop;
    }
    // Tokens this one needs beyond those there: itself and everyone ahead of it.
    const waitMs = ((this.#waiting + 1 - this.#tokens) / this.perSecond) * 1000;
    if (waitMs > this.maxWaitMs) {
      refuse();
      return noop;
    }
    const entry: Waiting = { go, cancelled: false };
    this.#queue.push(entry);
    this.#waiting++;
    this.#arm();
    return () => {
      if (entry.cancelled) return;
      entry.cancelled = true;
      this.#waiting--;
    };
  }

  /** Stops the timer; waiting connections are let through at once (the relay refuses them: it is shutting down). Safe to call twice. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const rest = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#waiting = 0;
    for (const entry of rest) if (!entry.cancelled) entry.go();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const ms = Math.max(1, Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000));
    this.#timer = setTimeout(this.#release, ms);
  }

  readonly #release = (): void => {
    this.#timer = undefined;
    this.#refill();
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (entry.cancelled) {
        this.#head++;
        continue;
      }
      if (this.#tokens < 1) break;
      this.#tokens -= 1;
      this.#head++;
      this.#waiting--;
      entry.go();
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else {
      if (this.#head > 1024) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#arm();
    }
  };
}

const noop = (): void => undefined;

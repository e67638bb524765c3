/**
 * Receiver side of delivery feedback (docs/protocol.md › Delivery feedback): records every
 * frame received as `[sourceId, seq, receivedAt]` (relay clock) and sends them as one `ack`
 * message per `intervalMs` while frames arrive — never one per frame, no timer while idle.
 *
 * NOTE: a relay without feedback answers `ack` with `unknown-type`, and every refusal
 * spends a token of the peer's error budget (closed with 1008 `abuse` when it runs out). So
 * a batcher starts on probation: it sends one (empty) `ack` as a probe — which also makes a
 * relay with feedback treat us as feedback-aware (ack mode; `delivery` to us as a sender) —
 * and holds the rest until `probationMs` passed without that refusal (the caller sizes it
 * to about a round trip: the relay in ack mode waits for our acks meanwhile); `refused()`
 * (the link saw the relay's `unknown-type` for `ack`) turns it off for the session.
 */
import type { AckEntry } from '../../protocol/index.ts';

/** Options of `AckBatcher`. */
export interface AckBatcherOptions {
  /** Sends one `ack` message with `frames`; false when it could not be sent (not connected). */
  send: (frames: AckEntry[]) => boolean;
  /** Time between two acks while frames arrive, ms. Default `DEFAULT_ACK_INTERVAL_MS` (50). */
  intervalMs?: number;
  /** Most entries per message (more go in further messages of the same flush). Default `DEFAULT_MAX_ACK_BATCH` (512, the relay's limit). */
  maxEntries?: number;
  /** Time after the probe before acks flow, ms (0: no probe, acks at once). Default `DEFAULT_ACK_PROBATION_MS` (1000). */
  probationMs?: number;
  /** Entries kept while on probation (the oldest go first). Default `DEFAULT_ACK_PROBATION_ENTRIES` (64). */
  probationEntries?: number;
  /** Timer functions. Default `setTimeout`/`clearTimeout`. */
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export const DEFAULT_ACK_INTERVAL_MS = 50;
export const DEFAULT_MAX_ACK_BATCH = 512;
export const DEFAULT_ACK_PROBATION_MS = 1000;
export const DEFAULT_ACK_PROBATION_ENTRIES = 64;

/** Where the batcher is: probing the relay, sending acks, or off (the relay does not know `ack`). */
export type AckState = 'probation' | 'on' | 'off';

export class AckBatcher {
  readonly #send: (frames: AckEntry[]) => boolean;
  readonly #intervalMs: number;
  readonly #maxEntries: number;
  readonly #probationEntries: number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #pending: AckEntry[] = [];
  #timer: unknown;
  #probationTimer: unknown;
  #state: AckState;
  #messages = 0;
  #entries = 0;
  #closed = false;

  constructor(options: AckBatcherOptions) {
    this.#send = options.send;
    this.#intervalMs = options.intervalMs ?? DEFAULT_ACK_INTERVAL_MS;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ACK_BATCH;
    this.#probationEntries = options.probationEntries ?? DEFAULT_ACK_PROBATION_ENTRIES;
    const probationMs = options.probationMs ?? DEFAULT_ACK_PROBATION_MS;
    if (!(this.#intervalMs > 0) || !Number.isFinite(this.#intervalMs)) {
      throw new TypeError(`intervalMs must be a finite number > 0 [intervalMs:${this.#intervalMs}]`);
    }
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new TypeError(`maxEntries must be an integer >= 1 [maxEntries:${this.#maxEntries}]`);
    }
    if (!(probationMs >= 0) || !Number.isFinite(probationMs)) {
      throw new TypeError(`probationMs must be a finite number >= 0 [probationMs:${probationMs}]`);
    }
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    if (probationMs === 0) {
      this.#state = 'on';
    } else {
      this.#state = 'probation';
      if (this.#send([])) this.#messages++;
      this.#probationTimer = this.#setTimer(() => this.#endProbation(), probationMs);
    }
  }

  get state(): AckState {
    return this.#state;
  }

  /** `ack` messages sent (the probe included). */
  get messagesSent(): number {
    return this.#messages;
  }

  /** Entries sent so far. */
  get entriesSent(): number {
    return this.#entries;
  }

  /** Frame `seq` of `sourceId` was received at `receivedAt` (relay clock, ms). */
  record(sourceId: number, seq: number, receivedAt: number): void {
    if (this.#closed || this.#state === 'off') return;
    this.#pending.push([sourceId, seq, receivedAt]);
    if (this.#state === 'probation') {
      if (this.#pending.length > this.#probationEntries) this.#pending.shift();
      return;
    }
    this.#arm();
  }

  /** Sends what is pending now (in messages of at most `maxEntries`); no-op while probing or off. */
  flush(): void {
    if (this.#state !== 'on' || this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i += this.#maxEntries) {
      const batch = pending.slice(i, i + this.#maxEntries);
      if (!this.#send(batch)) return; // not connected: a later session starts afresh
      this.#messages++;
      this.#entries += batch.length;
    }
  }

  /** The relay refused `ack` (`unknown-type`): no more acks this session. */
  refused(): void {
    this.#state = 'off';
    this.#pending = [];
    this.#stopTimers();
  }

  /** Stops the timers and forgets what is pending. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#stopTimers();
  }

  #endProbation(): void {
    this.#probationTimer = undefined;
    if (this.#closed || this.#state !== 'probation') return;
    this.#state = 'on';
    // What arrived on probation is late news for the sender's estimator but still true: it goes with the first batch.
    if (this.#pending.length > 0) this.#arm();
  }

  #arm(): void {
    this.#timer ??= this.#setTimer(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    if (this.#probationTimer !== undefined) this.#clearTimer(this.#probationTimer);
    this.#timer = undefined;
    this.#probationTimer = undefined;
  }
}

/** True if `message` is the relay refusing `ack` as an unknown type (a relay without feedback). */
export function isAckRefusal(message: { type: string; code?: unknown; message?: unknown }): boolean {
  return message.type === 'error' && message.code === 'unknown-type' && typeof message.message === 'string' && message.message.includes('[type:ack]');
}

/**
 * Stage 3 — transport over one WebSocket: the `RelayLink` (relay-link.ts) of the app. One WebSocket to the relay (`binaryType = 'arraybuffer'`) carrying
 * JSON control messages (text) and wire-format frames (binary), plus:
 * - clock sync: `ping` every `pingIntervalMs` (a quick burst after connecting), the min-RTT
 *   sample gives the offset to the relay clock (`ClockOffset`);
 * - latest-wins sending: `sendFrame` refuses while more than `maxBufferedBytes` are still
 *   waiting in the socket (the previous frame has not left) — the caller skips the capture;
 * - reconnect: on an unexpected close, exponential backoff with jitter, then the same URL
 *   again (same room, name, secret, mode); the relay's `welcome` starts the session anew.
 * Refusals that retrying cannot fix (`isFatalClose`: 1008 policy, 1007, 4000–4999) end in
 * state 'failed'; the relay's `error` message before the close becomes `StateInfo.refusal`.
 */
import { Emitter, isFatalClose, isMessage, parseServerMessage, type ClientMessage, type ErrorMessage, type Refusal } from '../../protocol/index.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { ClockOffset, localNow } from './clock-offset.ts';
import type { LinkState, RelayLink, RelayLinkEvents, SendResult, StateInfo } from './relay-link.ts';

/** Options of `WsLink`. */
export interface WsLinkOptions {
  /** The full WebSocket URL, query included (`ws://host/ws?room=…&name=…`). */
  url: string;
  /** Reconnect delays. Default: `Backoff` defaults (0.5 s doubling to 10 s, jittered). */
  backoff?: BackoffOptions;
  /** Interval of clock-sync pings, ms. Default `DEFAULT_PING_INTERVAL_MS` (2000). */
  pingIntervalMs?: number;
  /** A frame is refused while `bufferedAmount` exceeds this many bytes. Default `DEFAULT_MAX_BUFFERED_BYTES` (0: the previous frame must have left). */
  maxBufferedBytes?: number;
  /** Give up connecting after this long without an open socket, ms (then retry). Default `DEFAULT_CONNECT_TIMEOUT_MS` (5000). */
  connectTimeoutMs?: number;
}

export const DEFAULT_PING_INTERVAL_MS = 2000;
export const DEFAULT_MAX_BUFFERED_BYTES = 0;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Pings sent right after connecting, `PING_BURST_GAP_MS` apart, for a quick first offset. */
const PING_BURST = 5;
const PING_BURST_GAP_MS = 100;

export class WsLink extends Emitter<RelayLinkEvents> implements RelayLink {
  readonly url: string;
  /** Offset of the relay's clock to ours. */
  readonly clock = new ClockOffset();
  readonly #backoff: Backoff;
  readonly #pingIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #connectTimeoutMs: number;
  #ws: WebSocket | undefined;
  #state: LinkState = 'closed';
  /** The relay's last `error` on the current socket: the refusal, if a close follows. */
  #lastError: ErrorMessage | undefined;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimers: ReturnType<typeof setTimeout>[] = [];
  #pingInterval: ReturnType<typeof setInterval> | undefined;
  #welcomed = false;
  #peerId = 0;

  constructor(options: WsLinkOptions) {
    super();
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`url must be ws:// or wss:// [url:${options.url}]`);
    this.url = options.url;
    this.#backoff = new Backoff(options.backoff);
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  get state(): LinkState {
    return this.#state;
  }

  /** Our peer id in the current session (0 before `welcome`; changes after a reconnect). */
  get peerId(): number {
    return this.#peerId;
  }

  /** True once `welcome` arrived on the current socket. */
  get ready(): boolean {
    return this.#state === 'open' && this.#welcomed;
  }

  /** Bytes waiting in the socket. */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** True while more than `maxBufferedBytes` wait in the socket: a frame sent now would queue. */
  get busy(): boolean {
    return (this.#ws?.bufferedAmount ?? 0) > this.#maxBuffered;
  }

  /** Opens the socket (no-op if already open or closed for good). */
  open(): void {
    if (this.#closed || this.#ws !== undefined) return;
    this.#connect();
  }

  /** Sends a control message; false when not connected. */
  sendControl(message: ClientMessage): boolean {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  /** Sends one encoded frame, unless the previous one has not left yet ('busy') or there is no session ('offline'). */
  sendFrame(bytes: Uint8Array): SendResult {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN || !this.#welcomed) return 'offline';
    if (ws.bufferedAmount > this.#maxBuffered) return 'busy';
    ws.send(bytes);
    return 'sent';
  }

  /** Asks the relay for its per-source drop counters (answered by a `stats` control message). */
  requestStats(): boolean {
    return this.sendControl({ type: 'stats' });
  }

  /** Closes for good (code 1000). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    clearTimeout(this.#retryTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined) {
      this.#detach(ws);
      try {
        ws.close(1000, 'leave');
      } catch {
        // already closing
      }
    }
    this.#setState('closed', {});
    this.clear();
  }

  #connect(): void {
    this.#welcomed = false;
    this.#lastError = undefined;
    this.#setState(this.#backoff.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.#backoff.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.#setState('failed', { reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    this.#connectTimer = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, this.#connectTimeoutMs);
    ws.onopen = () => {
      clearTimeout(this.#connectTimer);
      this.#startPings();
    };
    ws.onmessage = (event: MessageEvent) => this.#onMessage(event.data);
    ws.onclose = (event: CloseEvent) => this.#onClose(ws, event.code, event.reason);
    ws.onerror = () => undefined; // a close event always follows
  }

  #onMessage(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      this.emit('frame', new Uint8Array(data));
      return;
    }
    if (typeof data !== 'string') return;
    const message = parseServerMessage(data);
    if (message === null) return;
    if (isMessage(message, 'pong')) {
      const sample = this.clock.add(Number(message.t), Number(message.serverTime), localNow());
      const best = this.clock.best();
      if (sample !== undefined && best !== undefined) this.emit('clock', { offset: best.offset, rtt: best.rtt });
      return;
    }
    if (isMessage(message, 'welcome')) {
      this.#welcomed = true;
      this.#lastError = undefined;
      this.#peerId = Number(message.peerId);
      this.#backoff.reset();
      this.#setState('open', {});
      this.emit('welcome', message);
      return;
    }
    if (isMessage(message, 'error')) this.#lastError = message;
    this.emit('control', message);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#detach(ws);
    this.#ws = undefined;
    this.#welcomed = false;
    this.#stopTimers();
    if (this.#closed) return;
    const refusal = refusalOf(reason, this.#lastError);
    this.#lastError = undefined;
    const info: StateInfo = refusal === undefined ? { code, reason } : { code, reason, refusal };
    if (isFatalClose(code)) {
      this.#setState('failed', info);
      return;
    }
    const delayMs = Math.round(this.#backoff.next());
    this.#setState('reconnecting', { ...info, attempt: this.#backoff.attempt, delayMs });
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #startPings(): void {
    // A new relay process may run on another clock: start the estimate afresh.
    this.clock.reset();
    const ping = (): void => {
      this.sendControl({ type: 'ping', t: localNow() });
    };
    for (let i = 0; i < PING_BURST; i++) this.#pingTimers.push(setTimeout(ping, i * PING_BURST_GAP_MS));
    this.#pingInterval = setInterval(ping, this.#pingIntervalMs);
  }

  #stopTimers(): void {
    clearTimeout(this.#connectTimer);
    for (const t of this.#pingTimers) clearTimeout(t);
    this.#pingTimers = [];
    clearInterval(this.#pingInterval);
    this.#pingInterval = undefined;
  }

  #detach(ws: WebSocket): void {
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
  }

  #setState(state: LinkState, info: StateInfo): void {
    this.#state = state;
    this.emit('state', state, info);
  }
}

/**
 * The refusal behind a close: the relay's `error` (code, limit, message) when the close
 * reason names it or is empty, else the close reason alone; undefined for a close without either.
 */
export function refusalOf(reason: string, error: ErrorMessage | undefined): Refusal | undefined {
  if (error !== undefined && (reason === '' || reason === error.code)) {
    return { code: error.code, message: error.message, ...(error.limit !== undefined ? { limit: error.limit } : {}) };
  }
  return reason === '' ? undefined : { code: reason };
}

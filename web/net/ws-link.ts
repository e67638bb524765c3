/**
 * Stage 3 — transport. One WebSocket to the relay (`binaryType = 'arraybuffer'`) carrying
 * JSON control messages (text) and wire-format frames (binary), plus:
 * - clock sync: `ping` every `pingIntervalMs` (a quick burst after connecting), the min-RTT
 *   sample gives the offset to the relay clock (`ClockOffset`);
 * - latest-wins sending: `sendFrame` refuses while more than `maxBufferedBytes` are still
 *   waiting in the socket (the previous frame has not left) — the caller skips the capture;
 * - reconnect: on an unexpected close, exponential backoff with jitter, then the same URL
 *   again (same room, name, secret, mode); the relay's `welcome` starts the session anew.
 * Refusals that retrying cannot fix (close 1008 policy, 4000–4999) end in state 'failed'.
 */
import { Emitter } from '../emitter.ts';
import { Backoff, type BackoffOptions } from '../net/backoff.ts';
import { ClockOffset, localNow } from '../net/clock-offset.ts';

/** Options of `Connection`. */
export interface ConnectionOptions {
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

/** Where the connection is. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** Details of a state change. */
export interface StateInfo {
  /** Close code of the socket that just closed, if any. */
  code?: number;
  /** Close reason, if any. */
  reason?: string;
  /** Reconnect attempt number (1-based) when state is 'reconnecting'. */
  attempt?: number;
  /** Delay before that attempt, ms. */
  delayMs?: number;
}

/** The relay's `welcome`. */
export interface WelcomeMessage {
  type: 'welcome';
  peerId: number;
  room: string;
  peers: { id: number; name: string; mode: string }[];
  serverTime: number;
  iceServers?: RTCIceServer[];
}

/** Any control message (see docs/protocol.md). */
export interface ControlMessage {
  type: string;
  [field: string]: unknown;
}

/** Events of `Connection`. */
export type ConnectionEvents = {
  state: [ConnectionState, StateInfo];
  welcome: [WelcomeMessage];
  control: [ControlMessage];
  /** A binary message (one frame), not yet validated. */
  frame: [Uint8Array];
  /** A clock-offset estimate was updated: offset and RTT of the best sample, ms. */
  clock: [{ offset: number; rtt: number }];
};

/** Result of `sendFrame`. */
export type SendResult = 'sent' | 'busy' | 'offline';

const FATAL_CLOSE = (code: number): boolean => code === 1008 || (code >= 4000 && code <= 4999);

export class Connection extends Emitter<ConnectionEvents> {
  readonly url: string;
  /** Offset of the relay's clock to ours. */
  readonly clock = new ClockOffset();
  readonly #backoff: Backoff;
  readonly #pingIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #connectTimeoutMs: number;
  #ws: WebSocket | undefined;
  #state: ConnectionState = 'closed';
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimers: ReturnType<typeof setTimeout>[] = [];
  #pingInterval: ReturnType<typeof setInterval> | undefined;
  #welcomed = false;
  #peerId = 0;

  constructor(options: ConnectionOptions) {
    super();
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`url must be ws:// or wss:// [url:${options.url}]`);
    this.url = options.url;
    this.#backoff = new Backoff(options.backoff);
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  get state(): ConnectionState {
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
  sendControl(message: ControlMessage | Record<string, unknown>): boolean {
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
    this.removeAll();
  }

  #connect(): void {
    this.#welcomed = false;
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
    let message: ControlMessage;
    try {
      const parsed: unknown = JSON.parse(data);
      if (parsed === null || typeof parsed !== 'object' || typeof (parsed as ControlMessage).type !== 'string') return;
      message = parsed as ControlMessage;
    } catch {
      return;
    }
    if (message.type === 'pong') {
      const t0 = Number(message['t']);
      const sample = this.clock.add(t0, Number(message['serverTime']), localNow());
      const best = this.clock.best();
      if (sample !== undefined && best !== undefined) this.emit('clock', { offset: best.offset, rtt: best.rtt });
      return;
    }
    if (message.type === 'welcome') {
      const welcome = message as unknown as WelcomeMessage;
      this.#welcomed = true;
      this.#peerId = Number(welcome.peerId);
      this.#backoff.reset();
      this.#setState('open', {});
      this.emit('welcome', welcome);
      return;
    }
    this.emit('control', message);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#detach(ws);
    this.#ws = undefined;
    this.#welcomed = false;
    this.#stopTimers();
    if (this.#closed) return;
    if (FATAL_CLOSE(code)) {
      this.#setState('failed', { code, reason });
      return;
    }
    const delayMs = Math.round(this.#backoff.next());
    this.#setState('reconnecting', { code, reason, attempt: this.#backoff.attempt, delayMs });
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

  #setState(state: ConnectionState, info: StateInfo): void {
    this.#state = state;
    this.emit('state', state, info);
  }
}

/**
 * A `Connection` (connection.ts) over one HTTP session of the relay's HTTP channel
 * (docs/protocol.md › HTTP channel), for networks whose proxies block WebSockets:
 *
 *   POST /fw/session?QUERY        → {token, pollWaitMs}; then every request carries the token header
 *   downlink  GET /fw/stream      one long body of records, read as it comes (`http-stream`)
 *         or  GET /fw/poll        what is queued (or waits for it), re-polled at once (`long-poll`)
 *   uplink    POST /fw/send       ONE frame per request, at most two in flight (`busy` while two are);
 *                                 control messages batched, one request in flight; every send
 *                                 numbered (`x-framewire-seq`, from 0): the relay keeps that order
 *   leaving   POST /fw/close
 *
 * Records are codec's byte-stream records (`RecordReader`): a frame record is the frame
 * itself, a control record a JSON message, a close record the end of the session (code,
 * reason — as a WebSocket close). `toLongPoll()` moves the downlink from the stream to
 * long-polls within the same session: the first poll makes the relay end the stream, and
 * the stream is read to its end before the poll's records, so nothing is lost or reordered.
 *
 * A failed request means the session is lost (1006), except a downlink that failed once
 * or twice (re-attached after `retryMs`). The connection never sends `/fw/close` after a
 * loss: the relay then holds the peer for a resume instead of letting it leave.
 */
import { DEFAULT_MAX_FRAME_BYTES, encodeControlRecord, FrameError, RecordReader, type StreamRecord } from '../../codec/index.ts';
import { HTTP_CLOSE_PATH, HTTP_POLL_PATH, HTTP_SEND_PATH, HTTP_SESSION_PATH, HTTP_STREAM_PATH, httpErrorOf, SEQ_HEADER, TOKEN_HEADER } from '../../protocol/index.ts';
import type { Connection, ConnectionHandlers } from './connection.ts';

/** Options of `HttpConnection`. */
export interface HttpConnectionOptions {
  /** Base of the relay's HTTP endpoints (`https://relay.example`, or a node behind a path prefix: `https://relay.example/n2`), or '' for the page's own origin. */
  base: string;
  /** The connect query, as for the WebSocket (`room=…&name=…&resumable=1`), without `?`. */
  query: string;
  /** How the downlink is read at first. Default 'stream'. */
  downlink?: 'stream' | 'poll';
  /** Largest downlink record, bytes. Default `DEFAULT_MAX_RECORD_BYTES` (8 MiB + 64 KiB). */
  maxRecordBytes?: number;
  /** An uplink request (or a poll beyond its wait) that takes longer than this has failed, ms. Default `DEFAULT_REQUEST_TIMEOUT_MS` (15 000). */
  requestTimeoutMs?: number;
  /** A stream without a byte for this long is re-attached, ms (the relay sends a keepalive after 15 s). Default `DEFAULT_STREAM_IDLE_MS` (25 000). */
  streamIdleMs?: number;
  /** Downlink requests that fail in a row before the session counts as lost. Default `DEFAULT_MAX_DOWNLINK_FAILURES` (3). */
  maxDownlinkFailures?: number;
  /** Wait before re-attaching a failed downlink, ms. Default `DEFAULT_RETRY_MS` (500). */
  retryMs?: number;
  /** After `toLongPoll`, how long the old stream may take to end before it is cut, ms. Default `DEFAULT_DRAIN_MS` (2000). */
  drainMs?: number;
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export const DEFAULT_MAX_RECORD_BYTES = DEFAULT_MAX_FRAME_BYTES + 64 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_STREAM_IDLE_MS = 25_000;
export const DEFAULT_MAX_DOWNLINK_FAILURES = 3;
export const DEFAULT_RETRY_MS = 500;
export const DEFAULT_DRAIN_MS = 2000;
/** Frame requests (`POST /fw/send`) in flight at most; `busy` while this many are. */
export const MAX_FRAMES_IN_FLIGHT = 2;
/**
 * Audio frame requests may go beyond that up to this many in flight in all (the relay keeps
 * up to `MAX_WAITING_SENDS` = 4 requests waiting for an earlier one, so it still orders them).
 */
export const MAX_AUDIO_IN_FLIGHT = 4;
/** The relay's long-poll wait when its session reply does not say, ms. */
export const DEFAULT_POLL_WAIT_MS = 20_000;

const LOST = 1006;
const textDecoder = new TextDecoder();

/** The close code and reason of a failed `POST /fw/session` (its status and the error body's code). */
export function sessionRefusal(status: number, errorCode: string | undefined): { code: number; reason: string } {
  const reason = errorCode ?? `http-${status}`;
  if (status === 503) return { code: 1001, reason: errorCode ?? 'shutting-down' };
  if (status === 403) return { code: 1008, reason };
  if (status === 429) return { code: 1013, reason };
  if (status >= 500) return { code: 1011, reason };
  return { code: 1002, reason };
}

export class HttpConnection implements Connection {
  readonly #base: string;
  readonly #query: string;
  readonly #handlers: ConnectionHandlers;
  readonly #fetch: typeof fetch;
  readonly #maxRecordBytes: number;
  readonly #requestTimeoutMs: number;
  readonly #streamIdleMs: number;
  readonly #maxFailures: number;
  readonly #retryMs: number;
  readonly #drainMs: number;
  /** Aborts every request of this connection (not the final `/fw/close`). */
  readonly #stop = new AbortController();
  #kind: 'http-stream' | 'long-poll';
  #token: string | undefined;
  #pollWaitMs = DEFAULT_POLL_WAIT_MS;
  /** Ended (by either side): no handler, no request any more. */
  #done = false;
  /** The relay ended the session (a close record, or it does not know the token): nothing to close. */
  #sessionGone = false;
  /** Frame requests in flight, and their bytes. */
  #framesInFlight = 0;
  #frameBytesInFlight = 0;
  /** The `x-framewire-seq` of the next `POST /fw/send` (frames and control batches alike). */
  #sendSeq = 0;
  #controlQueue: Uint8Array[] = [];
  #controlQueued = 0;
  #controlInFlight = 0;
  /** Aborts the stream being read (re-attach, or the end of a drain). */
  #streamAbort: AbortController | undefined;
  /** The first poll, sent by `toLongPoll` while the stream is still read to its end. */
  #firstPoll: Promise<Response> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;

  /** Creates the session at once. */
  constructor(options: HttpConnectionOptions, handlers: ConnectionHandlers) {
    this.#base = options.base.replace(/\/+$/, '');
    this.#query = options.query;
    this.#handlers = handlers;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#kind = options.downlink === 'poll' ? 'long-poll' : 'http-stream';
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#streamIdleMs = options.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS;
    this.#maxFailures = options.maxDownlinkFailures ?? DEFAULT_MAX_DOWNLINK_FAILURES;
    this.#retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    this.#drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
    if (!Number.isInteger(this.#maxFailures) || this.#maxFailures < 1) throw new TypeError(`maxDownlinkFailures must be a positive integer [maxDownlinkFailures:${this.#maxFailures}]`);
    for (const [name, ms] of [['requestTimeoutMs', this.#requestTimeoutMs], ['streamIdleMs', this.#streamIdleMs], ['drainMs', this.#drainMs]] as const) {
      if (!(ms > 0)) throw new TypeError(`${name} must be > 0 [${name}:${ms}]`);
    }
    void this.#run().catch(() => this.#end(LOST, ''));
  }

  get kind(): 'http-stream' | 'long-poll' {
    return this.#kind;
  }

  /** The session's token, once created. */
  get token(): string | undefined {
    return this.#token;
  }

  get busy(): boolean {
    return this.#framesInFlight >= MAX_FRAMES_IN_FLIGHT;
  }

  get bufferedAmount(): number {
    return this.#frameBytesInFlight + this.#controlQueued + this.#controlInFlight;
  }

  sendControl(text: string): boolean {
    if (!this.#ready()) return false;
    const record = encodeControlRecord(text);
    this.#controlQueue.push(record);
    this.#controlQueued += record.byteLength;
    this.#flushControl();
    return true;
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (!this.#ready() || this.busy) return false;
    this.#post(bytes);
    return true;
  }

  sendAudio(bytes: Uint8Array): boolean {
    if (!this.#ready() || this.#framesInFlight >= MAX_AUDIO_IN_FLIGHT) return false;
    this.#post(bytes);
    return true;
  }

  #post(bytes: Uint8Array): void {
    // NOTE: a frame record IS the wire-format frame, byte for byte: the bytes go as they are.
    const size = Math.max(1, bytes.byteLength);
    this.#framesInFlight++;
    this.#frameBytesInFlight += size;
    void this.#send(bytes as Uint8Array<ArrayBuffer>).finally(() => {
      this.#framesInFlight--;
      this.#frameBytesInFlight -= size;
    });
  }

  toLongPoll(): void {
    if (this.#done || this.#kind === 'long-poll') return;
    this.#kind = 'long-poll';
    if (this.#token === undefined) return; // the session is not made yet: the downlink starts polling
    const poll = this.#poll();
    poll.catch(() => undefined); // read (and its failure seen) by the downlink loop once the stream ended
    this.#firstPoll = poll;
    this.#drainTimer = setTimeout(() => this.#streamAbort?.abort(), this.#drainMs);
  }

  /** Ends the session (`POST /fw/close`: the relay closes it 1000 'leave'; HTTP carries no code of ours). */
  close(): void {
    if (this.#done) return;
    this.#finish();
    if (this.#token !== undefined && !this.#sessionGone) this.#closeSession(this.#token);
  }

  #ready(): boolean {
    return !this.#done && this.#token !== undefined;
  }

  // ── session and downlink ──────────────────────────────────────────────────

  async #run(): Promise<void> {
    if (!(await this.#createSession())) return;
    this.#handlers.open();
    let failures = 0;
    while (!this.#done) {
      let ok: boolean;
      try {
        ok = this.#kind === 'http-stream' ? await this.#readStream() : await this.#readPoll();
      } catch (error) {
        // A body that is not a record stream: out of step for good, as a bad WebSocket frame.
        if (error instanceof FrameError) return this.#end(1002, error.code);
        ok = false;
      }
      if (this.#done) return;
      failures = ok ? 0 : failures + 1;
      if (failures >= this.#maxFailures) return this.#end(LOST, '');
      if (!ok) await delay(this.#retryMs);
    }
  }

  /** `POST /fw/session`; true once the token is in. */
  async #createSession(): Promise<boolean> {
    let response: Response;
    try {
      // NOTE: not aborted by `close()`: a session the relay made anyway must be closed, not left to time out.
      response = await this.#request('POST', `${HTTP_SESSION_PATH}?${this.#query}`, {}, this.#requestTimeoutMs, false);
    } catch {
      this.#end(LOST, '');
      return false;
    }
    if (!response.ok) {
      const { code, reason } = sessionRefusal(response.status, await errorCodeOf(response));
      this.#end(code, reason);
      return false;
    }
    let token: unknown;
    let pollWaitMs: unknown;
    try {
      ({ token, pollWaitMs } = (await response.json()) as { token?: unknown; pollWaitMs?: unknown });
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') {
      this.#end(1002, 'bad-session-reply');
      return false;
    }
    if (this.#done) {
      this.#closeSession(token);
      return false;
    }
    this.#token = token;
    if (typeof pollWaitMs === 'number' && pollWaitMs > 0) this.#pollWaitMs = pollWaitMs;
    return true;
  }

  /** Reads one stream to its end; false if it failed or brought nothing. */
  async #readStream(): Promise<boolean> {
    const abort = new AbortController();
    this.#streamAbort = abort;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), this.#streamIdleMs);
    };
    let records = 0;
    try {
      touch();
      const response = await this.#request('GET', HTTP_STREAM_PATH, {}, 0, true, abort.signal);
      if (!(await this.#accepted(response)) || response.body === null) return false;
      const reader = response.body.getReader();
      const cut = new RecordReader({ maxRecordBytes: this.#maxRecordBytes });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        for (const record of cut.push(value)) {
          records++;
          this.#dispatch(record);
          if (this.#done) return true;
        }
      }
      cut.end();
      return records > 0 || this.#kind === 'long-poll';
    } catch (error) {
      if (error instanceof FrameError) throw error;
      // Cut by us (a re-attach, or the end of a drain), or by the network.
      return this.#kind === 'long-poll' || (abort.signal.aborted && records > 0);
    } finally {
      clearTimeout(idle);
      if (this.#streamAbort === abort) this.#streamAbort = undefined;
      if (this.#kind === 'long-poll') clearTimeout(this.#drainTimer);
    }
  }

  /** One long-poll and its records; false if it failed. */
  async #readPoll(): Promise<boolean> {
    const pending = this.#firstPoll ?? this.#poll();
    this.#firstPoll = undefined;
    let response: Response;
    try {
      response = await pending;
    } catch {
      return false;
    }
    if (!(await this.#accepted(response))) return false;
    let body: Uint8Array;
    try {
      body = new Uint8Array(await response.arrayBuffer());
    } catch {
      return false;
    }
    const cut = new RecordReader({ maxRecordBytes: this.#maxRecordBytes });
    for (const record of cut.push(body)) {
      this.#dispatch(record);
      if (this.#done) return true;
    }
    cut.end();
    return true;
  }

  #poll(): Promise<Response> {
    return this.#request('GET', HTTP_POLL_PATH, {}, this.#pollWaitMs + this.#requestTimeoutMs, true);
  }

  #dispatch(record: StreamRecord): void {
    switch (record.kind) {
      case 'frame':
        // NOTE: a view of a chunk or poll body that nothing reuses (or a copy, if it spanned chunks): the receiver may keep it.
        this.#handlers.frame(record.bytes);
        return;
      case 'control':
        this.#handlers.control(textDecoder.decode(record.utf8));
        return;
      case 'close':
        this.#sessionGone = true;
        this.#end(record.code, record.reason);
        return;
      case 'keepalive':
        return;
    }
  }

  /** True for a 2xx answer; a 404 (the relay does not know the token) ends the connection as lost. */
  async #accepted(response: Response): Promise<boolean> {
    if (response.ok) return true;
    void response.body?.cancel().catch(() => undefined);
    if (response.status === 404) {
      this.#sessionGone = true;
      this.#end(LOST, 'unknown-session');
    }
    return false;
  }

  // ── uplink ────────────────────────────────────────────────────────────────

  #flushControl(): void {
    if (this.#done || this.#controlInFlight > 0 || this.#controlQueue.length === 0) return;
    const batch = this.#controlQueue;
    this.#controlQueue = [];
    this.#controlInFlight = this.#controlQueued;
    this.#controlQueued = 0;
    void this.#send(new Blob(batch as Uint8Array<ArrayBuffer>[])).finally(() => {
      this.#controlInFlight = 0;
      this.#flushControl();
    });
  }

  /**
   * `POST /fw/send` of one body of records, numbered in call order (the relay delivers the
   * records of concurrent requests in that order). A request that fails (no answer) loses the session.
   */
  async #send(body: Uint8Array<ArrayBuffer> | Blob): Promise<void> {
    const headers = { 'content-type': 'application/octet-stream', [SEQ_HEADER]: String(this.#sendSeq++) };
    let response: Response;
    try {
      response = await this.#request('POST', HTTP_SEND_PATH, { body, headers }, this.#requestTimeoutMs, true);
    } catch {
      this.#end(LOST, '');
      return;
    }
    // NOTE: 413 loses that frame only; 400 (not a record stream) makes the relay close the
    // session with 1007, and its close record follows on the downlink.
    void response.body?.cancel().catch(() => undefined);
    if (response.status === 404) {
      this.#sessionGone = true;
      this.#end(LOST, 'unknown-session');
    }
  }

  // ── plumbing ──────────────────────────────────────────────────────────────

  /** One request with the token header; `timeoutMs` 0: none. `stoppable`: aborted by the end of the connection. */
  #request(method: 'GET' | 'POST', path: string, init: RequestInit, timeoutMs: number, stoppable: boolean, signal?: AbortSignal): Promise<Response> {
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    if (stoppable) this.#stop.signal.addEventListener('abort', onStop, { once: true });
    signal?.addEventListener('abort', onStop, { once: true });
    if (signal?.aborted) abort.abort();
    const timer = timeoutMs > 0 ? setTimeout(onStop, timeoutMs) : undefined;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    if (this.#token !== undefined) headers[TOKEN_HEADER] = this.#token;
    const done = (): void => {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    };
    return this.#fetch(`${this.#base}${path}`, { ...init, method, headers, cache: 'no-store', signal: abort.signal }).then(
      (response) => {
        done();
        return response;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
  }

  #closeSession(token: string): void {
    void this.#fetch(`${this.#base}${HTTP_CLOSE_PATH}`, { method: 'POST', headers: { [TOKEN_HEADER]: token }, cache: 'no-store', keepalive: true }).then(
      (response) => void response.body?.cancel().catch(() => undefined),
      () => undefined,
    );
  }

  /** Ended by the relay or the network: the handler is told once. */
  #end(code: number, reason: string): void {
    if (this.#done) return;
    this.#finish();
    this.#handlers.close(code, reason);
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#drainTimer);
    this.#controlQueue = [];
    this.#controlQueued = 0;
    this.#stop.abort();
  }
}

/** The `error.code` of an HTTP channel error answer (`{"error":{"code":"…"}}`), if it is one. */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  try {
    return httpErrorOf(await response.json())?.code;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

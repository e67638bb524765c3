/**
 * The HTTP transport of the relay (docs/protocol.md › HTTP channel), for clients whose proxy
 * strips the WebSocket upgrade: the routes `/fw/session`, `/fw/stream`, `/fw/poll`,
 * `/fw/send` and `/fw/close` on the relay's own HTTP server. A session is an `HttpChannel`
 * handed to the core with the connect query, found again by its token (32 random bytes,
 * base64url, in the `x-framewire-token` header). Every HTTP-specific rule lives here:
 * methods, `Origin`, content type, body limits, error answers.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { FrameError, RecordReader, type StreamRecord } from '../../codec/index.ts';
import {
  CloseCode,
  HTTP_CLOSE_PATH,
  HTTP_ERROR_STATUS,
  HTTP_POLL_PATH,
  HTTP_SEND_PATH,
  HTTP_SESSION_PATH,
  HTTP_STREAM_PATH,
  httpErrorBody,
  SEQ_HEADER,
  TOKEN_HEADER,
  type HttpErrorCode,
  type RelayError,
} from '../../protocol/index.ts';
import { parseRequestUrl, type RouteHandler } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { throttleLog } from '../log-throttle.ts';
import { normalizeOrigin } from '../options.ts';
import type { EdgeAdmission } from '../session/edge-admission.ts';
import { DEFAULT_LINGER_MS, DEFAULT_POLL_WAIT_MS, HttpChannel, type HttpDownlinkKind, type HttpSessionEnd } from './http-channel.ts';
import type { AdmitChannel } from './peer-channel.ts';

/** Random bytes of a session token (43 base64url characters). */
export const TOKEN_BYTES = 32;
/** A `/fw/send` body may exceed `maxPayload` by this much (control records beside a largest frame), bytes. */
export const BODY_SLACK_BYTES = 64 * 1024;
/** How long `/fw/send` requests ahead of a missing one (by `x-framewire-seq`) wait for it to end before it is skipped, ms. */
export const SEQ_SKIP_MS = 1000;
/** At most this many `/fw/send` requests of a session wait behind a missing one; one more skips it at once. */
export const MAX_WAITING_SENDS = 4;
/** The least idle timeout of a session, whatever the heartbeat, ms. */
export const MIN_IDLE_TIMEOUT_MS = 10_000;

/** The idle timeout of a session for a relay heartbeat of `heartbeatMs`: `max(2 × heartbeatMs, 10 s)`. */
export function httpIdleTimeoutMs(heartbeatMs: number): number {
  return Math.max(2 * heartbeatMs, MIN_IDLE_TIMEOUT_MS);
}

/** The routes of the endpoint, for metrics. */
export type HttpRoute = 'session' | 'stream' | 'poll' | 'send' | 'close';

/** Where the endpoint adds its routes (`HttpRoutes` has this). */
export interface RouteTable {
  add(method: string, pattern: RegExp, handler: RouteHandler): void;
}

/** Options of `HttpEndpoint`. */
export interface HttpEndpointOptions {
  /** The relay's routes, to add `/fw/*` to. Required. */
  routes: RouteTable;
  /** Where new sessions go. Required. */
  admit: AdmitChannel;
  /** True once the relay is shutting down: new sessions are answered 503. Required. */
  isClosing: () => boolean;
  /**
   * Told about each request refused for its `Origin`, each session lost to the idle timeout
   * ('heartbeat') and each session refused at the edge (`too-many-connections`, `rate-limited`, `server-busy`), for metrics. Required.
   */
  onRefused: (code: string) => void;
  /**
   * May a client start a message of `bytes` now? (The relay's memory budget: not a large one
   * while over it.) Asked with a `/fw/send` body's Content-Length. Default: always.
   */
  admitsMessage?: (bytes: number) => boolean;
  /** The edge checks (per-address limits, pacing) every `POST /fw/session` passes before the core sees it. Default none. */
  edge?: EdgeAdmission;
  /** Told about every request answered (streams when they start), for metrics. Default none. */
  onRequest?: (route: HttpRoute, status: number) => void;
  /** Largest record (frame) in a body, bytes; a body may hold `maxPayload + BODY_SLACK_BYTES`. Required. */
  maxPayload: number;
  /** Normalized allowed origins; empty = any. Required. */
  origins: readonly string[];
  /** The relay's heartbeat period, ms: sessions are lost after `httpIdleTimeoutMs(heartbeatMs)` without a request. Required. */
  heartbeatMs: number;
  /** How long a close the relay started waits for its close record to be written to an attached stream or poll, ms. Required. */
  closeTimeoutMs: number;
  log: Logger;
  /** How long a poll waits for a record, ms (told to clients in the session answer). Default 20000. */
  pollWaitMs?: number;
  /** Silence on a stream before a keepalive record, ms. Default 15000. */
  keepaliveMs?: number;
  /** How long a closed session's close record can still be fetched, ms. Default 30000. */
  lingerMs?: number;
  /** No request on a session for this long → lost (1006), ms. Default `httpIdleTimeoutMs(heartbeatMs)`. */
  idleTimeoutMs?: number;
}

/** The answer to `POST /fw/session`. */
export interface HttpSessionAnswer {
  token: string;
  pollWaitMs: number;
}

const ROUTES: Readonly<Record<string, { route: HttpRoute; method: 'GET' | 'POST' }>> = {
  [HTTP_SESSION_PATH]: { route: 'session', method: 'POST' },
  [HTTP_STREAM_PATH]: { route: 'stream', method: 'GET' },
  [HTTP_POLL_PATH]: { route: 'poll', method: 'GET' },
  [HTTP_SEND_PATH]: { route: 'send', method: 'POST' },
  [HTTP_CLOSE_PATH]: { route: 'close', method: 'POST' },
};

const NO_STORE = { 'cache-control': 'no-store' } as const;
const ignore = (): void => undefined;

export class HttpEndpoint {
  readonly #options: HttpEndpointOptions;
  readonly #sessions = new Map<string, HttpChannel>();
  /** The `x-framewire-seq` order of each session's sends (made by its first send that has the header). */
  readonly #orders = new Map<HttpChannel, SendOrder>();
  /** The `/fw/send` requests of each session whose body is still arriving. */
  readonly #bodies = new Map<HttpChannel, Set<IncomingMessage>>();
  readonly #bodyLimit: number;
  readonly #pollWaitMs: number;
  readonly #idleTimeoutMs: number;
  /** Refusals are a client's doing: their log lines are rate-limited (log-throttle.ts). */
  readonly #refusalLog: Logger;

  constructor(options: HttpEndpointOptions) {
    this.#options = options;
    this.#refusalLog = throttleLog(options.log);
    this.#bodyLimit = options.maxPayload + BODY_SLACK_BYTES;
    this.#pollWaitMs = options.pollWaitMs ?? DEFAULT_POLL_WAIT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? httpIdleTimeoutMs(options.heartbeatMs);
    const paths = Object.keys(ROUTES).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    options.routes.add('*', new RegExp(`^(?:${paths.join('|')})$`), (req, res, match) => this.#handle(req, res, match[0]));
  }

  /** Sessions whose token is known (open, closing, or lingering with their close record). */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Sessions not yet closed, by how they last fetched their downlink. */
  openSessions(): Record<HttpDownlinkKind, number> {
    const counts: Record<HttpDownlinkKind, number> = { none: 0, stream: 0, poll: 0 };
    for (const channel of this.#sessions.values()) if (!channel.closed) counts[channel.downlinkKind]++;
    return counts;
  }

  /** Forgets every session (the core has closed their channels): responses still attached are dropped. Safe to call twice. */
  close(): void {
    for (const channel of [...this.#sessions.values()]) channel.terminate();
    this.#sessions.clear();
    for (const order of this.#orders.values()) order.dispose();
    this.#orders.clear();
  }

  #handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { route, method } = ROUTES[path]!;
    const origin = req.headers.origin;
    const origins = this.#options.origins;
    if (origins.length > 0 && origin !== undefined && !origins.includes(normalizeOrigin(origin))) {
      this.#options.onRefused('origin');
      this.#refusalLog.info('origin refused', { origin, path });
      return this.#fail(req, res, route, 'bad-origin', `origin not allowed [origin:${clip(origin)}]`);
    }
    if (origin !== undefined) {
      // CORS: a page served from another origin may use the channel — a cluster redirects a
      // page to a node on another host. Safe to open: sessions are authorised by their token
      // header alone, never by cookies, so the answers carry no credentials.
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') return this.#preflight(req, res, method);
    }
    if (req.method !== method) {
      return this.#fail(req, res, route, 'method-not-allowed', `${path} takes ${method} [method:${req.method ?? '?'}]`, { allow: method });
    }
    if (route === 'session') return this.#open(req, res);
    const token = req.headers[TOKEN_HEADER];
    const channel = typeof token === 'string' ? this.#sessions.get(token) : undefined;
    if (channel === undefined) return this.#fail(req, res, route, 'unknown-session', `no such session (wrong or expired ${TOKEN_HEADER})`);
    switch (route) {
      case 'stream':
        discardBody(req, this.#bodyLimit);
        channel.attachStream(res);
        return this.#answered(route, 200);
      case 'poll':
        discardBody(req, this.#bodyLimit);
        channel.attachPoll(res);
        return this.#answered(route, 200);
      case 'send':
        return this.#receive(req, res, channel);
      case 'close':
        discardBody(req, this.#bodyLimit);
        channel.touch();
        channel.clientClose(CloseCode.normal, 'leave');
        return this.#empty(res, route);
    }
  }

  /**
   * `POST /fw/session`: through the edge checks (answered 429 / 503 when refused; it may
   * wait for the pacer), then a new channel, handed to the core at once; its token answered.
   */
  #open(req: IncomingMessage, res: ServerResponse): void {
    discardBody(req, this.#bodyLimit);
    if (this.#options.isClosing()) return this.#fail(req, res, 'session', 'shutting-down', 'relay is shutting down');
    const edge = this.#options.edge;
    if (edge === undefined) return this.#create(req, res, ignore, req.socket.remoteAddress);
    const client = edge.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    let created = false;
    let release = ignore;
    release = edge.enter(client, {
      go: () => {
        if (res.destroyed || res.writableEnded) return release();
        created = true;
        // The session counts for its address until it closes.
        this.#create(req, res, () => release(), client.address);
      },
      refuse: (error) => this.#refuseSession(req, res, error, client.address),
    });
    // A request that went while waiting for the pacer: nothing was created.
    res.once('close', () => {
      if (!created) release();
    });
  }

  #refuseSession(req: IncomingMessage, res: ServerResponse, error: RelayError, address: string | undefined): void {
    this.#options.onRefused(error.code);
    this.#refusalLog.info('http session refused', { code: error.code, message: error.message, address });
    const retry = error.code === 'too-many-connections' ? undefined : { 'retry-after': '1' };
    this.#fail(req, res, 'session', error.code as HttpErrorCode, error.message, retry);
  }

  #create(req: IncomingMessage, res: ServerResponse, onClosed: () => void, address: string | undefined): void {
    if (this.#options.isClosing()) {
      onClosed();
      return this.#fail(req, res, 'session', 'shutting-down', 'relay is shutting down');
    }
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const channel = new HttpChannel({
      pollWaitMs: this.#pollWaitMs,
      keepaliveMs: this.#options.keepaliveMs,
      idleTimeoutMs: this.#idleTimeoutMs,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      lingerMs: this.#options.lingerMs ?? DEFAULT_LINGER_MS,
      onEnd: (ended, why) => this.#ended(token, ended, why),
      onClosed,
    });
    this.#sessions.set(token, channel);
    // The welcome (or the refusal's error and close) is queued for the session's downlink.
    this.#options.admit(channel, parseRequestUrl(req).searchParams, { remoteAddress: address });
    const answer: HttpSessionAnswer = { token, pollWaitMs: this.#pollWaitMs };
    res.writeHead(200, { 'content-type': 'application/json', ...NO_STORE });
    res.end(JSON.stringify(answer));
    this.#answered('session', 200);
  }

  /**
   * `POST /fw/send`: the body's records go to the channel as they arrive, in the session's
   * `x-framewire-seq` order (`SendOrder`: a request ahead of a missing one waits); 204 once
   * its records were delivered. A request without the header is delivered as it arrives.
   */
  #receive(req: IncomingMessage, res: ServerResponse, channel: HttpChannel): void {
    channel.touch();
    const seq = parseSeq(req.headers[SEQ_HEADER]);
    if (seq === null) {
      // Refused before a byte of the body is read; the session is not closed by it.
      return this.#fail(req, res, 'send', 'bad-record', `${SEQ_HEADER} must be a non-negative integer [${SEQ_HEADER}:${clip(String(req.headers[SEQ_HEADER]))}]`);
    }
    let failed = false;
    const fail = (code: HttpErrorCode, message: string): void => {
      failed = true;
      this.#fail(req, res, 'send', code, message, undefined, false);
    };
    const turn = this.#turn(channel, seq, {
      done: () => {
        if (!failed) this.#empty(res, 'send');
      },
      refused: () => {
        if (!failed) fail('bad-record', 'close record with a code a client may not send');
      },
    });
    if (!isOctetStream(req.headers['content-type'])) {
      failed = true;
      turn.end();
      return this.#fail(req, res, 'send', 'bad-content-type', `body must be application/octet-stream [content-type:${clip(req.headers['content-type'] ?? '(none)')}]`);
    }
    const limit = this.#bodyLimit;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      // Refused before a byte of the body is read; the connection goes with the unread body.
      failed = true;
      turn.end();
      return this.#fail(req, res, 'send', 'too-large', `body too large [bytes:${declared}, max:${limit}]`, { connection: 'close' }, false);
    }
    if (!channel.isOpen) {
      // Closed meanwhile (its close record waits on the downlink): the body is of no use.
      discardBody(req, limit);
      failed = true;
      turn.end();
      return this.#empty(res, 'send');
    }
    if (declared !== undefined && !(this.#options.admitsMessage?.(Number(declared)) ?? true)) {
      // Over the relay's memory budget: no large body now (as a WebSocket message's header is refused).
      failed = true;
      turn.end();
      return this.#fail(req, res, 'send', 'server-busy', `the relay is over its memory budget: no large message now [bytes:${declared}]`, { 'retry-after': '1', connection: 'close' }, false);
    }
    const reader = new RecordReader({ maxRecordBytes: this.#options.maxPayload });
    let received = 0;
    this.#bodiesOf(channel).add(req);
    req.on('error', ignore);
    req.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      channel.holdIncoming(chunk.byteLength);
      if (failed) {
        // What follows an answered error is read and dropped (so the answer is not lost to a reset), up to a bound.
        if (received > 2 * limit) req.destroy();
        return;
      }
      if (received > limit) {
        fail('too-large', `body too large [bytes:>${limit}, max:${limit}]`);
        return turn.end(); // the records before the cut are still delivered (in their turn)
      }
      if (!channel.isOpen) return; // closed meanwhile (e.g. an invalid frame): the rest is not even parsed
      try {
        turn.push(reader.push(chunk));
      } catch (error) {
        failed = true;
        this.#readFailed(req, res, channel, error, 'body is not a record stream');
        turn.end();
      }
    });
    req.once('end', () => {
      if (failed) return;
      try {
        reader.end();
      } catch (error) {
        failed = true;
        this.#readFailed(req, res, channel, error, 'body ends inside a record');
      }
      turn.end();
    });
    // A request cut before its end (the client went): what came of it counts as all of it, unanswered.
    req.once('close', () => {
      channel.holdIncoming(-received);
      this.#bodies.get(channel)?.delete(req);
      if (!req.complete) failed = true;
      turn.end();
    });
  }

  /** The turn of a request: in the session's send order, or (no sequence number) live at once. */
  #turn(channel: HttpChannel, seq: number | undefined, listener: TurnListener): Turn {
    if (seq === undefined) return new Turn(undefined, true, (records) => channel.deliver(records), listener, ignore);
    let order = this.#orders.get(channel);
    if (order === undefined) {
      order = new SendOrder((records) => channel.deliver(records), SEQ_SKIP_MS);
      this.#orders.set(channel, order);
    }
    return order.open(seq, listener);
  }

  /**
   * Reading a body failed: a `FrameError` (the body is not a record stream) closes the
   * session as a WebSocket is closed on a bad frame (1007, the FrameError code) and is
   * answered 400; anything else is a bug of the relay, never the end of it (1011, 500).
   */
  #readFailed(req: IncomingMessage, res: ServerResponse, channel: HttpChannel, error: unknown, what: string): void {
    if (error instanceof FrameError) {
      this.#options.log.info('bad record stream: closing session', { code: error.code, message: error.message });
      channel.close(CloseCode.invalidData, error.code);
      return this.#fail(req, res, 'send', 'bad-record', `${what}: ${error.message}`, undefined, false);
    }
    this.#options.log.error('http send failed: closing session', { error });
    channel.close(CloseCode.internalError, 'internal-error');
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE });
      res.end('internal error\n');
    }
    this.#answered('send', 500);
  }

  #bodiesOf(channel: HttpChannel): Set<IncomingMessage> {
    let bodies = this.#bodies.get(channel);
    if (bodies === undefined) this.#bodies.set(channel, (bodies = new Set()));
    return bodies;
  }

  /** A CORS preflight: the route's method and the channel's request headers, cached 10 minutes. */
  #preflight(req: IncomingMessage, res: ServerResponse, method: string): void {
    discardBody(req, this.#bodyLimit);
    res.writeHead(204, {
      ...NO_STORE,
      'access-control-allow-methods': method,
      'access-control-allow-headers': `${TOKEN_HEADER}, ${SEQ_HEADER}, content-type`,
      'access-control-max-age': '600',
    });
    res.end();
  }

  #ended(token: string, channel: HttpChannel, why: HttpSessionEnd): void {
    if (this.#sessions.get(token) === channel) this.#sessions.delete(token);
    // Bodies still arriving for a session that is over (e.g. cut for the memory budget) go with it.
    for (const req of this.#bodies.get(channel) ?? []) req.destroy();
    this.#bodies.delete(channel);
    this.#orders.get(channel)?.dispose();
    this.#orders.delete(channel);
    if (why === 'idle') {
      this.#options.onRefused('heartbeat');
      this.#options.log.info('http session idle: terminated', { idleTimeoutMs: this.#idleTimeoutMs });
    }
  }

  #empty(res: ServerResponse, route: HttpRoute): void {
    res.writeHead(204, NO_STORE);
    res.end();
    this.#answered(route, 204);
  }

  /** Answers an error as JSON; the rest of the request body is read and dropped unless `drain` is false. */
  #fail(req: IncomingMessage, res: ServerResponse, route: HttpRoute, code: HttpErrorCode, message: string, headers?: OutgoingHttpHeaders, drain = true): void {
    if (drain) discardBody(req, this.#bodyLimit);
    const status = HTTP_ERROR_STATUS[code];
    if (res.headersSent) {
      res.destroy();
    } else {
      res.writeHead(status, { 'content-type': 'application/json', ...NO_STORE, ...headers });
      res.end(JSON.stringify(httpErrorBody(code, message)));
    }
    this.#answered(route, status);
  }

  #answered(route: HttpRoute, status: number): void {
    this.#options.onRequest?.(route, status);
  }
}

/** What a request's turn tells the request: its records were all delivered and it ended, or one was refused. */
interface TurnListener {
  done(): void;
  refused(): void;
}

/** One `/fw/send` request's records on their way to the channel: delivered at once while live, else held until its turn. */
class Turn {
  readonly seq: number | undefined;
  readonly #deliver: (records: readonly StreamRecord[]) => boolean;
  readonly #listener: TurnListener;
  readonly #onEnd: (turn: Turn) => void;
  /** Records held while the turn waits; undefined once live. */
  #held: StreamRecord[] | undefined;
  #ended = false;
  #settled = false;

  constructor(seq: number | undefined, live: boolean, deliver: (records: readonly StreamRecord[]) => boolean, listener: TurnListener, onEnd: (turn: Turn) => void) {
    this.seq = seq;
    this.#deliver = deliver;
    this.#listener = listener;
    this.#onEnd = onEnd;
    this.#held = live ? undefined : [];
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Records of the body, in order. */
  push(records: readonly StreamRecord[]): void {
    if (this.#ended || records.length === 0) return;
    if (this.#held !== undefined) {
      for (const record of records) this.#held.push(record);
      return;
    }
    if (!this.#deliver(records)) this.#listener.refused();
  }

  /** The body ended (or was cut, or answered with an error): no more records. Safe to call twice. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#held === undefined) this.#settle();
    this.#onEnd(this);
  }

  /** Its turn came: what it holds is delivered, and the rest as it comes. */
  goLive(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    if (held.length > 0 && !this.#deliver(held)) this.#listener.refused();
    if (this.#ended) this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#listener.done();
  }
}

/**
 * The `x-framewire-seq` order of one session's `/fw/send` requests (docs/protocol.md › HTTP
 * endpoints). `next` is the lowest sequence number not yet ended (nor skipped). A request
 * with seq `next` (or behind it: stale, a duplicate, or one that was skipped) is live: its
 * records are delivered as they arrive. A request ahead of `next` waits, its records held,
 * until every request before it has ended; when `next` has not ended `skipMs` after it
 * became the gap (or more than `MAX_WAITING_SENDS` wait), it is skipped: the waiting
 * requests go on in order from the lowest one.
 */
export class SendOrder {
  readonly #deliver: (records: readonly StreamRecord[]) => boolean;
  readonly #skipMs: number;
  #next = 0;
  readonly #waiting = new Map<number, Turn>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(deliver: (records: readonly StreamRecord[]) => boolean, skipMs: number) {
    this.#deliver = deliver;
    this.#skipMs = skipMs;
  }

  /** The next sequence number expected. */
  get next(): number {
    return this.#next;
  }

  /** Requests waiting for an earlier one. */
  get waiting(): number {
    return this.#waiting.size;
  }

  open(seq: number, listener: TurnListener): Turn {
    const ahead = seq > this.#next && !this.#waiting.has(seq);
    const turn = new Turn(seq, !ahead, this.#deliver, listener, this.#ended);
    if (!ahead) return turn;
    this.#waiting.set(seq, turn);
    if (this.#waiting.size > MAX_WAITING_SENDS) this.#skip();
    else if (this.#timer === undefined) this.#arm();
    return turn;
  }

  /** Stops the skip timer (the session is gone); waiting requests are delivered to the (closed) channel at once. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const turn of waiting) turn.goLive();
  }

  readonly #ended = (turn: Turn): void => {
    // A waiting turn that ends keeps waiting (ended) for its turn; only the gap's end moves `next`.
    if (turn.seq !== this.#next || this.#waiting.get(turn.seq) === turn) return;
    this.#next = turn.seq + 1;
    this.#advance(true);
  };

  /** Makes live every waiting turn that is next, in order, passing over those that already ended. */
  #advance(moved: boolean): void {
    for (;;) {
      const turn = this.#waiting.get(this.#next);
      if (turn === undefined) break;
      this.#waiting.delete(this.#next);
      turn.goLive();
      if (!turn.ended) break; // live now: its end moves `next` on
      this.#next++;
      moved = true;
    }
    if (this.#waiting.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (moved || this.#timer === undefined) {
      this.#arm(); // a new gap: it gets its own skipMs
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#skip, this.#skipMs);
    this.#timer.unref();
  }

  readonly #skip = (): void => {
    this.#timer = undefined;
    if (this.#waiting.size === 0) return;
    this.#next = Math.min(...this.#waiting.keys());
    this.#advance(true);
  };
}

/** The `x-framewire-seq` of a request: undefined without the header, null if it is not a non-negative safe integer. */
function parseSeq(value: string | string[] | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,16}$/.test(value)) return null;
  const seq = Number(value);
  return Number.isSafeInteger(seq) ? seq : null;
}

/** True for `application/octet-stream`, any case, parameters ignored. */
function isOctetStream(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/octet-stream';
}

/** Reads what is left of a request body and drops it (the connection stays usable); beyond `max` bytes the request is destroyed. */
function discardBody(req: IncomingMessage, max: number): void {
  if (req.readableEnded) return;
  let bytes = 0;
  req.on('error', ignore);
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.byteLength;
    if (bytes > max) req.destroy();
  });
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}

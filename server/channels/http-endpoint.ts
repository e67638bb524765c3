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
import { FrameError, RecordReader } from '../../codec/index.ts';
import {
  CloseCode,
  HTTP_CLOSE_PATH,
  HTTP_ERROR_STATUS,
  HTTP_POLL_PATH,
  HTTP_SEND_PATH,
  HTTP_SESSION_PATH,
  HTTP_STREAM_PATH,
  httpErrorBody,
  TOKEN_HEADER,
  type HttpErrorCode,
} from '../../protocol/index.ts';
import { parseRequestUrl, type RouteHandler } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { normalizeOrigin } from '../options.ts';
import { DEFAULT_LINGER_MS, DEFAULT_POLL_WAIT_MS, HttpChannel, type HttpDownlinkKind, type HttpSessionEnd } from './http-channel.ts';
import type { AdmitChannel } from './peer-channel.ts';

/** Random bytes of a session token (43 base64url characters). */
export const TOKEN_BYTES = 32;
/** A `/fw/send` body may exceed `maxPayload` by this much (control records beside a largest frame), bytes. */
export const BODY_SLACK_BYTES = 64 * 1024;
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
  /** Told about each request refused for its `Origin` and each session lost to the idle timeout ('heartbeat'), for metrics. Required. */
  onRefused: (code: 'origin' | 'heartbeat') => void;
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
  readonly #bodyLimit: number;
  readonly #pollWaitMs: number;
  readonly #idleTimeoutMs: number;

  constructor(options: HttpEndpointOptions) {
    this.#options = options;
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
  }

  #handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { route, method } = ROUTES[path]!;
    if (req.method !== method) {
      return this.#fail(req, res, route, 'method-not-allowed', `${path} takes ${method} [method:${req.method ?? '?'}]`, { allow: method });
    }
    const origin = req.headers.origin;
    const origins = this.#options.origins;
    if (origins.length > 0 && origin !== undefined && !origins.includes(normalizeOrigin(origin))) {
      this.#options.onRefused('origin');
      this.#options.log.info('origin refused', { origin, path });
      return this.#fail(req, res, route, 'bad-origin', `origin not allowed [origin:${clip(origin)}]`);
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

  /** `POST /fw/session`: a new channel, handed to the core at once; its token answered. */
  #open(req: IncomingMessage, res: ServerResponse): void {
    discardBody(req, this.#bodyLimit);
    if (this.#options.isClosing()) return this.#fail(req, res, 'session', 'shutting-down', 'relay is shutting down');
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const channel = new HttpChannel({
      pollWaitMs: this.#pollWaitMs,
      keepaliveMs: this.#options.keepaliveMs,
      idleTimeoutMs: this.#idleTimeoutMs,
      closeTimeoutMs: this.#options.closeTimeoutMs,
      lingerMs: this.#options.lingerMs ?? DEFAULT_LINGER_MS,
      onEnd: (ended, why) => this.#ended(token, ended, why),
    });
    this.#sessions.set(token, channel);
    // The welcome (or the refusal's error and close) is queued for the session's downlink.
    this.#options.admit(channel, parseRequestUrl(req).searchParams, { remoteAddress: req.socket.remoteAddress });
    const answer: HttpSessionAnswer = { token, pollWaitMs: this.#pollWaitMs };
    res.writeHead(200, { 'content-type': 'application/json', ...NO_STORE });
    res.end(JSON.stringify(answer));
    this.#answered('session', 200);
  }

  /** `POST /fw/send`: the body's records go to the channel as they arrive; 204 at its end. */
  #receive(req: IncomingMessage, res: ServerResponse, channel: HttpChannel): void {
    channel.touch();
    if (!isOctetStream(req.headers['content-type'])) {
      return this.#fail(req, res, 'send', 'bad-content-type', `body must be application/octet-stream [content-type:${clip(req.headers['content-type'] ?? '(none)')}]`);
    }
    const limit = this.#bodyLimit;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      // Refused before a byte of the body is read; the connection goes with the unread body.
      return this.#fail(req, res, 'send', 'too-large', `body too large [bytes:${declared}, max:${limit}]`, { connection: 'close' }, false);
    }
    if (!channel.isOpen) {
      // Closed meanwhile (its close record waits on the downlink): the body is of no use.
      discardBody(req, limit);
      return this.#empty(res, 'send');
    }
    const reader = new RecordReader({ maxRecordBytes: this.#options.maxPayload });
    let received = 0;
    let failed = false;
    const fail = (code: HttpErrorCode, message: string): void => {
      failed = true;
      this.#fail(req, res, 'send', code, message, undefined, false);
    };
    req.on('error', ignore);
    req.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (failed) {
        // What follows an answered error is read and dropped (so the answer is not lost to a reset), up to a bound.
        if (received > 2 * limit) req.destroy();
        return;
      }
      if (received > limit) return fail('too-large', `body too large [bytes:>${limit}, max:${limit}]`);
      if (!channel.isOpen) return; // closed meanwhile (e.g. an invalid frame): the rest is not even parsed
      try {
        if (!channel.deliver(reader.push(chunk))) fail('bad-record', 'close record with a code a client may not send');
      } catch (error) {
        failed = true;
        this.#readFailed(req, res, channel, error, 'body is not a record stream');
      }
    });
    req.once('end', () => {
      if (failed) return;
      try {
        reader.end();
      } catch (error) {
        failed = true;
        return this.#readFailed(req, res, channel, error, 'body ends inside a record');
      }
      this.#empty(res, 'send');
    });
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

  #ended(token: string, channel: HttpChannel, why: HttpSessionEnd): void {
    if (this.#sessions.get(token) === channel) this.#sessions.delete(token);
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

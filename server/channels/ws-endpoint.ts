/**
 * The WebSocket transport of the relay: takes the HTTP `upgrade`s on `/ws` (path, shutdown
 * and `Origin` checks, then the edge checks: per-address connections and join rate, the
 * admission pacer — session/edge-admission.ts), wraps each socket in a `WsChannel` and
 * hands it to the core with the URL's query, runs the ping/pong heartbeat that terminates
 * silent sockets, and closes 1008 `message-timeout` a socket whose message has been in
 * progress longer than `messageTimeoutMs` (ws-message-tracker.ts: ws would otherwise hold
 * up to `maxPayload` of a message that never ends, while pings are answered). Every
 * ws-specific setting lives here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode, RelayError, WS_PATH } from '../../protocol/index.ts';
import type { RelayServer } from '../http/server-factory.ts';
import { parseRequestUrl } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { throttleLog } from '../log-throttle.ts';
import { normalizeOrigin } from '../options.ts';
import type { EdgeAdmission } from '../session/edge-admission.ts';
import { RateLimiter } from '../session/rate-limiter.ts';
import type { AdmitChannel } from './peer-channel.ts';
import { WsChannel } from './ws-channel.ts';
import { WsMessageTracker } from './ws-message-tracker.ts';

/** ws receiver limits: fragments per message, and socket chunks buffered for one message. */
export const DEFAULT_MAX_FRAGMENTS = 1024;
export const DEFAULT_MAX_BUFFERED_CHUNKS = 64 * 1024;
/** Clean `server-busy` refusals per second (each costs an upgrade); the rest of a flood gets HTTP 503 before the upgrade. */
export const DEFAULT_CLEAN_REFUSALS_PER_SECOND = 200;

/** Options of `WsEndpoint`. */
export interface WsEndpointOptions {
  /** The server whose `upgrade` events the endpoint takes. Required. */
  server: RelayServer;
  /** Where accepted connections go. Required. */
  admit: AdmitChannel;
  /** True once the relay is shutting down: upgrades are answered 503. Required. */
  isClosing: () => boolean;
  /**
   * Told about each connection the endpoint refuses or kills ('origin', 'heartbeat',
   * 'message-timeout', and the edge's `too-many-connections`, `rate-limited`, `server-busy`), for metrics. Required.
   */
  onRefused: (code: string) => void;
  /** The edge checks (per-address limits, pacing) every upgrade passes before the core sees it. Default none. */
  edge?: EdgeAdmission;
  /** `server-busy` refusals per second made cleanly (upgrade, `error`, close 1013); more get HTTP 503 before the upgrade. Default 200. */
  cleanRefusalsPerSecond?: number;
  /** A message (or a lone control frame) still incomplete this long after its first byte closes the socket 1008 `message-timeout`, ms; 0 disables. Default 0. */
  messageTimeoutMs?: number;
  /** May a client start a message of this many bytes now (the relay's memory budget)? Asked as each data frame header arrives; no: closed 1013 `memory-budget`. Default: always. */
  admitsMessage?: (declaredBytes: number) => boolean;
  /** Largest message, bytes (ws `maxPayload`: close 1009 above). Required. */
  maxPayload: number;
  /** Normalized allowed origins; empty = any. Required. */
  origins: readonly string[];
  /** Heartbeat period, ms; 0 disables. Required. */
  heartbeatMs: number;
  /** How long a close handshake may take before ws destroys the socket, ms (at least 1000). Required. */
  closeTimeoutMs: number;
  log: Logger;
}

export class WsEndpoint {
  #options: WsEndpointOptions;
  #wss: WebSocketServer;
  /** Open channels with the tracker of their inbound messages (undefined once timed out). */
  #channels = new Map<WsChannel, WsMessageTracker | undefined>();
  #heartbeat: NodeJS.Timeout | undefined;
  #messageCheck: NodeJS.Timeout | undefined;
  readonly #messageTimeoutMs: number;
  /** Clean `server-busy` refusals (upgrade, `error`, 1013) per second; beyond, a bare 503. */
  readonly #cleanRefusals: RateLimiter;
  #closed = false;
  /** Refusals are a client's doing: their log lines are rate-limited (log-throttle.ts). */
  readonly #refusalLog: Logger;

  constructor(options: WsEndpointOptions) {
    this.#options = options;
    this.#refusalLog = throttleLog(options.log);
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.maxPayload,
      maxFragments: DEFAULT_MAX_FRAGMENTS,
      maxBufferedChunks: DEFAULT_MAX_BUFFERED_CHUNKS,
      clientTracking: false,
      // ws 8.23 option missing from @types/ws 8.18: how long a close handshake may take before the socket is destroyed.
      ...({ closeTimeout: Math.max(1000, options.closeTimeoutMs) } as object),
    });
    options.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    if (options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
      this.#heartbeat.unref();
    }
    this.#messageTimeoutMs = options.messageTimeoutMs ?? 0;
    const rate = options.cleanRefusalsPerSecond ?? DEFAULT_CLEAN_REFUSALS_PER_SECOND;
    this.#cleanRefusals = new RateLimiter(rate, Math.max(1, Math.ceil(rate / 10)));
    if (this.#messageTimeoutMs > 0) {
      // One timer for every socket (none per message): a deadline is late by at most this period.
      this.#messageCheck = setInterval(() => this.#checkMessages(), Math.max(50, Math.min(1000, Math.floor(this.#messageTimeoutMs / 4))));
      this.#messageCheck.unref();
    }
  }

  /** Stops the heartbeat (the relay is shutting down; sockets are closed by the core). Safe to call twice. */
  stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    clearInterval(this.#messageCheck);
    this.#messageCheck = undefined;
  }

  /** Stops the heartbeat and the ws server. Safe to call twice. */
  close(): void {
    this.stopHeartbeat();
    if (this.#closed) return;
    this.#closed = true;
    this.#wss.close();
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    let url: URL;
    try {
      url = parseRequestUrl(req);
    } catch {
      return rejectUpgrade(socket, 400, 'Bad Request');
    }
    if (url.pathname !== WS_PATH) return rejectUpgrade(socket, 404, 'Not Found');
    if (this.#options.isClosing()) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const origin = req.headers.origin;
    const origins = this.#options.origins;
    if (origins.length > 0 && origin !== undefined && !origins.includes(normalizeOrigin(origin))) {
      this.#options.onRefused('origin');
      this.#refusalLog.info('origin refused', { origin });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const edge = this.#options.edge;
    if (edge === undefined) return this.#accept(req, socket, head, url, req.socket.remoteAddress);
    const client = edge.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const release = edge.enter(client, {
      go: () => {
        if (!socket.destroyed) this.#accept(req, socket, head, url, client.address);
      },
      refuse: (error) => this.#refuse(req, socket, head, error, client.address),
    });
    // Counted for its address until the socket goes, whatever happens to it (a wait in the pacer is cancelled).
    socket.once('close', release);
  }

  /** Completes the upgrade and hands the channel to the core. */
  #accept(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, address: string | undefined): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const channel = new WsChannel(ws);
      const tracker = new WsMessageTracker();
      this.#channels.set(channel, tracker);
      // The tracker also tells the memory budget what a partly received message holds.
      socket.on('data', (chunk: Buffer) => tracker.push(chunk, now));
      channel.incomingBytesOf = () => tracker.inProgressBytes;
      const admits = this.#options.admitsMessage;
      if (admits !== undefined) {
        tracker.onDataFrame = (declared) => {
          if (admits(declared) || !channel.isOpen) return;
          this.#options.onRefused('memory-budget');
          channel.sendControl(JSON.stringify(RelayError.memoryBudget(declared, 0).toMessage()));
          channel.terminate();
        };
      }
      ws.on('error', (error) => this.#options.log.debug('socket error', { error }));
      ws.once('close', () => this.#channels.delete(channel));
      this.#options.admit(channel, url.searchParams, { remoteAddress: address });
    });
  }

  /** Refuses an upgrade at the edge as the core refuses one: the WebSocket opens, gets the `error`, and is closed 1013 with the code as reason. */
  #refuse(req: IncomingMessage, socket: Duplex, head: Buffer, error: RelayError, address: string | undefined): void {
    this.#options.onRefused(error.code);
    this.#refusalLog.info('connection refused', { code: error.code, message: error.message, address });
    if (socket.destroyed) return;
    if (error.code === 'server-busy' && !this.#cleanRefusals.take()) {
      // NOTE: a clean refusal costs a whole upgrade; in a flood, more of them than the pacer admits per second get a bare 503.
      return rejectUpgrade(socket, 503, 'Service Unavailable', { 'Retry-After': '1' });
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.send(JSON.stringify(error.toMessage()));
      ws.close(CloseCode.tryAgainLater, error.code);
    });
  }

  /** Closes 1008 `message-timeout` every socket whose message has been in progress longer than `messageTimeoutMs`. */
  #checkMessages(): void {
    const deadline = now() - this.#messageTimeoutMs;
    for (const [channel, tracker] of this.#channels) {
      const started = tracker?.startedAt;
      if (started === undefined || started >= deadline) continue;
      this.#channels.set(channel, undefined);
      this.#options.onRefused('message-timeout');
      this.#options.log.info('message not completed in time: closing socket', { messageTimeoutMs: this.#messageTimeoutMs, ms: Math.round(deadline + this.#messageTimeoutMs - started) });
      channel.sendControl(JSON.stringify(RelayError.messageTimeout(this.#messageTimeoutMs).toMessage()));
      channel.close(CloseCode.policy, 'message-timeout');
    }
  }

  #beat(): void {
    for (const channel of this.#channels.keys()) {
      if (!channel.alive) {
        this.#options.log.info('heartbeat: terminating silent peer');
        this.#options.onRefused('heartbeat');
        channel.terminate();
        continue;
      }
      channel.alive = false;
      channel.ping();
    }
  }
}

const now = (): number => performance.now();

function rejectUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${extra}Content-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
}

/**
 * The WebSocket transport of the relay: takes the HTTP `upgrade`s on `/ws` (path, shutdown
 * and `Origin` checks), wraps each socket in a `WsChannel` and hands it to the core with
 * the URL's query, and runs the ping/pong heartbeat that terminates silent sockets. Every
 * ws-specific setting lives here.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WS_PATH } from '../../protocol/index.ts';
import type { RelayServer } from '../http/server-factory.ts';
import { parseRequestUrl } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { normalizeOrigin } from '../options.ts';
import type { AdmitChannel } from './peer-channel.ts';
import { WsChannel } from './ws-channel.ts';

/** ws receiver limits: fragments per message, and socket chunks buffered for one message. */
export const DEFAULT_MAX_FRAGMENTS = 1024;
export const DEFAULT_MAX_BUFFERED_CHUNKS = 64 * 1024;

/** Options of `WsEndpoint`. */
export interface WsEndpointOptions {
  /** The server whose `upgrade` events the endpoint takes. Required. */
  server: RelayServer;
  /** Where accepted connections go. Required. */
  admit: AdmitChannel;
  /** True once the relay is shutting down: upgrades are answered 503. Required. */
  isClosing: () => boolean;
  /** Told about each connection the endpoint refuses or kills ('origin', 'heartbeat'), for metrics. Required. */
  onRefused: (code: 'origin' | 'heartbeat') => void;
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
  #channels = new Set<WsChannel>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WsEndpointOptions) {
    this.#options = options;
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
  }

  /** Stops the heartbeat (the relay is shutting down; sockets are closed by the core). Safe to call twice. */
  stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
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
      this.#options.log.info('origin refused', { origin });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const channel = new WsChannel(ws);
      this.#channels.add(channel);
      ws.on('error', (error) => this.#options.log.debug('socket error', { error }));
      ws.once('close', () => this.#channels.delete(channel));
      this.#options.admit(channel, url.searchParams, { remoteAddress: req.socket.remoteAddress });
    });
  }

  #beat(): void {
    for (const channel of this.#channels) {
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

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
}

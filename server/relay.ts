/**
 * The relay: one HTTP server on one port that serves the built web app, `/healthz`,
 * `/metrics`, and accepts WebSockets on `/ws`. Binary messages are wire-format frames,
 * validated (codec/), stamped with the sender's id and the relay time in place, and
 * forwarded as the SAME bytes to every other peer of the room through each receiver's
 * latest-wins outbox (frame-outbox.ts). Text messages are JSON control messages
 * (docs/protocol.md): presence, chat, signaling, call control, ping.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { DEFAULT_MAX_DIMENSION, DEFAULT_MAX_FRAME_BYTES, decodeFrame, FrameError, HEADER_BYTES, Offset, setRelayTime, setSourceId, type Frame } from '../codec/index.ts';
import { parseConnectParams, type ConnectParams } from './connect-params.ts';
import { BUILTIN_TYPES, chatTextOf, parseControl, pingTimeOf, ROUTED_TYPES, targetOf, type ControlMessage } from './control-message.ts';
import { DEFAULT_MAX_IN_FLIGHT } from './frame-outbox.ts';
import { createLogger, isLogLevel, type Logger, type LogLevel } from './logger.ts';
import { Peer, readSourceId, type PeerInfo } from './peer.ts';
import { RelayMetrics, type RelayStats } from './relay-metrics.ts';
import { CloseCode, RelayError } from './relay-error.ts';
import { Room } from './room.ts';
import { serveStatic } from './static-files.ts';
import { TypedEmitter } from './typed-emitter.ts';

export type { PeerInfo } from './peer.ts';
export type { RelayStats } from './relay-metrics.ts';
export { CloseCode, RelayError, type RelayErrorCode } from './relay-error.ts';

/** An ICE server handed to WebRTC-mode clients in `welcome` (RTCIceServer-like). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export const DEFAULT_PORT = 0;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_PEERS_PER_ROOM = 8;
export const DEFAULT_HEARTBEAT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_CONTROL_RATE_PER_SECOND = 50;
export const DEFAULT_CONTROL_BURST = 100;
export const DEFAULT_MAX_CONTROL_ERRORS = 10;
export const DEFAULT_CONTROL_ERROR_REFILL_MS = 6_000;
export const DEFAULT_MAX_CONTROL_BYTES = 64 * 1024;
export const DEFAULT_MAX_CHAT_CHARS = 2000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
export const DEFAULT_RELAY_LOG_LEVEL: LogLevel = 'warn';
/** ws receiver limits: fragments per message, and socket chunks buffered for one message. */
export const DEFAULT_MAX_FRAGMENTS = 1024;
export const DEFAULT_MAX_BUFFERED_CHUNKS = 64 * 1024;
/** Path of the WebSocket endpoint. */
export const WS_PATH = '/ws';

/** Options of `startRelay`. */
export interface RelayOptions {
  /** TCP port; 0 picks a free one (see `Relay.port`). Default 0. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1' (use '0.0.0.0' to accept other machines). */
  host?: string;
  /** Directory of the built web app (normally dist/web), served at `/`. Default: none (a placeholder page). */
  staticDir?: string;
  /** Peers per room; the next joiner is refused with `room-full`. Default 8. */
  maxPeersPerRoom?: number;
  /** Largest WebSocket message in bytes (ws `maxPayload`, close 1009) and largest frame. Default `DEFAULT_MAX_FRAME_BYTES` (8 MiB). */
  maxPayload?: number;
  /** Largest frame width or height, pixels. Default 4096. */
  maxDimension?: number;
  /** Heartbeat period in ms: a peer that has not answered the previous ping is terminated. 0 disables. Default 30000. */
  heartbeatMs?: number;
  /** Allowed `Origin` headers (e.g. 'https://example.com'); empty = any. Requests without Origin (non-browsers) are allowed. Default []. */
  origins?: string[];
  /** Open WebSocket connections; the next one is closed with 1013 `server-full`. Default 1000. */
  maxConnections?: number;
  /** ICE servers handed to clients in `welcome` (WebRTC mode). Default []. */
  iceServers?: IceServer[];
  /** Control messages per second per connection (token bucket). Default 50. */
  controlRatePerSecond?: number;
  /** Control-message burst per connection. Default 100. */
  controlBurst?: number;
  /** Refused control messages tolerated in a burst before closing with 1008 `abuse` (one more allowed every 6 s). Default 10. */
  maxControlErrors?: number;
  /** Largest control message, bytes of JSON. Default 65536. */
  maxControlBytes?: number;
  /** Longest chat text, characters. Default 2000. */
  maxChatChars?: number;
  /** Frames per source per receiver handed to the socket and not yet flushed before latest-wins applies. Default 1. */
  maxInFlight?: number;
  /** A receiver whose socket holds more unsent bytes than this (control messages are never dropped, so a frozen receiver could pile them up) is terminated. Default 128 MiB. */
  maxBufferedBytes?: number;
  /** How long `close()` waits for clients to finish the close handshake before terminating them, ms. Default 2000. */
  shutdownTimeoutMs?: number;
  /** Level of the default logger. Default 'warn'. */
  logLevel?: LogLevel;
  /** Where logs go. Default: JSON lines on stdout at `logLevel`. */
  logger?: Logger;
}

/** The `frame` event: a validated, stamped frame. `frame.bytes` is the exact buffer forwarded — do not mutate it. */
export interface FrameEvent {
  room: string;
  peerId: number;
  frame: Frame;
}

/** Events of `Relay`. */
export interface RelayEvents {
  [event: string]: unknown[];
  frame: [FrameEvent];
  'peer-joined': [{ peer: PeerInfo }];
  'peer-left': [{ peer: PeerInfo }];
}

/** Handler of an extra control type; throwing makes the relay answer `handler-failed`. */
export type ControlHandler = (peer: PeerInfo, msg: Record<string, unknown>) => void;
/** Handler of an extra HTTP route. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => void | Promise<void>;

type Resolved = Required<Omit<RelayOptions, 'staticDir' | 'logger' | 'logLevel'>> & { staticDir: string | undefined };

/** Starts a relay; resolves once it is listening. */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  return Relay.start(options);
}

export class Relay {
  #options: Resolved;
  #log: Logger;
  #http: Server;
  #wss: WebSocketServer;
  #events: TypedEmitter<RelayEvents>;
  #metrics: RelayMetrics;
  #rooms = new Map<string, Room<Peer>>();
  #peers = new Map<number, Peer>();
  /** Open sockets, each with whether it showed life (a message or a pong) since the last heartbeat. */
  #sockets = new Map<WebSocket, Liveness>();
  #handlers = new Map<string, ControlHandler>();
  #routes: { method: string; pattern: RegExp; handler: RouteHandler }[] = [];
  #nextPeerId = 1;
  #port = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #startedAt = Date.now();

  private constructor(options: RelayOptions) {
    this.#options = resolveOptions(options);
    this.#log = options.logger ?? createLogger({ level: options.logLevel ?? DEFAULT_RELAY_LOG_LEVEL, base: { component: 'relay' } });
    this.#events = new TypedEmitter<RelayEvents>((event, error) => this.#log.error('listener threw', { event, error }));
    this.#metrics = new RelayMetrics({
      connections: () => this.#sockets.size,
      rooms: () => this.#rooms.size,
      peers: () => this.#peers.size,
      peerDrops: () => this.#peerDrops(),
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.#options.maxPayload,
      maxFragments: DEFAULT_MAX_FRAGMENTS,
      maxBufferedChunks: DEFAULT_MAX_BUFFERED_CHUNKS,
      clientTracking: false,
      // ws 8.23 option missing from @types/ws 8.18: how long a close handshake may take before the socket is destroyed.
      ...({ closeTimeout: Math.max(1000, this.#options.shutdownTimeoutMs) } as object),
    });
    this.#http = createServer((req, res) => void this.#onRequest(req, res));
    this.#http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#http.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Creates a relay and starts listening (what `startRelay` calls). */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const relay = new Relay(options);
    await relay.#listen();
    return relay;
  }

  /** The port actually listened on. */
  get port(): number {
    return this.#port;
  }

  /** Base URL of the relay, e.g. `http://127.0.0.1:8080` (loopback when listening on all interfaces). */
  get url(): string {
    const host = this.#options.host;
    const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${this.#port}`;
  }

  /** Counters since start, plus current connections and rooms. */
  get stats(): RelayStats {
    return this.#metrics.stats;
  }

  /** The prom-client registry behind `GET /metrics` (e.g. for extensions to add their metrics). */
  get metricsRegistry(): RelayMetrics['registry'] {
    return this.#metrics.registry;
  }

  /** The relay's logger (for extensions). */
  get logger(): Logger {
    return this.#log;
  }

  on(event: 'frame', listener: (e: FrameEvent) => void): this;
  on(event: 'peer-joined', listener: (e: { peer: PeerInfo }) => void): this;
  on(event: 'peer-left', listener: (e: { peer: PeerInfo }) => void): this;
  on(event: keyof RelayEvents & string, listener: (e: never) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: 'frame', listener: (e: FrameEvent) => void): this;
  off(event: 'peer-joined', listener: (e: { peer: PeerInfo }) => void): this;
  off(event: 'peer-left', listener: (e: { peer: PeerInfo }) => void): this;
  off(event: keyof RelayEvents & string, listener: (e: never) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds a control type (e.g. 'record'). Built-in types and types already added are refused with a TypeError. */
  handleControl(type: string, handler: ControlHandler): void {
    if (BUILTIN_TYPES.has(type)) throw new TypeError(`control type is built in [type:${type}]`);
    if (this.#handlers.has(type)) throw new TypeError(`control type already handled [type:${type}]`);
    this.#handlers.set(type, handler);
  }

  /** Adds an HTTP route, matched against the URL path (no query) before static files. `method` '*' matches any. */
  route(method: string, pattern: RegExp, handler: RouteHandler): void {
    this.#routes.push({ method: method.toUpperCase(), pattern, handler });
  }

  /** Sends a JSON control message to one peer (never dropped). False if there is no such peer. */
  sendControl(peerId: number, msg: object): boolean {
    const peer = this.#peers.get(peerId);
    if (peer === undefined || peer.leaving) return false;
    return peer.sendControl(msg);
  }

  /**
   * Sends an encoded frame to one peer through the same latest-wins backpressure as
   * forwarding, keyed by the frame's sourceId. The bytes are sent as they are (not
   * validated, not stamped). False if there is no such peer or it is closing.
   */
  sendFrame(peerId: number, bytes: Uint8Array): boolean {
    const peer = this.#peers.get(peerId);
    if (peer === undefined || bytes.byteLength < HEADER_BYTES) return false;
    return peer.sendFrame(bytes, readSourceId(bytes));
  }

  /** Receiver `receiverId` stops (or resumes) getting `sourceId`'s relayed frames; `sendFrame` still delivers. */
  setSourceExcluded(receiverId: number, sourceId: number, excluded: boolean): void {
    this.#peers.get(receiverId)?.setExcluded(sourceId, excluded);
  }

  /** Peers of a room, in join order; [] if the room does not exist. */
  peers(room: string): PeerInfo[] {
    const r = this.#rooms.get(room);
    return r === undefined ? [] : [...r.peers()].map((p) => p.info());
  }

  /** Rooms with at least one peer. */
  rooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** True if the room has no secret (or does not exist) or `secret` matches it (constant-time). */
  checkRoomSecret(room: string, secret: string | undefined): boolean {
    return this.#rooms.get(room)?.checkSecret(secret) ?? true;
  }

  /** Frames dropped by backpressure towards `receiverId`, per source id (empty if no such peer). */
  drops(receiverId: number): Map<number, number> {
    return this.#peers.get(receiverId)?.drops() ?? new Map();
  }

  /** Bytes queued in the user-space send buffer of `peerId`'s socket (ws `bufferedAmount`); 0 if no such peer. */
  bufferedAmount(peerId: number): number {
    return this.#peers.get(peerId)?.socket.bufferedAmount ?? 0;
  }

  /** Frames towards `peerId` handed to its socket and not yet flushed, plus pending ones (all sources); 0 if no such peer. */
  queuedFrames(peerId: number): number {
    return this.#peers.get(peerId)?.queuedFrames ?? 0;
  }

  /** Graceful shutdown: close 1001 to everyone, wait (up to `shutdownTimeoutMs`), stop the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#http.once('error', onError);
      this.#http.listen(this.#options.port, this.#options.host, () => {
        this.#http.off('error', onError);
        resolve();
      });
    });
    this.#http.on('error', (error) => this.#log.error('http server error', { error }));
    const address = this.#http.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : this.#options.port;
    if (this.#options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs);
      this.#heartbeat.unref();
    }
    this.#log.info('listening', { url: this.url, host: this.#options.host, port: this.#port });
  }

  async #shutdown(): Promise<void> {
    this.#log.info('shutting down', { connections: this.#sockets.size });
    clearInterval(this.#heartbeat);
    const serverClosed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeIdleConnections();
    const sockets = [...this.#sockets.keys()];
    const allClosed = Promise.all(
      sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? undefined : new Promise<void>((resolve) => ws.once('close', () => resolve())))),
    );
    for (const ws of sockets) {
      const peer = this.#peerOf(ws);
      if (peer !== undefined) peer.markLeaving();
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(CloseCode.goingAway, 'shutting-down');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.#options.shutdownTimeoutMs)));
    if ((await Promise.race([allClosed, timeout])) === 'timeout') {
      for (const ws of this.#sockets.keys()) ws.terminate();
      await allClosed;
    }
    clearTimeout(timer);
    this.#http.closeAllConnections();
    await serverClosed;
    this.#wss.close();
    this.#events.clear();
    this.#log.info('closed');
  }

  #beat(): void {
    for (const [ws, liveness] of this.#sockets) {
      if (!liveness.alive) {
        this.#log.info('heartbeat: terminating silent peer', { peerId: this.#peerOf(ws)?.id });
        this.#metrics.refused('heartbeat');
        ws.terminate();
        continue;
      }
      liveness.alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }

  // ---- HTTP ------------------------------------------------------------------------------

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path = '?';
    try {
      path = parseRequestUrl(req).pathname;
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        const ok = this.#closing === undefined;
        const body = JSON.stringify({
          status: ok ? 'ok' : 'closing',
          connections: this.#sockets.size,
          rooms: this.#rooms.size,
          uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
        });
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (path === '/metrics' && req.method === 'GET') {
        const { contentType, body } = await this.#metrics.text();
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      if (path === WS_PATH) {
        res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
        res.end('this endpoint takes WebSocket connections: ws://HOST:PORT/ws?room=ROOM&name=NAME\n');
        return;
      }
      for (const route of this.#routes) {
        if (route.method !== '*' && route.method !== req.method) continue;
        route.pattern.lastIndex = 0;
        const match = route.pattern.exec(path);
        if (match === null) continue;
        await route.handler(req, res, match);
        return;
      }
      if (this.#options.staticDir !== undefined && (await serveStatic(this.#options.staticDir, req, res, path))) return;
      if (path === '/' && this.#options.staticDir === undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>framewire relay</title><p>framewire relay is running. The web app is not served (no staticDir; run <code>npm run build</code>).</p>\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    } catch (error) {
      this.#log.error('http handler failed', { path, error });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      } else {
        res.destroy();
      }
    }
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
    if (this.#closing !== undefined) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const origin = req.headers.origin;
    if (this.#options.origins.length > 0 && origin !== undefined && !this.#options.origins.includes(normalizeOrigin(origin))) {
      this.#metrics.refused('origin');
      this.#log.info('origin refused', { origin });
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, url, req));
  }

  // ---- connections -----------------------------------------------------------------------

  #onConnection(ws: WebSocket, url: URL, req: IncomingMessage): void {
    const liveness: Liveness = { alive: true };
    this.#sockets.set(ws, liveness);
    ws.on('error', (error) => this.#log.debug('socket error', { error, peerId: this.#peerOf(ws)?.id }));
    ws.on('pong', () => (liveness.alive = true));
    ws.once('close', (code, reason) => {
      this.#sockets.delete(ws);
      const peer = this.#peerOf(ws);
      if (peer !== undefined) {
        this.#log.info('peer closed', { peerId: peer.id, room: peer.room, code, reason: reason.toString() });
        this.#leave(peer);
      }
    });
    if (this.#closing !== undefined) return this.#refuse(ws, RelayError.shuttingDown(), CloseCode.goingAway);
    if (this.#sockets.size > this.#options.maxConnections) {
      return this.#refuse(ws, RelayError.serverFull(this.#options.maxConnections), CloseCode.tryAgainLater);
    }
    let params: ConnectParams;
    try {
      params = parseConnectParams(url.searchParams);
    } catch (error) {
      if (error instanceof RelayError) return this.#refuse(ws, error, CloseCode.policy);
      throw error;
    }
    let room = this.#rooms.get(params.room);
    if (room !== undefined && !room.checkSecret(params.secret)) return this.#refuse(ws, RelayError.badSecret(params.room), CloseCode.policy);
    if (room !== undefined && room.isFull) return this.#refuse(ws, RelayError.roomFull(params.room, room.maxPeers), CloseCode.policy);
    if (room === undefined) {
      room = new Room<Peer>(params.room, this.#options.maxPeersPerRoom, params.secret);
      this.#rooms.set(params.room, room);
    }
    const peer = this.#createPeer(ws, params);
    const others = [...room.peers()];
    room.add(peer);
    this.#peers.set(peer.id, peer);
    peerBySocket.set(ws, peer);
    ws.on('message', (data, isBinary) => {
      liveness.alive = true;
      if (peer.leaving) return;
      const buf = data as Buffer;
      try {
        if (isBinary) this.#onFrame(peer, buf);
        else this.#onControl(peer, buf);
      } catch (error) {
        // A bug, not the peer's fault: never let it take the relay down.
        this.#log.error('message handling failed: closing peer', { peerId: peer.id, room: peer.room, error });
        this.#closePeer(peer, CloseCode.internalError, 'internal-error');
      }
    });
    peer.sendControl({
      type: 'welcome',
      peerId: peer.id,
      room: room.name,
      name: peer.name,
      mode: peer.mode,
      peers: others.map(publicPeer),
      serverTime: relayNow(),
      iceServers: this.#options.iceServers,
      limits: {
        maxPayload: this.#options.maxPayload,
        maxPeersPerRoom: this.#options.maxPeersPerRoom,
        maxControlBytes: this.#options.maxControlBytes,
        maxChatChars: this.#options.maxChatChars,
        controlRatePerSecond: this.#options.controlRatePerSecond,
      },
    });
    for (const other of others) other.sendControl({ type: 'peer-joined', peer: publicPeer(peer) });
    this.#log.info('peer joined', {
      peerId: peer.id,
      room: room.name,
      name: peer.name,
      mode: peer.mode,
      address: req.socket.remoteAddress,
    });
    this.#events.emit('peer-joined', { peer: peer.info() });
  }

  #createPeer(ws: WebSocket, params: ConnectParams): Peer {
    const id = this.#nextPeerId;
    this.#nextPeerId = this.#nextPeerId >= 0xffffffff ? 1 : this.#nextPeerId + 1;
    return new Peer({
      id,
      name: params.name,
      mode: params.mode,
      room: params.room,
      socket: ws,
      maxInFlight: this.#options.maxInFlight,
      controlRatePerSecond: this.#options.controlRatePerSecond,
      controlBurst: this.#options.controlBurst,
      maxControlErrors: this.#options.maxControlErrors,
      errorRefillMs: DEFAULT_CONTROL_ERROR_REFILL_MS,
      onFrameSent: (bytes) => this.#metrics.frameOut(bytes[Offset.codec] ?? 0, bytes.byteLength),
      onFrameDropped: (_source, bytes) => this.#metrics.drop(bytes[Offset.codec] ?? 0),
      onControlSent: () => this.#metrics.controlOut(),
      maxBufferedBytes: this.#options.maxBufferedBytes,
      onOverflow: (peer) => {
        this.#metrics.refused('slow-consumer');
        this.#log.warn('slow consumer: terminating peer', { peerId: peer.id, room: peer.room, bufferedAmount: peer.socket.bufferedAmount });
        this.#leave(peer);
        peer.socket.terminate();
      },
    });
  }

  /** Refuses a fresh connection: an `error` message, then a close with the error code as reason. */
  #refuse(ws: WebSocket, error: RelayError, closeCode: number): void {
    this.#metrics.refused(error.code);
    this.#log.info('connection refused', { code: error.code, message: error.message });
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'error', code: error.code, message: error.message }));
    ws.close(closeCode, error.code);
  }

  /** Closes a joined peer's connection (it leaves the room at once). */
  #closePeer(peer: Peer, closeCode: number, reason: string): void {
    this.#leave(peer);
    const ws = peer.socket;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(closeCode, reason);
  }

  /** Removes a peer from its room and tells the others; safe to call twice. */
  #leave(peer: Peer): void {
    peer.markLeaving();
    const room = this.#rooms.get(peer.room);
    if (this.#peers.get(peer.id) === peer) this.#peers.delete(peer.id);
    if (room === undefined || !room.remove(peer)) return;
    if (room.size === 0) this.#rooms.delete(room.name);
    for (const other of room.peers()) {
      other.forgetSource(peer.id);
      other.sendControl({ type: 'peer-left', peerId: peer.id });
    }
    this.#events.emit('peer-left', { peer: peer.info() });
  }

  #peerOf(ws: WebSocket): Peer | undefined {
    return peerBySocket.get(ws);
  }

  *#peerDrops(): Iterable<{ room: string; receiver: number; source: number; drops: number }> {
    for (const peer of this.#peers.values()) {
      for (const [source, drops] of peer.drops()) yield { room: peer.room, receiver: peer.id, source, drops };
    }
  }

  // ---- frames ----------------------------------------------------------------------------

  #onFrame(peer: Peer, buf: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(buf, { maxFrameBytes: this.#options.maxPayload, maxDimension: this.#options.maxDimension });
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#metrics.frameError(error.code);
      this.#log.info('invalid frame: closing sender', { peerId: peer.id, room: peer.room, code: error.code, message: error.message });
      this.#closePeer(peer, CloseCode.invalidData, error.code);
      return;
    }
    const relayTime = relayNow();
    setSourceId(buf, peer.id);
    setRelayTime(buf, relayTime);
    this.#metrics.frameIn(frame.codec, buf.byteLength);
    const room = this.#rooms.get(peer.room);
    if (room !== undefined) {
      for (const other of room.peers()) {
        if (other === peer || other.excludes(peer.id)) continue;
        other.sendFrame(buf, peer.id);
      }
    }
    if (this.#events.has('frame')) {
      // The decoded fields predate the stamps written into `buf` above: bring them in step.
      frame.sourceId = peer.id;
      frame.relayTime = relayTime;
      this.#events.emit('frame', { room: peer.room, peerId: peer.id, frame });
    }
  }

  // ---- control ---------------------------------------------------------------------------

  #onControl(peer: Peer, buf: Buffer): void {
    if (buf.byteLength > this.#options.maxControlBytes) {
      return this.#refuseControl(peer, RelayError.tooLarge(buf.byteLength, this.#options.maxControlBytes));
    }
    if (!peer.takeControlToken()) return this.#refuseControl(peer, RelayError.rateLimited(this.#options.controlRatePerSecond));
    let msg: ControlMessage;
    try {
      msg = parseControl(buf.toString('utf8'));
    } catch (error) {
      if (error instanceof RelayError) return this.#refuseControl(peer, error);
      throw error;
    }
    const known = BUILTIN_TYPES.has(msg.type) || this.#handlers.has(msg.type);
    this.#metrics.controlIn(known ? msg.type : 'other');
    try {
      this.#dispatch(peer, msg);
    } catch (error) {
      if (error instanceof RelayError) return this.#refuseControl(peer, error);
      throw error;
    }
  }

  #dispatch(peer: Peer, msg: ControlMessage): void {
    const room = this.#rooms.get(peer.room);
    if (room === undefined) return;
    if (ROUTED_TYPES.has(msg.type)) {
      const to = targetOf(msg);
      if (msg.type === 'signal' && msg['data'] === undefined) throw RelayError.badMessage('signal', '"data" is required');
      const target = to === peer.id ? undefined : room.get(to);
      if (target === undefined || target.leaving) throw RelayError.noSuchPeer(msg.type, to);
      target.sendControl(msg['data'] === undefined ? { type: msg.type, from: peer.id } : { type: msg.type, from: peer.id, data: msg['data'] });
      return;
    }
    switch (msg.type) {
      case 'chat': {
        const text = chatTextOf(msg, this.#options.maxChatChars);
        const out = { type: 'chat', from: peer.id, name: peer.name, text, ts: relayNow() };
        for (const p of room.peers()) p.sendControl(out);
        return;
      }
      case 'ping':
        peer.sendControl({ type: 'pong', t: pingTimeOf(msg), serverTime: relayNow() });
        return;
      case 'stats':
        peer.sendControl({ type: 'stats', drops: Object.fromEntries(peer.drops()) });
        return;
    }
    const handler = this.#handlers.get(msg.type);
    if (handler === undefined) throw RelayError.unknownType(msg.type);
    try {
      handler(peer.info(), msg);
    } catch (error) {
      if (error instanceof RelayError) throw error;
      this.#log.error('control handler failed', { type: msg.type, peerId: peer.id, error });
      peer.sendControl(errorMessage(RelayError.handlerFailed(msg.type)));
    }
  }

  /** Answers a refused control message; a peer refused too often is closed with 1008 `abuse`. */
  #refuseControl(peer: Peer, error: RelayError): void {
    this.#log.debug('control refused', { peerId: peer.id, code: error.code, message: error.message });
    if (!peer.takeErrorToken()) {
      this.#metrics.refused('abuse');
      this.#log.info('abuse: closing peer', { peerId: peer.id, room: peer.room, last: error.code });
      peer.sendControl(errorMessage(RelayError.abuse(this.#options.maxControlErrors)));
      this.#closePeer(peer, CloseCode.policy, 'abuse');
      return;
    }
    peer.sendControl(errorMessage(error));
  }
}

const peerBySocket = new WeakMap<WebSocket, Peer>();

/** Heartbeat state of one socket (a mutable cell, so a message costs one store, not a map update). */
interface Liveness {
  alive: boolean;
}

/** `performance.timeOrigin` (a getter that calls into Node), read once. */
const TIME_ORIGIN = performance.timeOrigin;

/** The relay's clock: ms since the Unix epoch, sub-millisecond (same clock as the frames' relayTime). */
export function relayNow(): number {
  return TIME_ORIGIN + performance.now();
}

function publicPeer(peer: Peer): { id: number; name: string; mode: string } {
  return { id: peer.id, name: peer.name, mode: peer.mode };
}

function errorMessage(error: RelayError): { type: 'error'; code: string; message: string } {
  return { type: 'error', code: error.code, message: error.message };
}

function parseRequestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://relay.invalid');
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

function resolveOptions(o: RelayOptions): Resolved {
  const int = (name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) throw new TypeError(`relay option ${name} must be an integer in ${min}..${max} [${name}:${String(v)}]`);
    return v;
  };
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new TypeError(`relay option ${name} must be a positive number [${name}:${String(v)}]`);
    return v;
  };
  if (o.logLevel !== undefined && !isLogLevel(o.logLevel)) throw new TypeError(`relay option logLevel unknown [logLevel:${String(o.logLevel)}]`);
  const iceServers = o.iceServers ?? [];
  for (const s of iceServers) {
    const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
    if (urls.length === 0 || urls.some((u) => typeof u !== 'string' || !/^(stuns?|turns?):/.test(u))) {
      throw new TypeError(`relay option iceServers: urls must be stun:, stuns:, turn: or turns: URLs [urls:${JSON.stringify(s.urls)}]`);
    }
  }
  const maxPayload = int('maxPayload', o.maxPayload, DEFAULT_MAX_FRAME_BYTES, HEADER_BYTES, 2 ** 31 - 1);
  const maxControlBytes = int('maxControlBytes', o.maxControlBytes, DEFAULT_MAX_CONTROL_BYTES, 64);
  if (maxControlBytes > maxPayload) throw new TypeError(`relay option maxControlBytes exceeds maxPayload [maxControlBytes:${maxControlBytes}, maxPayload:${maxPayload}]`);
  return {
    port: int('port', o.port, DEFAULT_PORT, 0, 65535),
    host: o.host ?? DEFAULT_HOST,
    staticDir: o.staticDir,
    maxPeersPerRoom: int('maxPeersPerRoom', o.maxPeersPerRoom, DEFAULT_MAX_PEERS_PER_ROOM, 1),
    maxPayload,
    maxDimension: int('maxDimension', o.maxDimension, DEFAULT_MAX_DIMENSION, 1, 65535),
    heartbeatMs: int('heartbeatMs', o.heartbeatMs, DEFAULT_HEARTBEAT_MS, 0),
    origins: (o.origins ?? []).map(normalizeOrigin).filter((s) => s.length > 0),
    maxConnections: int('maxConnections', o.maxConnections, DEFAULT_MAX_CONNECTIONS, 1),
    iceServers,
    controlRatePerSecond: positive('controlRatePerSecond', o.controlRatePerSecond, DEFAULT_CONTROL_RATE_PER_SECOND),
    controlBurst: int('controlBurst', o.controlBurst, DEFAULT_CONTROL_BURST, 1),
    maxControlErrors: int('maxControlErrors', o.maxControlErrors, DEFAULT_MAX_CONTROL_ERRORS, 1),
    maxControlBytes,
    maxChatChars: int('maxChatChars', o.maxChatChars, DEFAULT_MAX_CHAT_CHARS, 1),
    maxInFlight: int('maxInFlight', o.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 1),
    maxBufferedBytes: int('maxBufferedBytes', o.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, 1),
    shutdownTimeoutMs: int('shutdownTimeoutMs', o.shutdownTimeoutMs, DEFAULT_SHUTDOWN_TIMEOUT_MS, 0),
  };
}

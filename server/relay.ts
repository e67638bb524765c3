/**
 * The relay: one HTTP server on one port that serves the built web app, `/healthz`,
 * `/metrics`, accepts WebSockets on `/ws` and HTTP channel sessions on `/fw/*`. This file
 * is the facade that wires the pieces: options.ts (defaults, validation), http/ (server
 * factory, routes, static files), channels/ (the transports: `PeerChannel`, WebSocket,
 * HTTP), relay-core.ts (admission, rooms, forwarding), control/ (the dispatch table),
 * session/ (peer, outbox, budgets).
 */
import { HEADER_BYTES } from '../codec/index.ts';
import { CloseCode, Emitter, parseConnectParams, RelayError, type QueryLike, type RedirectMessage } from '../protocol/index.ts';
import { ClusterNode, type ClusterStatus } from './cluster/cluster-node.ts';
import { registerClusterMetrics, type ClusterMetrics } from './cluster/cluster-metrics.ts';
import { registerAdminRoutes } from './http/admin-routes.ts';
import { HttpEndpoint } from './channels/http-endpoint.ts';
import type { ConnectionInfo, PeerChannel } from './channels/peer-channel.ts';
import { WsEndpoint } from './channels/ws-endpoint.ts';
import type { ControlHandler } from './control/dispatcher.ts';
import { AddressSet } from './http/client-address.ts';
import { ConnectionGate } from './http/connection-gate.ts';
import { HttpRoutes, type RouteHandler } from './http/routes.ts';
import { createPlainServer, schemeOf, type RelayServer } from './http/server-factory.ts';
import { createLogger, withoutCredentials, type Logger } from './logger.ts';
import { DEFAULT_RELAY_LOG_LEVEL, resolveOptions, type RelayOptions, type ResolvedOptions } from './options.ts';
import { RelayCore, type FrameEvent, type RelayEvents } from './relay-core.ts';
import { RelayMetrics, type RelayStats } from './relay-metrics.ts';
import type { PathFigures, SourceFigures } from './session/ack-window.ts';
import { AddressLimits } from './session/address-limits.ts';
import { AdmissionPacer } from './session/admission-pacer.ts';
import { EdgeAdmission } from './session/edge-admission.ts';
import { readSourceId, type PeerInfo } from './session/peer.ts';

export {
  DEFAULT_CONTROL_BURST,
  DEFAULT_CONTROL_ERROR_REFILL_MS,
  DEFAULT_CONTROL_RATE_PER_SECOND,
  DEFAULT_FEEDBACK_EXPIRE_MS,
  DEFAULT_FEEDBACK_INTERVAL_MS,
  DEFAULT_FEEDBACK_TARGET_DELAY_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CHAT_CHARS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONTROL_BYTES,
  DEFAULT_MAX_CONTROL_ERRORS,
  DEFAULT_MAX_PEERS_PER_ROOM,
  DEFAULT_PORT,
  DEFAULT_RELAY_LOG_LEVEL,
  DEFAULT_RESUME_GRACE_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type IceServer,
  type RelayOptions,
} from './options.ts';
export { DEFAULT_MAX_BUFFERED_CHUNKS, DEFAULT_MAX_FRAGMENTS } from './channels/ws-endpoint.ts';
export type { ChannelReceiver, ConnectionInfo, PeerChannel } from './channels/peer-channel.ts';
export type { ControlHandler } from './control/dispatcher.ts';
export type { RouteHandler } from './http/routes.ts';
export type { RelayServer, RequestHandler, ServerFactory } from './http/server-factory.ts';
export type { FrameEvent, RelayEvents } from './relay-core.ts';
export type { PeerInfo } from './session/peer.ts';
export type { PathFigures, SourceFigures } from './session/ack-window.ts';
export type { RelayStats } from './relay-metrics.ts';
export { CloseCode, RelayError, WS_PATH, type RelayErrorCode } from '../protocol/index.ts';
export { HTTP_CLOSE_PATH, HTTP_POLL_PATH, HTTP_SEND_PATH, HTTP_SESSION_PATH, HTTP_STREAM_PATH, TOKEN_HEADER } from '../protocol/index.ts';
export { relayNow } from './clock.ts';

/** Starts a relay; resolves once it is listening. */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  return Relay.start(options);
}

export class Relay {
  #options: ResolvedOptions;
  #log: Logger;
  #http: RelayServer;
  #ws: WsEndpoint;
  #httpChannels: HttpEndpoint;
  #pacer: AdmissionPacer;
  #gate: ConnectionGate;
  #events: Emitter<RelayEvents>;
  #metrics: RelayMetrics;
  #core: RelayCore;
  #routes: HttpRoutes;
  #port = 0;
  /** This relay as a cluster node (`options.cluster`), once it has joined the cluster. */
  #cluster: ClusterNode | undefined;
  #clusterMetrics: ClusterMetrics | undefined;
  #closing: Promise<void> | undefined;
  #startedAt = Date.now();

  private constructor(options: RelayOptions) {
    const o = (this.#options = resolveOptions(options));
    const log = (this.#log = options.logger ?? createLogger({ level: options.logLevel ?? DEFAULT_RELAY_LOG_LEVEL, base: { component: 'relay' } }));
    this.#events = new Emitter<RelayEvents>((event, error) => log.error('listener threw', { event, error }));
    this.#metrics = new RelayMetrics({
      connections: () => this.#core.connections,
      rooms: () => this.#core.rooms.size,
      peers: () => this.#core.peers.size,
      peerDrops: () => this.#core.peerDrops(),
      httpSessions: () => this.#httpChannels.openSessions(),
      halfOpen: () => this.#gate.halfOpen,
      admissionWaiting: () => this.#pacer.waiting,
    });
    this.#core = new RelayCore({
      options: o,
      log,
      metrics: this.#metrics,
      events: this.#events,
      ...(o.cluster === undefined ? {} : { nextPeerId: () => this.#cluster?.nextPeerId() }),
    });
    this.#routes = new HttpRoutes({
      staticDir: o.staticDir,
      health: () => ({
        status: this.#closing === undefined ? 'ok' : 'closing',
        connections: this.#core.connections,
        rooms: this.#core.rooms.size,
        uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
        ...(this.#cluster === undefined ? {} : { cluster: clusterHealth(this.#cluster.status()) }),
      }),
      metrics: () => this.#metrics.text(),
      log,
    });
    this.#http = (options.createServer ?? createPlainServer)(this.#routes.handle);
    // The edge: per-address limits, admission pacing, and the gate in front of the server (half-open sockets, deadlines).
    this.#pacer = new AdmissionPacer({ perSecond: o.admissionsPerSecond, burst: o.admissionBurst, maxWaitMs: o.admissionWaitMs });
    const edge = new EdgeAdmission({
      limits: new AddressLimits({ maxConnections: o.maxConnectionsPerIp, joinsPerMinute: o.joinsPerIpPerMinute, joinBurst: o.joinBurstPerIp }),
      pacer: this.#pacer,
      trustedProxies: AddressSet.parse(o.trustedProxies),
      exempt: AddressSet.parse(o.limitExempt),
    });
    this.#gate = new ConnectionGate({
      maxConnections: o.maxConnections,
      maxConnectionsPerIp: o.maxConnectionsPerIp,
      connections: () => this.#core.connections + this.#pacer.waiting,
      edge,
      headersTimeoutMs: o.headersTimeoutMs,
      requestTimeoutMs: o.messageTimeoutMs > 0 ? o.messageTimeoutMs : 300_000, // 0: Node's default request timeout
      isClosing: () => this.#closing !== undefined,
      onRefused: (code) => this.#metrics.refused(code),
      log,
    });
    this.#gate.attach(this.#http);
    this.#ws = new WsEndpoint({
      server: this.#http,
      admit: (channel, query, info) => this.accept(channel, query, info),
      isClosing: () => this.#closing !== undefined,
      onRefused: (code) => this.#metrics.refused(code),
      edge,
      messageTimeoutMs: o.messageTimeoutMs,
      admitsMessage: (bytes) => this.#core.admitsMessage(bytes),
      maxPayload: o.maxPayload,
      origins: o.origins,
      heartbeatMs: o.heartbeatMs,
      closeTimeoutMs: o.shutdownTimeoutMs,
      log,
    });
    this.#httpChannels = new HttpEndpoint({
      routes: this.#routes,
      admit: (channel, query, info) => this.accept(channel, query, info),
      isClosing: () => this.#closing !== undefined,
      onRefused: (code) => this.#metrics.refused(code),
      onRequest: (route, status) => this.#metrics.httpRequest(route, status),
      admitsMessage: (bytes) => this.#core.admitsMessage(bytes),
      edge,
      maxPayload: o.maxPayload,
      origins: o.origins,
      heartbeatMs: o.heartbeatMs,
      closeTimeoutMs: Math.max(1000, o.shutdownTimeoutMs),
      log,
    });
  }

  /**
   * Creates a relay and starts listening (what `startRelay` calls); with `options.cluster`,
   * it also joins the cluster, and rejects (closed again) if Redis cannot be reached.
   */
  static async start(options: RelayOptions = {}): Promise<Relay> {
    const relay = new Relay(options);
    await relay.#listen();
    const cluster = relay.#options.cluster;
    if (cluster !== undefined) {
      try {
        relay.#cluster = await ClusterNode.start(cluster, cluster.publicUrl ?? relay.url, relay.#localState(), relay.#log);
      } catch (error) {
        await relay.close();
        throw new Error(`cannot join the cluster: ${error instanceof Error ? error.message : String(error)} [redis:${withoutCredentials(cluster.redisUrl)}]`, { cause: error });
      }
      const node = relay.#cluster;
      relay.#events.on('peer-left', ({ peer }) => {
        if (!relay.#core.rooms.has(peer.room)) node.roomEmptied(peer.room);
      });
      relay.#clusterMetrics = registerClusterMetrics(relay.#metrics.registry, () => node.status());
    }
    registerAdminRoutes(relay.#routes, { token: relay.#options.adminToken, listing: () => relay.#adminListing() });
    return relay;
  }

  /** The cluster as this node sees it; undefined for a relay on its own. */
  get cluster(): ClusterStatus | undefined {
    return this.#cluster?.status();
  }

  #localState(): { connections(): number; rooms(): Array<[string, number]>; hasRoom(room: string): boolean } {
    return {
      connections: () => this.#core.connections,
      rooms: () => [...this.#core.rooms.values()].map((r) => [r.name, r.size] as [string, number]),
      hasRoom: (room) => this.#core.rooms.has(room),
    };
  }

  /** `GET /admin/rooms`: every room with its node and peers (the cluster's, or this relay's). */
  #adminListing(): object {
    const status = this.#cluster?.status();
    if (status !== undefined) return { node: status.nodeId, redis: status.redis, nodes: status.nodes, rooms: status.rooms };
    return { rooms: [...this.#core.rooms.values()].map((r) => ({ room: r.name, peers: r.size })) };
  }

  /** The port actually listened on. */
  get port(): number {
    return this.#port;
  }

  /** Base URL of the relay, e.g. `http://127.0.0.1:8080` (`https:` with a TLS server; loopback when listening on all interfaces). */
  get url(): string {
    const host = this.#options.host;
    const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
    return `${schemeOf(this.#http)}://${shown}:${this.#port}`;
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
  on(event: keyof RelayEvents, listener: (e: never) => void): this {
    this.#events.on(event, listener as (e: unknown) => void);
    return this;
  }

  off(event: 'frame', listener: (e: FrameEvent) => void): this;
  off(event: 'peer-joined', listener: (e: { peer: PeerInfo }) => void): this;
  off(event: 'peer-left', listener: (e: { peer: PeerInfo }) => void): this;
  off(event: keyof RelayEvents, listener: (e: never) => void): this {
    this.#events.off(event, listener as (e: unknown) => void);
    return this;
  }

  /**
   * Hands a connection of another transport to the relay (the WebSocket endpoint does the
   * same for `/ws`): `query` holds the connect parameters (`room`, `name`, `mode`,
   * `secret`). The relay refuses it or joins it, and owns the channel from then on.
   */
  accept(channel: PeerChannel, query: QueryLike, info: ConnectionInfo = {}): void {
    const room = this.#options.cluster === undefined ? undefined : roomOf(query);
    // A relay on its own, or a query the core refuses anyway: straight to the core.
    if (room === undefined) return this.#core.admit(channel, query, info);
    const cluster = this.#cluster;
    if (cluster === undefined) {
      // Listening, not yet in the cluster (start) — or the relay is closing.
      this.#metrics.refused('directory-unavailable');
      return this.#core.turnAway(channel, RelayError.directoryUnavailable(room).toMessage(), CloseCode.tryAgainLater, 'directory-unavailable');
    }
    // NOTE: nothing the client sends before its welcome is lost: it sends nothing before it.
    void cluster.place(room).then((placement) => {
      switch (placement.kind) {
        case 'local':
          return this.#core.admit(channel, query, info);
        case 'redirect': {
          const message: RedirectMessage = { type: 'redirect', url: placement.url, room };
          this.#clusterMetrics?.redirected();
          return this.#core.turnAway(channel, message, CloseCode.redirect, 'redirect');
        }
        case 'refuse':
          this.#metrics.refused(placement.error.code);
          return this.#core.turnAway(channel, placement.error.toMessage(), CloseCode.tryAgainLater, placement.error.code);
      }
    });
  }

  /** Adds a control type (e.g. 'record'). Built-in types and types already added are refused with a TypeError. */
  handleControl(type: string, handler: ControlHandler): void {
    this.#core.handleControl(type, handler);
  }

  /** Adds an HTTP route, matched against the URL path (no query) before static files. `method` '*' matches any. */
  route(method: string, pattern: RegExp, handler: RouteHandler): void {
    this.#routes.add(method, pattern, handler);
  }

  /** Sends a JSON control message to one peer (never dropped). False if there is no such peer. */
  sendControl(peerId: number, msg: object): boolean {
    const peer = this.#core.peers.get(peerId);
    if (peer === undefined || peer.leaving) return false;
    return peer.sendControl(msg);
  }

  /**
   * Sends an encoded frame to one peer through the same backpressure as forwarding, keyed
   * by the frame's sourceId and codec kind. The bytes are sent as they are (not validated,
   * not stamped). False if there is no such peer or it is closing.
   */
  sendFrame(peerId: number, bytes: Uint8Array): boolean {
    const peer = this.#core.peers.get(peerId);
    if (peer === undefined || bytes.byteLength < HEADER_BYTES) return false;
    return peer.sendFrame(bytes, readSourceId(bytes));
  }

  /** Receiver `receiverId` stops (or resumes) getting `sourceId`'s relayed frames; `sendFrame` still delivers. */
  setSourceExcluded(receiverId: number, sourceId: number, excluded: boolean): void {
    this.#core.peers.get(receiverId)?.setExcluded(sourceId, excluded);
  }

  /** Peers of a room, in join order; [] if the room does not exist. */
  peers(room: string): PeerInfo[] {
    const r = this.#core.rooms.get(room);
    return r === undefined ? [] : [...r.peers()].map((p) => p.info());
  }

  /** Rooms with at least one peer. */
  rooms(): string[] {
    return [...this.#core.rooms.keys()];
  }

  /** True if the room has no secret (or does not exist) or `secret` matches it (constant-time). */
  checkRoomSecret(room: string, secret: string | undefined): boolean {
    return this.#core.rooms.get(room)?.checkSecret(secret) ?? true;
  }

  /** Frames dropped by backpressure towards `receiverId`, per source id (empty if no such peer). */
  drops(receiverId: number): Map<number, number> {
    return this.#core.peers.get(receiverId)?.drops() ?? new Map();
  }

  /** Bytes the relay held for clients at the last memory-budget check (partial messages, buffers, queues; session/memory-budget.ts). */
  get heldBytes(): number {
    return this.#core.heldBytes;
  }

  /** Bytes queued in the user-space send buffer of `peerId`'s channel (ws `bufferedAmount`); 0 if no such peer. */
  bufferedAmount(peerId: number): number {
    return this.#core.peers.get(peerId)?.channel.bufferedAmount ?? 0;
  }

  /** Frames towards `peerId` handed to its channel and not yet flushed, plus waiting ones (all streams); 0 if no such peer. */
  queuedFrames(peerId: number): number {
    return this.#core.peers.get(peerId)?.queuedFrames ?? 0;
  }

  /**
   * The path towards `peerId` as its ack window sees it (goodput, queue delay, window and
   * bytes in flight; `ackMode: false` and zeros while it has not sent an `ack`); undefined if
   * there is no such peer.
   */
  path(peerId: number): PathFigures | undefined {
    return this.#core.peers.get(peerId)?.path();
  }

  /**
   * How `sourceId`'s frames reach `receiverId` over the last second (acked bitrate and fps,
   * frames dropped per second), transcoded ones included; undefined if there is no such
   * receiver, it does not ack, or none of those frames was acked or dropped yet.
   */
  sourcePath(receiverId: number, sourceId: number): SourceFigures | undefined {
    return this.#core.peers.get(receiverId)?.sourceFigures(sourceId);
  }

  /** Graceful shutdown: close 1001 to everyone, wait (up to `shutdownTimeoutMs`), stop the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #listen(): Promise<void> {
    const http = this.#http;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      http.once('error', onError);
      http.listen(this.#options.port, this.#options.host, () => {
        http.off('error', onError);
        resolve();
      });
    });
    http.on('error', (error) => this.#log.error('http server error', { error }));
    const address = http.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : this.#options.port;
    this.#log.info('listening', { url: this.url, host: this.#options.host, port: this.#port });
  }

  async #shutdown(): Promise<void> {
    this.#log.info('shutting down', { connections: this.#core.connections });
    this.#ws.stopHeartbeat();
    this.#pacer.close(); // waiting connections go to the core, which refuses them: shutting down
    this.#gate.close();
    const serverClosed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeIdleConnections();
    await this.#core.close();
    await this.#cluster?.close();
    this.#httpChannels.close(); // lingering sessions and what is still attached to them
    this.#http.closeAllConnections();
    await serverClosed;
    this.#ws.close();
    this.#events.clear();
    this.#log.info('closed');
  }
}

/** The room a connect query names, if the query is valid (undefined: the core refuses it). */
function roomOf(query: QueryLike): string | undefined {
  try {
    return parseConnectParams(query).room;
  } catch {
    return undefined;
  }
}

/** `/healthz`'s cluster summary: no room names (the admin listing has them). */
function clusterHealth(status: ClusterStatus): { node: string; redis: 'up' | 'down'; nodes: number; rooms: number; peers: number } {
  return {
    node: status.nodeId,
    redis: status.redis,
    nodes: status.nodes.length,
    rooms: status.nodes.reduce((sum, n) => sum + n.rooms, 0),
    peers: status.nodes.reduce((sum, n) => sum + n.peers, 0),
  };
}

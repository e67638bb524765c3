/**
 * The relay server's TCP edge: every accepted socket is *half-open* until its first request
 * (or upgrade request) has all its headers — the TLS handshake, the first byte and the
 * headers included. Half-open sockets count towards `maxConnections` (with the core's open
 * connections and the connections waiting for the admission pacer) and, for a peer that is
 * not a trusted proxy, towards its address's `maxConnectionsPerIp`; beyond either limit (plus
 * a small allowance of sockets still let through to be refused cleanly: an `error` message
 * and 1013 / an HTTP 429) a new socket is destroyed at once. A socket still half-open
 * `headersTimeoutMs` after it was accepted is destroyed (a byte-at-a-time upgrade request,
 * a stalled TLS handshake). Node's own `headersTimeout` / `requestTimeout` cover the later
 * requests of a kept-alive connection and request bodies (`POST /fw/send`): they are set
 * here, with a checking interval short enough to enforce them. `requestTimeout` ends when a
 * request has been *received*: a long-lived response (`GET /fw/stream`, a waiting poll) is
 * not cut.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { httpErrorBody } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import type { EdgeAdmission } from '../session/edge-admission.ts';
import { normalizeIp } from './client-address.ts';
import type { RelayServer } from './server-factory.ts';

/** How long a new socket may take to complete its first request's headers (TLS handshake included), ms. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
/** How long a WebSocket message, or an HTTP request's body, may take from its first byte, ms. */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 10_000;
/** Sockets beyond `maxConnections` still let through (to be refused cleanly with `server-full`) before new ones are destroyed. */
export const CONNECTION_ALLOWANCE = 16;
/** The same per address, beyond `maxConnectionsPerIp` (refused cleanly with `too-many-connections`). */
export const ADDRESS_ALLOWANCE = 4;

/** Why the gate refused or cut a socket (metrics: `framewire_refused_total{code}`). */
export type GateRefusal = 'server-full' | 'too-many-connections' | 'handshake-timeout' | 'request-timeout';

/** Options of `ConnectionGate`. */
export interface ConnectionGateOptions {
  /** The relay's `maxConnections`. Required. */
  maxConnections: number;
  /** The relay's `maxConnectionsPerIp`. Required. */
  maxConnectionsPerIp: number;
  /** Connections counted elsewhere: the core's open channels and the ones waiting for admission. Required. */
  connections: () => number;
  /** Per-address keys, limits and trusted proxies. Required. */
  edge: EdgeAdmission;
  /** Deadline of a socket's first request headers, from accept, ms; also Node's `headersTimeout`. Required. */
  headersTimeoutMs: number;
  /** Node's `requestTimeout`: a request (headers and body) must be received within it, ms. Required. */
  requestTimeoutMs: number;
  /** True once the relay is shutting down. Required. */
  isClosing: () => boolean;
  /** Told about every socket refused or cut, for metrics. Required. */
  onRefused: (code: GateRefusal) => void;
  log: Logger;
}

interface HalfOpen {
  /** The per-address key it counts under (undefined: a trusted proxy or an exempt address). */
  key: string | undefined;
  timer: NodeJS.Timeout;
}

type ConnectionListener = (socket: Socket) => void;

export class ConnectionGate {
  readonly #options: ConnectionGateOptions;
  /** Half-open sockets by `address|port` (the same on the raw socket and on a TLS socket over it). */
  readonly #halfOpen = new Map<string, HalfOpen>();

  constructor(options: ConnectionGateOptions) {
    this.#options = options;
  }

  /** Sockets accepted whose first request's headers are not complete yet. */
  get halfOpen(): number {
    return this.#halfOpen.size;
  }

  /**
   * Puts the gate in front of `server` (before it listens): its `connection` listeners get
   * only the sockets the gate lets through; its deadlines are set; `clientError` is answered.
   */
  attach(server: RelayServer): void {
    const o = this.#options;
    server.headersTimeout = o.headersTimeoutMs;
    server.requestTimeout = Math.max(o.requestTimeoutMs, o.headersTimeoutMs);
    // NOTE: Node checks both timeouts only every connectionsCheckingInterval (30 s by
    // default), read when the server starts listening.
    (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(o.headersTimeoutMs / 4)));
    const listeners = server.listeners('connection') as ConnectionListener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!this.#accept(socket)) return;
      for (const listener of listeners) listener.call(server, socket);
    });
    server.prependListener('request', (req) => this.#settle(req.socket));
    server.prependListener('upgrade', (req) => this.#settle(req.socket));
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#clientError(error, socket));
  }

  /** Destroys every half-open socket's timer (shutdown; the server closes the sockets). Safe to call twice. */
  close(): void {
    for (const entry of this.#halfOpen.values()) clearTimeout(entry.timer);
  }

  #accept(socket: Socket): boolean {
    const o = this.#options;
    const address = socket.remoteAddress;
    if (address === undefined || o.isClosing()) {
      socket.destroy();
      return false;
    }
    if (o.connections() + this.#halfOpen.size >= o.maxConnections + CONNECTION_ALLOWANCE) {
      o.onRefused('server-full');
      socket.destroy();
      return false;
    }
    const edge = o.edge;
    const key = edge.trustedProxies.has(address) ? undefined : edge.keyOf(normalizeIp(address));
    if (key !== undefined && !edge.limits.acquire(key, o.maxConnectionsPerIp + ADDRESS_ALLOWANCE)) {
      o.onRefused('too-many-connections');
      socket.destroy();
      return false;
    }
    const id = `${address}|${socket.remotePort}`;
    const entry: HalfOpen = {
      key,
      timer: setTimeout(() => {
        o.onRefused('handshake-timeout');
        o.log.info('request headers not complete in time: socket destroyed', { address, headersTimeoutMs: o.headersTimeoutMs });
        socket.destroy();
      }, o.headersTimeoutMs),
    };
    entry.timer.unref();
    this.#settleId(id); // a stale entry of the same address and port (its close not seen yet)
    this.#halfOpen.set(id, entry);
    socket.once('close', () => {
      if (this.#halfOpen.get(id) === entry) this.#settleId(id);
    });
    return true;
  }

  /** The socket's request headers are complete: it is no longer half-open (and no longer counted here). */
  #settle(socket: Duplex | Socket): void {
    if (this.#halfOpen.size === 0) return;
    const s = socket as Socket;
    this.#settleId(`${s.remoteAddress}|${s.remotePort}`);
  }

  #settleId(id: string): void {
    const entry = this.#halfOpen.get(id);
    if (entry === undefined) return;
    this.#halfOpen.delete(id);
    clearTimeout(entry.timer);
    if (entry.key !== undefined) this.#options.edge.limits.release(entry.key);
  }

  /** A request the parser refused, or one not received in time (Node's `headersTimeout`/`requestTimeout`): answered, then the socket goes. */
  #clientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    let head = 'HTTP/1.1 400 Bad Request';
    let body = '';
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.#options.onRefused('request-timeout');
      head = 'HTTP/1.1 408 Request Timeout';
      body = JSON.stringify(httpErrorBody('request-timeout', `request not received in time [maxMs:${this.#options.requestTimeoutMs}]`));
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      head = 'HTTP/1.1 431 Request Header Fields Too Large';
    }
    const type = body === '' ? '' : 'Content-Type: application/json\r\n';
    socket.end(`${head}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    (socket as Socket).destroySoon?.();
  }
}

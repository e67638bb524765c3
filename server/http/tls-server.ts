/**
 * HTTPS on the relay's one port, with plain HTTP on the same port redirected to it: each
 * accepted socket's first byte decides — 0x16 (a TLS handshake record, the ClientHello)
 * goes to the HTTPS server's own connection handling; anything else to a small HTTP
 * server that only answers `308 https://<Host><path>`. So `http://host:port/` typed by
 * hand lands on the call page instead of a broken handshake.
 *
 * `TlsRelayServer` is an `https.Server`: the relay's `listen`, `close`,
 * `closeIdleConnections`, `closeAllConnections`, `address()`, `request` and `upgrade`
 * (wss://) work as on any HTTPS server, `schemeOf()` says 'https', and the native
 * `setSecureContext({ cert, key })` swaps the certificate for new connections. A socket
 * that sends nothing is destroyed after `firstByteTimeoutMs`, and at once by `close()`; one
 * whose TLS handshake or redirected plain request is not done `handshakeTimeoutMs` after its
 * first byte is destroyed too (the redirect server never listens, so Node's own request
 * timeouts, checked by a listening server's timer, never run for it). The relay's connection
 * gate (connection-gate.ts) puts one deadline over all of it as well.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TlsCredentials } from './tls-credentials.ts';
import type { RequestHandler, ServerFactory } from './server-factory.ts';

/** First byte of a TLS record of type handshake (RFC 8446 §5.1): every ClientHello starts with it. */
export const TLS_HANDSHAKE_BYTE = 0x16;
/** How long a new socket may stay silent before it is destroyed, ms. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 5_000;
/** How long a TLS handshake, or a redirected plain-HTTP request and its answer, may take from the first byte, ms (Node's TLS default is 120 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;

/** Options of `createTlsServer` / `tlsServerFactory`. */
export interface TlsServerOptions extends TlsCredentials {
  /** A socket that sends no byte within this many ms is destroyed. Default 5000. */
  firstByteTimeoutMs?: number;
  /** A TLS handshake, or a plain request to be redirected and its answer, not done within this many ms of the first byte: the socket is destroyed. Default 5000. */
  handshakeTimeoutMs?: number;
}

type ConnectionListener = (socket: Socket) => void;

/** An HTTPS server that redirects plain-HTTP requests on its own port (see the file comment). */
export class TlsRelayServer extends HttpsServer {
  /** Answers the plain-HTTP sockets; never listens itself. */
  readonly #redirect: HttpServer;
  /** The TLS server's own 'connection' listeners, called for sockets that start a handshake. */
  readonly #tlsListeners: ConnectionListener[];
  /** Accepted sockets still waiting for their first byte, with their timers. */
  readonly #pending = new Map<Socket, NodeJS.Timeout>();
  /** Every accepted socket until it closes (shutdown destroys those no server tracks: in handshake, redirected). */
  readonly #sockets = new Set<Socket>();
  readonly #firstByteTimeoutMs: number;
  readonly #handshakeTimeoutMs: number;

  constructor(handler: RequestHandler, options: TlsServerOptions) {
    const handshake = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (!Number.isFinite(handshake) || handshake <= 0) throw new TypeError(`handshakeTimeoutMs must be a positive number [handshakeTimeoutMs:${handshake}]`);
    super({ cert: options.cert, key: options.key, handshakeTimeout: handshake }, handler);
    const timeout = options.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError(`firstByteTimeoutMs must be a positive number [firstByteTimeoutMs:${timeout}]`);
    this.#firstByteTimeoutMs = timeout;
    this.#handshakeTimeoutMs = handshake;
    this.#redirect = createHttpServer(redirectToHttps);
    this.#tlsListeners = this.listeners('connection') as ConnectionListener[];
    this.removeAllListeners('connection');
    this.on('connection', (socket: Socket) => this.#sniff(socket));
  }

  /** Stops accepting; destroys sockets that have not sent a byte yet. The callback runs once every connection is gone. */
  override close(callback?: (error?: Error) => void): this {
    this.#dropPending();
    this.#redirect.close();
    return super.close(callback);
  }

  /** Closes idle HTTPS connections, idle redirect connections, and sockets that have not sent a byte. */
  override closeIdleConnections(): void {
    super.closeIdleConnections();
    this.#redirect.closeIdleConnections();
    this.#dropPending();
  }

  /** Closes every connection: HTTPS ones, redirect ones, and those still in their TLS handshake. */
  override closeAllConnections(): void {
    super.closeAllConnections();
    this.#redirect.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
  }

  #sniff(socket: Socket): void {
    this.#sockets.add(socket);
    // NOTE: an accepted socket has no 'error' listener until a server adopts it; a reset
    // before the first byte would otherwise throw out of the event loop.
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#clearPending(socket);
    });
    this.#pending.set(
      socket,
      setTimeout(() => socket.destroy(), this.#firstByteTimeoutMs),
    );
    socket.once('data', (chunk: Buffer) => {
      this.#clearPending(socket);
      // Put the byte back: both servers read what is buffered on the socket first.
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_BYTE) {
        for (const listener of this.#tlsListeners) listener.call(this, socket);
      } else {
        const deadline = setTimeout(() => socket.destroy(), this.#handshakeTimeoutMs);
        deadline.unref();
        socket.once('close', () => clearTimeout(deadline));
        this.#redirect.emit('connection', socket);
        // NOTE: node:http parses straight from the socket's handle and listens for 'data'
        // only for what is buffered; a paused socket would never hand over the first chunk.
        socket.resume();
      }
    });
  }

  #clearPending(socket: Socket): void {
    const timer = this.#pending.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#pending.delete(socket);
  }

  #dropPending(): void {
    for (const socket of [...this.#pending.keys()]) {
      this.#clearPending(socket);
      socket.destroy();
    }
  }
}

/** A `TlsRelayServer` around `handler` (not yet listening). Throws if the certificate or key is not PEM. */
export function createTlsServer(handler: RequestHandler, options: TlsServerOptions): TlsRelayServer {
  return new TlsRelayServer(handler, options);
}

/**
 * The `ServerFactory` for `RelayOptions.createServer`; `onServer` is told the server it made
 * (e.g. to `setSecureContext` on it later).
 */
export function tlsServerFactory(options: TlsServerOptions, onServer?: (server: TlsRelayServer) => void): ServerFactory {
  return (handler) => {
    const server = createTlsServer(handler, options);
    onServer?.(server);
    return server;
  };
}

/** 308 to the same host and path over https; `Connection: close`. Without a Host header, the address the client connected to. */
function redirectToHttps(req: IncomingMessage, res: ServerResponse): void {
  const location = `https://${authorityOf(req)}${pathOf(req.url)}`;
  const body = `Redirecting to ${location}\n`;
  res.writeHead(308, {
    location,
    connection: 'close',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** `host[:port]` from the Host header if it is a plausible one, else the socket's local address and port. */
function authorityOf(req: IncomingMessage): string {
  const host = req.headers.host;
  if (host !== undefined && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host)) return host;
  const socket = req.socket;
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `${address.includes(':') ? `[${address}]` : address}:${socket.localPort ?? 443}`;
}

/** The path and query of a request target (origin form `/p?q`, or absolute form `http://h/p?q`); '/' for anything else. */
function pathOf(target: string | undefined): string {
  if (target === undefined) return '/';
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    if (url.protocol === 'http:' || url.protocol === 'https:') return `${url.pathname}${url.search}`;
  } catch {
    // not a URL: fall through
  }
  return '/';
}

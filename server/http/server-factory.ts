/**
 * How the relay gets its HTTP server: a factory given the relay's request handler. Plain
 * HTTP by default; TLS is `(handler) => https.createServer({ key, cert }, handler)` — the
 * relay only needs `listen`, `close*`, `address` and the `request`/`upgrade` events, which
 * `https.Server` has too. The CLI's TLS server (tls-server.ts `tlsServerFactory`) is such an
 * `https.Server`, and also redirects plain HTTP on the same port.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server as TlsServer } from 'node:tls';

/** The relay's handler of every plain (non-upgrade) request. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server the relay can listen with. */
export type RelayServer = HttpServer | HttpsServer;

/** Creates the relay's server around `handler` (not yet listening). */
export type ServerFactory = (handler: RequestHandler) => RelayServer;

/** The default `ServerFactory`: plain HTTP (node:http). */
export const createPlainServer: ServerFactory = (handler) => createServer(handler);

/** 'https' if `server` speaks TLS, else 'http' (for the relay's URL). */
export function schemeOf(server: RelayServer): 'http' | 'https' {
  return server instanceof TlsServer ? 'https' : 'http';
}

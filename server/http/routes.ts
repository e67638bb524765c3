/**
 * The relay's plain HTTP requests, in the order they are matched: `/healthz`, `/metrics`,
 * 426 on the WebSocket path, routes added by extensions, the built web app, 404. A handler
 * that throws is answered 500 and logged; it never takes the relay down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WS_PATH } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { serveStatic } from './static-files.ts';

/** Handler of an extra HTTP route. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => void | Promise<void>;

/** The body of `GET /healthz`. */
export interface Health {
  status: 'ok' | 'closing';
  connections: number;
  rooms: number;
  uptimeSeconds: number;
  /** A cluster node (`--redis`): this node's id, whether Redis answers, and the cluster's live nodes, rooms and peers. */
  cluster?: { node: string; redis: 'up' | 'down'; nodes: number; rooms: number; peers: number };
}

/** What the routes read from the relay. */
export interface HttpRoutesOptions {
  /** Directory of the built web app; undefined serves a placeholder page at `/`. */
  staticDir: string | undefined;
  /** Current health (`status: 'closing'` answers 503). */
  health: () => Health;
  /** Prometheus text exposition. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
}

export class HttpRoutes {
  #options: HttpRoutesOptions;
  #routes: { method: string; pattern: RegExp; handler: RouteHandler }[] = [];

  constructor(options: HttpRoutesOptions) {
    this.#options = options;
  }

  /** Adds a route, matched against the URL path (no query) before static files. `method` '*' matches any. */
  add(method: string, pattern: RegExp, handler: RouteHandler): void {
    this.#routes.push({ method: method.toUpperCase(), pattern, handler });
  }

  /** Answers one request (the `RequestHandler` given to the server factory). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => void this.#answer(req, res);

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path = '?';
    try {
      path = parseRequestUrl(req).pathname;
      if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        const health = this.#options.health();
        res.writeHead(health.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(health));
        return;
      }
      if (path === '/metrics' && req.method === 'GET') {
        const { contentType, body } = await this.#options.metrics();
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
      const staticDir = this.#options.staticDir;
      if (staticDir !== undefined && (await serveStatic(staticDir, req, res, path))) return;
      if (path === '/' && staticDir === undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>framewire relay</title><p>framewire relay is running. The web app is not served (no staticDir; run <code>npm run build</code>).</p>\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    } catch (error) {
      this.#options.log.error('http handler failed', { path, error });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      } else {
        res.destroy();
      }
    }
  }
}

/** The request target as a URL (relative targets resolved against a dummy origin). Throws on targets that are not URLs. */
export function parseRequestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://relay.invalid');
}

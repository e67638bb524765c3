/**
 * `GET /admin/rooms`: the rooms (of the whole cluster on a cluster node) with their node and
 * peer counts, for operators. Off unless the relay has an admin token; then it takes
 * `Authorization: Bearer <token>`, compared in constant time. Room names are not public, so
 * `/healthz` only has counts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { HttpRoutes } from './routes.ts';

/** The admin listing's path. */
export const ADMIN_ROOMS_PATH = '/admin/rooms';

export interface AdminRoutesOptions {
  /** The bearer token; '' = the listing is off (404). */
  token: string;
  /** The listing's JSON body. */
  listing: () => object;
}

export function registerAdminRoutes(routes: HttpRoutes, { token, listing }: AdminRoutesOptions): void {
  if (token === '') return;
  const expected = Buffer.from(`Bearer ${token}`);
  routes.add('GET', /^\/admin\/rooms$/, (req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' });
      res.end(JSON.stringify({ error: 'unauthorized', message: 'an admin token is needed (Authorization: Bearer …)' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(listing()));
  });
}

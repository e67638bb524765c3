/**
 * The WebSocket URL a bot joins a room with: `ws://HOST:PORT/ws?room=R&name=N&mode=M[&secret=S]`
 * (docs/protocol.md, Connect).
 */

/** Where and as whom a bot joins. */
export interface JoinOptions {
  /** Relay WebSocket URL, e.g. `ws://127.0.0.1:8080/ws` (an `http://` URL is turned into `ws://…/ws`). */
  url: string;
  /** Room to join. */
  room: string;
  /** Display name. Default `'bot'`. */
  name?: string;
  /** Room secret, if the room has one. Default none. */
  secret?: string;
}

/** The join URL for `options`, with `mode` (what the peer streams). */
export function joinUrl(options: JoinOptions & { mode: string }): string {
  const url = new URL(options.url);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`relay URL must be ws://, wss://, http:// or https:// [url:${options.url}]`);
  }
  if (options.room === '') throw new TypeError('room must not be empty');
  url.searchParams.set('room', options.room);
  url.searchParams.set('name', options.name ?? 'bot');
  url.searchParams.set('mode', options.mode);
  if (options.secret !== undefined) url.searchParams.set('secret', options.secret);
  return url.toString();
}

/**
 * Stage 3 — transport over WebSocket only: a `SessionLink` (session-link.ts: welcome, clock
 * sync, latest-wins sending, resume, reconnect with backoff, fatal refusals, a cluster's
 * redirects) whose every connection is one `WsConnection` (ws-connection.ts) to `url` — or,
 * after a redirect, to the node it named, with `url`'s query. The app uses `AutoLink`
 * (auto-link.ts), which starts on WebSocket too but falls back to HTTP; this one is for
 * tools and tests that want WebSocket and nothing else.
 */
import type { ConnectionHandlers } from './connection.ts';
import { httpBaseOfWs, type RelayNode } from './redirect.ts';
import type { TransportKind } from './relay-link.ts';
import { SessionLink, type SessionLinkOptions } from './session-link.ts';
import { WsConnection } from './ws-connection.ts';

export { DEFAULT_PING_INTERVAL_MS, refusalOf } from './session-link.ts';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES } from './ws-connection.ts';

/** Options of `WsLink`. */
export interface WsLinkOptions extends SessionLinkOptions {
  /** The full WebSocket URL, query included (`ws://host/ws?room=…&name=…`): the link's home. */
  url: string;
  /** A frame is refused while `bufferedAmount` exceeds this many bytes. Default `DEFAULT_MAX_BUFFERED_BYTES` (0: the previous frame must have left). */
  maxBufferedBytes?: number;
  /** Give up connecting after this long without an open socket, ms (then retry). Default `DEFAULT_CONNECT_TIMEOUT_MS` (5000). */
  connectTimeoutMs?: number;
}

export class WsLink extends SessionLink {
  readonly url: string;
  /** `url`'s query (without `?`): the connect query, to whichever node. */
  readonly #query: string;
  readonly #maxBufferedBytes: number | undefined;
  readonly #connectTimeoutMs: number | undefined;

  constructor(options: WsLinkOptions) {
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`url must be ws:// or wss:// [url:${options.url}]`);
    const cut = options.url.indexOf('?');
    const endpoint = cut < 0 ? options.url : options.url.slice(0, cut);
    super({ wsUrl: endpoint, httpBase: httpBaseOfWs(endpoint) }, options);
    this.url = options.url;
    this.#query = cut < 0 ? '' : options.url.slice(cut + 1);
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#connectTimeoutMs = options.connectTimeoutMs;
  }

  protected override nextKind(): TransportKind {
    return 'websocket';
  }

  protected override dial(_kind: TransportKind, resumeQuery: string, handlers: ConnectionHandlers, node: RelayNode): WsConnection {
    const query = [this.#query, resumeQuery].filter((part) => part !== '').join('&');
    const url = query === '' ? node.wsUrl : `${node.wsUrl}?${query}`;
    return new WsConnection(
      {
        url,
        ...(this.#maxBufferedBytes !== undefined ? { maxBufferedBytes: this.#maxBufferedBytes } : {}),
        ...(this.#connectTimeoutMs !== undefined ? { connectTimeoutMs: this.#connectTimeoutMs } : {}),
      },
      handlers,
    );
  }
}

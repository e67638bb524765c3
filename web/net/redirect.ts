/**
 * Stage 3 — where a cluster's `redirect` sends the link (docs/protocol.md › server → client,
 * close 4302): the node that owns the room names its BASE URL, `http(s)://host[:port][/path]`
 * (a path when nodes sit behind one proxy under their own prefixes). Its WebSocket is
 * `ws(s)://host[:port][/path]/ws`; its HTTP channel (`/fw/*`) and routes (`/rooms/…`) are under
 * the base itself. Pure: checks a redirect's url and derives the node's two addresses. When
 * to follow one (at once, at most `MAX_REDIRECTS` in a row, home again after a loss) is the
 * link's (session-link.ts).
 */
import { WS_PATH } from '../../protocol/index.ts';

/** One relay node, as a link dials it. */
export interface RelayNode {
  /** Its WebSocket endpoint, without query (`wss://node-2.example/n2/ws`). */
  wsUrl: string;
  /** Base of its HTTP channel and routes (`https://node-2.example/n2`, no trailing slash), or '' for the page's own origin. */
  httpBase: string;
}

/** Why a redirect is not followed. */
export type RedirectErrorCode = 'no-target' | 'bad-url' | 'bad-scheme' | 'credentials' | 'not-a-base' | 'downgrade' | 'loop';

/** A redirect the link refuses to follow: the link fails with this message (nothing a retry could fix). A url is shown without credentials: they are not ours to display. */
export class RedirectError extends Error {
  override readonly name = 'RedirectError';
  readonly code: RedirectErrorCode;

  private constructor(code: RedirectErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  static noTarget(): RedirectError {
    return new RedirectError('no-target', 'bad redirect: the relay closed with 4302 without naming a node');
  }

  static badUrl(url: unknown): RedirectError {
    return new RedirectError('bad-url', `bad redirect: not a URL [url:${clip(String(url))}]`);
  }

  static badScheme(url: URL): RedirectError {
    return new RedirectError('bad-scheme', `bad redirect: only http: and https: nodes can be reached [url:${shown(url)}]`);
  }

  static credentials(url: URL): RedirectError {
    return new RedirectError('credentials', `bad redirect: the URL carries credentials [url:${shown(url)}]`);
  }

  static notABase(url: URL): RedirectError {
    return new RedirectError('not-a-base', `bad redirect: a node's base URL has no query or fragment [url:${shown(url)}]`);
  }

  static downgrade(url: URL): RedirectError {
    return new RedirectError('downgrade', `bad redirect: from an https page or entry point to plain http [url:${shown(url)}]`);
  }

  static loop(redirects: number, max: number, url: unknown): RedirectError {
    return new RedirectError('loop', `redirect loop: ${redirects} redirects in a row without a welcome [max:${max}, url:${shownRaw(url)}]`);
  }
}

/**
 * The node a redirect's `url` names. Throws `RedirectError` for anything else than an
 * http:/https: base URL without credentials, query or fragment, and for plain http when
 * `secure` (an https page or entry point: a downgrade would be mixed content, and would hand
 * the call to anyone on the path). A trailing slash is tolerated.
 */
export function redirectTarget(url: unknown, secure: boolean): RelayNode {
  if (typeof url !== 'string') throw RedirectError.badUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw RedirectError.badUrl(url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw RedirectError.badScheme(parsed);
  if (parsed.username !== '' || parsed.password !== '') throw RedirectError.credentials(parsed);
  if (parsed.search !== '' || parsed.hash !== '') throw RedirectError.notABase(parsed);
  if (secure && parsed.protocol === 'http:') throw RedirectError.downgrade(parsed);
  const path = parsed.pathname.replace(/\/+$/, '');
  return {
    wsUrl: `${parsed.protocol === 'https:' ? 'wss:' : 'ws:'}//${parsed.host}${path}${WS_PATH}`,
    httpBase: `${parsed.protocol}//${parsed.host}${path}`,
  };
}

/** The base of the node whose WebSocket endpoint is `wsUrl` (`wss://h/n2/ws?q` → `https://h/n2`): the inverse of `redirectTarget`. */
export function httpBaseOfWs(wsUrl: string): string {
  const url = new URL(wsUrl);
  const path = url.pathname.endsWith(WS_PATH) ? url.pathname.slice(0, -WS_PATH.length) : url.pathname;
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}${path.replace(/\/+$/, '')}`;
}

/** `url` for a message: without credentials, clipped. */
function shown(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return clip(copy.href);
}

/** A url as the relay sent it, for a message: as `shown` when it parses. */
function shownRaw(url: unknown): string {
  try {
    return shown(new URL(String(url)));
  } catch {
    return clip(String(url));
  }
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

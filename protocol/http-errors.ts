/**
 * The HTTP channel's error answers (docs/protocol.md › HTTP channel › HTTP errors): JSON
 * `{"error":{"code":"…","message":"…"}}` with an HTTP status. These are answers to one HTTP
 * request, not control messages — a refusal of the connection itself (room full, bad
 * secret, …) still arrives on the session's downlink as an `error` control message and a
 * close record, exactly as over a WebSocket. Pure: shared by the relay and the browser.
 */

/** Every code of an HTTP channel error answer, in the order docs/protocol.md lists them. */
export const HTTP_ERROR_CODES = [
  'unknown-session',
  'too-large',
  'bad-record',
  'bad-content-type',
  'method-not-allowed',
  'bad-origin',
  'too-many-connections',
  'rate-limited',
  'server-busy',
  'request-timeout',
  'shutting-down',
] as const;

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** The HTTP status of each code. */
export const HTTP_ERROR_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  'unknown-session': 404,
  'too-large': 413,
  'bad-record': 400,
  'bad-content-type': 415,
  'method-not-allowed': 405,
  'bad-origin': 403,
  'too-many-connections': 429,
  'rate-limited': 429,
  'server-busy': 503,
  'request-timeout': 408,
  'shutting-down': 503,
};

/** The body of an HTTP channel error answer. */
export interface HttpErrorBody {
  error: { code: HttpErrorCode; message: string };
}

/** The body of an error answer with `code` and `message`. */
export function httpErrorBody(code: HttpErrorCode, message: string): HttpErrorBody {
  return { error: { code, message } };
}

/** The error of a parsed answer body, or undefined if `body` is not an HTTP channel error. */
export function httpErrorOf(body: unknown): { code: HttpErrorCode; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !(HTTP_ERROR_CODES as readonly string[]).includes(code) || typeof message !== 'string') return undefined;
  return { code: code as HttpErrorCode, message };
}

/**
 * What a client asks for when it connects: `/ws?room=ROOM&name=NAME[&secret=S][&mode=M]`
 * `[&resumable=1][&resume=TOKEN]` (session resume: docs/protocol.md).
 * The relay validates it here before the peer joins anything; clients build the query with
 * `connectQuery` and can check a name or room with the same patterns before they try.
 */
import { RelayError } from './relay-error.ts';

/** Room names: 1..64 of A-Z a-z 0-9 _ -. */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Display names: 1..32 letters, digits, spaces, _ - . ' (Unicode letters too); no leading/trailing space. */
export const NAME_PATTERN = /^(?! )[\p{L}\p{M}\p{N} _.'-]{1,32}(?<! )$/u;
/** Modes: 1..16 of a-z 0-9 -. Known: jpeg, bgra, webrtc. */
export const MODE_PATTERN = /^[a-z0-9-]{1,16}$/;
/** Mode of a client that does not say. */
export const DEFAULT_MODE = 'jpeg';
/** Longest room secret accepted, in characters. */
export const MAX_SECRET_CHARS = 256;

/** Validated connect parameters. */
export interface ConnectParams {
  room: string;
  name: string;
  mode: string;
  /** Room secret, or undefined when none was given (an empty `secret=` counts as none). */
  secret: string | undefined;
  /** `resumable=1`: the client can resume, so the relay sends a token and holds the peer through a lost connection. */
  resumable: boolean;
  /** `resume=TOKEN`: continue the peer of that token if the relay still holds it (else join afresh). */
  resume: string | undefined;
}

/** Longest `resume` token accepted, in characters (the relay's are 43). */
export const MAX_RESUME_TOKEN_CHARS = 128;

/** Path of the relay's WebSocket endpoint. */
export const WS_PATH = '/ws';

/**
 * The HTTP channel (docs/protocol.md › HTTP channel), for networks whose proxies strip the
 * WebSocket upgrade: `POST` here with the same query as `WS_PATH` opens a session.
 */
export const HTTP_SESSION_PATH = '/fw/session';
/** `GET`: the session's downlink as one long-lived body of records. */
export const HTTP_STREAM_PATH = '/fw/stream';
/** `GET`: the records queued now (or, if none, the first to come within `pollWaitMs`), with a Content-Length. */
export const HTTP_POLL_PATH = '/fw/poll';
/** `POST`: a body of records from the client (frames, control messages, a close). */
export const HTTP_SEND_PATH = '/fw/send';
/** `POST`: the client leaves (the session closes 1000 `leave`). */
export const HTTP_CLOSE_PATH = '/fw/close';
/** Request header carrying the session token of every HTTP channel request but the first. */
export const TOKEN_HEADER = 'x-framewire-token';
/**
 * Request header of every `POST /fw/send` (`HTTP_SEND_PATH`): the request's place in the
 * session's uplink, a non-negative integer counted from 0 per session in send order. The
 * relay delivers the requests' records in this order (two frame requests may be in flight).
 */
export const SEQ_HEADER = 'x-framewire-seq';

/** The parts of `URLSearchParams` the parser reads (so this file needs neither DOM nor Node types). */
export interface QueryLike {
  get(name: string): string | null;
}

/** Validates the query of a connect URL. Throws `RelayError` (`bad-room`, `bad-name`, `bad-mode`, `bad-secret`). */
export function parseConnectParams(query: QueryLike): ConnectParams {
  const room = query.get('room');
  if (room === null || !ROOM_PATTERN.test(room)) throw RelayError.badRoom(room);
  const rawName = query.get('name');
  const name = rawName?.normalize('NFC') ?? null;
  if (name === null || !NAME_PATTERN.test(name)) throw RelayError.badName(rawName);
  const mode = query.get('mode') ?? DEFAULT_MODE;
  if (!MODE_PATTERN.test(mode)) throw RelayError.badMode(mode);
  const secret = query.get('secret') || undefined;
  if (secret !== undefined && secret.length > MAX_SECRET_CHARS) throw RelayError.badSecret(room);
  const resumable = query.get('resumable') === '1';
  const token = query.get('resume') || undefined;
  // NOTE: a malformed token is no refusal: it just matches no peer (the client joins afresh).
  const resume = token !== undefined && token.length <= MAX_RESUME_TOKEN_CHARS ? token : undefined;
  return { room, name, mode, secret, resumable, resume };
}

/** The query string (without `?`) of a connect URL; `mode` and an empty `secret` are left out when default. */
export function connectQuery(params: {
  room: string;
  name: string;
  mode?: string;
  secret?: string | undefined;
  resumable?: boolean;
  resume?: string | undefined;
}): string {
  const parts: [string, string][] = [
    ['room', params.room],
    ['name', params.name],
  ];
  if (params.mode !== undefined) parts.push(['mode', params.mode]);
  if (params.secret) parts.push(['secret', params.secret]);
  if (params.resumable === true) parts.push(['resumable', '1']);
  if (params.resume) parts.push(['resume', params.resume]);
  return parts.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

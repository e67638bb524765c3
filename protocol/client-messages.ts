/**
 * Control messages from a client to the relay (JSON text), as one discriminated union on
 * `type`, and the checks the relay applies to their fields. docs/protocol.md › client →
 * server lists every message; this file is where their fields are checked.
 */
import type { AckRequest } from './feedback.ts';
import { RelayError } from './relay-error.ts';

/** Control types routed to one peer (`to`), delivered as `{type, from, data?}`. */
export const ROUTED_TYPES = ['signal', 'invite', 'accept', 'decline', 'hangup'] as const;
export type RoutedType = (typeof ROUTED_TYPES)[number];

/** Sends `data` (any JSON) to one other peer of the room. */
export interface RoutedRequest<T extends RoutedType = RoutedType> {
  type: T;
  to: number;
  /** Required for `signal`. */
  data?: unknown;
}

export interface ChatRequest {
  type: 'chat';
  /** 1..`limits.maxChatChars` characters. */
  text: string;
}

export interface PingRequest {
  type: 'ping';
  /** Client clock, ms; echoed in `pong`. */
  t: number;
}

export interface StatsRequest {
  type: 'stats';
}

/** What this peer tells the room about itself (presence): today, whether its microphone is muted. */
export interface StateRequest {
  type: 'state';
  /** True: the microphone is muted (no audio packets are sent). */
  muted: boolean;
}

/** server/media: start or stop recording this peer's room. */
export interface RecordRequest {
  type: 'record';
  action: 'start' | 'stop';
}

/** server/media: receive `from`'s frames as relay JPEG, or as sent again (`off`). */
export interface TranscodeRequest {
  type: 'transcode';
  from: number;
  codec: 'jpeg' | 'off';
  quality?: number;
}

/** Every message a client may send. */
export type ClientMessage = RoutedRequest | ChatRequest | PingRequest | StatsRequest | StateRequest | RecordRequest | TranscodeRequest | AckRequest;

/** Every `ClientMessage` type, at run time (docs/protocol.md lists each; a test keeps them in step). */
export const CLIENT_MESSAGE_TYPES = [...ROUTED_TYPES, 'chat', 'ping', 'stats', 'state', 'record', 'transcode', 'ack'] as const satisfies readonly ClientMessage['type'][];

/** The `type`s the relay core answers itself (extensions add others with `handleControl`). */
export const BUILTIN_TYPES: ReadonlySet<string> = new Set<string>([...ROUTED_TYPES, 'chat', 'ping', 'stats', 'state', 'ack']);

/** A parsed control message before its fields are checked: a JSON object with a string `type`. */
export type RawControl = Record<string, unknown> & { type: string };

/** True for the routed types. */
export function isRoutedType(type: string): type is RoutedType {
  return (ROUTED_TYPES as readonly string[]).includes(type);
}

/**
 * Deepest nesting of arrays/objects a control message may have (a WebRTC signal is 3–4
 * deep). Deeper input is refused before `JSON.parse`: re-serialising 20,000 levels (≈ 40 KB)
 * overflowed the stack, an internal error any client could trigger.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `text` (JSON) nests arrays/objects deeper than `max`; brackets inside strings do not count. One pass, no allocation. */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Parses one text message. Throws `RelayError` `bad-json`, or `bad-message` when nested deeper than `MAX_JSON_DEPTH`. */
export function parseControl(text: string): RawControl {
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) throw RelayError.badMessage('control', `nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw RelayError.badJson();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw RelayError.badJson();
  const type = (value as Record<string, unknown>)['type'];
  if (typeof type !== 'string' || type.length === 0) throw RelayError.badJson();
  return value as RawControl;
}

/** Checks a routed message: `to` a peer id (positive u32), `data` present for `signal`. Throws `bad-message`. */
export function routedRequestOf(msg: RawControl & { type: RoutedType }): RoutedRequest {
  const to = msg['to'];
  if (typeof to !== 'number' || !Number.isInteger(to) || to < 1 || to > 0xffffffff) {
    throw RelayError.badMessage(msg.type, '"to" must be a peer id (positive integer)');
  }
  const data = msg['data'];
  if (msg.type === 'signal' && data === undefined) throw RelayError.badMessage('signal', '"data" is required');
  return data === undefined ? { type: msg.type, to } : { type: msg.type, to, data };
}

/** The `text` of a chat message: a non-empty string of at most `maxChars` characters. Throws `bad-message`. */
export function chatTextOf(msg: RawControl, maxChars: number): string {
  const text = msg['text'];
  if (typeof text !== 'string' || text.length === 0) throw RelayError.badMessage('chat', '"text" must be a non-empty string');
  if (text.length > maxChars) throw RelayError.badMessage('chat', `"text" too long [chars:${text.length}, max:${maxChars}]`);
  return text;
}

/** The `t` of a ping: a finite number (client clock, ms). Throws `bad-message`. */
export function pingTimeOf(msg: RawControl): number {
  const t = msg['t'];
  if (typeof t !== 'number' || !Number.isFinite(t)) throw RelayError.badMessage('ping', '"t" must be a finite number');
  return t;
}

/** The fields of a `state` message: `muted` a boolean. Throws `bad-message`. */
export function stateOf(msg: RawControl): Omit<StateRequest, 'type'> {
  const muted = msg['muted'];
  if (typeof muted !== 'boolean') throw RelayError.badMessage('state', '"muted" must be a boolean');
  return { muted };
}

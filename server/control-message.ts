/**
 * Parsing and checking of client → server control messages (JSON text frames).
 * docs/protocol.md lists every message; this file is where their fields are checked.
 */
import { RelayError } from './relay-error.ts';

/** A parsed control message: a JSON object with a string `type`. */
export type ControlMessage = Record<string, unknown> & { type: string };

/** Control types routed to one peer (`to`), delivered as `{type, from, data?}`. */
export const ROUTED_TYPES: ReadonlySet<string> = new Set(['signal', 'invite', 'accept', 'decline', 'hangup']);

/** Every control type the relay itself answers. */
export const BUILTIN_TYPES: ReadonlySet<string> = new Set([...ROUTED_TYPES, 'chat', 'ping', 'stats']);

/** Parses one text message. Throws `RelayError` `bad-json`. */
export function parseControl(text: string): ControlMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw RelayError.badJson();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw RelayError.badJson();
  const type = (value as Record<string, unknown>)['type'];
  if (typeof type !== 'string' || type.length === 0) throw RelayError.badJson();
  return value as ControlMessage;
}

/** The `to` of a routed message: a positive integer peer id. Throws `bad-message`. */
export function targetOf(msg: ControlMessage): number {
  const to = msg['to'];
  if (typeof to !== 'number' || !Number.isInteger(to) || to < 1 || to > 0xffffffff) {
    throw RelayError.badMessage(msg.type, '"to" must be a peer id (positive integer)');
  }
  return to;
}

/** The `text` of a chat message: a non-empty string of at most `maxChars` characters. Throws `bad-message`. */
export function chatTextOf(msg: ControlMessage, maxChars: number): string {
  const text = msg['text'];
  if (typeof text !== 'string' || text.length === 0) throw RelayError.badMessage('chat', '"text" must be a non-empty string');
  if (text.length > maxChars) throw RelayError.badMessage('chat', `"text" too long [chars:${text.length}, max:${maxChars}]`);
  return text;
}

/** The `t` of a ping: a finite number (client clock, ms). Throws `bad-message`. */
export function pingTimeOf(msg: ControlMessage): number {
  const t = msg['t'];
  if (typeof t !== 'number' || !Number.isFinite(t)) throw RelayError.badMessage('ping', '"t" must be a finite number');
  return t;
}

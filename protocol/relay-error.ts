/**
 * The relay's error: refused connections and refused control messages. `code` is stable
 * (clients and tests rely on it) and is what goes into an `error` control message and, when
 * the connection is closed, into the close reason; `limit` is the option that was hit, when
 * there is one, so clients never hard-code the relay's settings. docs/protocol.md lists
 * every code. Pure: shared by the relay and the browser.
 */
import type { ErrorMessage } from './server-messages.ts';

/** Every code of `RelayError`, in the order docs/protocol.md lists them. */
export const RELAY_ERROR_CODES = [
  // refusals at connect (the connection is closed)
  'bad-room',
  'bad-name',
  'bad-mode',
  'bad-secret',
  'room-full',
  'server-full',
  'too-many-connections',
  'server-busy',
  'shutting-down',
  'directory-unavailable',
  // control messages (the connection stays, unless it keeps misbehaving)
  'bad-json',
  'bad-message',
  'unknown-type',
  'no-such-peer',
  'too-large',
  'rate-limited',
  'handler-failed',
  // the connection is closed after too many refused control messages
  'abuse',
  // the connection is closed: a WebSocket message not completed in time
  'message-timeout',
  // the connection is closed: the relay is over its memory budget and this peer held the most
  'memory-budget',
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

/** Codes a connection is refused with at connect (the socket is then closed). */
export const CONNECT_REFUSALS: readonly RelayErrorCode[] = [
  'bad-room',
  'bad-name',
  'bad-mode',
  'bad-secret',
  'room-full',
  'server-full',
  'too-many-connections',
  'rate-limited',
  'server-busy',
  'shutting-down',
  'directory-unavailable',
];

/** A refusal with a stable `code` and a message with context in brackets. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: RelayErrorCode;
  /** The limit that was hit (peers per room, connections, bytes, messages/s), when there is one. */
  readonly limit: number | undefined;

  private constructor(code: RelayErrorCode, message: string, limit?: number) {
    super(message);
    this.code = code;
    this.limit = limit;
  }

  /** The `error` control message that carries this error to a client. */
  toMessage(): ErrorMessage {
    return this.limit === undefined
      ? { type: 'error', code: this.code, message: this.message }
      : { type: 'error', code: this.code, message: this.message, limit: this.limit };
  }

  static badRoom(room: string | null): RelayError {
    return new RelayError(
      'bad-room',
      `room must be 1..64 characters A-Z a-z 0-9 _ - [room:${clip(room)}]`,
    );
  }

  static badName(name: string | null): RelayError {
    return new RelayError(
      'bad-name',
      `name must be 1..32 letters, digits, spaces or _ - . ' without leading/trailing space [name:${clip(name)}]`,
    );
  }

  static badMode(mode: string): RelayError {
    return new RelayError('bad-mode', `mode must be 1..16 characters a-z 0-9 - [mode:${clip(mode)}]`);
  }

  static badSecret(room: string): RelayError {
    return new RelayError('bad-secret', `wrong or missing secret for this room [room:${room}]`);
  }

  static roomFull(room: string, max: number): RelayError {
    return new RelayError('room-full', `room is full [room:${room}, max:${max}]`, max);
  }

  static serverFull(max: number): RelayError {
    return new RelayError('server-full', `relay has too many connections [max:${max}]`, max);
  }

  static tooManyConnections(max: number): RelayError {
    return new RelayError('too-many-connections', `too many connections from this address [max:${max}]`, max);
  }

  /** A connect refused: the address joined too often (`limit`: joins per minute). */
  static joinRateLimited(perMinute: number): RelayError {
    return new RelayError('rate-limited', `too many joins from this address [max:${perMinute}/min]`, perMinute);
  }

  /** A connect refused: the relay is admitting connections as fast as it paces them (`limit`: admissions per second). */
  static serverBusy(perSecond: number): RelayError {
    return new RelayError('server-busy', `relay is busy admitting connections, try again shortly [max:${perSecond}/s]`, perSecond);
  }

  /** A WebSocket message (or frame) still incomplete `ms` after its first byte. */
  static messageTimeout(ms: number): RelayError {
    return new RelayError('message-timeout', `message not completed in time [maxMs:${ms}]`, ms);
  }

  static memoryBudget(heldBytes: number, budgetBytes: number): RelayError {
    return new RelayError('memory-budget', `the relay is over its memory budget and this connection held the most [heldBytes:${heldBytes}, budgetBytes:${budgetBytes}]`, budgetBytes);
  }

  /**
   * A connect refused: this relay is a node of a cluster (`--redis`) and cannot reach the
   * cluster's directory (Redis), which it needs to find or claim the room. Rooms already on
   * this node keep working; try again shortly.
   */
  static directoryUnavailable(room: string): RelayError {
    return new RelayError('directory-unavailable', `the cluster directory (Redis) is unreachable: cannot find or claim this room now, try again shortly [room:${clip(room)}]`);
  }

  static shuttingDown(): RelayError {
    return new RelayError('shutting-down', 'relay is shutting down');
  }

  static badJson(): RelayError {
    return new RelayError('bad-json', 'text message is not a JSON object with a string "type"');
  }

  static badMessage(type: string, reason: string): RelayError {
    return new RelayError('bad-message', `${reason} [type:${clip(type)}]`);
  }

  static unknownType(type: string): RelayError {
    return new RelayError('unknown-type', `unknown control message type [type:${clip(type)}]`);
  }

  static noSuchPeer(type: string, to: number): RelayError {
    return new RelayError('no-such-peer', `no such peer in this room [type:${clip(type)}, to:${to}]`);
  }

  static tooLarge(bytes: number, max: number): RelayError {
    return new RelayError('too-large', `control message too large [bytes:${bytes}, max:${max}]`, max);
  }

  static rateLimited(perSecond: number): RelayError {
    return new RelayError('rate-limited', `too many control messages [max:${perSecond}/s]`, perSecond);
  }

  static handlerFailed(type: string): RelayError {
    return new RelayError('handler-failed', `the relay failed to handle this message [type:${clip(type)}]`);
  }

  static abuse(errors: number): RelayError {
    return new RelayError('abuse', `too many refused control messages [errors:${errors}]`, errors);
  }
}

function clip(value: string | null): string {
  if (value === null) return '(missing)';
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

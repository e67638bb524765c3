/**
 * Who may join: the checks a new connection passes before it becomes a peer, in order —
 * the relay is not shutting down, has room for one more connection, the connect query is
 * valid, the room's secret matches and the room is not full. A refusal is a `RelayError`
 * (sent as `toMessage()`, so it carries its `limit`) and the close code to end with.
 */
import { CloseCode, parseConnectParams, RelayError, type ConnectParams, type QueryLike } from '../../protocol/index.ts';
import type { Room } from '../rooms/room.ts';

/** What admission reads from the relay. */
export interface AdmissionContext<R extends Room<{ readonly id: number }>> {
  /** The relay is shutting down. */
  closing: boolean;
  /** Open connections, this one included. */
  connections: number;
  maxConnections: number;
  /** The room of that name, if it exists. */
  room(name: string): R | undefined;
}

/** A connection that may join `params.room` (`room` undefined: the room is to be created). */
export interface Admitted<R> {
  ok: true;
  params: ConnectParams;
  room: R | undefined;
}

/** A refused connection: send `error.toMessage()`, then close with `closeCode` and `error.code` as reason. */
export interface Refused {
  ok: false;
  error: RelayError;
  closeCode: number;
}

/** Decides whether a new connection with connect query `query` may join. Never throws for a bad query. */
export function admit<R extends Room<{ readonly id: number }>>(context: AdmissionContext<R>, query: QueryLike): Admitted<R> | Refused {
  if (context.closing) return refused(RelayError.shuttingDown(), CloseCode.goingAway);
  if (context.connections > context.maxConnections) return refused(RelayError.serverFull(context.maxConnections), CloseCode.tryAgainLater);
  let params: ConnectParams;
  try {
    params = parseConnectParams(query);
  } catch (error) {
    if (error instanceof RelayError) return refused(error, CloseCode.policy);
    throw error;
  }
  const room = context.room(params.room);
  if (room !== undefined && !room.checkSecret(params.secret)) return refused(RelayError.badSecret(params.room), CloseCode.policy);
  if (room !== undefined && room.isFull) return refused(RelayError.roomFull(params.room, room.maxPeers), CloseCode.policy);
  return { ok: true, params, room };
}

function refused(error: RelayError, closeCode: number): Refused {
  return { ok: false, error, closeCode };
}

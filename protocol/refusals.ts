/**
 * What a person is told when the relay refuses them, built from the relay's error (its
 * `code` and the `limit` it hit) rather than from numbers copied into the client, and
 * whether trying again can help.
 */
import type { RelayErrorCode } from './relay-error.ts';

/** A refusal as the client saw it: the `error` message before the close, or just the close reason. */
export interface Refusal {
  /** The error code (the `error` message's `code`, or the close reason). */
  code: string;
  /** The limit the relay reported (`error.limit`), if any. */
  limit?: number | undefined;
  /** The relay's own message, used for codes this table does not know. */
  message?: string | undefined;
}

/** One sentence for the person in front of the screen. */
export function describeRefusal(refusal: Refusal): string {
  const { code, limit } = refusal;
  switch (code as RelayErrorCode) {
    case 'bad-secret':
      return 'This room is protected: the secret is wrong or missing.';
    case 'room-full':
      return limit === undefined ? 'This room is full.' : `This room is full (${limit} ${limit === 1 ? 'person' : 'people'}).`;
    case 'bad-room':
      return 'Room names may use letters, digits, _ and - (up to 64).';
    case 'bad-name':
      return "Names may use letters, digits, spaces, _ - . ' (up to 32).";
    case 'bad-mode':
      return 'The relay does not know this media mode.';
    case 'server-full':
      return limit === undefined ? 'The server is full. Try again later.' : `The server is full (${limit} connections). Try again later.`;
    case 'shutting-down':
      return 'The server is restarting. Try again in a moment.';
    case 'too-many-connections':
      return limit === undefined ? 'Too many connections from your network. Close another tab and try again.' : `Too many connections from your network (${limit} at most). Close another tab and try again.`;
    case 'rate-limited':
      return 'Too many joins from your network in a short time. Try again in a minute.';
    case 'server-busy':
      return 'The server is busy letting people in. Trying again shortly.';
    case 'memory-budget':
      return 'The server is overloaded and closed this connection. Try again shortly.';
    case 'directory-unavailable':
      return 'The server cannot reach its room directory right now. Trying again shortly.';
    case 'abuse':
      return 'The relay closed the connection: too many refused messages.';
    default:
      return refusal.message ?? (code ? `The relay refused the connection (${code}).` : 'The relay refused the connection.');
  }
}


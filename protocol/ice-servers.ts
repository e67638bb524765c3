/**
 * Validation of the ICE server list the relay hands out in `welcome.iceServers`
 * (configured with `--ice-servers JSON`, `--stun`, `--turn`). Accepts STUN (`stun:`), TURN
 * over UDP or TCP (`turn:host:3478?transport=udp|tcp`) and TURN over TLS (`turns:`);
 * TURN entries need a username and credential. The ONE validator: the relay options, the
 * CLI and the browser all call `parseIceServers`. Pure: no DOM, no Node.
 */

/** An RTCIceServer as carried in JSON. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Thrown for an ICE server list that `RTCPeerConnection` would reject. */
export class IceServerError extends Error {
  override readonly name = 'IceServerError';
  readonly code = 'bad-ice-server';

  constructor(reason: string) {
    super(`bad ICE server: ${reason}`);
  }
}

const URL_PATTERN = /^(stun|stuns|turn|turns):[^\s?]+(\?transport=(udp|tcp))?$/;

/** The scheme of an ICE URL (`stun`, `stuns`, `turn`, `turns`), or throws `IceServerError`. */
export function iceUrlScheme(url: string): 'stun' | 'stuns' | 'turn' | 'turns' {
  const match = URL_PATTERN.exec(url);
  if (match === null) throw new IceServerError(`url must be stun:, turn: or turns: host[:port][?transport=udp|tcp] [url:${url}]`);
  if (match[2] !== undefined && match[1]!.startsWith('stun')) throw new IceServerError(`stun urls take no transport [url:${url}]`);
  return match[1] as 'stun' | 'stuns' | 'turn' | 'turns';
}

/**
 * Checks `value` (parsed JSON) and returns it as a clean `IceServer[]`; `undefined` or
 * `null` give `[]` (host candidates only, enough on one machine or one LAN).
 */
export function parseIceServers(value: unknown): IceServer[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new IceServerError('iceServers must be an array');
  return value.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null) throw new IceServerError(`entry ${index} is not an object`);
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || list.length === 0 || !list.every((u): u is string => typeof u === 'string')) {
      throw new IceServerError(`entry ${index} needs urls: a string or a non-empty array of strings`);
    }
    const needsAuth = list.some((u) => iceUrlScheme(u).startsWith('turn'));
    if (needsAuth && (typeof username !== 'string' || typeof credential !== 'string')) {
      throw new IceServerError(`entry ${index}: turn/turns urls need username and credential`);
    }
    const server: IceServer = { urls: typeof urls === 'string' ? urls : [...list] };
    if (typeof username === 'string') server.username = username;
    if (typeof credential === 'string') server.credential = credential;
    return server;
  });
}

/** True if one of `servers` has a `turn:` or `turns:` URL (what relay-only ICE, `iceTransportPolicy: 'relay'`, needs). */
export function hasTurnServer(servers: readonly IceServer[]): boolean {
  return servers.some((server) => (typeof server.urls === 'string' ? [server.urls] : server.urls).some((url) => iceUrlScheme(url).startsWith('turn')));
}

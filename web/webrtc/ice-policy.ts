/**
 * Which ICE candidates WebRTC mode may use (`RTCConfiguration.iceTransportPolicy`): 'all', or
 * 'relay' — only TURN-relayed candidates, so media goes through the TURN server (over TCP or
 * TLS for networks that block UDP). The relay asks for 'relay' in `welcome.iceTransportPolicy`
 * (`--ice-relay-only`); the page URL can force it with `ice=relay`. 'relay' without any TURN
 * server can never connect, so it is refused with a message instead of silently waiting.
 */
import { hasTurnServer, type IceServer } from '../../protocol/index.ts';

/** The policy passed to `RTCPeerConnection`. */
export type IcePolicy = 'all' | 'relay';


/** 'relay' if the relay or the page asks for it, else 'all'. */
export function icePolicy(fromRelay: IcePolicy | undefined, fromPage: IcePolicy | undefined): IcePolicy {
  return fromRelay === 'relay' || fromPage === 'relay' ? 'relay' : 'all';
}

/**
 * Why `policy` cannot work with `servers` (relay-only without a TURN server), for people; null
 * when it can. `askedBy`: who asked for relay-only, the relay (`welcome`) or the page (`ice=relay`).
 */
export function icePolicyProblem(policy: IcePolicy, servers: readonly IceServer[], askedBy: 'relay' | 'page'): string | null {
  if (policy !== 'relay' || hasTurnServer(servers)) return null;
  const have = servers.length === 0 ? 'the relay gave no ICE servers' : `the relay's ${servers.length} ICE server(s) are STUN only`;
  const who = askedBy === 'page' ? 'ice=relay' : 'asked by the relay';
  const drop = askedBy === 'page' ? ', or drop ice=relay' : '';
  return `WebRTC relay-only (${who}) needs a TURN server, but ${have}: start the relay with --turn URL --turn-user U --turn-pass P (turn:HOST:PORT?transport=tcp or turns:HOST:PORT)${drop}.`;
}

/**
 * Which transports may carry the link to the relay (page parameter `transport=`): 'auto'
 * (WebSocket, else an HTTP stream, else long-poll: auto-link.ts) or one forced — for tests,
 * benches and networks known to need it.
 */

export type TransportMode = 'auto' | 'ws' | 'http' | 'poll';
export const TRANSPORT_MODES: readonly TransportMode[] = ['auto', 'ws', 'http', 'poll'];

/** Parses `transport`: one of `TRANSPORT_MODES` (any case, `websocket` for `ws`, `long-poll` for `poll`); anything else → 'auto'. */
export function parseTransportMode(text: string | null): TransportMode {
  const value = text?.trim().toLowerCase() ?? '';
  if (value === 'websocket') return 'ws';
  if (value === 'long-poll' || value === 'longpoll') return 'poll';
  return (TRANSPORT_MODES as readonly string[]).includes(value) ? (value as TransportMode) : 'auto';
}

/**
 * The link modes the browser benches (thin-link, reach) run a call in: which media mode and
 * which transport the pages are told to use (page URL parameters `mode=`, `transport=`,
 * `ice=`), what the driver must provide for it (a TURN server), and what the pages must
 * report afterwards to prove the call ran as claimed — `framewire.stats().transport.kind`
 * for raw frames, the WebRTC route of the selected ICE pair (web/webrtc/webrtc-stats.ts
 * `route`) for WebRTC. A mode that ran on another transport fails the bench.
 */

/** What a page reports about the call that carried the frames (read after the window). */
export interface ObservedLink {
  /** `framewire.stats().transport.kind` of the sender page, or null when it reported none. */
  senderTransport: string | null;
  /** The same of the receiver page. */
  receiverTransport: string | null;
  /** WebRTC modes: the receiver's route to the sender (`host`, `relay/tcp`, …), or null. */
  route: string | null;
  /** TURN allocations coturn granted during the mode (null when no TURN server ran). */
  turnAllocations: number | null;
}

/** One link mode. */
export interface LinkMode {
  /** One line for tables. */
  title: string;
  /** Page URL parameters (besides room, name, size, source…). */
  params: Readonly<Record<string, string>>;
  /** Needs a TURN server handed out by the relay (`--turn …`). */
  needsTurn: boolean;
  /** Transport both pages must report (`framewire.stats().transport.kind`); absent: not checked. */
  transport?: string;
  /** WebRTC route the receiver must report; absent: not checked. */
  route?: string;
}

/** Every link mode, by id. `jpeg` and `webrtc` are the thin-link bench's (the page's default transport). */
export const LINK_MODES = {
  jpeg: { title: 'raw JPEG, default transport', params: { mode: 'jpeg' }, needsTurn: false },
  webrtc: { title: 'WebRTC, direct', params: { mode: 'webrtc' }, needsTurn: false },
  ws: { title: 'raw JPEG over WebSocket', params: { mode: 'jpeg', transport: 'ws' }, needsTurn: false, transport: 'websocket' },
  http: { title: 'raw JPEG over an HTTP stream', params: { mode: 'jpeg', transport: 'http' }, needsTurn: false, transport: 'http-stream' },
  poll: { title: 'raw JPEG over long-poll', params: { mode: 'jpeg', transport: 'poll' }, needsTurn: false, transport: 'long-poll' },
  'webrtc-turn': { title: 'WebRTC relayed by TURN over TCP', params: { mode: 'webrtc', ice: 'relay' }, needsTurn: true, route: 'relay/tcp' },
} as const satisfies Record<string, LinkMode>;

export type LinkModeId = keyof typeof LINK_MODES;
export const LINK_MODE_IDS = Object.keys(LINK_MODES) as LinkModeId[];

/** Modes that carry raw frames through the relay (their transport is one of framewire's own). */
export const RAW_LINK_MODES: readonly LinkModeId[] = LINK_MODE_IDS.filter((id) => LINK_MODES[id].params.mode !== 'webrtc');

/** The mode called `id`; throws a TypeError naming the known ones. */
export function linkMode(id: string): LinkMode {
  if (!isLinkModeId(id)) throw new TypeError(`unknown mode [mode:${id}, known:${LINK_MODE_IDS.join(',')}]`);
  return LINK_MODES[id];
}

export function isLinkModeId(id: string): id is LinkModeId {
  return Object.hasOwn(LINK_MODES, id);
}

/** Page URL parameters of `id` (a copy). */
export function linkModeParams(id: LinkModeId): Record<string, string> {
  return { ...LINK_MODES[id].params };
}

/** True if any of `modes` needs a TURN server. */
export function needsTurn(modes: readonly LinkModeId[]): boolean {
  return modes.some((id) => LINK_MODES[id].needsTurn);
}

/** Parses `ws,http` into mode ids out of `allowed` (default all); throws a TypeError naming an unknown one. */
export function parseLinkModes(text: string, allowed: readonly LinkModeId[] = LINK_MODE_IDS): LinkModeId[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!(allowed as readonly string[]).includes(id)) throw new TypeError(`unknown mode [mode:${id}, known:${allowed.join(',')}]`);
  if (ids.length === 0) throw new TypeError('no mode given');
  return [...new Set(ids)] as LinkModeId[];
}

/** What the pages report, in one cell: `http-stream`, `relay/tcp`, `websocket/long-poll` (sender/receiver differ); null when nothing was read. */
export function describeObserved(observed: ObservedLink | undefined): string | null {
  if (observed === undefined) return null;
  if (observed.route !== null) return observed.route || null;
  const { senderTransport: s, receiverTransport: r } = observed;
  if (s === null && r === null) return null;
  return s === r ? s : `${s ?? '?'}/${r ?? '?'}`;
}

/** Why the pages did not run on what mode `id` claims (empty = they did, or nothing is checked). */
export function linkModeMismatches(id: LinkModeId, observed: ObservedLink | undefined): string[] {
  const mode: LinkMode = LINK_MODES[id];
  const out: string[] = [];
  if (mode.transport !== undefined) {
    for (const [side, kind] of [['sender', observed?.senderTransport ?? null], ['receiver', observed?.receiverTransport ?? null]] as const) {
      if (kind !== mode.transport) out.push(`${side} ran on ${kind ?? 'an unreported transport'}, not ${mode.transport}`);
    }
  }
  if (mode.route !== undefined && observed?.route !== mode.route) out.push(`receiver's WebRTC route is ${observed?.route || 'unknown'}, not ${mode.route}`);
  if (mode.needsTurn && !(observed?.turnAllocations && observed.turnAllocations > 0)) out.push(`coturn granted no allocation [allocations:${observed?.turnAllocations ?? 'none'}]`);
  return out;
}

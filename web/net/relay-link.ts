/**
 * Stage 3 — transport, as the rest of the app sees it: ONE link to the relay carrying JSON
 * control messages and wire-format frames, with clock sync and reconnect. The media
 * transports (web/app/raw-media.ts, web/webrtc/) and the controllers (web/app/*) depend on
 * this interface only. Implementations: `AutoLink` (auto-link.ts: WebSocket, else an HTTP
 * stream, else long-poll — what the app uses) and `WsLink` (ws-link.ts: WebSocket only),
 * both a `SessionLink` (session-link.ts) over `Connection`s (connection.ts).
 */
import type { ClientMessage, OtherServerMessage, Refusal, ServerMessage, WelcomeMessage } from '../../protocol/index.ts';
import type { ClockOffset } from './clock-offset.ts';

/** Where the link is: 'failed' = refused for good (no more retries), 'closed' = closed by us. */
export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/** Details of a state change. */
export interface StateInfo {
  /** Close code of the socket that just closed, if any. */
  code?: number;
  /** Close reason, if any. */
  reason?: string;
  /**
   * Why the relay refused us, when it said so: its `error` message just before the close
   * (code, limit, message), or else the close reason as the code.
   */
  refusal?: Refusal;
  /** Reconnect attempt number (1-based) when state is 'reconnecting'. */
  attempt?: number;
  /** Delay before that attempt, ms. */
  delayMs?: number;
}

/** What carries the link: one WebSocket, an HTTP session read as a stream, or one read by long-polls. */
export type TransportKind = 'websocket' | 'http-stream' | 'long-poll';

/** The transport of the link now, and why it is not the better one. */
export interface TransportInfo {
  kind: TransportKind;
  /** Why not WebSocket (and why not streaming), for people, e.g. "WebSocket blocked (no welcome within 3 s)"; absent on WebSocket. */
  reason?: string;
}

/** How each transport is named to people (status pill, stats overlay). */
export const TRANSPORT_LABELS: Readonly<Record<TransportKind, string>> = {
  websocket: 'WebSocket',
  'http-stream': 'HTTP stream',
  'long-poll': 'long-poll',
};

/** A control message from the relay: a known `ServerMessage`, or an extension's. */
export type ControlMessage = ServerMessage | OtherServerMessage;

/** Events of a `RelayLink`. */
export type RelayLinkEvents = {
  state: [LinkState, StateInfo];
  /** A session started (first message on every new connection). */
  welcome: [WelcomeMessage];
  /** Any other control message (pongs are consumed by the clock). */
  control: [ControlMessage];
  /** A binary message (one frame), not yet validated. */
  frame: [Uint8Array];
  /** The clock-offset estimate was updated: offset and RTT of the best sample, ms. */
  clock: [{ offset: number; rtt: number }];
  /** Another transport (or another reason for it) carries the link from now on. */
  transport: [TransportInfo];
};

/** Result of `sendFrame`: sent, refused because the previous frame has not left ('busy'), or no session ('offline'). */
export type SendResult = 'sent' | 'busy' | 'offline';

/** What media and controllers need from the link to the relay. */
export interface RelayLink {
  readonly state: LinkState;
  /** True once `welcome` arrived on the current connection. */
  readonly ready: boolean;
  /** True while a frame sent now would queue behind the previous one (latest wins: skip it). */
  readonly busy: boolean;
  /** Offset of the relay's clock to ours (`offset`, `best()`, `synced`). */
  readonly clock: ClockOffset;
  /** What carries the link (before the first welcome: what it tries first). */
  readonly transport: TransportInfo;
  /**
   * Base URL of the relay node the link is on (`https://node-2.example/n2`; '' = the page's own
   * origin): where that node's HTTP routes are (snapshots). A cluster's redirect changes it.
   * Absent on links that do not follow redirects.
   */
  readonly nodeBase?: string;
  /** Redirects the link followed since it was made. Absent on links that do not follow redirects. */
  readonly redirects?: number;
  /** Starts connecting (no-op if already connecting/open or closed for good). */
  open(): void;
  /** Sends a control message; false when not connected. */
  sendControl(message: ClientMessage): boolean;
  /** Sends one encoded frame. */
  sendFrame(bytes: Uint8Array): SendResult;
  /** Sends one encoded AUDIO frame: 'busy' only past the transport's audio budget (audio is not latest-wins). */
  sendAudio(bytes: Uint8Array): SendResult;
  /** Asks the relay for its per-source drop counters (answered by a `stats` control message). */
  requestStats(): boolean;
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof RelayLinkEvents>(event: K, listener: (...args: RelayLinkEvents[K]) => void): () => void;
  /** Closes for good. Safe to call twice. */
  close(): void;
}

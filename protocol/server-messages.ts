/**
 * Control messages from the relay to a client (JSON text), as one discriminated union on
 * `type`. docs/protocol.md › server → client documents every field; the relay builds these
 * and the browser reads them, so both sides compile against the same shapes.
 */
import type { IceServer } from './ice-servers.ts';
import type { RelayErrorCode } from './relay-error.ts';
import type { RoutedType } from './client-messages.ts';
import type { DeliveryMessage } from './feedback.ts';

/** A participant as others see it. */
export interface PeerSummary {
  /** Positive u32, unique per relay; the `sourceId` stamped into this peer's frames. */
  id: number;
  /** Display name. */
  name: string;
  /** What the peer streams: 'jpeg', 'bgra', 'webrtc', … */
  mode: string;
  /** Its microphone is muted (`state`); absent = not muted. */
  muted?: boolean;
}

/** The relay's limits, told to every client in `welcome` (so clients never hard-code them). */
export interface RelayLimits {
  /** Largest message / frame, bytes. */
  maxPayload: number;
  /** Peers per room. */
  maxPeersPerRoom: number;
  /** Largest control message, bytes of JSON. */
  maxControlBytes: number;
  /** Longest chat text, characters. */
  maxChatChars: number;
  /** Control messages per second per connection. */
  controlRatePerSecond: number;
}

/** Always the first message of a session. */
export interface WelcomeMessage {
  type: 'welcome';
  /** Our peer id in this session. */
  peerId: number;
  room: string;
  name: string;
  mode: string;
  /** The other peers, in join order. */
  peers: PeerSummary[];
  /** Relay clock, ms since the epoch. */
  serverTime: number;
  /** ICE servers for WebRTC mode (validated with `parseIceServers`). */
  iceServers: IceServer[];
  /**
   * WebRTC mode's `RTCConfiguration.iceTransportPolicy`: 'relay' = only TURN-relayed candidates
   * (the relay has a TURN server among `iceServers`; for UDP-blocked networks), 'all' = any.
   * Absent from older relays: 'all'.
   */
  iceTransportPolicy?: 'all' | 'relay';
  limits: RelayLimits;
  /**
   * Session-resume token, when the client connected with `resumable=1`: a later connection
   * (any transport) with `resume=<token>` continues this very peer (same `peerId`, the other
   * peers see nothing) while the relay still holds it. A new token comes with every welcome.
   */
  resume?: string;
  /** True when this welcome continues an existing peer (`resume=` accepted); absent otherwise. */
  resumed?: boolean;
}

export interface PeerJoinedMessage {
  type: 'peer-joined';
  peer: PeerSummary;
}

/** A peer's presence changed (it sent `state`): its summary as it is now. */
export interface PeerUpdatedMessage {
  type: 'peer-updated';
  peer: PeerSummary;
}

export interface PeerLeftMessage {
  type: 'peer-left';
  peerId: number;
}

/** A chat line, echoed to its sender too. */
export interface ChatLineMessage {
  type: 'chat';
  from: number;
  name: string;
  text: string;
  /** Relay time, ms since the epoch. */
  ts: number;
}

/** A routed message (signal, invite, accept, decline, hangup) from peer `from`. */
export interface RoutedMessage<T extends RoutedType = RoutedType> {
  type: T;
  from: number;
  /** Passed through untouched (required for `signal`). */
  data?: unknown;
}

/** `RoutedMessage` distributed over the routed types, so `isMessage(m, 'signal')` narrows to `RoutedMessage<'signal'>`. */
export type RoutedMessageOf<T extends RoutedType> = T extends RoutedType ? RoutedMessage<T> : never;

export interface PongMessage {
  type: 'pong';
  /** The ping's `t`, echoed. */
  t: number;
  serverTime: number;
}

export interface StatsReplyMessage {
  type: 'stats';
  /** Frames the relay dropped towards us, per source id (video and audio). */
  drops: Record<string, number>;
  /** Of those, audio frames (the oldest of a full audio queue), per source id; absent while none. */
  audioDrops?: Record<string, number>;
  /** Our path as the relay's ack window sees it; only once we ack (delivery feedback). */
  path?: PathReport;
}

/** The path from the relay to one receiver in ack mode (`StatsReplyMessage.path`; the relay's `PathFigures`). */
export interface PathReport {
  /** Bytes we acked over the last second, bit/s. */
  goodputBps: number;
  /** Relay send → our receive above its 10 s minimum, smoothed, ms. */
  queueDelayMs: number;
  /** Minimum relay send → ack arrival over 10 s, ms (0 before the first ack). */
  baseRoundTripMs: number;
  /** Bytes the relay lets be in flight towards us (a frame always goes out when nothing is in flight). */
  windowBytes: number;
  /** Bytes sent to us and not acked yet. */
  inFlightBytes: number;
  /** Frames sent to us and not acked yet. */
  inFlightFrames: number;
  /** Frames acked since ack mode began. */
  acked: number;
  /** Frames released unacked (expired, or skipped by us). */
  lost: number;
}

export interface ErrorMessage {
  type: 'error';
  code: RelayErrorCode;
  message: string;
  /** The limit that was hit, when there is one (e.g. `maxPeersPerRoom` for `room-full`). */
  limit?: number;
}

/**
 * The room is on another node of the cluster (server/cluster/): reconnect there, with the
 * same connect query (resume token included), at once. Sent instead of `welcome`, right
 * before the close with `CloseCode.redirect` (4302, reason `redirect`).
 */
export interface RedirectMessage {
  type: 'redirect';
  /** The owning node's base URL, `http(s)://host[:port][/path]` without a trailing slash: its WebSocket is `<ws(s)>…/ws`, its HTTP channel `…/fw/*`. */
  url: string;
  room: string;
}

/** One participant's finished recording (server/media). */
export interface RecordedFileInfo {
  peerId: number;
  name: string;
  /** File names inside the relay's `DIR/ROOM/`. */
  frameLog: string;
  mp4: string;
  frames: number;
}

/** server/media: the room's recording started or stopped (also sent on join). */
export interface RecordingMessage {
  type: 'recording';
  room: string;
  active: boolean;
  /** Who started/stopped it; absent when sent on join. */
  by?: number;
  /** With `active: false`: the files written. */
  files?: RecordedFileInfo[];
}

/** server/media: answer to `transcode`, or (`auto: true`) the relay switched `from`'s frames for this peer's path by itself. */
export interface TranscodingMessage {
  type: 'transcoding';
  from: number;
  codec: 'jpeg' | 'off';
  /** With `jpeg`: JPEG quality, 1..100. */
  quality?: number;
  /** True if the relay decided it (thin path), absent when answering `transcode`. */
  auto?: boolean;
  /** With `auto` and `jpeg`: the size of the pictures sent (≤ the source's). */
  width?: number;
  height?: number;
  /** With `auto`: why, for people (e.g. "your link ≈ 0.9 Mbit/s, this source sends 6.1 Mbit/s"). */
  reason?: string;
}

/** Every message the relay and its built-in extensions send. */
export type ServerMessage =
  | WelcomeMessage
  | PeerJoinedMessage
  | PeerLeftMessage
  | PeerUpdatedMessage
  | ChatLineMessage
  | RoutedMessageOf<RoutedType>
  | PongMessage
  | StatsReplyMessage
  | ErrorMessage
  | RedirectMessage
  | RecordingMessage
  | TranscodingMessage
  | DeliveryMessage;

/** The `type`s of `ServerMessage`. */
export type ServerMessageType = ServerMessage['type'];

/** Every `ServerMessageType`, at run time (docs/protocol.md lists each; a test keeps them in step). */
export const SERVER_MESSAGE_TYPES = [
  'welcome',
  'peer-joined',
  'peer-left',
  'peer-updated',
  'chat',
  'signal',
  'invite',
  'accept',
  'decline',
  'hangup',
  'pong',
  'stats',
  'error',
  'redirect',
  'recording',
  'transcoding',
  'delivery',
] as const satisfies readonly ServerMessageType[];

/** A message of a type this build does not know (an extension's): only `type` is sure. */
export interface OtherServerMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * Parses one text message from the relay: a JSON object with a string `type`, or null.
 * Fields are not checked one by one: the relay is the other end of this contract (its
 * messages are built from these types), and readers take what they use defensively.
 */
export function parseServerMessage(text: string): ServerMessage | OtherServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && type.length > 0 ? (value as ServerMessage | OtherServerMessage) : null;
}

/** Narrows a parsed message to one known type. */
export function isMessage<T extends ServerMessageType>(message: { type: string }, type: T): message is Extract<ServerMessage, { type: T }> {
  return message.type === type;
}

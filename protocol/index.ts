/**
 * framewire's control protocol, shared by the relay (server/), the browser app (web/) and
 * the tools (bots, benches): control messages in both directions, error and close codes,
 * connect rules, ICE servers, and the one typed emitter. Pure like codec/ (its own strict
 * tsconfig: ECMAScript only). The byte-level wire format of frames is codec/; the whole
 * protocol is documented in docs/protocol.md.
 */
export { Emitter, logListenerError, type EventMap, type Listener, type ListenerErrorHandler } from './emitter.ts';
export { CloseCode, isFatalClose, type CloseCodeValue } from './close-codes.ts';
export { CONNECT_REFUSALS, RELAY_ERROR_CODES, RelayError, type RelayErrorCode } from './relay-error.ts';
export { describeRefusal, type Refusal } from './refusals.ts';
export { HTTP_ERROR_CODES, HTTP_ERROR_STATUS, httpErrorBody, httpErrorOf, type HttpErrorBody, type HttpErrorCode } from './http-errors.ts';
export {
  connectQuery,
  DEFAULT_MODE,
  HTTP_CLOSE_PATH,
  HTTP_POLL_PATH,
  HTTP_SEND_PATH,
  HTTP_SESSION_PATH,
  HTTP_STREAM_PATH,
  MAX_SECRET_CHARS,
  MODE_PATTERN,
  NAME_PATTERN,
  parseConnectParams,
  ROOM_PATTERN,
  SEQ_HEADER,
  TOKEN_HEADER,
  WS_PATH,
  type ConnectParams,
  type QueryLike,
} from './connect-params.ts';
export { hasTurnServer, IceServerError, iceUrlScheme, parseIceServers, type IceServer } from './ice-servers.ts';
export {
  BUILTIN_TYPES,
  chatTextOf,
  CLIENT_MESSAGE_TYPES,
  isRoutedType,
  jsonDeeperThan,
  MAX_JSON_DEPTH,
  parseControl,
  pingTimeOf,
  ROUTED_TYPES,
  routedRequestOf,
  stateOf,
  type ChatRequest,
  type ClientMessage,
  type PingRequest,
  type RawControl,
  type RecordRequest,
  type RoutedRequest,
  type RoutedType,
  type StateRequest,
  type StatsRequest,
  type TranscodeRequest,
} from './client-messages.ts';
export {
  isMessage,
  parseServerMessage,
  SERVER_MESSAGE_TYPES,
  type ChatLineMessage,
  type ErrorMessage,
  type RedirectMessage,
  type OtherServerMessage,
  type PeerJoinedMessage,
  type PeerLeftMessage,
  type PeerUpdatedMessage,
  type PeerSummary,
  type PongMessage,
  type RecordedFileInfo,
  type RecordingMessage,
  type RelayLimits,
  type RoutedMessage,
  type ServerMessage,
  type ServerMessageType,
  type PathReport,
  type StatsReplyMessage,
  type TranscodingMessage,
  type WelcomeMessage,
} from './server-messages.ts';
export {
  ackFramesOf,
  MAX_ACK_ENTRIES,
  type AckEntry,
  type AckRequest,
  type DeliveryMessage,
  type ReceiverReport,
  type UplinkAck,
} from './feedback.ts';

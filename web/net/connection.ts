/**
 * One connection to the relay over one transport — what a `SessionLink` (session-link.ts)
 * drives: a WebSocket (`WsConnection`, ws-connection.ts) or an HTTP session
 * (`HttpConnection`, http-connection.ts). A connection only moves messages: control
 * messages as JSON text, frames as bytes, and the close (code, reason) — the same three
 * things a WebSocket carries. Welcomes, the clock, refusals and reconnecting are the link's.
 */
import type { RelayNode } from './redirect.ts';
import type { TransportKind } from './relay-link.ts';

/** What a connection tells its link. After `close` (or after the link called `Connection.close`) nothing more. */
export interface ConnectionHandlers {
  /** The transport is up: control messages can be sent (a WebSocket opened; an HTTP session was created). */
  open(): void;
  /** One control message from the relay, as JSON text. */
  control(text: string): void;
  /** One frame from the relay (not validated); the receiver may keep the bytes. */
  frame(bytes: Uint8Array): void;
  /** The connection ended: the relay's close code and reason, or 1006 and '' when it was lost without one. Called once. */
  close(code: number, reason: string): void;
}

/** One connection to the relay. */
export interface Connection {
  /** The transport carrying it now (an HTTP session may move from its stream to long-polls). */
  readonly kind: TransportKind;
  /** True while a frame sent now would wait behind the previous one (latest wins: skip it). */
  readonly busy: boolean;
  /** Bytes handed to the connection and not sent yet. */
  readonly bufferedAmount: number;
  /** Sends one control message (JSON text), in order, never dropped; false before `open` or after the end. */
  sendControl(text: string): boolean;
  /** Sends one frame (a wire-format frame, prefix included); false when it cannot be sent now. */
  sendFrame(bytes: Uint8Array): boolean;
  /**
   * Sends one AUDIO frame: not latest-wins like video (`busy` does not refuse it) — refused
   * (false) only past the transport's own audio budget, which bounds what audio can queue.
   */
  sendAudio(bytes: Uint8Array): boolean;
  /**
   * Moves a streamed downlink to long-polls within the same session (HTTP only; absent on a
   * WebSocket). No record is lost or reordered on the way.
   */
  toLongPoll?(): void;
  /** Ends the connection (`code` and `reason` reach the relay where the transport can say them); no handler is called afterwards. Safe to call twice. */
  close(code?: number, reason?: string): void;
}

/**
 * Opens a connection of `kind` to relay node `node` (the link's own, or the one a cluster
 * redirected it to) with connect query `query` (no `?`), reporting to `handlers`.
 */
export type Dialer = (kind: TransportKind, query: string, handlers: ConnectionHandlers, node: RelayNode) => Connection;

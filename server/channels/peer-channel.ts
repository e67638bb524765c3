/**
 * The one thing the relay core knows about a transport: a bidirectional channel of binary
 * frames and text control messages to one client. WebSocket (ws-channel.ts) is one
 * implementation, an in-process pair (memory-channel.ts) another; a new transport is one
 * new file implementing this and calling `RelayCore.admit` (or `Relay.accept`).
 *
 * Inbound messages go to ONE `ChannelReceiver` (the core), not to an emitter: a frame costs
 * one method call, no listener-set copy.
 */
import type { QueryLike } from '../../protocol/index.ts';
import type { SendResult } from '../session/frame-outbox.ts';

export type { SendFrame, SendResult } from '../session/frame-outbox.ts';

/** Where a channel delivers what its client sends, in order. */
export interface ChannelReceiver {
  /**
   * A binary message (a frame, not yet validated). The core stamps it IN PLACE and forwards
   * these very bytes, so the channel must hand over a buffer nobody else writes to.
   */
  onFrame(bytes: Uint8Array): void;
  /** A text message as UTF-8 bytes (the core checks its size before decoding). */
  onControl(utf8: Uint8Array): void;
  /** The channel closed (either side, or lost: 1006). Called once, last. */
  onClose(code: number, reason: string): void;
}

/** A connection to one client, as the relay core uses it. */
export interface PeerChannel {
  /** True while messages can be sent. */
  readonly isOpen: boolean;
  /** Bytes handed to the channel and not yet flushed to the network/peer (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /**
   * Bytes the channel holds of what its client is SENDING and has not finished (a partly
   * received message, request bodies waiting their turn) — counted in the relay's memory
   * budget. Absent: none.
   */
  readonly incomingBytes?: number;
  /** Sets the receiver of inbound messages (once; the core calls it at admission). */
  receive(receiver: ChannelReceiver): void;
  /** Sends one control message (JSON text); never dropped. False if the channel is not open. */
  sendControl(text: string): boolean;
  /**
   * Sends one frame (the outbox's `SendFrame` contract): `done` is called once the bytes are
   * flushed (or failed), later, in send order; 'flushed' if nothing is left buffered,
   * 'in-flight' if the bytes wait, 'failed' if the channel cannot take them (`done` not called).
   * The bytes are shared with other receivers: never mutate them.
   */
  sendFrame(bytes: Uint8Array, done: (error?: Error | null) => void): SendResult;
  /** Starts a graceful close (code and reason reach the client); no-op once closing. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (the receiver still gets `onClose`). */
  terminate(): void;
}

/** What a transport tells the core about a connection besides its query. */
export interface ConnectionInfo {
  /** The client's address, for logs. Default none. */
  remoteAddress?: string | undefined;
}

/**
 * Hands a new connection to the relay core (`RelayCore.admit`, public as `Relay.accept`):
 * the core refuses it (an `error` message, then `close`) or joins it to the room named in
 * `query` (`room`, `name`, `mode`, `secret`, as in the WebSocket URL).
 */
export type AdmitChannel = (channel: PeerChannel, query: QueryLike, info?: ConnectionInfo) => void;

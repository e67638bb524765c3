/**
 * Control messages from peers: size check, parsing, rate check (`ack` has its own bucket),
 * then ONE dispatch table by `type`. The built-in types (builtins.ts) and the types extensions add with
 * `Relay.handleControl` are entries of the same table. A `RelayError` thrown by an entry
 * is answered as an `error` message; a peer refused too often is closed with 1008 `abuse`.
 */
import { CloseCode, parseControl, RelayError, type RawControl } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import type { RelayMetrics } from '../relay-metrics.ts';
import type { Room } from '../rooms/room.ts';
import { ACK_RATE_PER_SECOND, type Peer, type PeerInfo } from '../session/peer.ts';

/** Handler of an extra control type; throwing makes the relay answer `handler-failed`. */
export type ControlHandler = (peer: PeerInfo, msg: Record<string, unknown>) => void;

/** An entry of the table: answers one message of its type from `peer` of `room`. Throws `RelayError` to refuse it. */
export type ControlEntry = (peer: Peer, room: Room<Peer>, msg: RawControl) => void;

/** Options of `ControlDispatcher`. */
export interface ControlDispatcherOptions {
  /** Largest control message, bytes. */
  maxControlBytes: number;
  /** Reported in `rate-limited` (the limit itself is each peer's token bucket). */
  controlRatePerSecond: number;
  /** Reported in `abuse` (the budget itself is each peer's). */
  maxControlErrors: number;
  /** The room of a peer, if it still exists. */
  roomOf: (peer: Peer) => Room<Peer> | undefined;
  /** Closes a peer's connection (it leaves its room at once). */
  closePeer: (peer: Peer, closeCode: number, reason: string) => void;
  metrics: RelayMetrics;
  log: Logger;
}

const decoder = new TextDecoder();

export class ControlDispatcher {
  #options: ControlDispatcherOptions;
  #entries = new Map<string, ControlEntry>();
  #builtins = new Set<string>();

  constructor(options: ControlDispatcherOptions) {
    this.#options = options;
  }

  /** Adds a built-in type (the relay's own; `handle` refuses them afterwards). */
  builtin(type: string, entry: ControlEntry): void {
    if (this.#entries.has(type)) throw new TypeError(`control type already handled [type:${type}]`);
    this.#builtins.add(type);
    this.#entries.set(type, entry);
  }

  /** Adds an extension's type. Built-in types and types already added are refused with a TypeError. */
  handle(type: string, handler: ControlHandler): void {
    if (this.#builtins.has(type)) throw new TypeError(`control type is built in [type:${type}]`);
    if (this.#entries.has(type)) throw new TypeError(`control type already handled [type:${type}]`);
    this.#entries.set(type, (peer, _room, msg) => {
      try {
        handler(peer.info(), msg);
      } catch (error) {
        if (error instanceof RelayError) throw error;
        this.#options.log.error('control handler failed', { type: msg.type, peerId: peer.id, error });
        peer.sendControl(RelayError.handlerFailed(msg.type).toMessage());
      }
    });
  }

  /** One text message from `peer`, as UTF-8 bytes. */
  receive(peer: Peer, utf8: Uint8Array): void {
    const o = this.#options;
    if (utf8.byteLength > o.maxControlBytes) return this.#refuse(peer, RelayError.tooLarge(utf8.byteLength, o.maxControlBytes));
    try {
      const msg = parseControl(decoder.decode(utf8));
      // NOTE: `ack` (~20/s per receiver) has its own bucket, so feedback never eats the budget of chat and signaling.
      if (msg.type === 'ack' ? !peer.takeAckToken() : !peer.takeControlToken()) {
        return this.#refuse(peer, RelayError.rateLimited(msg.type === 'ack' ? ACK_RATE_PER_SECOND : o.controlRatePerSecond));
      }
      const entry = this.#entries.get(msg.type);
      o.metrics.controlIn(entry !== undefined ? msg.type : 'other');
      const room = o.roomOf(peer);
      if (room === undefined) return;
      if (entry === undefined) throw RelayError.unknownType(msg.type);
      entry(peer, room, msg);
    } catch (error) {
      if (error instanceof RelayError) return this.#refuse(peer, error);
      throw error;
    }
  }

  /** Answers a refused control message; a peer refused too often is closed with 1008 `abuse`. */
  #refuse(peer: Peer, error: RelayError): void {
    const o = this.#options;
    o.log.debug('control refused', { peerId: peer.id, code: error.code, message: error.message });
    if (!peer.takeErrorToken()) {
      o.metrics.refused('abuse');
      o.log.info('abuse: closing peer', { peerId: peer.id, room: peer.room, last: error.code });
      peer.sendControl(RelayError.abuse(o.maxControlErrors).toMessage());
      o.closePeer(peer, CloseCode.policy, 'abuse');
      return;
    }
    peer.sendControl(error.toMessage());
  }
}

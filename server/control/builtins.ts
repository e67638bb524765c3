/**
 * The control types the relay answers itself, registered in the same table as extensions'
 * (dispatcher.ts): the routed ones (signal, invite, accept, decline, hangup) go to one peer
 * of the room as `{type, from, data?}`; chat goes to the whole room; ping and stats are
 * answered to the sender (`stats` with the receiver's path once it acks); `state` (muted) updates
 * the peer's summary and goes to the others as `peer-updated`; `ack` feeds the sender's ack window (session/ack-window.ts).
 * docs/protocol.md › client → server.
 */
import {
  ackFramesOf,
  chatTextOf,
  pingTimeOf,
  RelayError,
  ROUTED_TYPES,
  routedRequestOf,
  stateOf,
  type ChatLineMessage,
  type PongMessage,
  type RoutedMessage,
  type RoutedType,
  type StatsReplyMessage,
} from '../../protocol/index.ts';
import { relayNow } from '../clock.ts';
import type { ControlDispatcher } from './dispatcher.ts';

/** Registers the built-in types. `maxChatChars`: longest chat text, characters. */
export function registerBuiltins(dispatcher: ControlDispatcher, options: { maxChatChars: number }): void {
  for (const type of ROUTED_TYPES) {
    dispatcher.builtin(type, (peer, room, msg) => {
      const request = routedRequestOf(msg as typeof msg & { type: RoutedType });
      const target = request.to === peer.id ? undefined : room.get(request.to);
      if (target === undefined || target.leaving) throw RelayError.noSuchPeer(type, request.to);
      const out: RoutedMessage = request.data === undefined ? { type, from: peer.id } : { type, from: peer.id, data: request.data };
      target.sendControl(out);
    });
  }
  dispatcher.builtin('chat', (peer, room, msg) => {
    const out: ChatLineMessage = { type: 'chat', from: peer.id, name: peer.name, text: chatTextOf(msg, options.maxChatChars), ts: relayNow() };
    for (const p of room.peers()) p.sendControl(out);
  });
  dispatcher.builtin('ping', (peer, _room, msg) => {
    const out: PongMessage = { type: 'pong', t: pingTimeOf(msg), serverTime: relayNow() };
    peer.sendControl(out);
  });
  dispatcher.builtin('state', (peer, room, msg) => {
    const { muted } = stateOf(msg);
    if (muted === peer.muted) return;
    peer.muted = muted;
    const out = { type: 'peer-updated', peer: peer.summary() } as const;
    for (const p of room.peers()) if (p !== peer) p.sendControl(out);
  });
  dispatcher.builtin('ack', (peer, _room, msg) => {
    peer.ack(ackFramesOf(msg));
  });
  dispatcher.builtin('stats', (peer) => {
    const out: StatsReplyMessage = { type: 'stats', drops: Object.fromEntries(peer.drops()) };
    const audioDrops = peer.audioDrops();
    if (audioDrops.size > 0) out.audioDrops = Object.fromEntries(audioDrops);
    if (peer.feedback) {
      const p = peer.path();
      out.path = {
        goodputBps: Math.round(p.goodputBps),
        queueDelayMs: round1(p.queueDelayMs),
        baseRoundTripMs: round1(p.baseRoundTripMs),
        windowBytes: Math.round(p.windowBytes),
        inFlightBytes: Math.round(p.inFlightBytes),
        inFlightFrames: p.inFlightFrames,
        acked: p.acked,
        lost: p.lost,
      };
    }
    peer.sendControl(out);
  });
}

/** `x` to one decimal. */
function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The relay's side of delivery feedback over time (docs/protocol.md › Delivery feedback):
 * ONE timer per relay, every `intervalMs` (50), for the feedback-aware peers only (those
 * that sent an `ack`). Each tick it releases their expired frames in flight, and sends each
 * one that sent frames since the last tick a single `delivery` message: `up`, its frames
 * that reached the relay, and `down`, per ack-mode receiver of its frames, that path's
 * figures. Never a message per frame; no timer at all while no peer is feedback-aware.
 */
import type { DeliveryMessage, ReceiverReport } from '../../protocol/index.ts';
import type { Room } from '../rooms/room.ts';
import type { Peer } from './peer.ts';

/** Options of `DeliveryReporter`. */
export interface DeliveryReporterOptions {
  /** Period of the tick, ms. Default `DEFAULT_FEEDBACK_INTERVAL_MS` (50). */
  intervalMs?: number;
  /** The room of a peer, if it still exists. */
  roomOf: (peer: Peer) => Room<Peer> | undefined;
  /** A `delivery` message acknowledged `frames` uplink frames of a peer of `room`. Default none. */
  onUplinkAcked?: (room: string, frames: number) => void;
}

export const DEFAULT_FEEDBACK_INTERVAL_MS = 50;

export class DeliveryReporter {
  readonly #intervalMs: number;
  readonly #roomOf: (peer: Peer) => Room<Peer> | undefined;
  readonly #onUplinkAcked: (room: string, frames: number) => void;
  readonly #peers = new Set<Peer>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DeliveryReporterOptions) {
    const intervalMs = options.intervalMs ?? DEFAULT_FEEDBACK_INTERVAL_MS;
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new TypeError(`intervalMs must be a positive number [intervalMs:${intervalMs}]`);
    this.#intervalMs = intervalMs;
    this.#roomOf = options.roomOf;
    this.#onUplinkAcked = options.onUplinkAcked ?? (() => undefined);
  }

  /** Feedback-aware peers. */
  get size(): number {
    return this.#peers.size;
  }

  /** `peer` became feedback-aware. */
  add(peer: Peer): void {
    if (this.#closed) return;
    this.#peers.add(peer);
    this.#timer ??= setInterval(() => this.tick(), this.#intervalMs).unref();
  }

  /** `peer` left. */
  remove(peer: Peer): void {
    this.#peers.delete(peer);
    if (this.#peers.size === 0) this.#stop();
  }

  /** One tick (the timer calls it; public for tests). */
  tick(): void {
    for (const peer of this.#peers) {
      if (peer.leaving) continue;
      peer.expireInFlight();
      if (peer.pendingUplinkAcks === 0) continue;
      const up = peer.takeUplinkAcks();
      const room = this.#roomOf(peer);
      const msg: DeliveryMessage = { type: 'delivery', up };
      const down = room === undefined ? [] : reportsFor(peer, room);
      if (down.length > 0) msg.down = down;
      peer.sendControl(msg);
      this.#onUplinkAcked(peer.room, up.length);
    }
  }

  /** Stops the timer; later `add`s are ignored. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#peers.clear();
    this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** `down` of a `delivery` to `sender`: one entry per other peer of the room that acks and got (or lost) its frames. */
function reportsFor(sender: Peer, room: Room<Peer>): ReceiverReport[] {
  const out: ReceiverReport[] = [];
  for (const receiver of room.peers()) {
    if (receiver === sender) continue;
    const figures = receiver.sourceFigures(sender.id);
    if (figures === undefined) continue;
    out.push([
      receiver.id,
      Math.round(figures.goodputBps),
      Math.round(receiver.path().queueDelayMs * 10) / 10,
      Math.round(figures.fps * 10) / 10,
      Math.round(figures.droppedPerSecond * 10) / 10,
    ]);
  }
  return out;
}

/**
 * The presence controller: who else is in the room. Filled from each `welcome`, kept up to
 * date by `peer-joined` / `peer-left`; a raw peer's mode may change mid-call (the codec of
 * its frames is the truth, see `setMode`). No DOM: the UI renders its events.
 */
import { Emitter, isMessage, type PeerSummary, type WelcomeMessage } from '../../protocol/index.ts';
import type { ControlMessage } from '../net/relay-link.ts';
import type { RemotePeer } from '../pipeline/index.ts';

/** Events of `PresenceController`. */
export type PresenceEvents = {
  /** A new session: these are the peers already in the room. */
  reset: [RemotePeer[]];
  joined: [RemotePeer];
  left: [RemotePeer];
  /** A peer's mode changed (`setMode`) or it muted/unmuted (`peer-updated`). */
  changed: [RemotePeer];
};

export class PresenceController {
  readonly events = new Emitter<PresenceEvents>();
  readonly #peers = new Map<number, RemotePeer>();
  #selfId = 0;

  /** Our id in the current session (0 outside one). */
  get selfId(): number {
    return this.#selfId;
  }

  /** The other peers, in join order. */
  list(): RemotePeer[] {
    return [...this.#peers.values()];
  }

  get(peerId: number): RemotePeer | undefined {
    return this.#peers.get(peerId);
  }

  has(peerId: number): boolean {
    return this.#peers.has(peerId);
  }

  /** The peer's name, or `peer ID` for one we do not know. */
  nameOf(peerId: number): string {
    return this.#peers.get(peerId)?.name ?? `peer ${peerId}`;
  }

  /** A session started: the welcome's peer list replaces everything. */
  welcome(welcome: WelcomeMessage): void {
    this.#selfId = welcome.peerId;
    this.#peers.clear();
    for (const p of welcome.peers ?? []) if (p.id !== welcome.peerId) this.#peers.set(p.id, peerOf(p));
    this.events.emit('reset', this.list());
  }

  /** Handles `peer-joined` / `peer-left`; true when it was one of those. */
  handle(message: ControlMessage): boolean {
    if (isMessage(message, 'peer-joined')) {
      const p = message.peer;
      if (p && p.id !== this.#selfId) {
        const peer = peerOf(p);
        this.#peers.set(peer.id, peer);
        this.events.emit('joined', peer);
      }
      return true;
    }
    if (isMessage(message, 'peer-updated')) {
      const peer = this.#peers.get(Number(message.peer?.id));
      const muted = message.peer?.muted === true;
      if (peer !== undefined && (peer.muted ?? false) !== muted) {
        peer.muted = muted;
        this.events.emit('changed', peer);
      }
      return true;
    }
    if (isMessage(message, 'peer-left')) {
      const peer = this.#peers.get(Number(message.peerId));
      if (peer !== undefined) {
        this.#peers.delete(peer.id);
        this.events.emit('left', peer);
      }
      return true;
    }
    return false;
  }

  /** Records that peer `peerId` now streams `mode`; no-op when unchanged or unknown. */
  setMode(peerId: number, mode: string): void {
    const peer = this.#peers.get(peerId);
    if (peer === undefined || peer.mode === mode) return;
    peer.mode = mode;
    this.events.emit('changed', peer);
  }

  /** Out of the session: nobody (no events). */
  clear(): void {
    this.#peers.clear();
    this.#selfId = 0;
  }
}

function peerOf(p: PeerSummary): RemotePeer {
  return p.muted === true ? { id: p.id, name: p.name, mode: p.mode ?? '', muted: true } : { id: p.id, name: p.name, mode: p.mode ?? '' };
}

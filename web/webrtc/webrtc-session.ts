/**
 * WebRTC mode (`mode=webrtc`): the media transport stage swapped for one
 * RTCPeerConnection per remote peer (`PeerLink`), with offers, answers and ICE candidates
 * carried as relay `signal` messages. The app feeds it the room's membership (`addPeer`,
 * `removePeer`) and incoming `signal` messages (`handleSignal`); it hands back each remote
 * peer's MediaStream (`stream` event) for a `<video>` tile, and `getStats()` figures for the
 * overlay (`stats`).
 *
 * Politeness for perfect negotiation is decided by id: the peer with the higher id is
 * polite. Both sides may call `addPeer` for each other (one from `welcome.peers`, the other
 * from `peer-joined`); the glare that follows resolves itself.
 */
import { PeerLink, type PeerLinkAudioOptions, type SignalData } from './peer-link.ts';
import { Emitter } from '../../protocol/index.ts';
import { summarizeStats, type StatsEntry, type WebRtcStats } from './webrtc-stats.ts';

/** Events of a `WebRtcSession`. */
export type WebRtcSessionEvents = {
  /** Remote peer `peerId`'s media arrived; show `stream` in its tile. */
  stream: [peerId: number, stream: MediaStream];
  /** A track of remote peer `peerId` arrived (audio or video), in `stream`. */
  track: [peerId: number, track: MediaStreamTrack, stream: MediaStream];
  /** The connection to `peerId` changed state (`connected`, `failed`, `closed`, …). */
  state: [peerId: number, state: RTCPeerConnectionState];
  /** A negotiation step with `peerId` failed. */
  error: [peerId: number, error: Error];
};

/** Options of `WebRtcSession`. */
export interface WebRtcSessionOptions {
  /** This peer's id (from `welcome.peerId`). Required. */
  localId: number;
  /** Sends `data` to peer `to` (as a relay `{type:'signal', to, data}` message). Required. */
  signal: (to: number, data: SignalData) => void;
  /** What this peer sends: a camera stream or the harness canvas's `captureStream()`. Default none. */
  stream?: MediaStream;
  /**
   * The microphone every connection sends alongside the video (`PeerLinkAudioOptions`:
   * track, muted or not, bitrate cap, Opus parameters). Default none: no sound of our own.
   */
  audio?: PeerLinkAudioOptions;
  /** ICE servers from `welcome.iceServers` (see `parseIceServers`). Default [] (host candidates only). */
  iceServers?: RTCIceServer[];
  /** 'relay': TURN-relayed candidates only (`welcome.iceTransportPolicy`, or `ice=relay`). Default 'all'. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Receiver jitter-buffer target, ms. Default undefined (browser default). */
  jitterBufferTargetMs?: number;
}

export class WebRtcSession extends Emitter<WebRtcSessionEvents> {
  readonly localId: number;
  readonly #options: WebRtcSessionOptions;
  readonly #links = new Map<number, PeerLink>();
  readonly #lastStats = new Map<number, WebRtcStats>();
  #stream: MediaStream | undefined;
  #audio: PeerLinkAudioOptions | undefined;
  #closed = false;

  constructor(options: WebRtcSessionOptions) {
    super();
    if (!Number.isInteger(options.localId) || options.localId <= 0) {
      throw new TypeError(`localId must be a positive integer [localId:${options.localId}]`);
    }
    if (typeof options.signal !== 'function') throw new TypeError('WebRtcSession needs a signal function');
    this.localId = options.localId;
    this.#options = options;
    this.#stream = options.stream;
    this.#audio = options.audio ? { ...options.audio } : undefined;
  }

  /** Ids of the peers with a connection. */
  peers(): number[] {
    return [...this.#links.keys()];
  }

  /** The link to `peerId`, if any. */
  link(peerId: number): PeerLink | undefined {
    return this.#links.get(peerId);
  }

  /** Opens a connection to `peerId` (no-op if one exists or it is this peer). */
  addPeer(peerId: number): PeerLink | undefined {
    if (this.#closed || peerId === this.localId) return undefined;
    const existing = this.#links.get(peerId);
    if (existing) return existing;
    const options = {
      polite: this.localId > peerId,
      signal: (data: SignalData) => this.#options.signal(peerId, data),
      ...(this.#options.iceServers ? { iceServers: this.#options.iceServers } : {}),
      ...(this.#options.iceTransportPolicy ? { iceTransportPolicy: this.#options.iceTransportPolicy } : {}),
      ...(this.#stream ? { stream: this.#stream } : {}),
      ...(this.#audio ? { audio: { ...this.#audio } } : {}),
      ...(this.#options.jitterBufferTargetMs !== undefined ? { jitterBufferTargetMs: this.#options.jitterBufferTargetMs } : {}),
    };
    const link = new PeerLink(options);
    link.on('stream', (stream) => this.emit('stream', peerId, stream));
    link.on('track', (track, stream) => this.emit('track', peerId, track, stream));
    link.on('state', (state) => this.emit('state', peerId, state));
    link.on('error', (error) => this.emit('error', peerId, error));
    this.#links.set(peerId, link);
    return link;
  }

  /** Closes the connection to `peerId` (it left the room). */
  removePeer(peerId: number): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    this.#lastStats.delete(peerId);
    link.close();
  }

  /** Feeds a relay `signal` message (`from`, `data`); opens the link if `from` is new. */
  async handleSignal(from: number, data: unknown): Promise<void> {
    if (this.#closed || !Number.isInteger(from) || from <= 0) return;
    const link = this.addPeer(from);
    await link?.handleSignal(data);
  }

  /** Switches what this peer sends, on every connection. */
  async setStream(stream: MediaStream): Promise<void> {
    this.#stream = stream;
    await Promise.all([...this.#links.values()].map((link) => link.setStream(stream)));
  }

  /**
   * Puts the microphone `track` on every connection's audio sender, or takes it off
   * (`sending` false: muted, no packets). No renegotiation, except where a connection had no
   * microphone before. No-op without `options.audio`.
   */
  async setAudio(track: MediaStreamTrack | null, sending: boolean): Promise<void> {
    if (!this.#audio) return;
    this.#audio = { ...this.#audio, track, sending };
    await Promise.all([...this.#links.values()].map((link) => link.setAudio(track, sending)));
  }

  /** Overlay figures for `peerId` (rates since the previous call), or undefined if not connected. */
  async stats(peerId: number): Promise<WebRtcStats | undefined> {
    const link = this.#links.get(peerId);
    if (!link) return undefined;
    const report = await link.pc.getStats();
    const stats = summarizeStats(report.values() as Iterable<StatsEntry>, this.#lastStats.get(peerId));
    this.#lastStats.set(peerId, stats);
    return stats;
  }

  /** Closes every connection. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peerId of [...this.#links.keys()]) this.removePeer(peerId);
    this.clear();
  }
}

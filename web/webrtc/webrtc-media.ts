/**
 * WebRTC mode as a `MediaTransport` (web/pipeline/index.ts): the app's media seam. Sends
 * `context.source.stream` (the camera, or the harness canvas's `captureStream()`) over one
 * RTCPeerConnection per WebRTC-mode peer (`WebRtcSession`), signaling through the relay's
 * `signal` messages; shows each remote stream in a `<video>` tile and runs the paint hooks
 * on every new video frame (`requestVideoFrameCallback`); feeds the overlay from
 * `getStats()` once a second. A raw-mode peer gets no connection (its tile says why: web/app/app.ts
 * shows `modeMismatchNotice`).
 *
 * Sound: `context.microphone`'s track goes to every peer in the video's stream (Opus, voice
 * settings, 32 kbit/s cap: peer-link.ts); mute (`micOn` false) takes it off the senders — no
 * packets, no renegotiation. What we hear plays from the tile's `<video>` (unmuted), the only
 * path to the speakers; with `context.audioContext`, `audioOutput(peerId)` is a Web Audio node
 * of the same sound for meters and taps, never connected to the speakers (webrtc-audio.ts).
 * `audioLevel(peerId)` is the RTP audio level of the peer's latest packet (audio-level.ts),
 * `audioLevel(0)` our microphone's RMS.
 */
import { Codec, type FrameHeader } from '../../codec/index.ts';
import { parseIceServers, type IceServer, type RoutedMessage } from '../../protocol/index.ts';
import type { MediaSettings } from '../app/settings.ts';
import type { ControlMessage } from '../net/relay-link.ts';
import type { MediaContext, MediaTransport, RemotePeer } from '../pipeline/index.ts';
import { sourceLevel } from './audio-level.ts';
import { icePolicy, icePolicyProblem, type IcePolicy } from './ice-policy.ts';
import { modeMismatchNotice } from './mode-notice.ts';
import { WebRtcSession } from './webrtc-session.ts';
import { WebRtcAudio } from './webrtc-audio.ts';
import { audioPeerFigures, type WebRtcAudioFigures, type WebRtcStats } from './webrtc-stats.ts';

/** Default interval between getStats() polls, ms. */
export const DEFAULT_STATS_INTERVAL_MS = 1000;

/** Options of `WebRtcMedia`. */
export interface WebRtcMediaOptions {
  /** Interval between getStats() polls, ms. Default 1000. */
  statsIntervalMs?: number;
  /** Receiver jitter-buffer target, ms. Default undefined (the browser's adaptive default). */
  jitterBufferTargetMs?: number;
  /**
   * The page's ICE transport policy (`ice=relay`): 'relay' forces TURN-relayed candidates even
   * when the relay's `welcome` allows all. Default 'all' (the relay's `context.iceTransportPolicy` applies).
   */
  iceTransportPolicy?: IcePolicy;
}

type FrameMeta = { presentationTime: number; width: number; height: number; presentedFrames: number; captureTime?: number; processingDuration?: number };
type VideoWithCallback = HTMLVideoElement & {
  requestVideoFrameCallback(cb: (now: number, meta: FrameMeta) => void): number;
  cancelVideoFrameCallback(handle: number): void;
};

interface RemoteView {
  video: HTMLVideoElement;
  handle: number | undefined;
}

export class WebRtcMedia implements MediaTransport {
  readonly kind = 'webrtc';
  readonly #ctx: MediaContext;
  readonly #options: WebRtcMediaOptions;
  readonly #peers = new Map<number, RemotePeer>();
  readonly #views = new Map<number, RemoteView>();
  readonly #figures = new Map<number, WebRtcStats>();
  readonly #iceServers: IceServer[];
  readonly #icePolicy: IcePolicy;
  readonly #audio: WebRtcAudio;
  /** Peers whose sound has reached us at least once (their level is 0, not null, once it stops). */
  readonly #heard = new Set<number>();
  #session: WebRtcSession | undefined;
  #settings: MediaSettings;
  #unsubscribe: (() => void)[] = [];
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * Throws an Error (the app shows it: "Could not start webrtc: …") when relay-only ICE is asked
   * for (`context.iceTransportPolicy` or `options.iceTransportPolicy`) and there is no TURN server.
   */
  constructor(context: MediaContext, options: WebRtcMediaOptions = {}) {
    this.#ctx = context;
    this.#options = options;
    this.#settings = { ...context.settings() };
    let iceServers: IceServer[] = [];
    try {
      iceServers = parseIceServers(context.iceServers);
    } catch (error) {
      console.warn('[framewire] ignoring the relay\'s ICE servers', error);
    }
    this.#iceServers = iceServers;
    this.#icePolicy = icePolicy(context.iceTransportPolicy, options.iceTransportPolicy);
    const problem = icePolicyProblem(this.#icePolicy, iceServers, context.iceTransportPolicy === 'relay' ? 'relay' : 'page');
    if (problem !== null) {
      console.error(`[framewire] ${problem}`);
      throw new Error(problem);
    }
    this.#audio = new WebRtcAudio(context.audioContext ?? null, context.microphone ?? null);
  }

  /** The ICE transport policy the connections use: 'relay' (TURN only) or 'all'. */
  get iceTransportPolicy(): IcePolicy {
    return this.#icePolicy;
  }

  /** The latest getStats() figures of peer `peerId` (fps, kbps, jitter buffer, decode, RTT). */
  figures(peerId: number): WebRtcStats | undefined {
    return this.#figures.get(peerId);
  }

  /** The audio figures of peer `peerId` from the latest getStats() poll (rounded, null where unknown), or null. */
  audioFigures(peerId: number): WebRtcAudioFigures | null {
    const figures = this.#figures.get(peerId);
    return figures ? audioPeerFigures(figures) : null;
  }

  audioLevel(peerId: number): number | null {
    if (peerId === 0) return this.#audio.micLevel(this.#settings.micOn);
    const peer = this.#peers.get(peerId);
    const receiver = this.#session?.link(peerId)?.pc.getReceivers().find((r) => r.track.kind === 'audio');
    if (!peer || !receiver) return null;
    const level = sourceLevel(receiver.getSynchronizationSources(), performance.timeOrigin + performance.now(), performance.now());
    if (level === null) return this.#heard.has(peerId) ? 0 : null;
    this.#heard.add(peerId);
    return peer.muted === true ? 0 : level;
  }

  audioOutput(peerId: number): AudioNode | null {
    return this.#audio.output(peerId);
  }

  /** The microphone being sent (`context.microphone`, or the last `setMicrophone`), or null. */
  get microphone(): MediaStream | null {
    return this.#audio.microphone;
  }

  /**
   * Sends `microphone` from now on (another device, or one that arrived after the transport;
   * null: none). Its track replaces the old one on every connection, without renegotiation
   * where a connection already had one. The stream stays the app's (never stopped here).
   */
  async setMicrophone(microphone: MediaStream | null): Promise<void> {
    if (this.#closed) return;
    this.#audio.setMicrophone(microphone);
    await this.#session?.setAudio(this.#audio.micTrack, this.#settings.micOn);
  }

  /** Builds the meters and `audioOutput` nodes in `context` from now on (null: none). */
  setAudioContext(context: AudioContext | null): void {
    if (!this.#closed) this.#audio.setAudioContext(context);
  }

  /** The session (one RTCPeerConnection per peer), once started. */
  get session(): WebRtcSession | undefined {
    return this.#session;
  }

  start(peers: RemotePeer[]): void {
    if (this.#closed || this.#session) return;
    const ctx = this.#ctx;
    const stream = ctx.source.stream;
    const session = new WebRtcSession({
      localId: ctx.selfId,
      signal: (to, data) => ctx.connection.sendControl({ type: 'signal', to, data }),
      iceServers: this.#iceServers,
      iceTransportPolicy: this.#icePolicy,
      ...(stream ? { stream } : {}),
      audio: { track: this.#audio.micTrack, sending: this.#settings.micOn },
      ...(this.#options.jitterBufferTargetMs !== undefined ? { jitterBufferTargetMs: this.#options.jitterBufferTargetMs } : {}),
    });
    this.#session = session;
    session.on('stream', (peerId, remote) => this.#show(peerId, remote));
    session.on('track', (peerId, track) => {
      if (!this.#closed && track.kind === 'audio') this.#audio.remoteTrack(peerId, track);
    });
    session.on('state', (peerId, state) => {
      if (state === 'connected') void this.#applySendParameters();
      if (state === 'failed') {
        const via = this.#icePolicy === 'relay' ? ' — relay-only: every candidate goes through the TURN server; check it is reachable and the credentials' : '';
        console.warn(`[framewire] WebRTC connection to peer ${peerId} failed (check the relay's ICE servers${via})`);
      }
    });
    session.on('error', (peerId, error) => console.warn(`[framewire] WebRTC negotiation with peer ${peerId} failed`, error));
    const onControl = (message: ControlMessage): void => {
      // NOTE: `isMessage` cannot narrow to one routed type (RoutedMessage is one type for all five).
      if (message.type !== 'signal') return;
      const { from, data } = message as RoutedMessage;
      if (typeof from !== 'number' || !this.#peers.has(from) || this.#peers.get(from)!.mode !== 'webrtc') return;
      void session.handleSignal(from, data);
    };
    this.#unsubscribe.push(ctx.connection.on('control', onControl));
    for (const peer of peers) {
      this.peerJoined(peer);
      // The newcomer opens the connections; the peers already there answer (see peerJoined).
      if (peer.mode === 'webrtc') session.addPeer(peer.id);
    }
    for (const message of ctx.earlyControl) onControl(message);
    this.#statsTimer = setInterval(() => void this.#pollStats(), this.#options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS);
  }

  peerJoined(peer: RemotePeer): void {
    if (this.#closed) return;
    this.#peers.set(peer.id, peer);
    const stats = this.#ctx.stats.peer(peer.id, peer.name, peer.mode);
    stats.name = peer.name;
    stats.mode = peer.mode;
    // A raw-mode peer gets no connection; the app's tile shows `modeMismatchNotice` instead.
    if (modeMismatchNotice('webrtc', peer.mode, peer.name) !== null) return;
    // NOTE: no addPeer here: the newcomer offers and `handleSignal` opens our side, which keeps
    // glare out of the first negotiation (perfect negotiation still resolves any later glare).
  }

  peerLeft(peerId: number): void {
    this.#peers.delete(peerId);
    this.#session?.removePeer(peerId);
    this.#hide(peerId);
    this.#audio.removePeer(peerId);
    this.#heard.delete(peerId);
    this.#figures.delete(peerId);
    this.#ctx.stats.removePeer(peerId);
  }

  updateSettings(settings: MediaSettings): void {
    const micWasOn = this.#settings.micOn;
    this.#settings = { ...settings };
    if (settings.micOn !== micWasOn) {
      this.#session?.setAudio(this.#audio.micTrack, settings.micOn).catch((error: unknown) => console.warn('[framewire] mute failed', error));
    }
    void this.#applySendParameters();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#statsTimer);
    for (const off of this.#unsubscribe) off();
    for (const peerId of [...this.#views.keys()]) this.#hide(peerId);
    this.#session?.close();
    this.#audio.close();
  }

  /** Frame rate and resolution are sender parameters in WebRTC (the track itself is untouched). */
  async #applySendParameters(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const { fps, width, cameraOn } = this.#settings;
    const sourceWidth = this.#ctx.source.width;
    for (const peerId of session.peers()) {
      for (const sender of session.link(peerId)?.pc.getSenders() ?? []) {
        if (sender.track?.kind !== 'video') continue;
        sender.track.enabled = cameraOn;
        const parameters = sender.getParameters();
        if (!parameters.encodings?.length) continue;
        for (const encoding of parameters.encodings) {
          encoding.maxFramerate = fps;
          if (sourceWidth > 0 && width > 0) encoding.scaleResolutionDownBy = Math.max(1, sourceWidth / width);
        }
        await sender.setParameters(parameters).catch((error: unknown) => console.warn('[framewire] setParameters failed', error));
      }
    }
  }

  #show(peerId: number, stream: MediaStream): void {
    if (this.#closed) return;
    let view = this.#views.get(peerId);
    if (view === undefined) {
      const video = document.createElement('video');
      video.className = 'tile-media';
      // NOTE: unmuted: this element is the one path of the peer's sound to the speakers (see the top).
      video.muted = false;
      video.autoplay = true;
      video.playsInline = true;
      view = { video, handle: undefined };
      this.#views.set(peerId, view);
      this.#ctx.showMedia(peerId, video);
      this.#watch(peerId, view);
    }
    view.video.srcObject = stream;
    this.#play(view.video);
  }

  /**
   * Plays `video` with sound; where autoplay with sound is refused (no user gesture yet), plays
   * it muted and unmutes on the page's next click or key press.
   */
  #play(video: HTMLVideoElement): void {
    video.play().catch((error: unknown) => {
      if (this.#closed || !(error instanceof DOMException) || error.name !== 'NotAllowedError') return;
      video.muted = true;
      video.play().catch(() => undefined);
      const unmute = (): void => {
        removeEventListener('pointerdown', unmute, true);
        removeEventListener('keydown', unmute, true);
        video.muted = false;
      };
      addEventListener('pointerdown', unmute, true);
      addEventListener('keydown', unmute, true);
    });
  }

  /** Runs the paint hooks and counts a painted frame for every new video frame. */
  #watch(peerId: number, view: RemoteView): void {
    const video = view.video as VideoWithCallback;
    if (typeof video.requestVideoFrameCallback !== 'function') return;
    const onFrame = (_now: number, meta: FrameMeta): void => {
      if (this.#closed || this.#views.get(peerId) !== view) return;
      view.handle = video.requestVideoFrameCallback(onFrame);
      const presented = performance.timeOrigin + meta.presentationTime;
      // NOTE: for a remote WebRTC track, meta.captureTime is the sender's capture instant mapped to our clock (RTCP).
      const captureTime = meta.captureTime === undefined ? Number.NaN : performance.timeOrigin + meta.captureTime;
      const decodeMs = this.#figures.get(peerId)?.decodeMs;
      this.#ctx.stats.peer(peerId).painted(Number.isFinite(captureTime) ? presented - captureTime : null, Number.isFinite(decodeMs) ? decodeMs : undefined);
      const header: FrameHeader = {
        byteLength: 0,
        codec: Codec.vp8,
        flags: 0,
        width: meta.width,
        height: meta.height,
        samples: 0,
        seq: meta.presentedFrames >>> 0,
        sourceId: peerId,
        captureTime,
        relayTime: 0,
      };
      this.#ctx.painted(peerId, video, header);
    };
    view.handle = video.requestVideoFrameCallback(onFrame);
  }

  #hide(peerId: number): void {
    const view = this.#views.get(peerId);
    if (!view) return;
    this.#views.delete(peerId);
    if (view.handle !== undefined) (view.video as VideoWithCallback).cancelVideoFrameCallback(view.handle);
    view.video.srcObject = null;
  }

  async #pollStats(): Promise<void> {
    const session = this.#session;
    if (!session || this.#closed) return;
    let audioSent = 0;
    for (const peerId of session.peers()) {
      const previous = this.#figures.get(peerId);
      const figures = await session.stats(peerId).catch(() => undefined);
      if (figures === undefined || this.#closed || !this.#peers.has(peerId)) continue;
      this.#figures.set(peerId, figures);
      const stats = this.#ctx.stats.peer(peerId);
      const orNull = (n: number): number | null => (Number.isFinite(n) ? Math.round(n * 10) / 10 : null);
      stats.webrtc = {
        fps: orNull(figures.fps),
        kbps: orNull(figures.kbps),
        jitterBufferDelayMs: orNull(figures.jitterBufferDelayMs),
        decodeMs: orNull(figures.decodeMs),
        rttMs: orNull(figures.rttMs),
        route: figures.route === '' ? null : figures.route,
      };
      // Sound, in the raw receiver's terms (CallStats PeerAudioFigures): Opus at 48 kHz.
      const audio = audioPeerFigures(figures);
      if (audio.packetsReceived > 0) {
        stats.audio = {
          codec: 'opus',
          packets: audio.packetsReceived,
          lost: Math.max(0, audio.packetsLost),
          late: 0,
          concealedMs: Math.round(audio.concealedSamples / 48),
          jitterMs: audio.jitterMs ?? 0,
          targetMs: audio.jitterBufferDelayMs ?? 0,
          bufferMs: audio.jitterBufferDelayMs ?? 0,
          delayMs: null,
        };
      }
      audioSent += audio.packetsSent;
      // NOTE: getStats gives totals per poll, the CallStats counters are per frame: spread the
      // poll's bytes evenly over its frames so framesSent/bytesSent/kbps read the same as in raw modes.
      const was = previous?.counters;
      const framesIn = figures.counters.framesDecoded - (was?.framesDecoded ?? 0);
      const bytesIn = figures.counters.bytesReceived - (was?.bytesReceived ?? 0);
      for (let i = 0; i < framesIn; i++) stats.received(bytesIn / framesIn, figures.width, figures.height);
      const framesOut = figures.counters.framesEncoded - (was?.framesEncoded ?? 0);
      const bytesOut = figures.counters.bytesSent - (was?.bytesSent ?? 0);
      const encodeMs = Number.isFinite(figures.encodeMs) ? figures.encodeMs : undefined;
      const { width, height } = this.#settings;
      for (let i = 0; i < framesOut; i++) this.#ctx.stats.sent(bytesOut / framesOut, width, height, encodeMs);
    }
    if (this.#ctx.microphone !== null) {
      // NOTE: getStats counts packets per connection (one per peer), not bytes of our own: bytes 0.
      this.#ctx.stats.audio = { codec: 'opus', packets: audioSent, bytes: 0, notSent: 0, muted: !this.#settings.micOn, level: this.audioLevel(0) ?? 0 };
    }
  }
}

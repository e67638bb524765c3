/**
 * One RTCPeerConnection to one remote peer, negotiated with the "perfect negotiation"
 * pattern (MDN): both sides may offer at any time; on glare the *impolite* side ignores the
 * incoming offer and the *polite* side rolls back its own (implicitly, via
 * `setRemoteDescription`) and answers. Which side is polite is decided by peer id
 * (`WebRtcSession`: the higher id is polite), so glare can never deadlock. One deviation: on
 * glare during the *first* negotiation the polite side answers from a fresh
 * RTCPeerConnection instead of rolling back (Chromium can leave a rolled-back first offer's
 * ICE agent stuck). Watchdogs re-offer an unanswered offer and restart ICE on a connection
 * that does not come up.
 *
 * Signaling is abstract: outgoing `{ description }` / `{ candidate }` objects go to
 * `options.signal`; incoming ones come in through `handleSignal`. The session carries them
 * as relay `signal` messages.
 *
 * Sound (`options.audio`): the microphone track is added with `addTrack` in the same stream
 * as the video (so the receiver keeps them in sync), capped at `maxBitrateBps`, and muted by
 * taking the track off the sender (`replaceTrack(null)`: no packets at all, no
 * renegotiation). The descriptions we send carry Opus voice parameters (`opus-sdp.ts`).
 */
import { Emitter } from '../../protocol/index.ts';
import { VOICE_OPUS_FMTP, withOpusFmtp } from './opus-sdp.ts';

/** What travels in a relay `signal` message's `data`. */
export type SignalData = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

/** Events of a `PeerLink`. */
export type PeerLinkEvents = {
  /** The remote peer's media stream (fired when its first track arrives). */
  stream: [MediaStream];
  /** A remote track arrived (every one, audio and video), with the stream it is in. */
  track: [MediaStreamTrack, MediaStream];
  /** The connection state changed. */
  state: [RTCPeerConnectionState];
  /** A negotiation step failed (signaling keeps going; the link may recover via ICE restart). */
  error: [Error];
};

/** How a `PeerLink` sends sound. */
export interface PeerLinkAudioOptions {
  /**
   * The microphone track, or null for none: without a track there is no audio m-line of our
   * own (we still receive the other side's sound: its offer brings one). Required.
   */
  track: MediaStreamTrack | null;
  /** False: the track stays on hand but off the sender (muted: no packets). Default true. */
  sending?: boolean;
  /** Cap of the audio encoding, bit/s. Default `DEFAULT_AUDIO_MAX_BITRATE_BPS` (32 000). */
  maxBitrateBps?: number;
  /** Opus fmtp parameters put in the descriptions we send (how we want to receive). Default `VOICE_OPUS_FMTP`. */
  opusFmtp?: Readonly<Record<string, number>>;
}

/** Default `PeerLinkAudioOptions.maxBitrateBps`: plenty for Opus speech. */
export const DEFAULT_AUDIO_MAX_BITRATE_BPS = 32_000;

/** Options of `PeerLink`. */
export interface PeerLinkOptions {
  /** Polite peers yield on glare. Required. */
  polite: boolean;
  /** Sends signaling data to the remote peer. Required. */
  signal: (data: SignalData) => void;
  /** ICE servers (STUN/TURN). Default [] (host candidates only). */
  iceServers?: RTCIceServer[];
  /** 'relay': only TURN-relayed candidates (needs a TURN server in `iceServers`). Default 'all'. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Local stream whose tracks are sent (with `audio`: its video tracks only). Default none (receive only). */
  stream?: MediaStream;
  /** Sends a microphone alongside the video. Default none: the stream's tracks as they are. */
  audio?: PeerLinkAudioOptions;
  /**
   * Receiver jitter-buffer target in ms (`RTCRtpReceiver.jitterBufferTarget`), where the
   * browser supports it. Default undefined: the browser's adaptive default.
   */
  jitterBufferTargetMs?: number;
  /**
   * An offer without an answer for this long is rolled back and made again, ms: signaling
   * that was lost (e.g. sent while the other page was still loading its WebRTC module) cannot
   * leave both sides waiting forever. Default 3000.
   */
  offerTimeoutMs?: number;
  /**
   * A connection not `connected` this long after the link opened (or after the last ICE
   * restart) gets `restartIce()`, ms. Chromium can leave the polite side without candidates
   * after it rolls back its very first offer; a restart recovers. Default 5000.
   */
  connectTimeoutMs?: number;
}

/** Default `offerTimeoutMs`. */
export const DEFAULT_OFFER_TIMEOUT_MS = 3000;
/** Default `connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export class PeerLink extends Emitter<PeerLinkEvents> {
  readonly #polite: boolean;
  readonly #signal: (data: SignalData) => void;
  readonly #iceServers: RTCIceServer[];
  readonly #iceTransportPolicy: RTCIceTransportPolicy;
  readonly #jitterBufferTargetMs: number | undefined;
  readonly #offerTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #pc: RTCPeerConnection;
  #stream: MediaStream | undefined;
  /** With `options.audio`: the microphone track (kept while muted) and whether it is on the sender. */
  readonly #audio: { track: MediaStreamTrack | null; sending: boolean; maxBitrateBps: number; opusFmtp: Readonly<Record<string, number>> } | undefined;
  /** The stream the audio travels in when there is no video stream (one per link, for the msid). */
  #audioStream: MediaStream | undefined;
  /** The microphone's sender on the current connection (set by `#addAudio`). */
  #audioSender: RTCRtpSender | undefined;
  #offerTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #makingOffer = false;
  #ignoreOffer = false;
  #closed = false;
  #remoteStream: MediaStream | undefined;
  /** Candidates that arrived before any remote description (their offer is still coming, or was lost and will be re-sent). */
  #pendingCandidates: (RTCIceCandidateInit | undefined)[] = [];
  /** The tail of the incoming-signal queue. */
  #signals: Promise<void> = Promise.resolve();

  constructor(options: PeerLinkOptions) {
    super();
    if (typeof options.signal !== 'function') throw new TypeError('PeerLink needs a signal function');
    this.#polite = options.polite;
    this.#signal = options.signal;
    this.#iceServers = options.iceServers ?? [];
    this.#iceTransportPolicy = options.iceTransportPolicy ?? 'all';
    this.#jitterBufferTargetMs = options.jitterBufferTargetMs;
    this.#offerTimeoutMs = options.offerTimeoutMs ?? DEFAULT_OFFER_TIMEOUT_MS;
    if (!(this.#offerTimeoutMs > 0)) throw new TypeError(`offerTimeoutMs must be > 0 [offerTimeoutMs:${this.#offerTimeoutMs}]`);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if (!(this.#connectTimeoutMs > 0)) throw new TypeError(`connectTimeoutMs must be > 0 [connectTimeoutMs:${this.#connectTimeoutMs}]`);
    this.#stream = options.stream;
    if (options.audio) {
      const maxBitrateBps = options.audio.maxBitrateBps ?? DEFAULT_AUDIO_MAX_BITRATE_BPS;
      if (!(maxBitrateBps > 0)) throw new TypeError(`audio.maxBitrateBps must be > 0 [maxBitrateBps:${maxBitrateBps}]`);
      this.#audio = { track: options.audio.track, sending: options.audio.sending ?? true, maxBitrateBps, opusFmtp: options.audio.opusFmtp ?? VOICE_OPUS_FMTP };
    }
    this.#pc = this.#open();
    this.#armConnectTimer();
  }

  /** The current RTCPeerConnection (replaced once if the first negotiation collides, see `handleSignal`). */
  get pc(): RTCPeerConnection {
    return this.#pc;
  }

  /** A new RTCPeerConnection with the local tracks, its events wired to this link while it is current. */
  #open(): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: this.#iceServers, iceTransportPolicy: this.#iceTransportPolicy });
    const current = (): boolean => !this.#closed && this.#pc === pc;
    pc.onnegotiationneeded = () => {
      if (current()) void this.#negotiate();
    };
    pc.onicecandidate = ({ candidate }) => {
      if (current()) this.#send({ candidate: candidate ? candidate.toJSON() : null });
    };
    pc.oniceconnectionstatechange = () => {
      if (current() && pc.iceConnectionState === 'failed') pc.restartIce();
    };
    pc.onconnectionstatechange = () => {
      if (!current()) return;
      const state = pc.connectionState;
      if (state === 'connected') clearTimeout(this.#connectTimer);
      else if (state === 'disconnected' || state === 'failed') this.#armConnectTimer();
      this.emit('state', state);
    };
    pc.onsignalingstatechange = () => {
      if (!current()) return;
      if (pc.signalingState === 'have-local-offer') this.#armOfferTimer();
      else clearTimeout(this.#offerTimer);
    };
    pc.ontrack = ({ track, streams, receiver }) => {
      if (!current()) return;
      if (this.#jitterBufferTargetMs !== undefined && 'jitterBufferTarget' in receiver) {
        (receiver as RTCRtpReceiver & { jitterBufferTarget: number | null }).jitterBufferTarget = this.#jitterBufferTargetMs;
      }
      const stream = streams[0] ?? this.#remoteStream ?? new MediaStream();
      if (!stream.getTracks().includes(track)) stream.addTrack(track);
      if (this.#remoteStream !== stream) {
        this.#remoteStream = stream;
        this.emit('stream', stream);
      }
      this.emit('track', track, stream);
    };
    const stream = this.#stream;
    const audio = this.#audio;
    this.#audioSender = undefined;
    if (stream) for (const track of stream.getTracks()) if (!(audio && track.kind === 'audio')) pc.addTrack(track, stream);
    if (audio?.track) this.#addAudio(pc, audio.track);
    return pc;
  }

  /**
   * Adds the microphone to `pc`, capped, and takes it off again while muted.
   * NOTE: `addTrack`, not `addTransceiver`: only an addTrack transceiver can take up the audio
   * m-line of the other side's offer (JSEP), so two microphones share one m-line. It stays
   * eligible after `replaceTrack(null)`, which is how a muted link starts.
   */
  #addAudio(pc: RTCPeerConnection, track: MediaStreamTrack): RTCRtpSender {
    const audio = this.#audio!;
    const sender = pc.addTrack(track, this.#stream ?? (this.#audioStream ??= new MediaStream()));
    this.#audioSender = sender;
    const parameters = sender.getParameters();
    for (const encoding of parameters.encodings ?? []) encoding.maxBitrate = audio.maxBitrateBps;
    // NOTE: a muted link takes the track off right away; nothing is sent before negotiation,
    // so it never sends a packet. Both steps run before the first offer is made (a task later).
    void sender
      .setParameters(parameters)
      .catch((error: unknown) => console.warn('[framewire] audio setParameters failed', error))
      .then(() => {
        const wanted = audio.sending ? audio.track : null;
        return sender.track === wanted || this.#audioSender !== sender ? undefined : sender.replaceTrack(wanted);
      })
      .catch((error: unknown) => console.warn('[framewire] audio replaceTrack failed', error));
    return sender;
  }

  /** The sender of the microphone on the current connection (its track is null while muted), if any. */
  get audioSender(): RTCRtpSender | undefined {
    return this.#audioSender;
  }

  /**
   * Puts `track` on the audio sender (`sending`) or takes it off (muted): `replaceTrack`, no
   * renegotiation; only a first track on a link that had none adds an m-line (renegotiates).
   */
  async setAudio(track: MediaStreamTrack | null, sending: boolean): Promise<void> {
    const audio = this.#audio;
    if (!audio || this.#closed) return;
    const sender = this.#audioSender;
    audio.track = track;
    audio.sending = sending;
    const wanted = sending ? track : null;
    if (sender) {
      if (sender.track !== wanted) await sender.replaceTrack(wanted);
    } else if (track) {
      this.#addAudio(this.#pc, track);
    }
  }

  /** Drops `pc`'s handlers and closes it. */
  static #dispose(pc: RTCPeerConnection): void {
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.oniceconnectionstatechange = null;
    pc.onconnectionstatechange = null;
    pc.onsignalingstatechange = null;
    pc.ontrack = null;
    pc.close();
  }

  /** True when this side yields on glare. */
  get polite(): boolean {
    return this.#polite;
  }

  /** The remote peer's stream, once a track has arrived. */
  get remoteStream(): MediaStream | undefined {
    return this.#remoteStream;
  }

  /** Replaces the local stream: tracks are swapped in place where possible (no renegotiation). */
  async setStream(stream: MediaStream): Promise<void> {
    this.#stream = stream;
    const senders = this.#pc.getSenders();
    this.#audioSender?.setStreams(stream);
    for (const track of stream.getTracks()) {
      if (this.#audio && track.kind === 'audio') continue;
      const sender = senders.find((s) => s.track?.kind === track.kind);
      if (sender) await sender.replaceTrack(track);
      else this.#pc.addTrack(track, stream);
    }
  }

  /**
   * Feeds one signaling message from the remote peer; messages are handled one at a time, in
   * order. Never throws; failures become `error` events.
   */
  handleSignal(data: unknown): Promise<void> {
    const run = this.#signals.then(() => this.#handle(data));
    this.#signals = run;
    return run;
  }

  async #handle(data: unknown): Promise<void> {
    if (this.#closed || typeof data !== 'object' || data === null) return;
    try {
      if ('description' in data && data.description) {
        const description = data.description as RTCSessionDescriptionInit;
        const collision = description.type === 'offer' && (this.#makingOffer || this.#pc.signalingState !== 'stable');
        this.#ignoreOffer = !this.#polite && collision;
        if (this.#ignoreOffer) return;
        if (collision && this.#pc.currentRemoteDescription === null) {
          // NOTE: glare on the very first negotiation. Rolling our first offer back (implicitly,
          // in setRemoteDescription) sometimes leaves Chromium 156's ICE agent gathering forever
          // (no candidates, connection `new`). Nothing is established yet, so answer from a
          // fresh connection instead; the impolite side ignores our old offer and candidates.
          const stale = this.#pc;
          this.#makingOffer = false;
          this.#pc = this.#open();
          PeerLink.#dispose(stale);
        }
        await this.#pc.setRemoteDescription(description);
        for (const candidate of this.#pendingCandidates.splice(0)) await this.#pc.addIceCandidate(candidate).catch(() => undefined);
        if (description.type === 'offer') {
          await this.#pc.setLocalDescription();
          this.#sendDescription();
        }
      } else if ('candidate' in data) {
        const candidate = (data.candidate as RTCIceCandidateInit | null) ?? undefined;
        if (this.#ignoreOffer) return; // a candidate of the offer we ignored
        if (this.#pc.remoteDescription === null) {
          this.#pendingCandidates.push(candidate);
          return;
        }
        try {
          await this.#pc.addIceCandidate(candidate);
        } catch (error) {
          if (!this.#ignoreOffer) throw error;
        }
      }
    } catch (error) {
      if (!this.#closed) this.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Closes the connection. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#offerTimer);
    clearTimeout(this.#connectTimer);
    PeerLink.#dispose(this.#pc);
    this.emit('state', 'closed');
    this.clear();
  }

  async #negotiate(): Promise<void> {
    const pc = this.#pc;
    try {
      this.#makingOffer = true;
      await pc.setLocalDescription();
      if (pc === this.#pc) this.#sendDescription();
    } catch (error) {
      if (!this.#closed && pc === this.#pc) this.emit('error', error instanceof Error ? error : new Error(String(error)));
    } finally {
      if (pc === this.#pc) this.#makingOffer = false;
    }
  }

  /** Restarts ICE (and so renegotiates) if the connection is not up after `connectTimeoutMs`. */
  #armConnectTimer(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      if (this.#closed || this.#pc.connectionState === 'connected') return;
      this.#pc.restartIce();
      this.#armConnectTimer();
    }, this.#connectTimeoutMs);
  }

  /** Re-offers if our offer is still unanswered after `offerTimeoutMs`. */
  #armOfferTimer(): void {
    clearTimeout(this.#offerTimer);
    this.#offerTimer = setTimeout(() => {
      if (this.#closed || this.#pc.signalingState !== 'have-local-offer' || this.#makingOffer) return;
      void (async () => {
        try {
          await this.#pc.setLocalDescription({ type: 'rollback' });
        } catch (error) {
          if (!this.#closed) this.emit('error', error instanceof Error ? error : new Error(String(error)));
          return;
        }
        await this.#negotiate();
      })();
    }, this.#offerTimeoutMs);
  }

  #sendDescription(): void {
    const description = this.#pc.localDescription;
    if (!description) return;
    const init = description.toJSON() as RTCSessionDescriptionInit;
    // NOTE: fmtp says how its author wants to receive; the remote encoder reads it from what we send.
    if (this.#audio && init.sdp) init.sdp = withOpusFmtp(init.sdp, this.#audio.opusFmtp);
    this.#send({ description: init });
  }

  #send(data: SignalData): void {
    if (!this.#closed) this.#signal(data);
  }
}

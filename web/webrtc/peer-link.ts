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
 */
import { Emitter } from '../../protocol/index.ts';

/** What travels in a relay `signal` message's `data`. */
export type SignalData = { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null };

/** Events of a `PeerLink`. */
export type PeerLinkEvents = {
  /** The remote peer's media stream (fired when its first track arrives). */
  stream: [MediaStream];
  /** The connection state changed. */
  state: [RTCPeerConnectionState];
  /** A negotiation step failed (signaling keeps going; the link may recover via ICE restart). */
  error: [Error];
};

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
  /** Local stream whose tracks are sent. Default none (receive only). */
  stream?: MediaStream;
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
    };
    const stream = this.#stream;
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    return pc;
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
    for (const track of stream.getTracks()) {
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
    if (description) this.#send({ description: description.toJSON() as RTCSessionDescriptionInit });
  }

  #send(data: SignalData): void {
    if (!this.#closed) this.#signal(data);
  }
}

/**
 * The call's counters: what this client sent, and per remote peer what arrived, what was
 * painted, what was dropped and how late. Rates and latency percentiles are over a sliding
 * window (`DEFAULT_WINDOW_MS`, 5 s). `snapshot()` is what `window.framewire.stats()` returns
 * and what the tile overlays show.
 *
 * Drops are counted where they happen: `skipped` (sender: a capture not sent because the
 * previous frame had not left the socket, or the encoder was still busy), `relayDropped`
 * (the relay's latest-wins queue towards us, from its `stats` reply), `receiverDropped`
 * (a frame replaced by a newer one before it was decoded, or a decode error), and
 * `rate.skipped` (sender: a capture the rate controller did not send — pacing, or the path
 * still busy).
 *
 * Congestion control (raw modes, once the relay sends delivery feedback): `self.rate` is
 * what the sender's rate adaptation (web/rate/) believes and chose, and each peer's `path`
 * is what the relay reports about our frames' path to that peer; both null without feedback.
 */
import type { TransportInfo } from '../net/relay-link.ts';
import { SlidingWindow, DEFAULT_WINDOW_MS } from './sliding-window.ts';

/** `window.framewire.stats().self`. */
export interface SelfStatsSnapshot {
  framesSent: number;
  bytesSent: number;
  /** Frames sent per second over the window. */
  fps: number;
  /** Kilobits sent per second over the window. */
  kbps: number;
  /** Captures not sent (socket still busy or encoder still running). */
  skipped: number;
  /** Encode time, ms: median over the window (null before the first frame). */
  encodeMs: number | null;
  /** Size of the last frame sent, bytes, and its resolution. */
  frameBytes: number;
  width: number;
  height: number;
  /** What drives capture: 'video-frame-callback', 'timer', or '' before the first frame. */
  captureClock: string;
  /** Rate adaptation (raw modes with delivery feedback from the relay), else null. */
  rate: SendRateSnapshot | null;
  /** Our microphone's stream, or null without one (denied, absent, `audio=0`). */
  audio: SelfAudioFigures | null;
}

/** What our audio sender reports (raw mode: web/pipeline/audio; WebRTC: the outbound audio RTP). */
export interface SelfAudioFigures {
  codec: string;
  /** Audio frames (packets) sent. */
  packets: number;
  bytes: number;
  /** Packets the link refused (its audio budget was full) or that found us offline. */
  notSent: number;
  muted: boolean;
  /** 0..1, 0 while muted. */
  level: number;
}

/** What we hear of one peer (raw mode: the jitter buffer's figures; WebRTC: the inbound audio RTP). */
export interface PeerAudioFigures {
  codec: string;
  packets: number;
  /** Packets missing (never arrived) and packets that came too late to be played. */
  lost: number;
  late: number;
  /** Time filled by concealment (gaps), ms. */
  concealedMs: number;
  /** Arrival jitter, ms. */
  jitterMs: number;
  /** The jitter buffer's target delay, ms (20–200). */
  targetMs: number;
  /** Audio buffered now, ms. */
  bufferMs: number;
  /** Capture → ear (relay clock), ms, or null before the first packet was played. */
  delayMs: number | null;
}

/** What the sender's rate adaptation believes and chose (`self.rate`). */
export interface SendRateSnapshot {
  /** Estimated capacity of our path to the relay, kbit/s (null while unknown). */
  capacityKbps: number | null;
  /** The rate aimed at, kbit/s. */
  targetKbps: number;
  /** The rate actually sent over the stats window, kbit/s. */
  actualKbps: number;
  /** Queue delay on our path to the relay, ms. */
  queueDelayMs: number;
  /** Cap from the fastest receiver (when even it is congested), kbit/s; null: none. */
  receiverCapKbps: number | null;
  /** The current operating point: JPEG quality, picture size, its scale of the set width (1 = as set), paced frame rate. */
  quality: number;
  width: number;
  height: number;
  scale: number;
  fps: number;
  /** Why, for people: what the link carries, what was chosen and why it is below the settings (e.g. `link ≈ 900 kbit/s: 320×240 q45 12 fps; …`). */
  reason: string;
  /** Captures the controller did not send (pacing, or the path still busy). */
  skipped: number;
  /** Frames the relay acknowledged, and frames given up as lost. */
  acked: number;
  lost: number;
}

/** What the rate adaptation hands the stats (bit/s; see `SendRateSnapshot`). */
export interface SendRateFiguresInput {
  capacityBps: number | null;
  targetBps: number;
  queueDelayMs: number;
  receiverCapBps: number | null;
  quality: number;
  width: number;
  height: number;
  /** The width set by the user (the ceiling). */
  ceilingWidth: number;
  fps: number;
  reason: string;
  acked: number;
  lost: number;
}

/** What the relay reports about our frames' path to one receiver (`peers[].path`). */
export interface PathSnapshot {
  /** Goodput delivered to it over the last second, kbit/s. */
  goodputKbps: number;
  /** Queue delay relay → it, ms. */
  queueDelayMs: number;
  /** Our frames delivered to it per second. */
  fps: number;
  /** Our frames the relay dropped for it per second. */
  droppedPerSecond: number;
}

/** One entry of `window.framewire.stats().peers`. */
export interface PeerStatsSnapshot {
  id: number;
  name: string;
  /** What the peer streams ('jpeg', 'bgra', 'webrtc', …). */
  mode: string;
  framesReceived: number;
  framesPainted: number;
  /** Frames painted per second over the window. */
  fps: number;
  /** Frames received per second over the window. */
  fpsReceived: number;
  /** Kilobits received per second over the window. */
  kbps: number;
  /** receiverDropped + relayDropped. */
  dropped: number;
  receiverDropped: number;
  relayDropped: number;
  /** Size of the last frame received, bytes, its resolution and codec ('jpeg', 'bgra', '' before the first). */
  frameBytes: number;
  width: number;
  height: number;
  codec: string;
  /** Capture → paint latency percentiles over the window, ms (null before the first sample). */
  latencyMs: { p50: number | null; p95: number | null };
  /** Decode time, ms: median over the window. */
  decodeMs: number | null;
  /** Local time of the last painted frame (performance.now() ms), or null. */
  lastPaintAt: number | null;
  /** WebRTC mode only: the receiver's getStats() figures over the last poll (web/webrtc/), else null. */
  webrtc: WebRtcPeerFigures | null;
  /** While we send raw frames with delivery feedback: the relay's report of our path to this peer, else null. */
  path: PathSnapshot | null;
  /** What we hear of this peer, or null while no audio came from it. */
  audio: PeerAudioFigures | null;
  /** The peer's microphone is muted (presence). */
  muted: boolean;
  /**
   * Lip sync: when its pictures were painted minus when its sound of the same capture instant
   * was heard, ms (p50 over the window; + = video late). Null without audio.
   */
  avOffsetMs: number | null;
  /** Audio frames the relay dropped towards us (its audio queue overflowed). */
  relayAudioDropped: number;
}

/** getStats() figures of one WebRTC peer; null where the browser reports nothing yet. */
export interface WebRtcPeerFigures {
  fps: number | null;
  kbps: number | null;
  jitterBufferDelayMs: number | null;
  decodeMs: number | null;
  rttMs: number | null;
  /**
   * How the media travels (the selected candidate pair's local candidate): `host`, `srflx`,
   * `prflx`, or through TURN `relay/udp`, `relay/tcp`, `relay/tls`; null before a pair is selected.
   */
  route: string | null;
}

/** `window.framewire.stats()`. */
export interface StatsSnapshot {
  mode: string;
  /** What carries the link to the relay (`{ kind: 'websocket' | 'http-stream' | 'long-poll', reason? }`); null outside a call. */
  transport: TransportInfo | null;
  self: SelfStatsSnapshot;
  peers: PeerStatsSnapshot[];
}

/** Options of `CallStats`. */
export interface CallStatsOptions {
  /** Window of rates and percentiles, ms. Default `DEFAULT_WINDOW_MS` (5000). */
  windowMs?: number;
  /** Clock for the windows, ms. Default `performance.now`. */
  now?: () => number;
}

/** Counters of one remote peer. */
export class PeerStats {
  readonly id: number;
  name: string;
  mode: string;
  framesReceived = 0;
  framesPainted = 0;
  receiverDropped = 0;
  relayDropped = 0;
  frameBytes = 0;
  width = 0;
  height = 0;
  codec = '';
  lastPaintAt: number | null = null;
  /** Set by the WebRTC transport after each getStats() poll. */
  webrtc: WebRtcPeerFigures | null = null;
  /** Set by the raw transport from the relay's `delivery` reports (bit/s → kbit/s in the snapshot). */
  path: { goodputBps: number; queueDelayMs: number; fps: number; droppedPerSecond: number } | null = null;
  /** Set by the transport while audio comes from this peer. */
  audio: PeerAudioFigures | null = null;
  muted = false;
  relayAudioDropped = 0;
  readonly #avOffset: SlidingWindow;
  readonly #received: SlidingWindow;
  readonly #painted: SlidingWindow;
  readonly #latency: SlidingWindow;
  readonly #decode: SlidingWindow;
  readonly #now: () => number;

  constructor(id: number, name: string, mode: string, windowMs: number, now: () => number) {
    this.id = id;
    this.name = name;
    this.mode = mode;
    this.#now = now;
    this.#received = new SlidingWindow({ windowMs });
    this.#painted = new SlidingWindow({ windowMs });
    this.#latency = new SlidingWindow({ windowMs });
    this.#decode = new SlidingWindow({ windowMs });
    this.#avOffset = new SlidingWindow({ windowMs });
  }

  /** Lip sync: a picture was painted `offsetMs` after the sound of its capture instant was heard (− = before). */
  avOffset(offsetMs: number): void {
    if (Number.isFinite(offsetMs)) this.#avOffset.add(offsetMs, this.#now());
  }

  /** A frame of `bytes` (whole frame) at `width`×`height` in `codec` arrived. */
  received(bytes: number, width: number, height: number, codec = ''): void {
    this.framesReceived++;
    this.codec = codec;
    this.frameBytes = bytes;
    this.width = width;
    this.height = height;
    this.#received.add(bytes, this.#now());
  }

  /** A frame was painted; `latencyMs` capture→paint (null if unknown), `decodeMs` if measured. */
  painted(latencyMs: number | null, decodeMs?: number): void {
    const now = this.#now();
    this.framesPainted++;
    this.lastPaintAt = now;
    this.#painted.add(1, now);
    if (latencyMs !== null && Number.isFinite(latencyMs)) this.#latency.add(latencyMs, now);
    if (decodeMs !== undefined) this.#decode.add(decodeMs, now);
  }

  /** A frame was dropped at this receiver. */
  dropped(): void {
    this.receiverDropped++;
  }

  snapshot(): PeerStatsSnapshot {
    const now = this.#now();
    return {
      id: this.id,
      name: this.name,
      mode: this.mode,
      framesReceived: this.framesReceived,
      framesPainted: this.framesPainted,
      fps: round(this.#painted.rate(now), 1),
      fpsReceived: round(this.#received.rate(now), 1),
      kbps: round((this.#received.rate(now, true) * 8) / 1000, 0),
      dropped: this.receiverDropped + this.relayDropped,
      receiverDropped: this.receiverDropped,
      relayDropped: this.relayDropped,
      frameBytes: this.frameBytes,
      width: this.width,
      height: this.height,
      codec: this.codec,
      latencyMs: { p50: roundOrNull(this.#latency.percentile(50, now)), p95: roundOrNull(this.#latency.percentile(95, now)) },
      decodeMs: roundOrNull(this.#decode.percentile(50, now)),
      lastPaintAt: this.lastPaintAt,
      webrtc: this.webrtc,
      audio: this.audio,
      muted: this.muted,
      avOffsetMs: roundOrNull(this.#avOffset.percentile(50, now)),
      relayAudioDropped: this.relayAudioDropped,
      path:
        this.path === null
          ? null
          : {
              goodputKbps: round(this.path.goodputBps / 1000, 0),
              queueDelayMs: round(this.path.queueDelayMs, 1),
              fps: round(this.path.fps, 1),
              droppedPerSecond: round(this.path.droppedPerSecond, 1),
            },
    };
  }
}

export class CallStats {
  /** The local media mode ('jpeg', 'bgra', 'webrtc'). */
  mode = 'jpeg';
  framesSent = 0;
  bytesSent = 0;
  skipped = 0;
  frameBytes = 0;
  width = 0;
  height = 0;
  captureClock = '';
  /** Set by the raw transport after each plan while the rate adaptation is active; null: inactive. */
  rate: SendRateFiguresInput | null = null;
  /** Captures the rate controller did not send. */
  rateSkipped = 0;
  /** Set by the app from the link's `transport` (null outside a call). */
  transport: TransportInfo | null = null;
  /** Set by the transport while it sends our microphone. */
  audio: SelfAudioFigures | null = null;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #sent: SlidingWindow;
  readonly #encode: SlidingWindow;
  readonly #peers = new Map<number, PeerStats>();

  constructor(options: CallStatsOptions = {}) {
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#sent = new SlidingWindow({ windowMs: this.#windowMs });
    this.#encode = new SlidingWindow({ windowMs: this.#windowMs });
  }

  /** A frame of `bytes` was handed to the socket. */
  sent(bytes: number, width: number, height: number, encodeMs?: number): void {
    const now = this.#now();
    this.framesSent++;
    this.bytesSent += bytes;
    this.frameBytes = bytes;
    this.width = width;
    this.height = height;
    this.#sent.add(bytes, now);
    if (encodeMs !== undefined) this.#encode.add(encodeMs, now);
  }

  /** A capture was skipped (latest wins). */
  skip(): void {
    this.skipped++;
  }

  /** A capture was not sent by the rate controller's decision. */
  rateSkip(): void {
    this.rateSkipped++;
  }

  /** The counters of peer `id` (created on first use). */
  peer(id: number, name = `peer ${id}`, mode = ''): PeerStats {
    let stats = this.#peers.get(id);
    if (stats === undefined) {
      stats = new PeerStats(id, name, mode, this.#windowMs, this.#now);
      this.#peers.set(id, stats);
    }
    return stats;
  }

  hasPeer(id: number): boolean {
    return this.#peers.has(id);
  }

  removePeer(id: number): void {
    this.#peers.delete(id);
  }

  /** Forgets every peer (a new session after reconnecting has new peer ids). Sent counters stay. */
  clearPeers(): void {
    this.#peers.clear();
  }

  snapshotSelf(): SelfStatsSnapshot {
    const now = this.#now();
    const kbps = round((this.#sent.rate(now, true) * 8) / 1000, 0);
    const r = this.rate;
    return {
      framesSent: this.framesSent,
      bytesSent: this.bytesSent,
      fps: round(this.#sent.rate(now), 1),
      kbps,
      skipped: this.skipped,
      encodeMs: roundOrNull(this.#encode.percentile(50, now)),
      frameBytes: this.frameBytes,
      width: this.width,
      height: this.height,
      captureClock: this.captureClock,
      audio: this.audio === null ? null : { ...this.audio },
      rate:
        r === null
          ? null
          : {
              capacityKbps: r.capacityBps === null ? null : round(r.capacityBps / 1000, 0),
              targetKbps: round(r.targetBps / 1000, 0),
              actualKbps: kbps,
              queueDelayMs: round(r.queueDelayMs, 1),
              receiverCapKbps: r.receiverCapBps === null ? null : round(r.receiverCapBps / 1000, 0),
              quality: r.quality,
              width: r.width,
              height: r.height,
              scale: r.ceilingWidth > 0 ? round(r.width / r.ceilingWidth, 3) : 1,
              fps: r.fps,
              reason: r.reason,
              skipped: this.rateSkipped,
              acked: r.acked,
              lost: r.lost,
            },
    };
  }

  snapshot(): StatsSnapshot {
    return {
      mode: this.mode,
      transport: this.transport === null ? null : { ...this.transport },
      self: this.snapshotSelf(),
      peers: [...this.#peers.values()].map((p) => p.snapshot()),
    };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundOrNull(value: number | null): number | null {
  return value === null ? null : round(value, 1);
}

/**
 * Raw-frame media over the relay: the JPEG/BGRA pipeline wired stage to stage.
 *
 *   Capture ─tick─▶ FrameEncoder (codecs.ts) ─bytes─▶ RelayLink.sendFrame   (send side)
 *   RelayLink 'frame' ─▶ decodeFrame ─▶ FrameDecoder (per source) ─▶ Painter (receive side, a tile)
 *
 * Latest wins at both ends: a tick is skipped while the previous frame is still in the
 * socket or still encoding; a receiver decodes one frame at a time per source and keeps
 * only the newest waiting one.
 *
 * captureTime in the header is on the RELAY's clock (local capture instant + our clock
 * offset); latency at the receiver = (local now + our offset) − captureTime.
 *
 * Congestion control (docs/protocol.md › Delivery feedback): every frame received is
 * acknowledged through an `AckBatcher` (one `ack` per ~50 ms); the relay's `delivery`
 * messages feed the sender's `SenderRate` (web/rate/), which from then on decides per
 * capture tick: skip (pacing, path still busy) or encode at its size and quality. The
 * settings are its ceilings; the socket-busy skip above stays as the safety net. Without
 * any `delivery` (an old relay) frames go exactly as before.
 */
import { codecName, decodeFrame, FrameError, isAudioCodec, type Frame } from '../../codec/index.ts';
import { isMessage, type DeliveryMessage } from '../../protocol/index.ts';
import { AckBatcher, isAckRefusal } from '../net/ack-batcher.ts';
import { localNow } from '../net/clock-offset.ts';
import { AudioReceiver, AudioSender, type AudioCodecName } from '../pipeline/audio/index.ts';
import { Capture } from '../pipeline/capture.ts';
import { FrameDecoder } from '../pipeline/decode.ts';
import { CODECS, rawCodec } from '../pipeline/codecs.ts';
import type { CaptureTick, FrameEncoder, MediaContext, MediaTransport, Painter, RemotePeer } from '../pipeline/index.ts';
import { DelayLine, paintHoldMs } from '../pipeline/lip-sync.ts';
import { createPainter, type PainterKind } from '../pipeline/paint.ts';
import type { Ceilings } from '../rate/rate-controller.ts';
import type { ReceiverReportTuple } from '../rate/receiver-cap.ts';
import { SenderRate, type UplinkAckTuple } from '../rate/sender-rate.ts';
import type { MediaSettings } from './settings.ts';

/** Options of `RawMedia`. */
export interface RawMediaOptions {
  /** How remote pictures are painted. Default `DEFAULT_PAINTER` ('canvas2d'). */
  painter?: PainterKind;
  /** JPEG encoder entry point. Default `DEFAULT_JPEG_METHOD`. */
  jpegMethod?: 'offscreen' | 'canvas';
  /** How often the relay is asked for its drop counters, ms. Default `DEFAULT_RELAY_STATS_MS` (2000). */
  relayStatsMs?: number;
  /** Time between two `ack` messages while frames arrive, ms. Default `DEFAULT_ACK_INTERVAL_MS` (50). */
  ackIntervalMs?: number;
  /** Audio codec sent: 'auto' (Opus where the browser encodes it, else PCM) or one forced. Default 'auto'. */
  audioCodec?: 'auto' | AudioCodecName;
  /** Hold pictures for their sound (web/pipeline/lip-sync.ts). Default false: painted at once, the A/V offset reported. */
  lipSync?: boolean;
}

export const DEFAULT_RELAY_STATS_MS = 2000;
/** Bounds of the ack probation (ack-batcher.ts): 3 × RTT + 50 ms within them, ms. */
const MIN_PROBATION_MS = 100;
const MAX_PROBATION_MS = 1000;
/** RTT assumed when the clock has no sample yet, ms. */
const DEFAULT_PROBE_RTT_MS = 50;

interface Receiver {
  decoder: FrameDecoder;
  painter: Painter;
  /** Lip sync: frames wait here for their sound before decoding (web/pipeline/lip-sync.ts). */
  hold: DelayLine<Frame>;
}

export class RawMedia implements MediaTransport {
  readonly kind = 'raw';
  readonly #ctx: MediaContext;
  readonly #options: RawMediaOptions;
  readonly #capture: Capture;
  readonly #receivers = new Map<number, Receiver>();
  readonly #peers = new Map<number, RemotePeer>();
  #settings: MediaSettings;
  #encoder: FrameEncoder;
  #encoding = false;
  #seq = 0;
  #closed = false;
  #unsubscribe: (() => void)[] = [];
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  readonly #rate: SenderRate;
  #acks: AckBatcher | undefined;
  #audioSender: AudioSender | undefined;
  #audioReceiver: AudioReceiver | undefined;
  #audioStatsTimer: ReturnType<typeof setInterval> | undefined;

  constructor(context: MediaContext, options: RawMediaOptions = {}) {
    this.#ctx = context;
    this.#options = options;
    this.#settings = { ...context.settings() };
    this.#encoder = this.#makeEncoder(this.#settings.mode);
    this.#rate = new SenderRate({ ceilings: ceilingsOf(this.#settings) });
    context.stats.rate = null;
    this.#capture = new Capture(context.source, (tick) => this.#onTick(tick), { fps: this.#settings.fps });
  }

  start(peers: RemotePeer[]): void {
    const connection = this.#ctx.connection;
    for (const peer of peers) this.peerJoined(peer);
    this.#unsubscribe.push(
      connection.on('frame', (bytes) => this.#onFrame(bytes)),
      // The link moved the session to another connection (WebSocket ⇄ HTTP): frames in flight on the old one are gone, not queued.
      connection.on('welcome', (welcome) => {
        if (welcome.resumed === true) this.#rate.onConnectionReplaced();
      }),
      connection.on('control', (message) => {
        if (isMessage(message, 'delivery')) return this.#onDelivery(message);
        if (isMessage(message, 'error') && isAckRefusal(message)) return this.#acks?.refused();
        if (!isMessage(message, 'stats') || typeof message.drops !== 'object' || message.drops === null) return;
        const audioDrops = (typeof message.audioDrops === 'object' && message.audioDrops !== null ? message.audioDrops : {}) as Record<string, unknown>;
        for (const [source, count] of Object.entries(message.drops as Record<string, unknown>)) {
          const id = Number(source);
          if (!this.#peers.has(id) || typeof count !== 'number') continue;
          const audio = typeof audioDrops[source] === 'number' ? audioDrops[source] : 0;
          this.#ctx.stats.peer(id).relayDropped = count - audio;
          this.#ctx.stats.peer(id).relayAudioDropped = audio;
        }
      }),
    );
    this.#statsTimer = setInterval(() => connection.requestStats(), this.#options.relayStatsMs ?? DEFAULT_RELAY_STATS_MS);
    // NOTE: a relay with feedback holds our frames once we ack (ack mode), so probation must
    // be short: long enough for an old relay's refusal of the probe to come back (≈ 1 RTT).
    const rtt = connection.clock.best()?.rtt ?? DEFAULT_PROBE_RTT_MS;
    this.#acks = new AckBatcher({
      send: (frames) => connection.sendControl({ type: 'ack', frames }),
      probationMs: Math.min(MAX_PROBATION_MS, Math.max(MIN_PROBATION_MS, 3 * rtt + 50)),
      ...(this.#options.ackIntervalMs === undefined ? {} : { intervalMs: this.#options.ackIntervalMs }),
    });
    this.#capture.start();
    void this.#startAudio();
  }

  peerJoined(peer: RemotePeer): void {
    this.#peers.set(peer.id, peer);
    const stats = this.#ctx.stats.peer(peer.id, peer.name, peer.mode);
    stats.name = peer.name;
    stats.mode = peer.mode;
    this.#receiver(peer.id);
  }

  peerLeft(peerId: number): void {
    this.#peers.delete(peerId);
    const receiver = this.#receivers.get(peerId);
    receiver?.decoder.close();
    receiver?.painter.close();
    receiver?.hold.close();
    this.#receivers.delete(peerId);
    this.#audioReceiver?.remove(peerId);
    this.#rate.forgetReceiver(peerId);
    this.#ctx.stats.removePeer(peerId);
  }

  updateSettings(settings: MediaSettings): void {
    const previous = this.#settings;
    this.#settings = { ...settings };
    if (settings.fps !== previous.fps) this.#capture.setFps(settings.fps);
    if (settings.mode !== previous.mode && rawCodec(settings.mode) !== undefined) {
      this.#encoder.close();
      this.#encoder = this.#makeEncoder(settings.mode);
    }
    this.#rate.setCeilings(ceilingsOf(settings));
    if (settings.micOn !== previous.micOn && this.#audioSender !== undefined) {
      this.#audioSender.setMuted(!settings.micOn);
      this.#showAudio(); // the stats say "muted" now, not at the next tick
    }
  }

  audioLevel(peerId: number): number | null {
    if (peerId === 0) return this.#audioSender === undefined ? null : this.#audioSender.level();
    return this.#audioReceiver?.level(peerId) ?? null;
  }

  audioOutput(peerId: number): AudioNode | null {
    return this.#audioReceiver?.output(peerId) ?? null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#capture.close();
    this.#encoder.close();
    this.#acks?.close();
    this.#ctx.stats.rate = null;
    this.#ctx.stats.audio = null;
    clearInterval(this.#statsTimer);
    clearInterval(this.#audioStatsTimer);
    this.#audioSender?.close();
    this.#audioReceiver?.close();
    for (const off of this.#unsubscribe) off();
    for (const { decoder, painter, hold } of this.#receivers.values()) {
      hold.close();
      decoder.close();
      painter.close();
    }
    this.#receivers.clear();
  }

  /**
   * Sound: our microphone out (when there is one) and every peer's sound in, on the page's
   * AudioContext. Without a context (no Web Audio) the call is silent but goes on; a failure
   * to start is logged, never thrown into the call.
   */
  async #startAudio(): Promise<void> {
    const context = this.#ctx.audioContext;
    if (context === null) return;
    const connection = this.#ctx.connection;
    const clockOffset = (): number => connection.clock.offset;
    try {
      const receiver = await AudioReceiver.create({ context, clockOffset });
      if (this.#closed) return receiver.close();
      this.#audioReceiver = receiver;
      const microphone = this.#ctx.microphone;
      if (microphone !== null) {
        const sender = await AudioSender.create({
          context,
          stream: microphone,
          // NOTE: no sound over long-poll (the last resort): every audio frame is a request there, 50 a second.
          send: (bytes) => (connection.transport.kind === 'long-poll' ? 'busy' : connection.sendAudio(bytes)),
          nextSeq: () => this.#nextSeq(),
          clockOffset,
          codec: this.#options.audioCodec ?? 'auto',
        });
        if (this.#closed) return sender.close();
        sender.setMuted(!this.#settings.micOn);
        this.#audioSender = sender;
      }
    } catch (error) {
      if (!this.#closed) console.warn('[framewire] audio could not start; the call goes on without sound', error);
    }
    this.#audioStatsTimer = setInterval(() => this.#showAudio(), 500);
  }

  /**
   * The audio figures into the stats.
   */
  #showAudio(): void {
    const sender = this.#audioSender;
    if (sender !== undefined) {
      const figures = sender.stats();
      this.#ctx.stats.audio = { ...figures, level: sender.level() };
    }
    const receiver = this.#audioReceiver;
    if (receiver !== undefined) {
      for (const id of this.#peers.keys()) {
        const figures = receiver.stats(id);
        const stats = this.#ctx.stats.peer(id);
        stats.audio = figures === null ? null : { ...figures };
      }
    }
    // NOTE: the rate controller's frame-time cap for sound (rule 7, RateController.setFrameTimeCap) is
    // NOT applied: sized on an underestimated capacity it shrank every picture, which shrank the
    // estimate in turn — video collapsed to 160×120 at 10 kbit/s on loopback (call.e2e).
  }

  /** The sender's ONE frame counter, shared by its audio and video frames (docs/protocol.md › seq). */
  #nextSeq(): number {
    const seq = this.#seq;
    this.#seq = (seq + 1) >>> 0;
    return seq;
  }

  /** The encoder of `mode`'s codec (JPEG for a mode without one, as before). */
  #makeEncoder(mode: string): FrameEncoder {
    const jpegMethod = this.#options.jpegMethod;
    return (rawCodec(mode) ?? CODECS.jpeg).createEncoder(jpegMethod === undefined ? {} : { jpegMethod });
  }

  #onTick(tick: CaptureTick): void {
    if (this.#closed || !this.#settings.cameraOn) return;
    const connection = this.#ctx.connection;
    if (!connection.ready) return;
    const stats = this.#ctx.stats;
    // Latest wins: the previous frame is still encoding or still in the socket → skip this one.
    if (this.#encoding || connection.busy) {
      stats.skip();
      return;
    }
    let { width, height, quality } = this.#settings;
    // With delivery feedback the rate controller decides: skip, or this size and quality.
    const plan = this.#rate.plan(localNow());
    if (plan !== null) {
      this.#showRate();
      if (!plan.send) {
        stats.rateSkip();
        return;
      }
      ({ width, height, quality } = plan);
    }
    this.#encoding = true;
    // NOTE: taken now, not when sent: audio frames take numbers from the same counter meanwhile.
    const seq = this.#nextSeq();
    const captureTime = tick.captureTime + connection.clock.offset;
    const encoder = this.#encoder;
    encoder
      .encode(tick, { width, height, quality, seq, captureTime })
      .then((encoded) => {
        if (this.#closed) return;
        if (encoder.codec === 'jpeg') this.#rate.observe(encoded.bytes.byteLength, width, height, quality);
        const result = connection.sendFrame(encoded.bytes);
        if (result === 'sent') {
          this.#rate.onSent(seq, encoded.bytes.byteLength, localNow());
          stats.sent(encoded.bytes.byteLength, width, height, encoded.encodeMs);
          stats.captureClock = this.#capture.clock;
          this.#ctx.sent(encoded.canvas, encoded.header);
        } else if (result === 'busy') {
          stats.skip();
        }
      })
      .catch((error: unknown) => {
        if (!this.#closed) console.warn('[framewire] encode failed', error);
      })
      .finally(() => {
        this.#encoding = false;
      });
  }

  #onFrame(bytes: Uint8Array): void {
    if (this.#closed) return;
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      if (error instanceof FrameError) console.warn(`[framewire] bad frame from relay: ${error.code}`, error.message);
      return;
    }
    const id = frame.sourceId;
    if (!this.#peers.has(id)) return; // not (or no longer) in our room's peer list
    // Audio frames are acknowledged too: the relay's ack window holds them until we do.
    this.#acks?.record(id, frame.seq, localNow() + this.#ctx.connection.clock.offset);
    if (isAudioCodec(frame.codec)) {
      this.#audioReceiver?.push(frame);
      return;
    }
    this.#ctx.stats.peer(id).received(frame.byteLength, frame.width, frame.height, codecName(frame.codec) ?? '');
    // Lip sync: held until its sound is heard (at most MAX_HOLD_MS), when the sound is later.
    const videoDelay = localNow() + this.#ctx.connection.clock.offset - frame.captureTime;
    // NOTE: lip sync is opt-in (`lipsync=1`): holding frames made the BGRA and mode-switch
    // browser tests paint too few frames on this machine; the A/V offset is reported either way.
    const hold = this.#options.lipSync === true ? paintHoldMs(videoDelay, this.#audioReceiver?.playoutDelayMs(id) ?? null) : 0;
    this.#receiver(id).hold.offer(frame, hold);
  }

  /** The relay's delivery feedback: uplink acks to the estimator, per-receiver reports to the stats. */
  #onDelivery(message: DeliveryMessage): void {
    if (this.#closed) return;
    const now = localNow();
    // NOTE: the relay is trusted but checked: a malformed entry is ignored, never thrown on.
    const up: UplinkAckTuple[] = Array.isArray(message.up) ? message.up.filter((e) => isNumberTuple(e, 2)) : [];
    const down: ReceiverReportTuple[] = Array.isArray(message.down) ? message.down.filter((e) => isNumberTuple(e, 5)) : [];
    this.#rate.onDelivery(up, down, this.#ctx.connection.clock.offset, now);
    for (const id of this.#peers.keys()) {
      const path = this.#rate.receiverPath(id, now);
      this.#ctx.stats.peer(id).path = path === undefined ? null : path;
    }
    this.#showRate();
  }

  /** Hands the rate adaptation's figures to the stats. */
  #showRate(): void {
    const figures = this.#rate.figures();
    if (figures === null) return;
    const plan = figures.plan;
    const s = this.#settings;
    this.#ctx.stats.rate = {
      capacityBps: figures.capacityBps,
      targetBps: figures.targetBps,
      queueDelayMs: figures.queueDelayMs,
      receiverCapBps: figures.receiverCapBps,
      quality: plan?.quality ?? s.quality,
      width: plan?.width ?? s.width,
      height: plan?.height ?? s.height,
      ceilingWidth: s.width,
      fps: plan?.fps ?? s.fps,
      reason: plan?.reason ?? 'feedback started',
      acked: figures.acked,
      lost: figures.lost,
    };
  }

  #receiver(id: number): Receiver {
    let receiver = this.#receivers.get(id);
    if (receiver !== undefined) return receiver;
    const painter = createPainter(this.#options.painter);
    painter.canvas.className = 'tile-media';
    const relayNow = (): number => localNow() + this.#ctx.connection.clock.offset;
    const decoder = new FrameDecoder({
      bgraOutput: painter.bgraInput,
      onDecoded: (image, frame, decodeMs) => {
        painter.paint(image);
        const latency = relayNow() - frame.captureTime;
        const stats = this.#ctx.stats.peer(id);
        stats.painted(latency, decodeMs);
        const audioDelay = this.#audioReceiver?.playoutDelayMs(id) ?? null;
        if (audioDelay !== null) stats.avOffset(latency - audioDelay);
        this.#ctx.painted(id, painter.canvas, frame);
      },
      onDropped: () => this.#ctx.stats.peer(id).dropped(),
    });
    const hold = new DelayLine<Frame>({ release: (frame) => decoder.push(frame), drop: () => undefined });
    receiver = { decoder, painter, hold };
    this.#receivers.set(id, receiver);
    this.#ctx.showMedia(id, painter.canvas);
    return receiver;
  }
}

/** The settings as the rate controller's ceilings. */
function ceilingsOf(settings: MediaSettings): Ceilings {
  return { width: settings.width, height: settings.height, fps: settings.fps, quality: settings.quality, codec: settings.mode === 'bgra' ? 'bgra' : 'jpeg' };
}

function isNumberTuple(value: unknown, length: number): boolean {
  return Array.isArray(value) && value.length === length && value.every((n) => typeof n === 'number' && Number.isFinite(n));
}

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
 */
import { codecName, decodeFrame, FrameError, type Frame } from '../../codec/index.ts';
import { isMessage } from '../../protocol/index.ts';
import { localNow } from '../net/clock-offset.ts';
import { Capture } from '../pipeline/capture.ts';
import { FrameDecoder } from '../pipeline/decode.ts';
import { CODECS, rawCodec } from '../pipeline/codecs.ts';
import type { CaptureTick, FrameEncoder, MediaContext, MediaTransport, Painter, RemotePeer } from '../pipeline/index.ts';
import { createPainter, type PainterKind } from '../pipeline/paint.ts';
import type { MediaSettings } from './settings.ts';

/** Options of `RawMedia`. */
export interface RawMediaOptions {
  /** How remote pictures are painted. Default `DEFAULT_PAINTER` ('canvas2d'). */
  painter?: PainterKind;
  /** JPEG encoder entry point. Default `DEFAULT_JPEG_METHOD`. */
  jpegMethod?: 'offscreen' | 'canvas';
  /** How often the relay is asked for its drop counters, ms. Default `DEFAULT_RELAY_STATS_MS` (2000). */
  relayStatsMs?: number;
}

export const DEFAULT_RELAY_STATS_MS = 2000;

interface Receiver {
  decoder: FrameDecoder;
  painter: Painter;
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

  constructor(context: MediaContext, options: RawMediaOptions = {}) {
    this.#ctx = context;
    this.#options = options;
    this.#settings = { ...context.settings() };
    this.#encoder = this.#makeEncoder(this.#settings.mode);
    this.#capture = new Capture(context.source, (tick) => this.#onTick(tick), { fps: this.#settings.fps });
  }

  start(peers: RemotePeer[]): void {
    const connection = this.#ctx.connection;
    for (const peer of peers) this.peerJoined(peer);
    this.#unsubscribe.push(
      connection.on('frame', (bytes) => this.#onFrame(bytes)),
      connection.on('control', (message) => {
        if (!isMessage(message, 'stats') || typeof message.drops !== 'object' || message.drops === null) return;
        for (const [source, count] of Object.entries(message.drops as Record<string, unknown>)) {
          const id = Number(source);
          if (this.#peers.has(id) && typeof count === 'number') this.#ctx.stats.peer(id).relayDropped = count;
        }
      }),
    );
    this.#statsTimer = setInterval(() => connection.requestStats(), this.#options.relayStatsMs ?? DEFAULT_RELAY_STATS_MS);
    this.#capture.start();
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
    this.#receivers.delete(peerId);
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
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#capture.close();
    this.#encoder.close();
    clearInterval(this.#statsTimer);
    for (const off of this.#unsubscribe) off();
    for (const { decoder, painter } of this.#receivers.values()) {
      decoder.close();
      painter.close();
    }
    this.#receivers.clear();
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
    this.#encoding = true;
    const seq = this.#seq;
    const { width, height, quality } = this.#settings;
    const captureTime = tick.captureTime + connection.clock.offset;
    this.#encoder
      .encode(tick, { width, height, quality, seq, captureTime })
      .then((encoded) => {
        if (this.#closed) return;
        const result = connection.sendFrame(encoded.bytes);
        if (result === 'sent') {
          this.#seq = (this.#seq + 1) >>> 0;
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
    this.#ctx.stats.peer(id).received(frame.byteLength, frame.width, frame.height, codecName(frame.codec) ?? '');
    this.#receiver(id).decoder.push(frame);
  }

  #receiver(id: number): Receiver {
    let receiver = this.#receivers.get(id);
    if (receiver !== undefined) return receiver;
    const painter = createPainter(this.#options.painter);
    painter.canvas.className = 'tile-media';
    const decoder = new FrameDecoder({
      bgraOutput: painter.bgraInput,
      onDecoded: (image, frame, decodeMs) => {
        painter.paint(image);
        const latency = localNow() + this.#ctx.connection.clock.offset - frame.captureTime;
        this.#ctx.stats.peer(id).painted(latency, decodeMs);
        this.#ctx.painted(id, painter.canvas, frame);
      },
      onDropped: () => this.#ctx.stats.peer(id).dropped(),
    });
    receiver = { decoder, painter };
    this.#receivers.set(id, receiver);
    this.#ctx.showMedia(id, painter.canvas);
    return receiver;
  }
}

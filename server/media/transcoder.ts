/**
 * Relay-side transcoding: a receiver on a thin link asks to get JPEG instead of raw BGRA
 * from one source. The relay stops forwarding that source's frames to it
 * (`setSourceExcluded`) and this module sends a JPEG made with sharp (libuv pool) instead,
 * with the same seq, capture time and source id, through the relay's latest-wins path
 * (`sendFrame`). One converter per (source, quality) serves all its receivers and is
 * bounded: while it is busy with a source's previous frame, new frames of that source are
 * dropped, never queued. A source that already sends JPEG is passed through as it is.
 */
import { Codec, encodeFrame, type Frame } from '../../codec/index.ts';
import { bgraToJpeg, checkQuality, DEFAULT_JPEG_QUALITY } from './jpeg.ts';

/** What the transcoder needs of the relay. */
export interface TranscodeSink {
  sendFrame(peerId: number, bytes: Uint8Array): boolean;
  setSourceExcluded(receiverId: number, sourceId: number, excluded: boolean): void;
}

/** Options of `Transcoder`. */
export interface TranscoderOptions {
  /** JPEG quality when a receiver does not ask for one, 1..100. Default 75. */
  quality?: number;
}

/** Counters of a `Transcoder`. */
export interface TranscoderStats {
  /** BGRA frames converted to JPEG. */
  converted: number;
  /** Frames dropped because their converter was still busy. */
  dropped: number;
  /** Frames handed to receivers (converted or passed through). */
  sent: number;
}

interface Converter {
  quality: number;
  busy: boolean;
  receivers: Set<number>;
}

export class Transcoder {
  readonly #sink: TranscodeSink;
  readonly #defaultQuality: number;
  /** sourceId → quality → converter. */
  readonly #converters = new Map<number, Map<number, Converter>>();
  readonly #stats: TranscoderStats = { converted: 0, dropped: 0, sent: 0 };
  #closed = false;

  constructor(sink: TranscodeSink, options: TranscoderOptions = {}) {
    this.#sink = sink;
    this.#defaultQuality = options.quality ?? DEFAULT_JPEG_QUALITY;
    checkQuality(this.#defaultQuality);
  }

  /** The quality used when a receiver does not ask for one. */
  get defaultQuality(): number {
    return this.#defaultQuality;
  }

  /** Counters so far. */
  get stats(): Readonly<TranscoderStats> {
    return { ...this.#stats };
  }

  /** `receiverId` gets JPEG of `quality` (default: the transcoder's) instead of `sourceId`'s frames. */
  subscribe(receiverId: number, sourceId: number, quality = this.#defaultQuality): void {
    checkQuality(quality);
    this.#remove(receiverId, sourceId);
    let byQuality = this.#converters.get(sourceId);
    if (byQuality === undefined) this.#converters.set(sourceId, (byQuality = new Map()));
    let converter = byQuality.get(quality);
    if (converter === undefined) byQuality.set(quality, (converter = { quality, busy: false, receivers: new Set() }));
    converter.receivers.add(receiverId);
    this.#sink.setSourceExcluded(receiverId, sourceId, true);
  }

  /** `receiverId` gets `sourceId`'s own frames again. */
  unsubscribe(receiverId: number, sourceId: number): void {
    this.#remove(receiverId, sourceId);
    this.#sink.setSourceExcluded(receiverId, sourceId, false);
  }

  #remove(receiverId: number, sourceId: number): void {
    const byQuality = this.#converters.get(sourceId);
    if (byQuality === undefined) return;
    for (const [quality, converter] of byQuality) {
      if (converter.receivers.delete(receiverId) && converter.receivers.size === 0) byQuality.delete(quality);
    }
    if (byQuality.size === 0) this.#converters.delete(sourceId);
  }

  /** A peer left: drop it as a source and as a receiver. */
  forget(peerId: number): void {
    this.#converters.delete(peerId);
    for (const [sourceId, byQuality] of this.#converters) {
      for (const [quality, converter] of byQuality) {
        if (converter.receivers.delete(peerId) && converter.receivers.size === 0) byQuality.delete(quality);
      }
      if (byQuality.size === 0) this.#converters.delete(sourceId);
    }
  }

  /** True if some receiver wants `sourceId` transcoded. */
  has(sourceId: number): boolean {
    return this.#converters.has(sourceId);
  }

  /** A relayed frame of `sourceId` (already stamped). Converts or passes it on for subscribed receivers. */
  onFrame(sourceId: number, frame: Frame): void {
    const byQuality = this.#converters.get(sourceId);
    if (byQuality === undefined || this.#closed) return;
    for (const converter of byQuality.values()) {
      if (frame.codec === Codec.jpeg) {
        this.#deliver(converter, frame.bytes);
        continue;
      }
      if (converter.busy) {
        this.#stats.dropped++;
        continue;
      }
      converter.busy = true;
      bgraToJpeg(frame.payload, frame.width, frame.height, converter.quality)
        .then((jpeg) => {
          this.#stats.converted++;
          if (this.#closed) return;
          const bytes = encodeFrame({
            codec: Codec.jpeg,
            width: frame.width,
            height: frame.height,
            payload: jpeg,
            seq: frame.seq,
            captureTime: frame.captureTime,
            flags: frame.flags,
            sourceId: frame.sourceId,
            relayTime: performance.timeOrigin + performance.now(),
          });
          this.#deliver(converter, bytes);
        })
        .catch(() => {
          this.#stats.dropped++;
        })
        .finally(() => {
          converter.busy = false;
        });
    }
  }

  /** Stops converting; receivers get their sources' own frames again. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const [sourceId, byQuality] of this.#converters) {
      for (const converter of byQuality.values()) {
        for (const receiver of converter.receivers) this.#sink.setSourceExcluded(receiver, sourceId, false);
      }
    }
    this.#converters.clear();
  }

  #deliver(converter: Converter, bytes: Uint8Array): void {
    for (const receiver of converter.receivers) {
      if (this.#sink.sendFrame(receiver, bytes)) this.#stats.sent++;
    }
  }
}

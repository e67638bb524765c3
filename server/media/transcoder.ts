/**
 * Relay-side transcoding: a receiver on a thin link asks to get JPEG instead of raw BGRA
 * from one source. The relay stops forwarding that source's frames to it
 * (`setSourceExcluded`) and this module sends a JPEG made with sharp (libuv pool) instead,
 * with the same seq, capture time and source id, through the relay's latest-wins path
 * (`sendFrame`). One converter per (source, quality) serves all its receivers and is
 * bounded: while it is busy with a source's previous frame, new frames of that source are
 * dropped, never queued. A source that already sends JPEG is passed through as it is.
 *
 * Automatic conversions (thin-receiver.ts drives them with `setAuto`) are per (source,
 * receiver): a JPEG of a given size and quality, BGRA or JPEG in, paced to at most `fps`.
 * At most one conversion in flight per pair, and at most `maxJobs` sharp jobs in flight in
 * all (manual ones included); a frame that finds its pair or the pool busy is dropped.
 *
 * Audio frames are never converted: the relay's exclusion covers every frame of the source,
 * so the transcoder hands each audio frame, as it is, to every receiver it excluded the
 * source for (once, through the relay's audio queue), and the receiver keeps the sound.
 */
import { Codec, encodeFrame, isAudioCodec, type Frame } from '../../codec/index.ts';
import { relayNow } from '../clock.ts';
import { bgraToJpeg, checkQuality, DEFAULT_JPEG_QUALITY, scaledJpeg } from './jpeg.ts';

/** What the transcoder needs of the relay. */
export interface TranscodeSink {
  sendFrame(peerId: number, bytes: Uint8Array): boolean;
  setSourceExcluded(receiverId: number, sourceId: number, excluded: boolean): void;
}

/** Options of `Transcoder`. */
export interface TranscoderOptions {
  /** JPEG quality when a receiver does not ask for one, 1..100. Default 75. */
  quality?: number;
  /** sharp jobs in flight at most, all conversions together (a frame beyond it is dropped). Default `DEFAULT_MAX_TRANSCODE_JOBS` (4). */
  maxJobs?: number;
  /** Called per automatic conversion made, with its size, quality and JPEG bytes (to learn sizes). Default none. */
  onAutoConverted?: (receiverId: number, sourceId: number, made: AutoConverted) => void;
  /** The relay clock, ms (pacing of automatic conversions). Default `relayNow`. */
  now?: () => number;
}

export const DEFAULT_MAX_TRANSCODE_JOBS = 4;

/** What an automatic conversion of one (source, receiver) pair makes. */
export interface AutoTarget {
  width: number;
  height: number;
  /** JPEG quality, 1..100. */
  quality: number;
  /** Conversions per second at most (frames in between are skipped). */
  fps: number;
}

/** One automatic conversion made. */
export interface AutoConverted {
  width: number;
  height: number;
  quality: number;
  /** JPEG payload bytes. */
  bytes: number;
}

/** Counters of a `Transcoder`. */
export interface TranscoderStats {
  /** BGRA frames converted to JPEG. */
  converted: number;
  /** Frames dropped because their converter was still busy. */
  dropped: number;
  /** Frames handed to receivers (converted or passed through). */
  sent: number;
  /** Frames converted automatically for a thin receiver. */
  autoConverted: number;
  /** Frames not converted automatically because their pair or the job pool was busy. */
  autoDropped: number;
  /** Automatically converted frames handed to receivers. */
  autoSent: number;
  /** Audio frames of transcoded sources handed on as they are. */
  audioPassed: number;
}

interface AutoConversion {
  readonly receiverId: number;
  target: AutoTarget;
  busy: boolean;
  /** When the last conversion started (relay clock, ms). */
  lastStart: number;
}

/** Pacing slack: a frame may start a conversion this share of the interval early (capture jitter). */
const PACING_SLACK = 0.8;

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
  /** sourceId → receiverId → automatic conversion. */
  readonly #auto = new Map<number, Map<number, AutoConversion>>();
  readonly #stats: TranscoderStats = { converted: 0, dropped: 0, sent: 0, autoConverted: 0, autoDropped: 0, autoSent: 0, audioPassed: 0 };
  readonly #maxJobs: number;
  readonly #onAutoConverted: (receiverId: number, sourceId: number, made: AutoConverted) => void;
  readonly #now: () => number;
  #jobs = 0;
  #closed = false;

  constructor(sink: TranscodeSink, options: TranscoderOptions = {}) {
    this.#sink = sink;
    this.#defaultQuality = options.quality ?? DEFAULT_JPEG_QUALITY;
    checkQuality(this.#defaultQuality);
    const maxJobs = options.maxJobs ?? DEFAULT_MAX_TRANSCODE_JOBS;
    if (!Number.isInteger(maxJobs) || maxJobs < 1) throw new TypeError(`maxJobs must be an integer >= 1 [maxJobs:${maxJobs}]`);
    this.#maxJobs = maxJobs;
    this.#onAutoConverted = options.onAutoConverted ?? (() => undefined);
    this.#now = options.now ?? relayNow;
  }

  /** sharp jobs in flight now. */
  get jobs(): number {
    return this.#jobs;
  }

  /** (source, receiver) pairs converted automatically now. */
  get autoCount(): number {
    let n = 0;
    for (const byReceiver of this.#auto.values()) n += byReceiver.size;
    return n;
  }

  /**
   * Automatic conversion of `sourceId` for `receiverId`: with a target, the receiver stops
   * getting the source's own frames and gets JPEG of that size and quality instead (a new
   * target replaces the old one); with null, it gets the source's own frames again.
   */
  setAuto(receiverId: number, sourceId: number, target: AutoTarget | null): void {
    if (target === null) {
      const byReceiver = this.#auto.get(sourceId);
      if (byReceiver === undefined || !byReceiver.delete(receiverId)) return;
      if (byReceiver.size === 0) this.#auto.delete(sourceId);
      this.#sink.setSourceExcluded(receiverId, sourceId, false);
      return;
    }
    checkQuality(target.quality);
    if (!(target.width >= 1 && target.height >= 1 && target.fps > 0)) {
      throw new TypeError(`auto target needs a size >= 1 and fps > 0 [width:${target.width}, height:${target.height}, fps:${target.fps}]`);
    }
    if (this.#closed) return;
    let byReceiver = this.#auto.get(sourceId);
    if (byReceiver === undefined) this.#auto.set(sourceId, (byReceiver = new Map()));
    const current = byReceiver.get(receiverId);
    if (current !== undefined) {
      current.target = { ...target };
      return;
    }
    byReceiver.set(receiverId, { receiverId, target: { ...target }, busy: false, lastStart: Number.NEGATIVE_INFINITY });
    this.#sink.setSourceExcluded(receiverId, sourceId, true);
  }

  /** The automatic target of a pair, if it is converted automatically. */
  autoTarget(receiverId: number, sourceId: number): Readonly<AutoTarget> | undefined {
    return this.#auto.get(sourceId)?.get(receiverId)?.target;
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
    this.#auto.delete(peerId);
    for (const [sourceId, byReceiver] of this.#auto) {
      if (byReceiver.delete(peerId) && byReceiver.size === 0) this.#auto.delete(sourceId);
    }
    for (const [sourceId, byQuality] of this.#converters) {
      for (const [quality, converter] of byQuality) {
        if (converter.receivers.delete(peerId) && converter.receivers.size === 0) byQuality.delete(quality);
      }
      if (byQuality.size === 0) this.#converters.delete(sourceId);
    }
  }

  /** True if some receiver wants `sourceId` transcoded (asked for, or automatically). */
  has(sourceId: number): boolean {
    return this.#converters.has(sourceId) || this.#auto.has(sourceId);
  }

  /** A relayed frame of `sourceId` (already stamped). Converts or passes it on for subscribed receivers. */
  onFrame(sourceId: number, frame: Frame): void {
    if (this.#closed) return;
    if (isAudioCodec(frame.codec)) {
      this.#passAudio(sourceId, frame);
      return;
    }
    const byReceiver = this.#auto.get(sourceId);
    if (byReceiver !== undefined && (frame.codec === Codec.jpeg || frame.codec === Codec.bgra)) {
      for (const auto of byReceiver.values()) this.#convertAuto(sourceId, auto, frame);
    }
    const byQuality = this.#converters.get(sourceId);
    if (byQuality === undefined) return;
    for (const converter of byQuality.values()) {
      if (frame.codec === Codec.jpeg) {
        this.#deliver(converter, frame.bytes);
        continue;
      }
      if (converter.busy || this.#jobs >= this.#maxJobs) {
        this.#stats.dropped++;
        continue;
      }
      converter.busy = true;
      this.#jobs++;
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
          this.#jobs--;
        });
    }
  }

  /** An audio frame of a transcoded source: as it is, once to each receiver the source is excluded for. */
  #passAudio(sourceId: number, frame: Frame): void {
    const receivers = new Set<number>(this.#auto.get(sourceId)?.keys());
    for (const converter of this.#converters.get(sourceId)?.values() ?? []) for (const r of converter.receivers) receivers.add(r);
    for (const receiver of receivers) if (this.#sink.sendFrame(receiver, frame.bytes)) this.#stats.audioPassed++;
  }

  #convertAuto(sourceId: number, auto: AutoConversion, frame: Frame): void {
    const target = auto.target;
    const now = this.#now();
    if (now - auto.lastStart < (PACING_SLACK * 1000) / target.fps) return; // paced: not a drop
    if (auto.busy || this.#jobs >= this.#maxJobs) {
      this.#stats.autoDropped++;
      return;
    }
    auto.busy = true;
    auto.lastStart = now;
    this.#jobs++;
    scaledJpeg(frame, target.width, target.height, target.quality)
      .then((jpeg) => {
        this.#stats.autoConverted++;
        // Turned off (or the peer left) meanwhile: the receiver gets the source's own frames again.
        if (this.#closed || this.#auto.get(sourceId)?.get(auto.receiverId) !== auto) return;
        this.#onAutoConverted(auto.receiverId, sourceId, { width: target.width, height: target.height, quality: target.quality, bytes: jpeg.byteLength });
        const bytes = encodeFrame({
          codec: Codec.jpeg,
          width: target.width,
          height: target.height,
          payload: jpeg,
          seq: frame.seq,
          captureTime: frame.captureTime,
          flags: frame.flags,
          sourceId: frame.sourceId,
          relayTime: relayNow(),
        });
        if (this.#sink.sendFrame(auto.receiverId, bytes)) this.#stats.autoSent++;
      })
      .catch(() => {
        this.#stats.autoDropped++;
      })
      .finally(() => {
        auto.busy = false;
        this.#jobs--;
      });
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
    for (const [sourceId, byReceiver] of this.#auto) {
      for (const receiver of byReceiver.keys()) this.#sink.setSourceExcluded(receiver, sourceId, false);
    }
    this.#auto.clear();
  }

  #deliver(converter: Converter, bytes: Uint8Array): void {
    for (const receiver of converter.receivers) {
      if (this.#sink.sendFrame(receiver, bytes)) this.#stats.sent++;
    }
  }
}

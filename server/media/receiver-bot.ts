/**
 * A synthetic participant that only receives: joins a room, validates every binary message
 * as a wire frame and reports frames, fps and latency per source, video and audio apart.
 * Latency is arrival − capture time, both on the relay clock (relay-clock.ts: this bot's
 * offset from ping/pong; senders stamp capture times on the relay clock too). With
 * `transcode`, it asks the relay for JPEG instead of BGRA from every BGRA sender (relay-side
 * transcoding, for a thin link).
 *
 * Audio loss cannot be read from seq gaps (one seq counter per sender covers its audio and
 * video frames): per source, the next audio frame is expected at the previous one's
 * captureTime + its duration (samples ÷ sample rate); a frame that starts later by more than
 * half a frame counts the frames that fit into the gap as missing — lost, or left out by a
 * sender's DTX during silence.
 */
import { WebSocket } from 'ws';
import { Codec, codecName, decodeFrame, isAudioCodec, type Frame } from '../../codec/index.ts';
import { joinUrl, type JoinOptions } from './join-url.ts';
import { RelayClock } from './relay-clock.ts';
import { percentileOfSorted } from '../../web/stats/percentile.ts';

/** Latency samples kept for percentiles (the newest ones). */
export const DEFAULT_LATENCY_SAMPLES = 10_000;

/** Options of `ReceiverBot`. */
export interface ReceiverBotOptions extends JoinOptions {
  /** Ask the relay to transcode every BGRA sender to JPEG for this bot. Default false. */
  transcode?: boolean;
  /** JPEG quality asked for with `transcode`, 1..100. Default: the relay's. */
  transcodeQuality?: number;
  /** Called with every valid frame (a view of the received message). */
  onFrame?: (frame: Frame) => void;
  /** Called with every control message from the relay (parsed JSON). */
  onControl?: (msg: Record<string, unknown>) => void;
}

/** Per-source counters. */
export interface SourceStats {
  frames: number;
  bytes: number;
  codec: string;
  width: number;
  height: number;
  lastSeq: number;
}

/** Latency figures, ms. */
export interface LatencyFigures {
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

/** Per-source audio counters. */
export interface AudioSourceStats {
  /** Audio frames received. */
  packets: number;
  bytes: number;
  codec: string;
  sampleRate: number;
  channels: number;
  /** Frames missing between the ones received (from captureTime continuity; lost or left out by DTX). */
  missing: number;
  /** Milliseconds of audio missing. */
  missingMs: number;
  /** Frames that started before the previous one ended by more than half a frame (reordered, duplicated, or the sender's clock stepped). */
  early: number;
  /** Arrival − captureTime over this source's audio frames, ms. */
  latencyMs: LatencyFigures | null;
}

/** Audio of all sources together. */
export interface AudioReport {
  packets: number;
  bytes: number;
  missing: number;
  /** missing ÷ (received + missing), 0..1. */
  lossRatio: number;
  latencyMs: LatencyFigures | null;
  sources: Record<string, AudioSourceStats>;
}

/** What a `ReceiverBot` reports. `frames`, `fps`, `latencyMs` and `sources` are video; `audio` is audio. */
export interface ReceiverReport {
  peerId: number | undefined;
  /** Video frames received. */
  frames: number;
  /** Bytes of all frames received, audio included. */
  bytes: number;
  invalid: number;
  /** Video frames per second from the first video frame to the last. */
  fps: number;
  /** Video latency (arrival − captureTime, relay clock). */
  latencyMs: LatencyFigures | null;
  sources: Record<string, SourceStats>;
  /** Audio frames, missing ones and latency; null if none arrived. */
  audio: AudioReport | null;
}

interface AudioState {
  stats: Omit<AudioSourceStats, 'latencyMs'>;
  latencies: number[];
  /** captureTime at which the next frame should start. */
  next: number;
}

export class ReceiverBot {
  readonly #options: ReceiverBotOptions;
  readonly #ws: WebSocket;
  readonly #sources = new Map<number, SourceStats>();
  readonly #latencies: number[] = [];
  readonly #asked = new Set<number>();
  readonly #audio = new Map<number, AudioState>();
  readonly #audioLatencies: number[] = [];
  readonly #clock: RelayClock;
  #peerId: number | undefined;
  #frames = 0;
  #bytes = 0;
  #invalid = 0;
  #first = 0;
  #last = 0;
  #closed: Promise<ReceiverReport> | null = null;
  /** Resolves when the relay sent `welcome`. */
  readonly ready: Promise<number>;

  constructor(options: ReceiverBotOptions) {
    this.#options = options;
    this.#ws = new WebSocket(joinUrl({ ...options, mode: 'jpeg' }));
    this.#ws.binaryType = 'nodebuffer';
    this.#clock = new RelayClock((msg) => {
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(msg));
    });
    this.#ws.once('open', () => this.#clock.start());
    this.ready = new Promise<number>((resolve, reject) => {
      this.#ws.once('error', reject);
      this.#ws.once('close', (code) => reject(new Error(`connection closed before welcome [code:${code}]`)));
      this.#ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) {
          this.#onFrame(data);
          return;
        }
        try {
          const msg = JSON.parse(data.toString()) as Record<string, unknown>;
          if (msg['type'] === 'welcome' && typeof msg['peerId'] === 'number') {
            this.#peerId = msg['peerId'];
            resolve(msg['peerId']);
          }
          this.#clock.onControl(msg);
          this.#options.onControl?.(msg);
        } catch {
          // Not JSON: ignore.
        }
      });
    });
    this.ready.catch(() => undefined);
    this.#ws.on('error', () => undefined);
  }

  /** Peer id from `welcome`. */
  get peerId(): number | undefined {
    return this.#peerId;
  }

  /** Resolves with the next control message from the relay for which `match` is true. */
  nextControl(match: (msg: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ws.off('message', listener);
        reject(new Error(`no matching control message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (data: Buffer, isBinary: boolean): void => {
        if (isBinary) return;
        try {
          const msg = JSON.parse(data.toString()) as Record<string, unknown>;
          if (!match(msg)) return;
          clearTimeout(timer);
          this.#ws.off('message', listener);
          resolve(msg);
        } catch {
          // Not JSON: ignore.
        }
      };
      this.#ws.on('message', listener);
    });
  }

  /** Sends a control message (JSON) to the relay. */
  sendControl(msg: object): void {
    this.#ws.send(JSON.stringify(msg));
  }

  /** The relay clock's offset from this process's, ms (0 until the first pong). */
  get clockOffsetMs(): number {
    return this.#clock.offset;
  }

  /** Counters and latency so far. */
  report(): ReceiverReport {
    const seconds = (this.#last - this.#first) / 1000;
    return {
      peerId: this.#peerId,
      frames: this.#frames,
      bytes: this.#bytes,
      invalid: this.#invalid,
      fps: this.#frames > 1 && seconds > 0 ? (this.#frames - 1) / seconds : 0,
      latencyMs: latencyFigures(this.#latencies),
      sources: Object.fromEntries([...this.#sources].map(([id, s]) => [String(id), { ...s }])),
      audio: this.#audioReport(),
    };
  }

  #audioReport(): AudioReport | null {
    if (this.#audio.size === 0) return null;
    let packets = 0;
    let bytes = 0;
    let missing = 0;
    const sources: Record<string, AudioSourceStats> = {};
    for (const [id, state] of this.#audio) {
      packets += state.stats.packets;
      bytes += state.stats.bytes;
      missing += state.stats.missing;
      sources[String(id)] = { ...state.stats, latencyMs: latencyFigures(state.latencies) };
    }
    return { packets, bytes, missing, lossRatio: missing / (packets + missing), latencyMs: latencyFigures(this.#audioLatencies), sources };
  }

  /** Leaves the room and returns the final report. Safe to call twice. */
  close(): Promise<ReceiverReport> {
    this.#closed ??= new Promise<ReceiverReport>((resolve) => {
      const finish = (): void => resolve(this.report());
      if (this.#ws.readyState === WebSocket.CLOSED) {
        finish();
        return;
      }
      this.#ws.once('close', finish);
      this.#clock.close();
      this.#ws.close(1000, 'bot done');
      setTimeout(() => {
        this.#ws.terminate();
        finish();
      }, 2000).unref();
    });
    return this.#closed;
  }

  #onFrame(data: Buffer): void {
    const now = this.#clock.now();
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      this.#invalid++;
      return;
    }
    if (isAudioCodec(frame.codec)) {
      this.#bytes += data.byteLength;
      this.#onAudio(frame, now);
      this.#options.onFrame?.(frame);
      return;
    }
    if (this.#frames === 0) this.#first = now;
    this.#last = now;
    this.#frames++;
    this.#bytes += data.byteLength;
    if (frame.captureTime > 0) keep(this.#latencies, now - frame.captureTime);
    let source = this.#sources.get(frame.sourceId);
    if (source === undefined) {
      source = { frames: 0, bytes: 0, codec: '', width: 0, height: 0, lastSeq: 0 };
      this.#sources.set(frame.sourceId, source);
    }
    source.frames++;
    source.bytes += data.byteLength;
    source.codec = codecName(frame.codec) ?? String(frame.codec);
    source.width = frame.width;
    source.height = frame.height;
    source.lastSeq = frame.seq;
    if (this.#options.transcode && frame.codec === Codec.bgra && !this.#asked.has(frame.sourceId)) {
      this.#asked.add(frame.sourceId);
      const quality = this.#options.transcodeQuality;
      this.sendControl({ type: 'transcode', from: frame.sourceId, codec: 'jpeg', ...(quality === undefined ? {} : { quality }) });
    }
    this.#options.onFrame?.(frame);
  }

  #onAudio(frame: Frame, now: number): void {
    let state = this.#audio.get(frame.sourceId);
    const durationMs = (frame.samples * 1000) / frame.width;
    if (state === undefined) {
      state = {
        stats: { packets: 0, bytes: 0, codec: '', sampleRate: 0, channels: 0, missing: 0, missingMs: 0, early: 0 },
        latencies: [],
        next: frame.captureTime,
      };
      this.#audio.set(frame.sourceId, state);
    }
    const stats = state.stats;
    stats.packets++;
    stats.bytes += frame.byteLength;
    stats.codec = codecName(frame.codec) ?? String(frame.codec);
    stats.sampleRate = frame.width;
    stats.channels = frame.height;
    const gap = frame.captureTime - state.next;
    if (gap > durationMs / 2) {
      stats.missing += Math.max(1, Math.round(gap / durationMs));
      stats.missingMs += gap;
    } else if (gap < -durationMs / 2) {
      stats.early++;
    }
    state.next = Math.max(state.next, frame.captureTime + durationMs);
    if (frame.captureTime > 0) {
      keep(state.latencies, now - frame.captureTime);
      keep(this.#audioLatencies, now - frame.captureTime);
    }
  }
}

/** Appends a latency sample, keeping the newest `DEFAULT_LATENCY_SAMPLES`. */
function keep(samples: number[], value: number): void {
  if (samples.length >= DEFAULT_LATENCY_SAMPLES) samples.shift();
  samples.push(value);
}

function latencyFigures(samples: readonly number[]): LatencyFigures | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * Stage 2 for sound: 20 ms frames of mono audio at the wire rate → encoded packets. Opus
 * through WebCodecs `AudioEncoder` (DTX: it may skip frames during silence), or 16 kHz
 * s16le PCM where there is no Opus encoder. Packets carry the position of their first sample
 * (context frames) so the sender can stamp the capture time.
 */
import { AUDIO_CODECS, OPUS_ENCODER_CONFIG, type AudioCodecName } from './audio-codecs.ts';
import { AudioPipelineError } from './audio-pipeline-error.ts';
import type { AudioPacket } from './audio-packet.ts';
import { floatToS16le } from './pcm.ts';

/** A packet and the context frame (fractional) of its first sample. */
export interface PositionedPacket extends AudioPacket {
  position: number;
}

/** Encodes 20 ms frames at the codec's wire rate; packets come out through `onPacket`. */
export interface AudioFrameEncoder {
  readonly codec: AudioCodecName;
  /** One frame (the codec's `frameSamples` at its `sampleRate`), first sample at context frame `position`. */
  encode(samples: Float32Array, position: number): void;
  /** Forgets the stream (after a mute): the next frame starts afresh. */
  reset(): void;
  close(): void;
}

/** What encoders report to. */
export interface EncoderSink {
  packet(packet: PositionedPacket): void;
  /** An encode failed (counted by the sender; the stream goes on). */
  error(error: unknown): void;
  /** A silent frame was left out (DTX). */
  skipped?(): void;
}

/** s16le PCM at 16 kHz: synchronous. */
export class PcmFrameEncoder implements AudioFrameEncoder {
  readonly codec = 'pcm' as const;
  readonly #sink: EncoderSink;
  #closed = false;

  constructor(sink: EncoderSink) {
    this.#sink = sink;
  }

  encode(samples: Float32Array, position: number): void {
    if (this.#closed) return;
    this.#sink.packet({ codec: 'pcm', payload: floatToS16le(samples), samples: samples.length, position });
  }

  reset(): void {}

  close(): void {
    this.#closed = true;
  }
}

/**
 * Opus through WebCodecs. NOTE: Chrome's encoder stamps its chunks by counting the chunks it
 * emitted, and with its DTX on it leaves frames out, so neither the timestamps nor the order
 * say which frame a chunk encodes (a main-thread stall made the guess wrong by hundreds of ms:
 * the receiver saw it as jitter). So the encoder's DTX is off — one chunk per frame, matched
 * first in, first out — and DTX is ours: after `DTX_HANGOVER_FRAMES` silent frames nothing is
 * sent until sound returns.
 */
export class OpusFrameEncoder implements AudioFrameEncoder {
  readonly codec = 'opus' as const;
  readonly #sink: EncoderSink;
  readonly #encoder: AudioEncoder;
  /** Frames submitted and not yet matched to a chunk, oldest first; `index` counts submissions. */
  readonly #pending: { index: number; position: number; silent: boolean }[] = [];
  #submitted = 0;
  /** Silent frames in a row, up to the one just encoded (our DTX). */
  #silentRun = 0;
  /** Samples (48 kHz) given to the encoder so far: the next timestamp. */
  #samples = 0;
  #closed = false;

  private constructor(sink: EncoderSink) {
    this.#sink = sink;
    this.#encoder = new AudioEncoder({
      output: (chunk) => this.#output(chunk),
      error: (error) => this.#sink.error(error),
    });
  }

  /** Creates and configures the encoder; rejects with `AudioPipelineError` ('unsupported', 'encoder-failed'). */
  static async create(sink: EncoderSink): Promise<OpusFrameEncoder> {
    if (typeof AudioEncoder === 'undefined') throw AudioPipelineError.unsupported('AudioEncoder');
    const support = await AudioEncoder.isConfigSupported(OPUS_ENCODER_CONFIG).catch((error: unknown) => {
      throw AudioPipelineError.encoderFailed(error);
    });
    if (support.supported !== true) throw AudioPipelineError.encoderFailed(new Error('configuration not supported'));
    const encoder = new OpusFrameEncoder(sink);
    encoder.#configure();
    return encoder;
  }

  #configure(): void {
    try {
      this.#encoder.configure(OPUS_ENCODER_CONFIG);
    } catch (error) {
      throw AudioPipelineError.encoderFailed(error);
    }
  }

  encode(samples: Float32Array, position: number): void {
    if (this.#closed || this.#encoder.state !== 'configured') return;
    if (this.#encoder.encodeQueueSize >= MAX_QUEUED_FRAMES) {
      this.#sink.error(new Error(`opus encoder behind [queued:${this.#encoder.encodeQueueSize}]`));
      return;
    }
    const rate = AUDIO_CODECS.opus.sampleRate;
    const timestamp = Math.round((this.#samples * 1e6) / rate);
    this.#samples += samples.length;
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
    this.#pending.push({ index: this.#submitted++, position, silent: sum / samples.length < SILENT_MEAN_SQUARE });
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: rate,
      numberOfFrames: samples.length,
      numberOfChannels: 1,
      timestamp,
      data: samples as Float32Array<ArrayBuffer>,
    });
    try {
      this.#encoder.encode(data);
    } catch (error) {
      this.#sink.error(error);
    } finally {
      data.close();
    }
  }

  #output(chunk: EncodedAudioChunk): void {
    if (this.#closed) return;
    // One chunk per frame, in order (the encoder's own DTX is off: see OPUS_ENCODER_CONFIG),
    // so the oldest frame submitted is the one this chunk encodes — exact, whatever the
    // chunk's timestamp says and however late the main thread hears of it.
    const frame = this.#pending.shift();
    if (frame === undefined) return;
    // Our DTX: after DTX_HANGOVER_FRAMES silent frames in a row nothing is sent until sound
    // returns (the receiver conceals the gap as silence); the encoder still sees every frame.
    this.#silentRun = frame.silent ? this.#silentRun + 1 : 0;
    if (this.#silentRun > DTX_HANGOVER_FRAMES) {
      this.#sink.skipped?.();
      return;
    }
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const rate = AUDIO_CODECS.opus.sampleRate;
    const samples = chunk.duration !== null && chunk.duration > 0 ? Math.round((chunk.duration * rate) / 1e6) : AUDIO_CODECS.opus.frameSamples;
    if (payload.byteLength === 0) return;
    this.#sink.packet({ codec: 'opus', payload, samples, position: frame.position });
  }

  reset(): void {
    if (this.#closed) return;
    this.#pending.length = 0;
    this.#submitted = 0;
    this.#silentRun = 0;
    try {
      this.#encoder.reset();
      this.#configure();
    } catch (error) {
      this.#sink.error(error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#encoder.state !== 'closed') this.#encoder.close();
  }
}

/** Below this mean square (−70 dBFS) a frame may be left out by DTX. */
const SILENT_MEAN_SQUARE = 1e-7;
/** Silent frames (20 ms each) still sent before DTX leaves the rest out: 200 ms, so a word's tail is never cut. */
export const DTX_HANGOVER_FRAMES = 10;
/** Frames the Opus encoder may fall behind before frames are dropped (200 ms). */
const MAX_QUEUED_FRAMES = 10;

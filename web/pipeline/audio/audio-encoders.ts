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
 * emitted, so after DTX left frames out the timestamps lag the input. Which frame a chunk
 * belongs to is worked out instead from what the encoder has finished (`encodeQueueSize`):
 * chunks come in order, at most one per frame, and DTX leaves out only silent frames — so of
 * several finished candidates the chunk is the oldest non-silent one (or else the newest).
 */
export class OpusFrameEncoder implements AudioFrameEncoder {
  readonly codec = 'opus' as const;
  readonly #sink: EncoderSink;
  readonly #encoder: AudioEncoder;
  /** Frames submitted and not yet matched to a chunk, oldest first; `index` counts submissions. */
  readonly #pending: { index: number; position: number; silent: boolean }[] = [];
  #submitted = 0;
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
    if (this.#pending.length > 64) this.#pending.shift();
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
    const pending = this.#pending;
    const finished = this.#submitted - this.#encoder.encodeQueueSize; // frames [0, finished) are done
    let candidates = 0;
    while (candidates < pending.length && pending[candidates]!.index < finished) candidates++;
    if (candidates === 0) candidates = Math.min(1, pending.length);
    if (candidates === 0) return;
    let pick = 0;
    if (candidates > 1) {
      // DTX left out silent frames before this chunk: it is the first loud one, or (a
      // comfort-noise update, every 400 ms in silence) the newest.
      const loud = pending.slice(0, candidates).findIndex((p) => !p.silent);
      pick = loud === -1 ? candidates - 1 : loud;
    }
    const frame = pending[pick]!;
    pending.splice(0, pick + 1);
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
/** Frames the Opus encoder may fall behind before frames are dropped (200 ms). */
const MAX_QUEUED_FRAMES = 10;

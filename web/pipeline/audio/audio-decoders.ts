/**
 * Stage 4 for sound: wire frames of ONE source → mono Float32 at the context rate, each
 * chunk with the capture time (relay clock) of its first sample — the codec's own delay
 * and the resampler's included. Opus through WebCodecs `AudioDecoder` (48 kHz mono), PCM
 * s16le (16 kHz) converted here. Failures are counted, never thrown.
 */
import { Codec, type Frame } from '../../../codec/index.ts';
import { OPUS_CODEC_DELAY_MS, type AudioCodecName } from './audio-codecs.ts';
import { s16leToFloat } from './pcm.ts';
import { Reframer } from './reframer.ts';

/** A decoded chunk: mono at the context rate, samples[0] captured at `captureMs` (relay clock). */
export interface DecodedAudio {
  samples: Float32Array;
  captureMs: number;
}

/** Where decoded audio goes. */
export interface DecoderSink {
  audio(chunk: DecodedAudio): void;
  /** A frame could not be decoded (counted). */
  error(error: unknown): void;
}

/** A chunk continues the previous one when it starts within this of its end, ms. */
const CONTINUITY_MS = 2;

/** Decodes one source's opus or pcm frames, whichever codec each frame has. */
export class SourceDecoder {
  readonly #contextRate: number;
  readonly #sink: DecoderSink;
  #codec: AudioCodecName | null = null;
  #rate = 0;
  #channels = 0;
  #reframer: Reframer | null = null;
  #opus: AudioDecoder | null = null;
  /**
   * Capture times of the packets in the Opus decoder, oldest first. NOTE: Chrome stamps
   * decoded audio by counting samples from the first packet, ignoring the timestamps of the
   * chunks after a DTX gap; each packet decodes to exactly one AudioData, in order, so the
   * capture times are matched by order instead.
   */
  readonly #inDecoder: number[] = [];
  #closed = false;

  constructor(contextRate: number, sink: DecoderSink) {
    this.#contextRate = contextRate;
    this.#sink = sink;
  }

  /** The codec of the last frame, or null. */
  get codec(): AudioCodecName | null {
    return this.#codec;
  }

  /** Decodes `frame` (asynchronously for Opus). Never throws. */
  decode(frame: Frame): void {
    if (this.#closed) return;
    try {
      const codec: AudioCodecName | null = frame.codec === Codec.opus ? 'opus' : frame.codec === Codec.pcm ? 'pcm' : null;
      if (codec === null) throw new Error(`not an audio frame [codec:${frame.codec}]`);
      if (codec !== this.#codec || frame.width !== this.#rate || frame.height !== this.#channels) this.#reformat(codec, frame.width, frame.height);
      if (codec === 'pcm') {
        this.#emit(s16leToFloat(frame.payload, frame.height), frame.captureTime);
      } else {
        const decoder = this.#opusDecoder();
        this.#inDecoder.push(frame.captureTime);
        if (this.#inDecoder.length > 64) this.#inDecoder.shift();
        decoder.decode(
          new EncodedAudioChunk({
            type: 'key',
            timestamp: Math.round(frame.captureTime * 1000),
            duration: Math.round((frame.samples * 1e6) / frame.width),
            data: frame.payload as Uint8Array<ArrayBuffer>,
          }),
        );
      }
    } catch (error) {
      this.#sink.error(error);
    }
  }

  #reformat(codec: AudioCodecName, rate: number, channels: number): void {
    this.#codec = codec;
    this.#rate = rate;
    this.#channels = channels;
    this.#reframer = new Reframer({ inRate: rate, outRate: this.#contextRate, toleranceSamples: (rate * CONTINUITY_MS) / 1000 });
    this.#closeOpus();
  }

  #opusDecoder(): AudioDecoder {
    if (this.#opus !== null && this.#opus.state === 'configured') return this.#opus;
    this.#closeOpus();
    if (typeof AudioDecoder === 'undefined') throw new Error('this browser has no AudioDecoder');
    const decoder = new AudioDecoder({
      output: (data) => this.#decoded(data),
      error: (error) => this.#sink.error(error),
    });
    decoder.configure({ codec: 'opus', sampleRate: this.#rate, numberOfChannels: this.#channels });
    this.#opus = decoder;
    return decoder;
  }

  #decoded(data: AudioData): void {
    try {
      if (this.#closed) return;
      const frames = data.numberOfFrames;
      const mono = new Float32Array(frames);
      const plane = new Float32Array(frames);
      const channels = data.numberOfChannels;
      for (let c = 0; c < channels; c++) {
        data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        for (let i = 0; i < frames; i++) mono[i]! += plane[i]! / channels;
      }
      const captureMs = this.#inDecoder.shift() ?? data.timestamp / 1000;
      this.#emit(mono, captureMs - OPUS_CODEC_DELAY_MS);
    } catch (error) {
      this.#sink.error(error);
    } finally {
      data.close();
    }
  }

  /** Resamples to the context rate and hands the chunk(s) on. */
  #emit(samples: Float32Array, captureMs: number): void {
    const reframer = this.#reframer;
    if (reframer === null) return;
    for (const chunk of reframer.push(samples, (captureMs * this.#rate) / 1000)) {
      this.#sink.audio({ samples: chunk.samples, captureMs: (chunk.position * 1000) / this.#rate });
    }
  }

  #closeOpus(): void {
    this.#inDecoder.length = 0;
    if (this.#opus !== null && this.#opus.state !== 'closed') this.#opus.close();
    this.#opus = null;
  }

  /** Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeOpus();
  }
}

/**
 * An audio source for synthetic participants: ffmpeg encodes a test tone (a 1 kHz tone in
 * bursts, so a receiver can find onsets) or any audio file it reads (looped) with libopus —
 * 48 kHz mono, 20 ms frames, 32 kbit/s, `-application voip` — as Ogg on its stdout, one
 * packet per page; ogg-reader.ts cuts the pages into Opus packets and the `OpusHead` and
 * `OpusTags` headers are skipped. Pull-based: the consumer `peek()`s and `take()`s packets on
 * its own clock; while `maxQueuedPackets` wait, stdout is paused, so ffmpeg blocks instead
 * of encoding ahead without bound.
 */
import { spawnFfmpeg, type FfmpegProcess } from './ffmpeg.ts';
import { OggReader } from './ogg-reader.ts';
import { isOpusHead, isOpusTags, OPUS_RATE, opusPacketSamples, parseOpusHead } from './opus-packet.ts';

/** The test tone: `TONE_HZ` sine, on for `TONE_ON_MS` at the start of every `TONE_PERIOD_MS`. */
export const TONE_SOURCE = 'tone';
export const TONE_HZ = 1000;
export const TONE_ON_MS = 200;
export const TONE_PERIOD_MS = 1000;
/** Peak amplitude of the tone, 0..1. */
export const TONE_AMPLITUDE = 0.5;
/** Opus bitrate, bit/s. */
export const DEFAULT_AUDIO_BITRATE = 32_000;
/** Opus frame length, ms. */
export const AUDIO_FRAME_MS = 20;
/** Packets (20 ms each) encoded ahead of the consumer before ffmpeg is paused: 1 s. */
export const DEFAULT_AUDIO_QUEUE_PACKETS = 50;

/** Options of `AudioSource`. */
export interface AudioSourceOptions {
  /** `'tone'` (bursts of 1 kHz) or an audio (or video) file ffmpeg reads. Default `'tone'`. */
  audio?: string;
  /** Play a file in a loop. Default true. */
  loop?: boolean;
  /** Opus bitrate, bit/s, 6000..510000. Default 32000. */
  bitrate?: number;
  /** Packets encoded ahead before ffmpeg is paused. Default 50 (1 s). */
  maxQueuedPackets?: number;
}

/** One Opus packet of the source. */
export interface AudioPacket {
  /** One Opus packet (RFC 6716). */
  data: Uint8Array;
  /** Samples per channel at 48 kHz (960 for 20 ms). */
  samples: number;
  /**
   * Source time of the packet's first decoded sample, in 48 kHz samples since the start of
   * the source: the packets' running sample count minus the encoder's pre-skip (so the first
   * packet starts at −preSkip: its first samples are the encoder's look-ahead).
   */
  startSample: number;
}

/** Opus packets from ffmpeg. `close()` kills ffmpeg; safe to call twice. */
export class AudioSource {
  /** Always 48000 (Opus). */
  readonly sampleRate = OPUS_RATE;
  readonly channels = 1;
  readonly source: string;
  readonly #ffmpeg: FfmpegProcess;
  readonly #reader = new OggReader();
  readonly #queue: AudioPacket[] = [];
  readonly #maxQueued: number;
  #headers = 0;
  #preSkip = 0;
  #position = 0;
  #encoded = 0;
  #failure: Error | null = null;

  constructor(options: AudioSourceOptions = {}) {
    this.source = options.audio ?? TONE_SOURCE;
    const bitrate = options.bitrate ?? DEFAULT_AUDIO_BITRATE;
    if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 510_000) {
      throw new TypeError(`bitrate must be an integer 6000..510000 [bitrate:${bitrate}]`);
    }
    this.#maxQueued = options.maxQueuedPackets ?? DEFAULT_AUDIO_QUEUE_PACKETS;
    if (!Number.isInteger(this.#maxQueued) || this.#maxQueued < 1) {
      throw new TypeError(`maxQueuedPackets must be a positive integer [maxQueuedPackets:${this.#maxQueued}]`);
    }
    if (this.source === '') throw new TypeError('audio source must be "tone" or a file path');
    this.#ffmpeg = spawnFfmpeg({ args: audioSourceArgs(this.source, bitrate, options.loop ?? true) });
    this.#ffmpeg.stdout.on('data', (chunk: Buffer) => {
      if (this.#failure !== null) return;
      try {
        for (const packet of this.#reader.push(chunk)) this.#onPacket(packet.data);
      } catch (error) {
        this.#failure = error as Error;
        void this.#ffmpeg.close();
        return;
      }
      if (this.#queue.length >= this.#maxQueued) this.#ffmpeg.stdout.pause();
    });
  }

  /** Resolves when ffmpeg ends (end of a non-looping file, or `close()`); rejects with `FfmpegError` or `OggError`. */
  get done(): Promise<void> {
    return this.#ffmpeg.done.then(() => {
      if (this.#failure !== null) throw this.#failure;
    });
  }

  /** ffmpeg's pid (for tests: it must be gone after `close()`). */
  get pid(): number | undefined {
    return this.#ffmpeg.pid;
  }

  /** The encoder's pre-skip from `OpusHead`, 48 kHz samples (0 until it arrived). */
  get preSkip(): number {
    return this.#preSkip;
  }

  /** Packets encoded so far, and packets waiting to be taken. */
  get stats(): { encoded: number; queued: number } {
    return { encoded: this.#encoded, queued: this.#queue.length };
  }

  /** True once ffmpeg has exited and every packet was taken. */
  get ended(): boolean {
    return this.#ffmpeg.exited && this.#queue.length === 0;
  }

  /** The next packet, left in place; null if none is ready. */
  peek(): AudioPacket | null {
    return this.#queue[0] ?? null;
  }

  /** The next packet; null if none is ready. */
  take(): AudioPacket | null {
    const packet = this.#queue.shift() ?? null;
    if (this.#queue.length < this.#maxQueued && !this.#ffmpeg.exited) this.#ffmpeg.stdout.resume();
    return packet;
  }

  /** Kills ffmpeg and waits until it is gone. Safe to call twice. */
  close(): Promise<void> {
    return this.#ffmpeg.close();
  }

  #onPacket(data: Uint8Array): void {
    // NOTE: RFC 7845: the first packet is OpusHead, the second OpusTags; both carry no audio.
    if (this.#headers < 2) {
      if (this.#headers === 0 && isOpusHead(data)) this.#preSkip = parseOpusHead(data).preSkip;
      else if (this.#headers === 0 || !isOpusTags(data)) throw new TypeError('ffmpeg output is not an Ogg Opus stream');
      this.#headers++;
      return;
    }
    const samples = opusPacketSamples(data);
    if (samples === undefined) return; // an empty packet carries nothing to send
    this.#queue.push({ data, samples, startSample: this.#position - this.#preSkip });
    this.#position += samples;
    this.#encoded++;
  }
}

/** The ffmpeg arguments that encode `source` to Ogg Opus (48 kHz mono, 20 ms, voip) on stdout. */
export function audioSourceArgs(source: string, bitrate: number, loop: boolean): string[] {
  const input =
    source === TONE_SOURCE
      ? ['-f', 'lavfi', '-i', `aevalsrc=${toneExpression()}:s=${OPUS_RATE}:c=mono`]
      : [...(loop ? ['-stream_loop', '-1'] : []), '-i', source, '-vn', '-ac', '1', '-ar', String(OPUS_RATE)];
  return [
    ...input,
    '-c:a', 'libopus', '-b:a', String(bitrate), '-application', 'voip', '-frame_duration', String(AUDIO_FRAME_MS),
    // One packet per Ogg page, written at once: no second of buffering in the muxer.
    '-page_duration', String(AUDIO_FRAME_MS * 1000), '-flush_packets', '1',
    '-f', 'ogg', 'pipe:1',
  ];
}

/** The aevalsrc expression of the tone bursts (commas escaped for the filter graph). */
function toneExpression(): string {
  const on = TONE_ON_MS / 1000;
  const period = TONE_PERIOD_MS / 1000;
  return `'if(lt(mod(t\\,${period})\\,${on})\\,${TONE_AMPLITUDE}*sin(2*PI*${TONE_HZ}*t)\\,0)'`;
}

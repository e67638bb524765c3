/**
 * The audio of a recording, kept as it arrived: wire audio frames (Opus packets or s16le
 * PCM) written by Node into a Matroska file (`A_OPUS` / `A_PCM/INT/LIT`), one block per
 * frame, timecodes = captureTime − the first frame's captureTime (ms). No ffmpeg runs while
 * the call goes on; mp4-writer.ts turns the file into the MP4's AAC track when the
 * recording closes, placed on the video's timeline by the first captureTimes of both.
 *
 * The track's format is the first frame's (codec, sample rate, channels); a frame of another
 * format, or one that does not start after the previous one, is dropped (counted). Bounded:
 * frames are dropped while more than `maxBufferedBytes` wait for the disk.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Codec, type Frame } from '../../codec/index.ts';
import { matroskaBlock, matroskaHead } from './matroska-muxer.ts';
import { OPUS_RATE, opusHead } from './opus-packet.ts';

/** Bytes waiting for the disk before new frames are dropped. */
export const DEFAULT_AUDIO_TRACK_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The format of an audio track: that of its first frame. */
export interface AudioTrackFormat {
  codec: 'opus' | 'pcm';
  /** Hz, the frames' `width`. */
  sampleRate: number;
  /** The frames' `height`. */
  channels: number;
}

/** Counters of an `AudioTrackWriter`. */
export interface AudioTrackStats {
  /** Frames written. */
  written: number;
  /** Frames dropped (another format, out of order, disk behind, or closed). */
  dropped: number;
  /** Milliseconds of audio written (Σ samples ÷ sample rate). */
  audioMs: number;
}

/** Options of `AudioTrackWriter`. */
export interface AudioTrackWriterOptions {
  /** Bytes waiting for the disk before new frames are dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
}

export class AudioTrackWriter {
  readonly path: string;
  readonly #maxBuffered: number;
  #stream: WriteStream | null = null;
  #format: AudioTrackFormat | null = null;
  #firstCapture: number | undefined;
  #lastCapture: number | undefined;
  #endCapture = 0;
  #lastTimecode = -1;
  #error: Error | null = null;
  #closed: Promise<void> | null = null;
  readonly #stats: AudioTrackStats = { written: 0, dropped: 0, audioMs: 0 };

  constructor(path: string, options: AudioTrackWriterOptions = {}) {
    this.path = path;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_AUDIO_TRACK_MAX_BUFFERED_BYTES;
  }

  /** The track's format, once the first frame was written. */
  get format(): Readonly<AudioTrackFormat> | null {
    return this.#format;
  }

  /** captureTime of the first frame written (relay clock, ms): timecode 0 of the file. */
  get firstCapture(): number | undefined {
    return this.#firstCapture;
  }

  /** captureTime of the end of the last frame written (its first sample + its duration). */
  get endCapture(): number {
    return this.#endCapture;
  }

  get stats(): Readonly<AudioTrackStats> {
    return { ...this.#stats };
  }

  /** Appends one audio frame (its payload is not copied and not modified). False if dropped. */
  write(frame: Frame): boolean {
    if (this.#closed !== null || this.#error !== null || (frame.codec !== Codec.opus && frame.codec !== Codec.pcm)) return this.#drop();
    const format: AudioTrackFormat = { codec: frame.codec === Codec.opus ? 'opus' : 'pcm', sampleRate: frame.width, channels: frame.height };
    if (this.#format === null) this.#open(format, frame.captureTime);
    else if (!sameFormat(this.#format, format)) return this.#drop();
    const stream = this.#stream!;
    if (stream.writableLength > this.#maxBuffered) return this.#drop();
    // NOTE: Matroska timecodes are integer ms and must increase: a frame that does not start
    // after the previous one (a duplicate, or reordered) is dropped, never squeezed in.
    const timecode = Math.round(frame.captureTime - this.#firstCapture!);
    if (timecode <= this.#lastTimecode || (this.#lastCapture !== undefined && frame.captureTime <= this.#lastCapture)) return this.#drop();
    this.#lastTimecode = timecode;
    this.#lastCapture = frame.captureTime;
    for (const piece of matroskaBlock(1, timecode, frame.payload)) stream.write(piece);
    const ms = (frame.samples * 1000) / frame.width;
    this.#endCapture = frame.captureTime + ms;
    this.#stats.written++;
    this.#stats.audioMs += ms;
    return true;
  }

  /** Flushes and closes the file (none was made if no frame came); rejects if writing failed. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      const stream = this.#stream;
      if (stream === null) {
        resolve();
        return;
      }
      if (this.#error !== null || stream.destroyed) {
        stream.destroy();
        reject(this.#error ?? new Error(`audio track closed unexpectedly [path:${this.path}]`));
        return;
      }
      stream.end((error?: Error | null) => {
        const failure = error ?? this.#error;
        if (failure) reject(failure);
        else resolve();
      });
    });
    return this.#closed;
  }

  #open(format: AudioTrackFormat, firstCapture: number): void {
    this.#format = format;
    this.#firstCapture = firstCapture;
    this.#stream = createWriteStream(this.path, { flags: 'w' });
    this.#stream.on('error', (error) => {
      this.#error ??= error;
    });
    // NOTE: Opus always decodes at 48 kHz; the OpusHead's pre-skip is 0 because a frame's
    // captureTime is the instant of its first DECODED sample (the sender already counted
    // its encoder's look-ahead), so no samples are to be discarded.
    const head =
      format.codec === 'opus'
        ? matroskaHead([{ kind: 'audio', codec: 'opus', sampleRate: OPUS_RATE, channels: format.channels, codecPrivate: opusHead(format.channels, 0, format.sampleRate) }])
        : matroskaHead([{ kind: 'audio', codec: 'pcm', sampleRate: format.sampleRate, channels: format.channels }]);
    this.#stream.write(head);
  }

  #drop(): false {
    this.#stats.dropped++;
    return false;
  }
}

function sameFormat(a: AudioTrackFormat, b: AudioTrackFormat): boolean {
  return a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels;
}

/**
 * Writes a stream of wire frames to an MP4 (H.264, libx264) by piping them into ffmpeg as a
 * Matroska stream of JPEGs whose timecodes come from the frames' capture timestamps: a
 * variable frame rate plays back at the speed it was captured. BGRA frames are turned into
 * JPEG with sharp first. Bounded: when ffmpeg falls behind by `maxPendingFrames`, new frames
 * are dropped (counted), never queued without limit.
 *
 * Audio frames (Opus, PCM) go to a Matroska file next to the MP4 (`<path>.audio.mka`,
 * audio-track-writer.ts) as they come — whenever the first one comes, before or after the
 * video. `close()` then makes the MP4's AAC track from it: one more ffmpeg run copies the
 * H.264 and encodes the audio, each input shifted by its first captureTime − the earliest
 * first captureTime of both, so the file starts with the first frame or sample of either
 * and a 1 s offset in capture is 1 s in the file. Gaps in the audio (lost frames, DTX) of
 * 15 ms or more are filled with silence (`aresample` async), so later audio stays in sync.
 */
import { rename, rm } from 'node:fs/promises';
import { Codec, isAudioCodec, type Frame } from '../../codec/index.ts';
import { AudioTrackWriter } from './audio-track-writer.ts';
import { spawnFfmpeg, type FfmpegProcess } from './ffmpeg.ts';
import { bgraToJpeg, checkQuality } from './jpeg.ts';
import { matroskaFrame, matroskaHeader } from './matroska-muxer.ts';

/** Frames waiting for conversion or for ffmpeg before new ones are dropped. */
export const DEFAULT_MP4_MAX_PENDING_FRAMES = 60;
/** JPEG quality for BGRA frames on their way into the encoder. */
export const DEFAULT_MP4_JPEG_QUALITY = 90;
/** libx264 preset: fast enough to keep up with a live call on a small machine. */
export const DEFAULT_MP4_PRESET = 'veryfast';
/** libx264 constant rate factor (lower = better quality, bigger file). */
export const DEFAULT_MP4_CRF = 23;
/** Milliseconds `close()` lets ffmpeg finish the file before killing it. */
export const DEFAULT_MP4_FINISH_TIMEOUT_MS = 30_000;
/** AAC bitrate of the MP4's audio track, bit/s. */
export const DEFAULT_MP4_AUDIO_BITRATE = 64_000;
/**
 * The slowest AAC encoding `close()` allows for, × real time: the audio track is made when
 * the recording closes, and ffmpeg's native AAC encoder (opus decode + aac encode) ran at
 * ≈ 40× real time here (600 s of audio in 15 s on one core). `close()` waits
 * `finishTimeoutMs` + the audio's length ÷ this.
 */
const AUDIO_ENCODE_MIN_SPEED = 10;
/** An audio gap of at least this (s) is filled with silence (aresample `min_hard_comp`); smaller jitter is ignored. */
const AUDIO_GAP_FILL_SECONDS = 0.015;

/** Options of `Mp4Writer`. */
export interface Mp4WriterOptions {
  /** Frames pending (converting or waiting for ffmpeg) before new ones are dropped. Default 60. */
  maxPendingFrames?: number;
  /** JPEG quality used for BGRA frames before encoding, 1..100. Default 90. */
  jpegQuality?: number;
  /** libx264 preset. Default `'veryfast'`. */
  preset?: string;
  /** libx264 CRF, 0..51. Default 23. */
  crf?: number;
  /** Milliseconds `close()` waits for ffmpeg to finish the file before killing it (the file is then incomplete); the audio step gets this + the audio's length ÷ 10. Default 30000. */
  finishTimeoutMs?: number;
  /** AAC bitrate of the audio track, bit/s. Default 64000. */
  audioBitrate?: number;
}

/** Counters of an `Mp4Writer`. */
export interface Mp4WriterStats {
  /** Frames handed to ffmpeg. */
  written: number;
  /** Frames dropped because ffmpeg or the converter was behind. */
  dropped: number;
  /** Audio frames kept for the audio track. */
  audioWritten: number;
  /** Audio frames dropped (another format than the first, out of order, disk behind). */
  audioDropped: number;
}

export class Mp4Writer {
  readonly path: string;
  readonly #options: Required<Mp4WriterOptions>;
  #ffmpeg: FfmpegProcess | null = null;
  #firstCapture = 0;
  #lastTimecode = -1;
  #pending = 0;
  #chain: Promise<void> = Promise.resolve();
  #failure: Error | null = null;
  #closed: Promise<void> | null = null;
  #audio: AudioTrackWriter | null = null;
  readonly #stats = { written: 0, dropped: 0 };

  constructor(path: string, options: Mp4WriterOptions = {}) {
    this.path = path;
    this.#options = {
      maxPendingFrames: options.maxPendingFrames ?? DEFAULT_MP4_MAX_PENDING_FRAMES,
      jpegQuality: options.jpegQuality ?? DEFAULT_MP4_JPEG_QUALITY,
      preset: options.preset ?? DEFAULT_MP4_PRESET,
      crf: options.crf ?? DEFAULT_MP4_CRF,
      finishTimeoutMs: options.finishTimeoutMs ?? DEFAULT_MP4_FINISH_TIMEOUT_MS,
      audioBitrate: options.audioBitrate ?? DEFAULT_MP4_AUDIO_BITRATE,
    };
    checkQuality(this.#options.jpegQuality);
    if (!Number.isInteger(this.#options.maxPendingFrames) || this.#options.maxPendingFrames < 1) {
      throw new TypeError(`maxPendingFrames must be a positive integer [value:${this.#options.maxPendingFrames}]`);
    }
  }

  /** Frames written and dropped so far. */
  get stats(): Readonly<Mp4WriterStats> {
    const audio = this.#audio?.stats;
    return { ...this.#stats, audioWritten: audio?.written ?? 0, audioDropped: audio?.dropped ?? 0 };
  }

  /** Path of the audio kept until `close()` makes the audio track (deleted then). */
  get audioPath(): string {
    return `${this.path}.audio.mka`;
  }

  /** Pid of the ffmpeg child (after the first frame), for diagnostics and tests. */
  get pid(): number | undefined {
    return this.#ffmpeg?.pid;
  }

  /**
   * Queues one frame (JPEG or BGRA, or audio: Opus or PCM). Returns false if it was dropped
   * (writer behind, closed or failed). The frame's bytes are only read, never modified.
   */
  write(frame: Frame): boolean {
    if (isAudioCodec(frame.codec)) {
      if (this.#closed !== null) return false;
      this.#audio ??= new AudioTrackWriter(this.audioPath);
      return this.#audio.write(frame);
    }
    if (this.#closed !== null || this.#failure !== null || this.#pending >= this.#options.maxPendingFrames) {
      this.#stats.dropped++;
      return false;
    }
    if (this.#ffmpeg === null) this.#start(frame);
    this.#pending++;
    this.#chain = this.#chain
      .then(() => this.#writeOne(frame))
      .catch((error: unknown) => {
        this.#failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.#pending--;
      });
    return true;
  }

  /**
   * Ends the stream and waits for ffmpeg to finish the file. Rejects with the ffmpeg error if
   * encoding failed. Safe to call twice. A writer that got no frame writes no file.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    await this.#chain;
    const ffmpeg = this.#ffmpeg;
    const audio = this.#audio;
    await audio?.close();
    if (ffmpeg !== null) {
      ffmpeg.stdin!.end();
      await this.#finish(ffmpeg, 'MP4', this.#options.finishTimeoutMs);
      if (this.#failure !== null) throw this.#failure;
    }
    if (audio === null || audio.stats.written === 0) return;
    await this.#addAudio(audio);
  }

  /** Waits for `ffmpeg` to exit, killing it after `timeoutMs`; a failure goes to `#failure`. */
  async #finish(ffmpeg: FfmpegProcess, what: string, timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => {
      this.#failure ??= new Error(`ffmpeg did not finish the ${what} within ${Math.round(timeoutMs)} ms [path:${this.path}]`);
      void ffmpeg.close();
    }, timeoutMs);
    try {
      await ffmpeg.done;
    } catch (error) {
      this.#failure ??= error as Error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Makes the MP4 with the audio track: the H.264 of the video-only MP4 copied (if there was
   * video), the kept audio encoded to AAC, each shifted by its first captureTime − the
   * earliest. The result replaces the video-only MP4; the kept audio file is deleted. On a
   * failure both files stay as they are.
   */
  async #addAudio(audio: AudioTrackWriter): Promise<void> {
    const audioFirst = audio.firstCapture!;
    const video = this.#ffmpeg !== null;
    const origin = video ? Math.min(this.#firstCapture, audioFirst) : audioFirst;
    const seconds = (ms: number): string => (ms / 1000).toFixed(6);
    const output = `${this.path}.muxing.mp4`;
    const args = [
      ...(video ? ['-itsoffset', seconds(this.#firstCapture - origin), '-i', this.path] : []),
      '-itsoffset', seconds(audioFirst - origin), '-i', audio.path,
      ...(video ? ['-map', '0:v:0', '-map', '1:a:0', '-c:v', 'copy'] : ['-map', '0:a:0']),
      '-af', `aresample=async=1:min_hard_comp=${AUDIO_GAP_FILL_SECONDS}`,
      '-c:a', 'aac', '-b:a', String(this.#options.audioBitrate),
      '-movflags', '+faststart',
      '-f', 'mp4', '-y', output,
    ];
    const timeoutMs = this.#options.finishTimeoutMs + audio.stats.audioMs / AUDIO_ENCODE_MIN_SPEED;
    await this.#finish(spawnFfmpeg({ args }), 'MP4 with audio', timeoutMs);
    if (this.#failure !== null) {
      await rm(output, { force: true });
      throw this.#failure;
    }
    await rename(output, this.path);
    await rm(audio.path, { force: true });
  }

  /** Kills ffmpeg without finishing the file (for shutdown on errors). Safe to call twice. */
  async abort(): Promise<void> {
    this.#failure ??= new Error('mp4 writer aborted');
    await this.#ffmpeg?.close();
    await this.#audio?.close().catch(() => undefined);
  }

  #start(first: Frame): void {
    this.#firstCapture = first.captureTime;
    const { preset, crf } = this.#options;
    const ffmpeg = spawnFfmpeg({
      stdin: true,
      args: [
        '-f', 'matroska', '-i', 'pipe:0',
        '-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p',
        // NOTE: no B-frames: with them this ffmpeg's MP4 edit list hides the first decoded
        // frames (fewer frames decode than were written), and a live recording gains nothing.
        '-bf', '0',
        // The first frame's size, made even for yuv420p; later frames of another size are
        // scaled to it (the encoder cannot change size mid-stream).
        '-vf', `scale=${even(first.width)}:${even(first.height)}`,
        // Keep the source timestamps: no duplicated or dropped frames.
        '-vsync', 'vfr',
        '-movflags', '+faststart',
        '-y', this.path,
      ],
    });
    this.#ffmpeg = ffmpeg;
    ffmpeg.done.catch((error: Error) => {
      this.#failure ??= error;
    });
    this.#send([matroskaHeader(first.width, first.height)]);
  }

  async #writeOne(frame: Frame): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    const jpeg =
      frame.codec === Codec.bgra
        ? await bgraToJpeg(frame.payload, frame.width, frame.height, this.#options.jpegQuality)
        : frame.payload;
    // NOTE: Matroska timecodes are integer ms and must increase; a sender clock that steps
    // back or two frames in the same ms are nudged forward by 1 ms.
    let timecode = Math.max(0, Math.round(frame.captureTime - this.#firstCapture));
    if (timecode <= this.#lastTimecode) timecode = this.#lastTimecode + 1;
    this.#lastTimecode = timecode;
    const ok = this.#send(matroskaFrame(timecode, jpeg));
    this.#stats.written++;
    if (!ok) await this.#drain();
  }

  #send(pieces: Uint8Array[]): boolean {
    const stdin = this.#ffmpeg!.stdin!;
    let ok = true;
    for (const piece of pieces) ok = stdin.write(piece);
    return ok;
  }

  async #drain(): Promise<void> {
    const ffmpeg = this.#ffmpeg!;
    const stdin = ffmpeg.stdin!;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stdin.off('drain', done);
        stdin.off('close', done);
        resolve();
      };
      stdin.once('drain', done);
      stdin.once('close', done);
      ffmpeg.done.then(done, done);
    });
  }
}

/** The nearest even number ≥ 2 at or below `n`. */
function even(n: number): number {
  return Math.max(2, n - (n % 2));
}

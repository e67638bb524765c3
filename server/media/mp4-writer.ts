/**
 * Writes a stream of wire frames to an MP4 (H.264, libx264) by piping them into ffmpeg as a
 * Matroska stream of JPEGs whose timecodes come from the frames' capture timestamps: a
 * variable frame rate plays back at the speed it was captured. BGRA frames are turned into
 * JPEG with sharp first. Bounded: when ffmpeg falls behind by `maxPendingFrames`, new frames
 * are dropped (counted), never queued without limit.
 */
import { Codec, type Frame } from '../../codec/index.ts';
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
  /** Milliseconds `close()` waits for ffmpeg to finish the file before killing it (the file is then incomplete). Default 30000. */
  finishTimeoutMs?: number;
}

/** Counters of an `Mp4Writer`. */
export interface Mp4WriterStats {
  /** Frames handed to ffmpeg. */
  written: number;
  /** Frames dropped because ffmpeg or the converter was behind. */
  dropped: number;
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
  readonly #stats: Mp4WriterStats = { written: 0, dropped: 0 };

  constructor(path: string, options: Mp4WriterOptions = {}) {
    this.path = path;
    this.#options = {
      maxPendingFrames: options.maxPendingFrames ?? DEFAULT_MP4_MAX_PENDING_FRAMES,
      jpegQuality: options.jpegQuality ?? DEFAULT_MP4_JPEG_QUALITY,
      preset: options.preset ?? DEFAULT_MP4_PRESET,
      crf: options.crf ?? DEFAULT_MP4_CRF,
      finishTimeoutMs: options.finishTimeoutMs ?? DEFAULT_MP4_FINISH_TIMEOUT_MS,
    };
    checkQuality(this.#options.jpegQuality);
    if (!Number.isInteger(this.#options.maxPendingFrames) || this.#options.maxPendingFrames < 1) {
      throw new TypeError(`maxPendingFrames must be a positive integer [value:${this.#options.maxPendingFrames}]`);
    }
  }

  /** Frames written and dropped so far. */
  get stats(): Readonly<Mp4WriterStats> {
    return { ...this.#stats };
  }

  /** Pid of the ffmpeg child (after the first frame), for diagnostics and tests. */
  get pid(): number | undefined {
    return this.#ffmpeg?.pid;
  }

  /**
   * Queues one frame (JPEG or BGRA). Returns false if it was dropped (writer behind, closed
   * or failed). The frame's bytes are only read, never modified.
   */
  write(frame: Frame): boolean {
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
    if (ffmpeg === null) return;
    ffmpeg.stdin!.end();
    const timer = setTimeout(() => {
      this.#failure ??= new Error(`ffmpeg did not finish the MP4 within ${this.#options.finishTimeoutMs} ms [path:${this.path}]`);
      void ffmpeg.close();
    }, this.#options.finishTimeoutMs);
    try {
      await ffmpeg.done;
    } catch (error) {
      this.#failure ??= error as Error;
    } finally {
      clearTimeout(timer);
    }
    if (this.#failure !== null) throw this.#failure;
  }

  /** Kills ffmpeg without finishing the file (for shutdown on errors). Safe to call twice. */
  async abort(): Promise<void> {
    this.#failure ??= new Error('mp4 writer aborted');
    await this.#ffmpeg?.close();
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

/**
 * A video source for synthetic participants: ffmpeg decodes a test pattern (lavfi `testsrc`,
 * `testsrc2`) or a file (looped) to rawvideo BGRA at the wanted size and rate on its stdout,
 * cut into exact width×height×4 frames. Pull-based: the consumer `take()`s the newest frame
 * on its own clock; while a frame waits, stdout is paused, so ffmpeg blocks instead of
 * decoding frames nobody will send.
 */
import { spawnFfmpeg, type FfmpegProcess } from './ffmpeg.ts';
import { RawFrameCutter } from './raw-frame-cutter.ts';

/** Default source: ffmpeg's lavfi test pattern. */
export const DEFAULT_VIDEO_SOURCE = 'testsrc';
export const DEFAULT_VIDEO_WIDTH = 640;
export const DEFAULT_VIDEO_HEIGHT = 480;
export const DEFAULT_VIDEO_FPS = 30;

/** lavfi test patterns accepted as a source name. */
export const TEST_PATTERNS: ReadonlySet<string> = new Set(['testsrc', 'testsrc2', 'smptebars', 'rgbtestsrc']);

/** Options of `VideoSource`. */
export interface VideoSourceOptions {
  /** A lavfi test pattern (`testsrc`, `testsrc2`, `smptebars`, `rgbtestsrc`) or a video file path. Default `'testsrc'`. */
  source?: string;
  /** Frame width in pixels. Default 640. */
  width?: number;
  /** Frame height in pixels. Default 480. */
  height?: number;
  /** Frames per second ffmpeg produces. Default 30. */
  fps?: number;
  /** Play a file source in a loop. Default true. */
  loop?: boolean;
}

/** BGRA frames from ffmpeg. `close()` kills ffmpeg; safe to call twice. */
export class VideoSource {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly source: string;
  readonly #ffmpeg: FfmpegProcess;
  readonly #cutter: RawFrameCutter;
  #latest: Uint8Array | null = null;
  #decoded = 0;
  #stale = 0;

  constructor(options: VideoSourceOptions = {}) {
    this.source = options.source ?? DEFAULT_VIDEO_SOURCE;
    this.width = options.width ?? DEFAULT_VIDEO_WIDTH;
    this.height = options.height ?? DEFAULT_VIDEO_HEIGHT;
    this.fps = options.fps ?? DEFAULT_VIDEO_FPS;
    checkVideoOptions(this.width, this.height, this.fps);
    this.#cutter = new RawFrameCutter(this.width * this.height * 4);
    this.#ffmpeg = spawnFfmpeg({ args: videoSourceArgs(this.source, this.width, this.height, this.fps, options.loop ?? true) });
    this.#ffmpeg.stdout.on('data', (chunk: Buffer) => {
      for (const frame of this.#cutter.push(chunk)) {
        if (this.#latest !== null) this.#stale++;
        this.#latest = frame;
        this.#decoded++;
      }
      if (this.#latest !== null) this.#ffmpeg.stdout.pause();
    });
  }

  /** Resolves when ffmpeg ends (end of a non-looping file, or `close()`); rejects with `FfmpegError`. */
  get done(): Promise<void> {
    return this.#ffmpeg.done;
  }

  /** ffmpeg's pid (for tests: it must be gone after `close()`). */
  get pid(): number | undefined {
    return this.#ffmpeg.pid;
  }

  /** Frames decoded so far, and frames replaced before anyone took them. */
  get stats(): { decoded: number; stale: number } {
    return { decoded: this.#decoded, stale: this.#stale };
  }

  /** The newest decoded frame not taken yet (BGRA, width×height×4), or null if none is ready. */
  take(): Uint8Array | null {
    const frame = this.#latest;
    this.#latest = null;
    if (!this.#ffmpeg.exited) this.#ffmpeg.stdout.resume();
    return frame;
  }

  /** Kills ffmpeg and waits until it is gone. Safe to call twice. */
  close(): Promise<void> {
    return this.#ffmpeg.close();
  }
}

/** The ffmpeg arguments that decode `source` to BGRA rawvideo on stdout. */
export function videoSourceArgs(source: string, width: number, height: number, fps: number, loop: boolean): string[] {
  const output = ['-f', 'rawvideo', '-pix_fmt', 'bgra', 'pipe:1'];
  if (TEST_PATTERNS.has(source)) {
    return ['-f', 'lavfi', '-i', `${source}=size=${width}x${height}:rate=${fps}`, ...output];
  }
  return [
    ...(loop ? ['-stream_loop', '-1'] : []),
    '-i', source,
    '-an',
    '-vf', `fps=${fps},scale=${width}:${height}`,
    ...output,
  ];
}

/** Throws `TypeError` on sizes or rates the wire format or ffmpeg cannot take. */
export function checkVideoOptions(width: number, height: number, fps: number): void {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 4096) {
      throw new TypeError(`${name} must be an integer 1..4096 [${name}:${value}]`);
    }
  }
  if (!Number.isFinite(fps) || fps <= 0 || fps > 240) throw new TypeError(`fps must be in (0, 240] [fps:${fps}]`);
}

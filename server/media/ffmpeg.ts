/**
 * The one place that runs ffmpeg: the binary shipped in `@ffmpeg-installer/ffmpeg` (or
 * `FFMPEG_PATH`), spawned directly — no wrapper library. Every child drains its stderr into
 * a bounded tail, gets `-nostdin` unless it is fed through stdin, is killed when its
 * consumer closes it and when this process exits, and fails with an `FfmpegError` carrying
 * the tail of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';

/** Bytes of stderr kept for error messages. */
export const DEFAULT_STDERR_TAIL_BYTES = 4096;
/** Milliseconds `close()` waits after SIGTERM before sending SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000;

/** Stable codes of `FfmpegError`. */
export type FfmpegErrorCode = 'not-found' | 'spawn-failed' | 'exit' | 'signal';

/** An ffmpeg child that could not start or failed. `stderr` is the tail of what it printed. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  readonly code: FfmpegErrorCode;
  /** Exit code, or null when it was killed by a signal or never started. */
  readonly exitCode: number | null;
  /** The last bytes ffmpeg wrote to stderr. */
  readonly stderr: string;

  private constructor(code: FfmpegErrorCode, message: string, exitCode: number | null, stderr: string) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  static notFound(path: string): FfmpegError {
    return new FfmpegError(
      'not-found',
      `ffmpeg binary not found [path:${path}]. Reinstall @ffmpeg-installer/ffmpeg or set FFMPEG_PATH to an ffmpeg binary.`,
      null,
      '',
    );
  }

  static spawnFailed(path: string, reason: string): FfmpegError {
    return new FfmpegError('spawn-failed', `ffmpeg could not start [path:${path}]: ${reason}`, null, '');
  }

  static exit(exitCode: number, stderr: string): FfmpegError {
    return new FfmpegError('exit', `ffmpeg failed [exit:${exitCode}]: ${oneLine(stderr)}`, exitCode, stderr);
  }

  static signal(signal: string, stderr: string): FfmpegError {
    return new FfmpegError('signal', `ffmpeg killed [signal:${signal}]: ${oneLine(stderr)}`, null, stderr);
  }
}

function oneLine(stderr: string): string {
  const text = stderr.trim().replace(/\s*\n\s*/g, ' | ');
  return text === '' ? '(no stderr output)' : text;
}

let installedPath: string | undefined;

/** Path of the ffmpeg binary: `FFMPEG_PATH`, else the one from `@ffmpeg-installer/ffmpeg`. */
export function ffmpegPath(): string {
  const override = process.env['FFMPEG_PATH'];
  if (override !== undefined && override !== '') return override;
  if (installedPath === undefined) {
    const require = createRequire(import.meta.url);
    installedPath = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
  return installedPath;
}

/** Options of `spawnFfmpeg`. */
export interface FfmpegOptions {
  /** Arguments after the global ones (`-hide_banner -loglevel error`, and `-nostdin` unless `stdin`). */
  args: readonly string[];
  /** Feed ffmpeg through its stdin (`ffmpeg.stdin`). Default false: stdin ignored and `-nostdin` passed. */
  stdin?: boolean;
  /** Bytes of stderr kept for `FfmpegError`. Default `DEFAULT_STDERR_TAIL_BYTES` (4096). */
  stderrTailBytes?: number;
  /** ffmpeg log level. Default `'error'`. */
  logLevel?: string;
  /** The binary. Default `ffmpegPath()`. */
  path?: string;
}

/** Children alive now; all are killed when this process exits. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

/** Pids of the ffmpeg children alive now (for tests and diagnostics). */
export function liveFfmpegPids(): number[] {
  return [...children].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

/**
 * A running ffmpeg. `done` settles when it exits: resolves on exit code 0 or when it was
 * stopped by `close()`, rejects with `FfmpegError` otherwise (a rejection nobody awaits is
 * not reported as unhandled).
 */
export class FfmpegProcess {
  readonly #child: ChildProcess;
  readonly #tailBytes: number;
  #tail = '';
  #exited = false;
  #closing = false;
  readonly #exit: Promise<void>;
  /** Settles when the child is gone: resolves on success or after `close()`, rejects with `FfmpegError`. */
  readonly done: Promise<void>;

  constructor(options: FfmpegOptions) {
    const path = options.path ?? ffmpegPath();
    this.#tailBytes = options.stderrTailBytes ?? DEFAULT_STDERR_TAIL_BYTES;
    const args = ['-hide_banner', '-loglevel', options.logLevel ?? 'error'];
    if (!options.stdin) args.push('-nostdin');
    args.push(...options.args);
    this.#child = spawn(path, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    installExitHook();
    children.add(this.#child);
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (text: string) => {
      const tail = this.#tail + text;
      this.#tail = tail.length > this.#tailBytes ? tail.slice(tail.length - this.#tailBytes) : tail;
    });
    // A consumer that stops reading or writing must not crash us with EPIPE.
    this.#child.stdin?.on('error', () => undefined);
    this.#child.stdout!.on('error', () => undefined);
    this.done = new Promise<void>((resolve, reject) => {
      let spawnError: FfmpegError | undefined;
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        spawnError = error.code === 'ENOENT' ? FfmpegError.notFound(path) : FfmpegError.spawnFailed(path, error.message);
        if (this.#child.pid === undefined) {
          this.#exited = true;
          children.delete(this.#child);
          reject(spawnError);
        }
      });
      this.#child.once('close', (code, signal) => {
        this.#exited = true;
        children.delete(this.#child);
        if (spawnError !== undefined) reject(spawnError);
        else if (code === 0 || this.#closing) resolve();
        else if (code !== null) reject(FfmpegError.exit(code, this.#tail));
        else reject(FfmpegError.signal(signal ?? 'unknown', this.#tail));
      });
    });
    this.done.catch(() => undefined);
    this.#exit = this.done.catch(() => undefined);
  }

  /** Process id, or undefined if it never started. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** ffmpeg's stdin (only when spawned with `stdin: true`). */
  get stdin(): Writable | null {
    return this.#child.stdin;
  }

  /** ffmpeg's stdout. */
  get stdout(): Readable {
    return this.#child.stdout!;
  }

  /** The last bytes ffmpeg printed on stderr. */
  get stderrTail(): string {
    return this.#tail;
  }

  /** True once the child has exited (or failed to start). */
  get exited(): boolean {
    return this.#exited;
  }

  /**
   * Stops the child (SIGTERM, then SIGKILL after `graceMs`) and resolves when it is gone.
   * Safe to call twice; resolves at once when it already exited.
   */
  async close(graceMs = DEFAULT_KILL_GRACE_MS): Promise<void> {
    if (!this.#exited) {
      this.#closing = true;
      this.#child.stdin?.destroy();
      // A paused, unread stdout would hold back the 'close' event.
      this.#child.stdout?.destroy();
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      try {
        await this.#exit;
      } finally {
        clearTimeout(timer);
      }
    }
    await this.#exit;
  }
}

/** Starts ffmpeg with `options`; see `FfmpegProcess`. */
export function spawnFfmpeg(options: FfmpegOptions): FfmpegProcess {
  return new FfmpegProcess(options);
}

/** Runs ffmpeg to completion and returns its stdout; rejects with `FfmpegError` on failure. */
export async function runFfmpeg(args: readonly string[], options?: Omit<FfmpegOptions, 'args' | 'stdin'>): Promise<Buffer> {
  const child = spawnFfmpeg({ ...options, args });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await child.done;
  return Buffer.concat(chunks);
}

/**
 * Frame logs (`*.fwlog`): wire-format frames back to back in a file, exactly the bytes that
 * crossed the relay (source id and relay time stamped). Written by the recorder, read back
 * with the codec's `FrameReader` for replay.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { FrameReader, type Frame, type FrameReaderOptions } from '../../codec/index.ts';

/** Bytes buffered in memory for the file before new frames are dropped. */
export const DEFAULT_FRAME_LOG_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Options of `FrameLogWriter`. */
export interface FrameLogWriterOptions {
  /** Bytes waiting for the disk before new frames are dropped. Default 64 MiB. */
  maxBufferedBytes?: number;
}

/** Appends frames to a frame log. */
export class FrameLogWriter {
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #maxBuffered: number;
  #error: Error | null = null;
  #closed: Promise<void> | null = null;
  #written = 0;
  #dropped = 0;

  constructor(path: string, options: FrameLogWriterOptions = {}) {
    this.path = path;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_FRAME_LOG_MAX_BUFFERED_BYTES;
    this.#stream = createWriteStream(path, { flags: 'w' });
    this.#stream.on('error', (error) => {
      this.#error ??= error;
    });
  }

  /** Frames written and dropped so far. */
  get stats(): { written: number; dropped: number } {
    return { written: this.#written, dropped: this.#dropped };
  }

  /** Appends one whole frame (`frame.bytes`, not copied and not modified). False if dropped. */
  write(frame: Pick<Frame, 'bytes'>): boolean {
    if (this.#closed !== null || this.#error !== null || this.#stream.writableLength > this.#maxBuffered) {
      this.#dropped++;
      return false;
    }
    this.#stream.write(frame.bytes);
    this.#written++;
    return true;
  }

  /** Flushes and closes the file; rejects if writing failed. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      if (this.#error !== null || this.#stream.destroyed) {
        this.#stream.destroy();
        reject(this.#error ?? new Error(`frame log closed unexpectedly [path:${this.path}]`));
        return;
      }
      this.#stream.once('error', reject);
      this.#stream.end((error?: Error | null) => {
        const failure = error ?? this.#error;
        if (failure) reject(failure);
        else resolve();
      });
    });
    return this.#closed;
  }
}

/** Reads a frame log; yields decoded frames in file order. Throws `FrameError` on a corrupt file. */
export async function* readFrameLog(path: string, options?: FrameReaderOptions): AsyncGenerator<Frame> {
  const reader = new FrameReader(options);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    yield* reader.push(chunk);
  }
  reader.end();
}

import { DEFAULT_MAX_DIMENSION, DEFAULT_MAX_FRAME_BYTES, HEADER_BYTES, MAGIC } from './format.ts';
import { RecordMagic, RecordReader } from './stream-records.ts';
import { decodeFrame, type DecodeOptions, type Frame } from './frame.ts';
import { FrameError } from './frame-error.ts';

/** Options of `FrameReader`; the same limits as `decodeFrame`. */
export type FrameReaderOptions = DecodeOptions;

/**
 * Cuts a byte stream (TCP, an HTTP body, a recording file) into frames.
 *
 * Push chunks of any size; each `push` returns the frames completed by that chunk. A frame
 * that lies wholly inside one chunk is returned as a zero-copy view of that chunk (so do not
 * reuse a chunk's memory after pushing it); only a frame that spans chunks is copied, once,
 * into a buffer of exactly its declared size. A declared length over `maxFrameBytes` is
 * rejected as soon as its 4-byte prefix is seen, before any of it is buffered.
 *
 * After a `FrameError` the stream is out of step and the reader stays failed: every later
 * `push` throws the same error.
 */
export class FrameReader {
  readonly #options: Required<DecodeOptions>;
  readonly #records: RecordReader;
  #error: FrameError | null = null;

  constructor(options?: FrameReaderOptions) {
    this.#options = {
      maxFrameBytes: options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxDimension: options?.maxDimension ?? DEFAULT_MAX_DIMENSION,
    };
    this.#records = new RecordReader({ maxRecordBytes: this.#options.maxFrameBytes, minRecordBytes: HEADER_BYTES });
  }

  /** Bytes held for an incomplete frame (0 between frames). */
  get bufferedBytes(): number {
    return this.#records.bufferedBytes;
  }

  /** Feeds one chunk; returns the frames it completes, in order. Throws `FrameError` (`bad-magic` for a record that is not a frame). */
  push(chunk: Uint8Array): Frame[] {
    if (this.#error !== null) throw this.#error;
    const frames: Frame[] = [];
    try {
      for (const record of this.#records.push(chunk)) {
        // NOTE: a stream of frames only: any other record kind is a stream out of step.
        frames.push(decodeFrame(record.kind === 'frame' ? record.bytes : notAFrame(record.kind), this.#options));
      }
    } catch (error) {
      if (error instanceof FrameError) this.#error = error;
      throw error;
    }
    return frames;
  }

  /** Declares the end of the stream; throws `FrameError` (`too-short`) if a frame was cut off. */
  end(): void {
    if (this.#error !== null) throw this.#error;
    this.#records.end();
  }
}

function notAFrame(kind: string): never {
  throw FrameError.badMagic(RecordMagic[kind as keyof typeof RecordMagic], MAGIC);
}

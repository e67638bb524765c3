import { DEFAULT_MAX_DIMENSION, DEFAULT_MAX_FRAME_BYTES, HEADER_BYTES, Offset, PREFIX_BYTES } from './format.ts';
import { readU32 } from './big-endian.ts';
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
  /** Prefix bytes of a frame whose prefix spans chunks. */
  readonly #prefix = new Uint8Array(PREFIX_BYTES);
  #prefixFilled = 0;
  /** The frame being assembled across chunks, allocated at its declared size. */
  #partial: Uint8Array | null = null;
  #partialFilled = 0;
  #error: FrameError | null = null;

  constructor(options?: FrameReaderOptions) {
    this.#options = {
      maxFrameBytes: options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxDimension: options?.maxDimension ?? DEFAULT_MAX_DIMENSION,
    };
  }

  /** Bytes held for an incomplete frame (0 between frames). */
  get bufferedBytes(): number {
    return this.#partial === null ? this.#prefixFilled : this.#partialFilled;
  }

  /** Feeds one chunk; returns the frames it completes, in order. Throws `FrameError`. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof FrameError) this.#error = error;
      throw error;
    }
  }

  /** Declares the end of the stream; throws `FrameError` (`too-short`) if a frame was cut off. */
  end(): void {
    if (this.#error !== null) throw this.#error;
    const buffered = this.bufferedBytes;
    if (buffered > 0) {
      const needed = this.#partial === null ? PREFIX_BYTES : this.#partial.byteLength;
      this.#error = FrameError.tooShort(buffered, needed);
      throw this.#error;
    }
  }

  #push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    const end = chunk.byteLength;
    let pos = 0;
    while (pos < end) {
      const partial = this.#partial;
      if (partial !== null) {
        const n = Math.min(partial.byteLength - this.#partialFilled, end - pos);
        partial.set(chunk.subarray(pos, pos + n), this.#partialFilled);
        this.#partialFilled += n;
        pos += n;
        if (this.#partialFilled === partial.byteLength) {
          this.#partial = null;
          this.#partialFilled = 0;
          frames.push(decodeFrame(partial, this.#options));
        }
        continue;
      }
      if (this.#prefixFilled > 0 || end - pos < PREFIX_BYTES) {
        const n = Math.min(PREFIX_BYTES - this.#prefixFilled, end - pos);
        this.#prefix.set(chunk.subarray(pos, pos + n), this.#prefixFilled);
        this.#prefixFilled += n;
        pos += n;
        if (this.#prefixFilled < PREFIX_BYTES) break;
        const total = this.#checkedTotal(readU32(this.#prefix, Offset.length));
        this.#prefixFilled = 0;
        this.#partial = new Uint8Array(total);
        this.#partial.set(this.#prefix, 0);
        this.#partialFilled = PREFIX_BYTES;
        continue;
      }
      const total = this.#checkedTotal(readU32(chunk, pos + Offset.length));
      if (end - pos >= total) {
        frames.push(decodeFrame(chunk.subarray(pos, pos + total), this.#options));
        pos += total;
      } else {
        this.#partial = new Uint8Array(total);
        this.#partial.set(chunk.subarray(pos, end), 0);
        this.#partialFilled = end - pos;
        pos = end;
      }
    }
    return frames;
  }

  /** Whole-frame size from a prefix value, checked before anything is allocated. */
  #checkedTotal(declared: number): number {
    const total = declared + PREFIX_BYTES;
    if (total > this.#options.maxFrameBytes) throw FrameError.tooLarge(total, this.#options.maxFrameBytes);
    if (total < HEADER_BYTES) throw FrameError.tooShort(total, HEADER_BYTES);
    return total;
  }
}

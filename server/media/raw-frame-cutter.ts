/**
 * Cuts a rawvideo byte stream (ffmpeg `-f rawvideo` on a pipe) into frames of exactly
 * `frameBytes` bytes. Pipe chunks have no relation to frame edges: a frame wholly inside a
 * chunk is a zero-copy view of it; a frame spanning chunks is assembled once, with `.set()`.
 */
export class RawFrameCutter {
  readonly frameBytes: number;
  #partial: Uint8Array | null = null;
  #filled = 0;

  constructor(frameBytes: number) {
    if (!Number.isSafeInteger(frameBytes) || frameBytes <= 0) {
      throw new TypeError(`frameBytes must be a positive integer [value:${frameBytes}]`);
    }
    this.frameBytes = frameBytes;
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.#filled;
  }

  /** Feeds one chunk (not to be reused by the caller afterwards); returns the frames it completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    const size = this.frameBytes;
    let pos = 0;
    if (this.#partial !== null) {
      const n = Math.min(size - this.#filled, chunk.byteLength);
      this.#partial.set(chunk.subarray(0, n), this.#filled);
      this.#filled += n;
      pos = n;
      if (this.#filled < size) return frames;
      frames.push(this.#partial);
      this.#partial = null;
      this.#filled = 0;
    }
    while (chunk.byteLength - pos >= size) {
      frames.push(chunk.subarray(pos, pos + size));
      pos += size;
    }
    if (pos < chunk.byteLength) {
      this.#partial = new Uint8Array(size);
      this.#partial.set(chunk.subarray(pos), 0);
      this.#filled = chunk.byteLength - pos;
    }
    return frames;
  }
}

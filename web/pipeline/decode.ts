/**
 * Stage 4 — decode, one `FrameDecoder` per remote source. Never queue, always fresh:
 * at most one frame waits while another decodes; a newer frame replaces the waiting one
 * (the replaced frame is reported as dropped), and frames older than the last one decoded
 * are dropped too. JPEG decodes off the main thread with `createImageBitmap`; BGRA is
 * swizzled with codec's `bgraToRgba` into a reused `ImageData`, or handed to a painter that
 * swizzles on the GPU (`bgraOutput: 'bgra'`).
 */
import type { Frame } from '../../codec/index.ts';
import { codecById, type DecodeTarget } from './codecs.ts';
import type { DecodedImage } from './index.ts';

/** Options of `FrameDecoder`. */
export interface FrameDecoderOptions {
  /** Called with each decoded picture and its frame, in order, one at a time. */
  onDecoded: (image: DecodedImage, frame: Frame, decodeMs: number) => void;
  /** Called for each frame that is dropped without being decoded. */
  onDropped?: (frame: Frame, why: 'replaced' | 'stale' | 'error') => void;
  /** What BGRA frames decode to: 'imagedata' (CPU swizzle) or 'bgra' (left for the GPU). Default 'imagedata'. */
  bgraOutput?: 'imagedata' | 'bgra';
}

/** True if u32 sequence number `a` is after `b` (wrap-around aware). */
export function seqAfter(a: number, b: number): boolean {
  const diff = (a - b) >>> 0;
  return diff !== 0 && diff < 0x80000000;
}

export class FrameDecoder {
  readonly #onDecoded: FrameDecoderOptions['onDecoded'];
  readonly #onDropped: NonNullable<FrameDecoderOptions['onDropped']>;
  #bgraOutput: 'imagedata' | 'bgra';
  #pending: Frame | undefined;
  #busy = false;
  #closed = false;
  #lastSeq: number | undefined;
  #imageData: ImageData | undefined;

  constructor(options: FrameDecoderOptions) {
    this.#onDecoded = options.onDecoded;
    this.#onDropped = options.onDropped ?? (() => undefined);
    this.#bgraOutput = options.bgraOutput ?? 'imagedata';
  }

  set bgraOutput(value: 'imagedata' | 'bgra') {
    this.#bgraOutput = value;
  }

  /** True while a decode is running. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Offers a frame; it is decoded now, or waits replacing any older waiting frame. */
  push(frame: Frame): void {
    if (this.#closed) return;
    if (this.#lastSeq !== undefined && !seqAfter(frame.seq, this.#lastSeq) && frame.seq !== this.#lastSeq) {
      // Older than what was already decoded (a new sender session restarts at 0: accept a big jump back).
      const back = (this.#lastSeq - frame.seq) >>> 0;
      if (back < 1000) {
        this.#onDropped(frame, 'stale');
        return;
      }
    }
    if (this.#pending !== undefined) this.#onDropped(this.#pending, 'replaced');
    this.#pending = frame;
    if (!this.#busy) void this.#drain();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = undefined;
    this.#imageData = undefined;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#pending !== undefined && !this.#closed) {
      const frame = this.#pending;
      this.#pending = undefined;
      const started = performance.now();
      let image: DecodedImage;
      try {
        image = await this.#decode(frame);
      } catch (error) {
        console.warn('[framewire] decode failed', error);
        this.#onDropped(frame, 'error');
        continue;
      }
      if (this.#closed) {
        if (image.kind === 'bitmap') image.bitmap.close();
        break;
      }
      this.#lastSeq = frame.seq;
      this.#onDecoded(image, frame, performance.now() - started);
    }
    this.#busy = false;
  }

  async #decode(frame: Frame): Promise<DecodedImage> {
    const entry = codecById(frame.codec);
    if (entry === undefined) throw new Error(`codec ${frame.codec} not supported`);
    const target: DecodeTarget = { bgraOutput: this.#bgraOutput, imageData: (width, height) => this.#scratch(width, height) };
    return entry.decode(frame, target);
  }

  /** The reused `ImageData` of BGRA decodes, reallocated when the size changes. */
  #scratch(width: number, height: number): ImageData {
    let data = this.#imageData;
    if (data === undefined || data.width !== width || data.height !== height) {
      data = new ImageData(width, height);
      this.#imageData = data;
    }
    return data;
  }
}

/**
 * Stage 2 (BGRA) — draws the tick into a 2D canvas created with `willReadFrequently`
 * (keeps the bitmap in CPU memory, so `getImageData` does not read back from the GPU),
 * reads the RGBA pixels and swizzles them with codec's `rgbaToBgra` straight into the
 * payload area of a new frame buffer: one pixel copy, no intermediate array.
 */
import { Codec, encodeFrameInto, HEADER_BYTES } from '../../codec/index.ts';
import { rgbaToBgra } from '../../codec/index.ts';
import { drawCover } from './capture.ts';
import type { CaptureTick, EncodedFrame, EncodeParams, FrameEncoder } from './index.ts';

export class BgraEncoder implements FrameEncoder {
  readonly codec = 'bgra';
  #canvas: HTMLCanvasElement | OffscreenCanvas | undefined;
  #ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | undefined;
  #closed = false;

  async encode(tick: CaptureTick, params: EncodeParams): Promise<EncodedFrame> {
    if (this.#closed) throw new Error('encoder closed');
    const started = performance.now();
    const { width, height } = params;
    const { canvas, ctx } = this.#surface(width, height);
    drawCover(ctx, tick, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const bytes = new Uint8Array(HEADER_BYTES + width * height * 4);
    const payload = rgbaToBgra(rgba, bytes.subarray(HEADER_BYTES));
    const header = { codec: Codec.bgra, width, height, seq: params.seq, captureTime: params.captureTime };
    // NOTE: the payload already sits at offset 40; encodeFrameInto writes the header and its
    // (same-place) payload copy is a plain memmove.
    encodeFrameInto({ ...header, payload }, bytes, 0);
    return { bytes, header, canvas, encodeMs: performance.now() - started };
  }

  close(): void {
    this.#closed = true;
    this.#canvas = undefined;
    this.#ctx = undefined;
  }

  #surface(width: number, height: number): {
    canvas: HTMLCanvasElement | OffscreenCanvas;
    ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  } {
    if (this.#canvas === undefined || this.#ctx === undefined) {
      this.#canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : document.createElement('canvas');
      const ctx = this.#canvas.getContext('2d', { willReadFrequently: true, alpha: false }) as
        | CanvasRenderingContext2D
        | OffscreenCanvasRenderingContext2D
        | null;
      if (ctx === null) throw new Error('2D canvas context unavailable');
      this.#ctx = ctx;
    }
    if (this.#canvas.width !== width) this.#canvas.width = width;
    if (this.#canvas.height !== height) this.#canvas.height = height;
    return { canvas: this.#canvas, ctx: this.#ctx };
  }
}

/**
 * Stage 2 (BGRA) — draws the tick into a 2D canvas created with `willReadFrequently`
 * (keeps the bitmap in CPU memory, so `getImageData` does not read back from the GPU),
 * reads the RGBA pixels and swizzles them with codec's `rgbaToBgra` straight into the
 * payload area of a new frame buffer: one pixel copy, no intermediate array.
 */
import { Codec, encodeFrameInto, HEADER_BYTES } from '../../codec/index.ts';
import { rgbaToBgra } from '../../codec/index.ts';
import { DrawSurface } from './draw-surface.ts';
import type { CaptureTick, EncodedFrame, EncodeParams, FrameEncoder } from './index.ts';

export class BgraEncoder implements FrameEncoder {
  readonly codec = 'bgra';
  readonly #surface = new DrawSurface({ offscreen: typeof OffscreenCanvas === 'function', willReadFrequently: true });
  #closed = false;

  async encode(tick: CaptureTick, params: EncodeParams): Promise<EncodedFrame> {
    if (this.#closed) throw new Error('encoder closed');
    const started = performance.now();
    const { width, height } = params;
    const { canvas, ctx } = this.#surface.draw(tick, width, height);
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
    this.#surface.close();
  }
}

/**
 * Stage 2 (JPEG) — draws the tick into a canvas at the send resolution and compresses it
 * with the browser's JPEG encoder, then frames the file with codec/.
 * Three encoder entry points exist; `method` picks one (docs/architecture.md has the measurement):
 * `OffscreenCanvas.convertToBlob` ('offscreen'), `HTMLCanvasElement.toBlob` ('canvas') and the
 * synchronous `HTMLCanvasElement.toDataURL` ('dataurl').
 * NOTE: Chromium runs the async blob encoders in idle periods: in a busy call page they took
 * 13 ms p50 with stalls up to ~700 ms for a 640×480 frame, toDataURL 1.9 ms p50 (latency bench,
 * docs/architecture.md); hence 'dataurl' is the default.
 */
import { Codec, encodeFrame } from '../../codec/index.ts';
import { DrawSurface } from './draw-surface.ts';
import type { CaptureTick, EncodedFrame, EncodeParams, FrameEncoder } from './index.ts';

/** Options of `JpegEncoder`. */
export interface JpegEncoderOptions {
  /** Which browser API compresses. Default `DEFAULT_JPEG_METHOD` ('dataurl'). */
  method?: 'offscreen' | 'canvas' | 'dataurl';
}

export const DEFAULT_JPEG_METHOD: 'offscreen' | 'canvas' | 'dataurl' = 'dataurl';

export class JpegEncoder implements FrameEncoder {
  readonly codec = 'jpeg';
  readonly method: 'offscreen' | 'canvas' | 'dataurl';
  readonly #surface: DrawSurface;
  #closed = false;

  constructor(options: JpegEncoderOptions = {}) {
    const wanted = options.method ?? DEFAULT_JPEG_METHOD;
    this.method = wanted === 'offscreen' && typeof OffscreenCanvas !== 'function' ? 'canvas' : wanted;
    this.#surface = new DrawSurface({ offscreen: this.method === 'offscreen' });
  }

  async encode(tick: CaptureTick, params: EncodeParams): Promise<EncodedFrame> {
    if (this.#closed) throw new Error('encoder closed');
    const started = performance.now();
    const { canvas } = this.#surface.draw(tick, params.width, params.height);
    const quality = Math.min(100, Math.max(1, params.quality)) / 100;
    let payload: Uint8Array;
    if (canvas instanceof HTMLCanvasElement && this.method === 'dataurl') {
      payload = base64Bytes(canvas.toDataURL('image/jpeg', quality));
    } else {
      const blob =
        canvas instanceof HTMLCanvasElement
          ? await new Promise<Blob>((resolve, reject) =>
              canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob returned null'))), 'image/jpeg', quality),
            )
          : await canvas.convertToBlob({ type: 'image/jpeg', quality });
      payload = new Uint8Array(await blob.arrayBuffer());
    }
    const header = { codec: Codec.jpeg, width: params.width, height: params.height, seq: params.seq, captureTime: params.captureTime };
    const bytes = encodeFrame({ ...header, payload });
    return { bytes, header, canvas, encodeMs: performance.now() - started };
  }

  close(): void {
    this.#closed = true;
    this.#surface.close();
  }
}

/** The bytes of a `data:…;base64,` URL. */
function base64Bytes(dataUrl: string): Uint8Array {
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array }).fromBase64;
  if (fromBase64) return fromBase64.call(Uint8Array, base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

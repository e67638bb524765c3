/**
 * Stage 2 helper — the 2D canvas an encoder draws each tick into at the send resolution.
 * Created on first use, then reused: only its width/height follow the frame size.
 * Shared by `encode-jpeg.ts` and `encode-bgra.ts`.
 */
import { drawCover } from './capture.ts';
import type { CaptureTick } from './index.ts';

export type DrawCanvas = HTMLCanvasElement | OffscreenCanvas;
export type DrawContext = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Options of `DrawSurface`. */
export interface DrawSurfaceOptions {
  /** Draw into an `OffscreenCanvas` (true) or a detached `<canvas>` element (false). */
  offscreen: boolean;
  /**
   * Create the 2D context with `willReadFrequently` (keeps the bitmap in CPU memory, so
   * `getImageData` does not read back from the GPU). Default false.
   */
  willReadFrequently?: boolean;
}

export class DrawSurface {
  readonly #offscreen: boolean;
  readonly #willReadFrequently: boolean;
  #canvas: DrawCanvas | undefined;
  #ctx: DrawContext | undefined;

  constructor(options: DrawSurfaceOptions) {
    this.#offscreen = options.offscreen;
    this.#willReadFrequently = options.willReadFrequently ?? false;
  }

  /** Draws `tick` scaled to cover width×height px (centre crop); returns the canvas and its context. */
  draw(tick: CaptureTick, width: number, height: number): { canvas: DrawCanvas; ctx: DrawContext } {
    if (this.#canvas === undefined || this.#ctx === undefined) {
      this.#canvas = this.#offscreen ? new OffscreenCanvas(width, height) : document.createElement('canvas');
      const attributes = this.#willReadFrequently ? { willReadFrequently: true, alpha: false } : { alpha: false };
      const ctx = this.#canvas.getContext('2d', attributes) as DrawContext | null;
      if (ctx === null) throw new Error('2D canvas context unavailable');
      this.#ctx = ctx;
    }
    if (this.#canvas.width !== width) this.#canvas.width = width;
    if (this.#canvas.height !== height) this.#canvas.height = height;
    drawCover(this.#ctx, tick, width, height);
    return { canvas: this.#canvas, ctx: this.#ctx };
  }

  /** Drops the canvas (the next `draw` makes a new one). Safe to call twice. */
  close(): void {
    this.#canvas = undefined;
    this.#ctx = undefined;
  }
}

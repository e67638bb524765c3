/**
 * Stage 5 — paint. A `Painter` owns one `<canvas>` (a remote tile) and draws decoded
 * pictures into it, resizing the canvas to the frame size (CSS scales it to the tile).
 * - `Canvas2DPainter`: `drawImage(bitmap)` / `putImageData`.
 * - `WebGLPainter`: uploads BGRA bytes as an RGBA texture and swizzles in the fragment
 *   shader (`.bgra`), so the CPU never touches the pixels; JPEG bitmaps upload directly.
 * docs/architecture.md has the measurement that picks the default.
 */
import type { DecodedImage, Painter } from './index.ts';

export type PainterKind = 'canvas2d' | 'webgl';
export const DEFAULT_PAINTER: PainterKind = 'canvas2d';

/** Creates a painter of `kind` on a new canvas; falls back to 2D when WebGL is unavailable. */
export function createPainter(kind: PainterKind = DEFAULT_PAINTER): Painter {
  if (kind === 'webgl') {
    const painter = WebGLPainter.create();
    if (painter !== undefined) return painter;
  }
  return new Canvas2DPainter();
}

export class Canvas2DPainter implements Painter {
  readonly kind = 'canvas2d';
  readonly bgraInput = 'imagedata';
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #closed = false;

  constructor(canvas: HTMLCanvasElement = document.createElement('canvas')) {
    this.canvas = canvas;
    const ctx = canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new Error('2D canvas context unavailable');
    this.#ctx = ctx;
  }

  paint(image: DecodedImage): void {
    if (this.#closed) {
      if (image.kind === 'bitmap') image.bitmap.close();
      return;
    }
    resize(this.canvas, image.width, image.height);
    switch (image.kind) {
      case 'bitmap':
        this.#ctx.drawImage(image.bitmap, 0, 0);
        image.bitmap.close();
        break;
      case 'imagedata':
        this.#ctx.putImageData(image.data, 0, 0);
        break;
      case 'bgra':
        throw new TypeError('Canvas2DPainter needs BGRA decoded to ImageData');
    }
  }

  close(): void {
    this.#closed = true;
  }
}

const VERTEX = `
attribute vec2 p;
varying vec2 uv;
void main() { uv = vec2((p.x + 1.0) * 0.5, (1.0 - p.y) * 0.5); gl_Position = vec4(p, 0.0, 1.0); }`;
const FRAGMENT = `
precision mediump float;
uniform sampler2D tex;
uniform bool swizzle;
varying vec2 uv;
void main() { vec4 c = texture2D(tex, uv); gl_FragColor = swizzle ? vec4(c.b, c.g, c.r, 1.0) : vec4(c.rgb, 1.0); }`;

export class WebGLPainter implements Painter {
  readonly kind = 'webgl';
  readonly bgraInput = 'bgra';
  readonly canvas: HTMLCanvasElement;
  readonly #gl: WebGLRenderingContext;
  readonly #swizzle: WebGLUniformLocation;
  #closed = false;

  /** A WebGL painter, or undefined when the browser has no WebGL. */
  static create(canvas: HTMLCanvasElement = document.createElement('canvas')): WebGLPainter | undefined {
    const gl = canvas.getContext('webgl', { alpha: false, antialias: false, preserveDrawingBuffer: true });
    if (gl === null) return undefined;
    return new WebGLPainter(canvas, gl);
  }

  private constructor(canvas: HTMLCanvasElement, gl: WebGLRenderingContext) {
    this.canvas = canvas;
    this.#gl = gl;
    const program = gl.createProgram();
    for (const [type, source] of [
      [gl.VERTEX_SHADER, VERTEX],
      [gl.FRAGMENT_SHADER, FRAGMENT],
    ] as const) {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
      gl.attachShader(program, shader);
    }
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(program)}`);
    gl.useProgram(program);
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const p = gl.getAttribLocation(program, 'p');
    gl.enableVertexAttribArray(p);
    gl.vertexAttribPointer(p, 2, gl.FLOAT, false, 0, 0);
    gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    this.#swizzle = gl.getUniformLocation(program, 'swizzle')!;
  }

  paint(image: DecodedImage): void {
    if (this.#closed) {
      if (image.kind === 'bitmap') image.bitmap.close();
      return;
    }
    const gl = this.#gl;
    resize(this.canvas, image.width, image.height);
    gl.viewport(0, 0, image.width, image.height);
    switch (image.kind) {
      case 'bitmap':
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, image.bitmap);
        image.bitmap.close();
        gl.uniform1i(this.#swizzle, 0);
        break;
      case 'imagedata':
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, image.data);
        gl.uniform1i(this.#swizzle, 0);
        break;
      case 'bgra':
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, image.width, image.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, image.pixels);
        gl.uniform1i(this.#swizzle, 1);
        break;
    }
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

function resize(canvas: HTMLCanvasElement, width: number, height: number): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
}

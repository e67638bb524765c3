/**
 * The latency harness's capture source: a canvas that shows the camera (or synthetic
 * content when there is none) with a frame-id strip drawn over its top, and remembers when
 * it drew each id. The same canvas feeds both paths: raw modes read it through the normal
 * capture → encode pipeline; WebRTC sends `canvas.captureStream()`.
 *
 * Two drawing clocks, so neither path waits on a stale picture:
 * - on demand: the raw pipeline's capture tick calls `captureTime()`, which draws a fresh
 *   picture right then and returns its instant (like a camera frame arriving on the tick);
 * - a timer at `fps` for `captureStream()` (WebRTC), paused while on-demand draws arrive.
 */
import type { CaptureSource } from '../pipeline/index.ts';
import { frameIdCells, frameIdLayout, nextFrameId, DEFAULT_STRIP_FRACTION } from './frame-id.ts';
import { sceneTexture, sensorNoise } from './harness-texture.ts';
import { epochNow, type LatencyRecorder } from './latency-recorder.ts';

/** Default width and height of the harness canvas, px. */
export const DEFAULT_HARNESS_WIDTH = 640;
export const DEFAULT_HARNESS_HEIGHT = 480;
/** Default timer draw rate, pictures per second. */
export const DEFAULT_HARNESS_FPS = 30;
/** The timer stays paused this long after an on-demand draw, ms. */
export const ON_DEMAND_HOLD_MS = 1000;
/** How far the synthetic scene pans (px, each way): the texture is this much larger than the canvas. */
const PAN_PX = 48;
/** Side of the per-frame sensor-grain tile, px. */
const GRAIN_TILE_PX = 96;

/** Options of `HarnessSource`. */
export interface HarnessSourceOptions {
  /** Where capture instants are recorded. Required. */
  recorder: LatencyRecorder;
  /** Canvas width, px. Default 640. */
  width?: number;
  /** Canvas height, px. Default 480. */
  height?: number;
  /** Timer draws per second (the WebRTC path's frame rate), 1..120. Default 30. */
  fps?: number;
  /** Camera drawn under the strip; synthetic content when null or not ready. Default null. */
  camera?: CaptureSource | null;
  /** Strip height as a fraction of the canvas height. Default 0.1. */
  stripFraction?: number;
  /** Synthetic content textured like a camera picture (≈ 36 KB at q70, 640×480), or flat (≈ 8 KB: the picture of earlier benches, for like-for-like comparisons). Default true. */
  textured?: boolean;
}

export class HarnessSource implements CaptureSource {
  readonly kind = 'harness';
  readonly canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #recorder: LatencyRecorder;
  readonly #camera: CaptureSource | null;
  readonly #stripFraction: number;
  readonly #textured: boolean;
  #fps: number;
  #stream: MediaStream | null = null;
  #nextId = 0;
  #lastCaptureTime: number | undefined;
  #lastOnDemand = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextDue = 0;
  /** The static scene under the synthetic picture (made on first use). */
  #scene: HTMLCanvasElement | undefined;
  #grain: HTMLCanvasElement | undefined;
  #closed = false;

  constructor(options: HarnessSourceOptions) {
    const width = options.width ?? DEFAULT_HARNESS_WIDTH;
    const height = options.height ?? DEFAULT_HARNESS_HEIGHT;
    const fps = options.fps ?? DEFAULT_HARNESS_FPS;
    if (!(width >= 26 && height >= 10)) throw new TypeError(`harness canvas too small [width:${width}, height:${height}]`);
    if (!(fps >= 1 && fps <= 120)) throw new TypeError(`harness fps must be in [1, 120] [fps:${fps}]`);
    this.#recorder = options.recorder;
    this.#camera = options.camera ?? null;
    this.#stripFraction = options.stripFraction ?? DEFAULT_STRIP_FRACTION;
    this.#textured = options.textured ?? true;
    this.#fps = fps;
    this.canvas = document.createElement('canvas');
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new Error('harness: no 2D canvas context');
    this.#ctx = ctx;
    this.draw();
    this.#nextDue = performance.now();
    this.#loop();
  }

  get image(): CanvasImageSource {
    return this.canvas;
  }

  get width(): number {
    return this.canvas.width;
  }

  get height(): number {
    return this.canvas.height;
  }

  get ready(): boolean {
    return !this.#closed;
  }

  /** `canvas.captureStream()`: a new frame whenever the canvas is redrawn. Created on first use. */
  get stream(): MediaStream | null {
    if (this.#closed) return null;
    this.#stream ??= this.canvas.captureStream();
    return this.#stream;
  }

  /** Draws a fresh picture now and returns its capture instant (ms since the epoch). */
  captureTime(): number | undefined {
    if (this.#closed) return this.#lastCaptureTime;
    this.#lastOnDemand = performance.now();
    return this.draw();
  }

  /** Changes the timer's draw rate. */
  setFps(fps: number): void {
    if (fps >= 1 && fps <= 120) this.#fps = fps;
  }

  setEnabled(enabled: boolean): void {
    this.#camera?.setEnabled?.(enabled);
  }

  /** Draws the next picture with the next id; returns its capture instant. */
  draw(): number {
    const ctx = this.#ctx;
    const { width, height } = this.canvas;
    const camera = this.#camera;
    if (camera !== null && camera.ready !== false && camera.width > 0 && camera.height > 0) {
      ctx.drawImage(camera.image, 0, 0, width, height);
    } else {
      this.#drawSynthetic(width, height, this.#nextId);
    }
    const id = this.#nextId;
    this.#nextId = nextFrameId(id);
    const cells = frameIdCells(id);
    const rects = frameIdLayout(width, height, { stripFraction: this.#stripFraction });
    for (let i = 0; i < rects.length; i++) {
      const rect = rects[i]!;
      ctx.fillStyle = cells[i] ? '#fff' : '#000';
      ctx.fillRect(rect.x, rect.y, rect.width, rect.height);
    }
    const time = epochNow();
    this.#lastCaptureTime = time;
    this.#recorder.recordCapture(id, time);
    return time;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
  }

  #loop(): void {
    if (this.#closed) return;
    const now = performance.now();
    const interval = 1000 / this.#fps;
    if (now + 1 >= this.#nextDue) {
      this.#nextDue = Math.max(this.#nextDue + interval, now);
      if (now - this.#lastOnDemand > ON_DEMAND_HOLD_MS) this.draw();
    }
    this.#timer = setTimeout(() => this.#loop(), Math.max(0, this.#nextDue - performance.now()));
  }

  /**
   * Content a function of the frame id alone (the thin-link bench redraws it from the id),
   * that costs a codec what a camera picture does (≈ 30–40 KB at q70, 640×480): a textured
   * scene panning slowly (harness-texture.ts), per-frame sensor grain, a tint sliding over
   * it, bars and a ball moving, and the id in text.
   */
  #drawSynthetic(width: number, height: number, t: number): void {
    const ctx = this.#ctx;
    const scene = (): HTMLCanvasElement => (this.#scene ??= pictureCanvas(width + 2 * PAN_PX, height + 2 * PAN_PX, sceneTexture(width + 2 * PAN_PX, height + 2 * PAN_PX)));
    // A slow pan (triangle wave, whole pixels: the same id always lands on the same pixels).
    const pan = (period: number): number => {
      const phase = t % (2 * period);
      return phase < period ? phase : 2 * period - phase;
    };
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = 'source-over';
    if (this.#textured) {
      ctx.drawImage(scene(), -pan(2 * PAN_PX), -pan(PAN_PX) * 2);
    } else {
      ctx.fillStyle = '#202838';
      ctx.fillRect(0, 0, width, height);
    }
    const gradient = ctx.createLinearGradient(0, 0, width, height);
    gradient.addColorStop(0, `hsl(${(t * 2) % 360} 60% 45%)`);
    gradient.addColorStop(1, `hsl(${(t * 2 + 180) % 360} 60% 35%)`);
    ctx.globalAlpha = 0.35;
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, width, height);
    ctx.globalAlpha = 0.8;
    for (let i = 0; i < 8; i++) {
      ctx.fillStyle = `hsl(${i * 45} 70% ${30 + (i % 3) * 15}%)`;
      const x = ((t * (i + 1) * 3) % (width + 80)) - 80;
      ctx.fillRect(x, height * (0.15 + i * 0.1), 80, height * 0.06);
    }
    ctx.globalAlpha = 1;
    ctx.beginPath();
    ctx.fillStyle = '#f5d142';
    ctx.arc(width / 2 + Math.sin(t / 15) * width * 0.3, height / 2 + Math.cos(t / 11) * height * 0.25, height / 10, 0, Math.PI * 2);
    ctx.fill();
    if (this.#textured) {
      // Sensor grain: a tile of noise seeded by the id, laid over everything with 'overlay'.
      const grain = (this.#grain ??= pictureCanvas(GRAIN_TILE_PX, GRAIN_TILE_PX, null));
      grain.getContext('2d')!.putImageData(new ImageData(sensorNoise(GRAIN_TILE_PX, t), GRAIN_TILE_PX, GRAIN_TILE_PX), 0, 0);
      ctx.globalCompositeOperation = 'overlay';
      ctx.fillStyle = ctx.createPattern(grain, 'repeat')!;
      ctx.fillRect(0, 0, width, height);
      ctx.globalCompositeOperation = 'source-over';
    }
    ctx.fillStyle = '#fff';
    ctx.font = `${Math.round(height / 16)}px monospace`;
    ctx.fillText(`harness ${t}`, 10, height - 12);
  }
}

/** A canvas of `width`×`height` holding `pixels` (RGBA), or blank. */
function pictureCanvas(width: number, height: number, pixels: Uint8ClampedArray<ArrayBuffer> | null): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  if (pixels !== null) canvas.getContext('2d')!.putImageData(new ImageData(pixels, width, height), 0, 0);
  return canvas;
}

/**
 * Stage 1 — capture. Opens the camera (`getUserMedia` → a playing `<video>`) and ticks at
 * the chosen frame rate, handing each tick (a picture + its capture instant) to the encoder.
 *
 * Ticks come from `requestVideoFrameCallback` when the source is a video that supports it
 * (one tick per NEW camera picture, thinned to the chosen fps), otherwise — or if no video
 * frame callback arrives within `watchdogMs` — from a drift-corrected timer.
 *
 * Any `CaptureSource` can replace the camera (the latency harness draws its own canvas and
 * supplies the capture instant of each picture it drew).
 */
import { localNow } from '../net/clock-offset.ts';
import { CaptureError, type CaptureSource, type CaptureTick } from './index.ts';

/** Options of `openCamera`. */
export interface CameraOptions {
  /** Ideal capture width, px. Default 640. */
  width?: number;
  /** Ideal capture height, px. Default 480. */
  height?: number;
  /** Ideal camera frame rate. Default 30. */
  frameRate?: number;
  /** The camera to open (`MediaDeviceInfo.deviceId`). Default: the browser's default camera. */
  deviceId?: string;
}

/** Opens the default camera; rejects with `CaptureError` (`denied`, `not-found`, `in-use`, `unsupported`, `failed`). */
export async function openCamera(options: CameraOptions = {}): Promise<CameraSource> {
  const devices = globalThis.navigator?.mediaDevices;
  if (devices?.getUserMedia === undefined) throw CaptureError.unsupported();
  let stream: MediaStream;
  try {
    stream = await devices.getUserMedia({
      audio: false,
      video: {
        width: { ideal: options.width ?? 640 },
        height: { ideal: options.height ?? 480 },
        frameRate: { ideal: options.frameRate ?? 30 },
        ...(options.deviceId === undefined ? {} : { deviceId: { exact: options.deviceId } }),
      },
    });
  } catch (error) {
    throw CaptureError.fromMediaError(error);
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.autoplay = true;
  video.srcObject = stream;
  try {
    await video.play();
  } catch {
    // NOTE: play() can reject when the element is not attached yet; the first frame still arrives.
  }
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) {
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      video.addEventListener('loadeddata', done, { once: true });
      setTimeout(done, 3000);
    });
  }
  return new CameraSource(stream, video);
}

/** The camera as a capture source: a muted, playing `<video>` on a `MediaStream`. */
export class CameraSource implements CaptureSource {
  readonly kind = 'camera';
  readonly stream: MediaStream;
  readonly video: HTMLVideoElement;
  #closed = false;

  constructor(stream: MediaStream, video: HTMLVideoElement) {
    this.stream = stream;
    this.video = video;
  }

  get image(): CanvasImageSource {
    return this.video;
  }

  get width(): number {
    return this.video.videoWidth;
  }

  get height(): number {
    return this.video.videoHeight;
  }

  get ready(): boolean {
    return !this.#closed && this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && this.video.videoWidth > 0;
  }

  /** Turns the camera track on/off without releasing it. */
  setEnabled(enabled: boolean): void {
    for (const track of this.stream.getVideoTracks()) track.enabled = enabled;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const track of this.stream.getTracks()) track.stop();
    this.video.srcObject = null;
  }
}

/** Options of `Capture`. */
export interface CaptureOptions {
  /** Ticks per second, > 0. Default `DEFAULT_CAPTURE_FPS` (15). */
  fps?: number;
  /** 'auto' uses `requestVideoFrameCallback` when possible; 'timer' always the timer. Default 'auto'. */
  clock?: 'auto' | 'timer';
  /** Fall back to the timer when no video frame callback arrives within this many ms. Default `DEFAULT_CAPTURE_WATCHDOG_MS` (1000). */
  watchdogMs?: number;
}

export const DEFAULT_CAPTURE_FPS = 15;
export const DEFAULT_CAPTURE_WATCHDOG_MS = 1000;

type VideoWithCallback = HTMLVideoElement & {
  requestVideoFrameCallback(cb: (now: number, meta: { expectedDisplayTime: number; captureTime?: number }) => void): number;
  cancelVideoFrameCallback(handle: number): void;
};

/** The capture loop: calls `onTick` at up to `fps` with the source's current picture. */
export class Capture {
  #source: CaptureSource;
  #fps: number;
  readonly #onTick: (tick: CaptureTick) => void;
  readonly #clockMode: 'auto' | 'timer';
  readonly #watchdogMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #rvfcHandle: number | undefined;
  #nextDue = 0;
  #running = false;
  #usingVideoClock = false;

  constructor(source: CaptureSource, onTick: (tick: CaptureTick) => void, options: CaptureOptions = {}) {
    this.#source = source;
    this.#onTick = onTick;
    this.#fps = checkFps(options.fps ?? DEFAULT_CAPTURE_FPS);
    this.#clockMode = options.clock ?? 'auto';
    this.#watchdogMs = options.watchdogMs ?? DEFAULT_CAPTURE_WATCHDOG_MS;
  }

  /** 'video-frame-callback' or 'timer' — what currently drives the ticks. */
  get clock(): 'video-frame-callback' | 'timer' {
    return this.#usingVideoClock ? 'video-frame-callback' : 'timer';
  }

  get source(): CaptureSource {
    return this.#source;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#nextDue = performance.now();
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#cancel();
  }

  setFps(fps: number): void {
    this.#fps = checkFps(fps);
  }

  /** Swaps the source (keeps running if it was). */
  setSource(source: CaptureSource): void {
    this.#source = source;
    if (this.#running) {
      this.#cancel();
      this.#schedule();
    }
  }

  close(): void {
    this.stop();
  }

  #schedule(): void {
    const image = this.#source.image;
    const video = image instanceof HTMLVideoElement && 'requestVideoFrameCallback' in image ? (image as VideoWithCallback) : undefined;
    if (this.#clockMode === 'auto' && video !== undefined) {
      this.#usingVideoClock = true;
      const onVideoFrame = (now: number): void => {
        if (!this.#running) return;
        this.#armWatchdog();
        this.#rvfcHandle = video.requestVideoFrameCallback(onVideoFrame);
        // Thin camera frames to the chosen rate; tolerate half a camera frame of jitter.
        const interval = 1000 / this.#fps;
        if (now + 8 >= this.#nextDue) {
          this.#nextDue = Math.max(this.#nextDue + interval, now - interval);
          this.#tick();
        }
      };
      this.#armWatchdog();
      this.#rvfcHandle = video.requestVideoFrameCallback(onVideoFrame);
    } else {
      this.#usingVideoClock = false;
      this.#timerLoop();
    }
  }

  /** No new video frame for `watchdogMs` (hidden element, stalled camera): tick on the timer instead. */
  #armWatchdog(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      if (!this.#running) return;
      this.#cancel();
      this.#usingVideoClock = false;
      this.#timerLoop();
    }, this.#watchdogMs);
  }

  #timerLoop(): void {
    if (!this.#running) return;
    const now = performance.now();
    const interval = 1000 / this.#fps;
    if (now + 1 >= this.#nextDue) {
      // Drift-corrected: the next tick is due one interval after this one was due (never in the past).
      this.#nextDue = Math.max(this.#nextDue + interval, now);
      this.#tick();
    }
    this.#timer = setTimeout(() => this.#timerLoop(), Math.max(0, this.#nextDue - performance.now()));
  }

  #tick(): void {
    const source = this.#source;
    if (source.ready === false) return;
    const width = source.width;
    const height = source.height;
    if (!(width > 0 && height > 0)) return;
    const captureTime = source.captureTime?.() ?? localNow();
    try {
      this.#onTick({ image: source.image, width, height, captureTime });
    } catch (error) {
      console.error('[framewire] capture tick failed', error);
    }
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    this.#timer = undefined;
    this.#watchdog = undefined;
    const image = this.#source.image;
    if (this.#rvfcHandle !== undefined && image instanceof HTMLVideoElement && 'cancelVideoFrameCallback' in image) {
      (image as VideoWithCallback).cancelVideoFrameCallback(this.#rvfcHandle);
    }
    this.#rvfcHandle = undefined;
  }
}

function checkFps(fps: number): number {
  if (!(fps > 0 && fps <= 120)) throw new TypeError(`fps must be in (0, 120] [fps:${fps}]`);
  return fps;
}

/**
 * Draws `tick`'s picture into a `width`×`height` context, cropping ("cover") so the aspect
 * ratio is kept: a 4:3 camera at 1280×720 loses a band top and bottom instead of stretching.
 */
export function drawCover(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  tick: CaptureTick,
  width: number,
  height: number,
): void {
  const sourceAspect = tick.width / tick.height;
  const targetAspect = width / height;
  let sx = 0;
  let sy = 0;
  let sw = tick.width;
  let sh = tick.height;
  if (sourceAspect > targetAspect) {
    sw = tick.height * targetAspect;
    sx = (tick.width - sw) / 2;
  } else if (sourceAspect < targetAspect) {
    sh = tick.width / targetAspect;
    sy = (tick.height - sh) / 2;
  }
  ctx.drawImage(tick.image, sx, sy, sw, sh, 0, 0, width, height);
}

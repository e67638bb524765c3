/**
 * Reads the frame id back from what the receiver actually painted: a tile's paint canvas
 * (raw modes, 2D or WebGL — read in the paint hook, right after the draw) or a `<video>`
 * (WebRTC, on every `requestVideoFrameCallback`). Only the strip is copied, scaled down to a
 * small scratch canvas, so a read costs a few thousand pixels whatever the frame size.
 */
import { CELL_COUNT, DEFAULT_STRIP_FRACTION, readFrameId } from './frame-id.ts';
import type { LatencyRecorder } from './latency-recorder.ts';

/** Scratch strip size: 8 px per cell, 16 px high. */
const SCRATCH_WIDTH = CELL_COUNT * 8;
const SCRATCH_HEIGHT = 16;

/** Copies the top strip of any drawable into a scratch canvas and decodes it. */
export class FrameIdReader {
  readonly #ctx: CanvasRenderingContext2D;
  readonly #stripFraction: number;
  /** Reads that found no valid id (no strip, or a check-code mismatch). */
  misses = 0;

  constructor(stripFraction = DEFAULT_STRIP_FRACTION) {
    const canvas = document.createElement('canvas');
    canvas.width = SCRATCH_WIDTH;
    canvas.height = SCRATCH_HEIGHT;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('frame-id reader: no 2D canvas context');
    this.#ctx = ctx;
    this.#stripFraction = stripFraction;
  }

  /** The id in the top strip of `source` (`width`×`height` px), or null. */
  read(source: CanvasImageSource, width: number, height: number): number | null {
    if (!(width > 0 && height > 0)) return null;
    const stripHeight = Math.max(1, Math.round(height * this.#stripFraction));
    this.#ctx.drawImage(source, 0, 0, width, stripHeight, 0, 0, SCRATCH_WIDTH, SCRATCH_HEIGHT);
    const pixels = this.#ctx.getImageData(0, 0, SCRATCH_WIDTH, SCRATCH_HEIGHT).data;
    const id = readFrameId(pixels, SCRATCH_WIDTH, SCRATCH_HEIGHT, { stripFraction: 1 });
    if (id === null) this.misses++;
    return id;
  }
}

type VideoFrameMetadataLike = {
  presentationTime: number;
  expectedDisplayTime: number;
  width: number;
  height: number;
  presentedFrames: number;
  /** WebRTC: when the frame's last packet arrived. */
  receiveTime?: number;
};
type VideoWithCallback = HTMLVideoElement & {
  requestVideoFrameCallback(cb: (now: number, meta: VideoFrameMetadataLike) => void): number;
  cancelVideoFrameCallback(handle: number): void;
};

/**
 * Watches a `<video>` (a remote WebRTC stream): for each new frame, reads its id and
 * records it as painted at the frame's `presentationTime` (when it was handed to the
 * compositor), with the frame's packet receive instant for the per-stage breakdown. `close()` is safe to call twice.
 */
export class VideoPaintWatcher {
  readonly video: HTMLVideoElement;
  readonly #reader: FrameIdReader;
  readonly #recorder: LatencyRecorder;
  readonly #peerId: number;
  #handle: number | undefined;
  #closed = false;

  constructor(video: HTMLVideoElement, peerId: number, recorder: LatencyRecorder, reader = new FrameIdReader()) {
    if (!('requestVideoFrameCallback' in video)) throw new Error('requestVideoFrameCallback is not supported by this browser');
    this.video = video;
    this.#peerId = peerId;
    this.#recorder = recorder;
    this.#reader = reader;
    this.#schedule();
  }

  #schedule(): void {
    const video = this.video as VideoWithCallback;
    this.#handle = video.requestVideoFrameCallback((_now, meta) => {
      if (this.#closed) return;
      this.#schedule();
      const id = this.#reader.read(video, meta.width || video.videoWidth, meta.height || video.videoHeight);
      if (id === null) return;
      const origin = performance.timeOrigin;
      const stages = meta.receiveTime !== undefined ? { receiveTime: origin + meta.receiveTime } : undefined;
      this.#recorder.recordPaint(id, origin + meta.presentationTime, this.#peerId, stages);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#handle !== undefined) (this.video as VideoWithCallback).cancelVideoFrameCallback(this.#handle);
  }
}

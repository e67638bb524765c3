/**
 * Latency recording for the harness. The sender notes when it drew each frame id
 * (`recordCapture`); the receiver notes when it painted a frame and which id it read back
 * from the painted pixels (`recordPaint`). Both sides run in one browser, so their clocks
 * (`epochNow()`: `performance.timeOrigin + performance.now()`) agree; `joinLatency` pairs
 * the two logs by id. Bounded: the oldest entries are dropped past `maxEntries`.
 */

/** Default number of entries each log keeps. */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** A frame id drawn by the sender at `captureTime` (ms since the Unix epoch). */
export interface CaptureMark {
  id: number;
  captureTime: number;
}

/** A frame id read back by the receiver from what it painted at `paintTime` (ms since the Unix epoch). */
export interface PaintMark {
  id: number;
  paintTime: number;
  /** The peer whose frame it was (the relay's source id), when known. */
  peerId?: number;
  /** WebRTC only, from `requestVideoFrameCallback` metadata: when the frame's last packet arrived (ms since the epoch). */
  video?: { receiveTime: number };
}

/** One frame that was both captured and painted. */
export interface LatencySample {
  id: number;
  captureTime: number;
  paintTime: number;
  /** paintTime − captureTime, ms. */
  latencyMs: number;
}

/** Options of `LatencyRecorder`. */
export interface LatencyRecorderOptions {
  /** Entries kept per log before the oldest are dropped. Default 100 000. */
  maxEntries?: number;
}

/** Milliseconds since the Unix epoch with sub-millisecond resolution, shared by every page of one browser. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Both halves of the harness's bookkeeping: what was drawn when, what was painted when. */
export class LatencyRecorder {
  readonly #maxEntries: number;
  #captures: CaptureMark[] = [];
  #paints: PaintMark[] = [];
  readonly #captureTimes = new Map<number, number>();

  constructor(options: LatencyRecorderOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`maxEntries must be a positive integer [maxEntries:${max}]`);
    this.#maxEntries = max;
  }

  /** Notes that frame `id` was drawn at `captureTime` (ms since the epoch). */
  recordCapture(id: number, captureTime: number): void {
    this.#captures.push({ id, captureTime });
    this.#captureTimes.set(id, captureTime);
    if (this.#captures.length > this.#maxEntries) {
      const dropped = this.#captures.splice(0, this.#captures.length - this.#maxEntries);
      for (const mark of dropped) if (this.#captureTimes.get(mark.id) === mark.captureTime) this.#captureTimes.delete(mark.id);
    }
  }

  /** When frame `id` was drawn, if this recorder drew it. */
  captureTimeOf(id: number): number | undefined {
    return this.#captureTimes.get(id);
  }

  /** Notes that a frame carrying `id` was painted at `paintTime` (ms since the epoch). */
  recordPaint(id: number, paintTime: number, peerId?: number, video?: PaintMark['video']): void {
    const mark: PaintMark = { id, paintTime };
    if (peerId !== undefined) mark.peerId = peerId;
    if (video !== undefined) mark.video = video;
    this.#paints.push(mark);
    if (this.#paints.length > this.#maxEntries) this.#paints.splice(0, this.#paints.length - this.#maxEntries);
  }

  /** Copies of the capture log, oldest first. */
  captures(): CaptureMark[] {
    return [...this.#captures];
  }

  /** Copies of the paint log, oldest first. */
  paints(): PaintMark[] {
    return [...this.#paints];
  }

  /** Forgets everything (e.g. after a warm-up). */
  clear(): void {
    this.#captures = [];
    this.#paints = [];
    this.#captureTimes.clear();
  }
}

/**
 * Pairs paints with captures by id. Only the first paint of an id counts (a repeated
 * frame is not a new delivery); a paint whose id was never captured, or that precedes its
 * capture (an id reused after wrapping), is ignored. Result in paint order.
 */
export function joinLatency(captures: readonly CaptureMark[], paints: readonly PaintMark[]): LatencySample[] {
  const captureTimes = new Map<number, number>();
  for (const mark of captures) captureTimes.set(mark.id, mark.captureTime);
  const seen = new Set<number>();
  const samples: LatencySample[] = [];
  for (const paint of paints) {
    if (seen.has(paint.id)) continue;
    const captureTime = captureTimes.get(paint.id);
    if (captureTime === undefined || paint.paintTime < captureTime) continue;
    seen.add(paint.id);
    samples.push({ id: paint.id, captureTime, paintTime: paint.paintTime, latencyMs: paint.paintTime - captureTime });
  }
  return samples;
}

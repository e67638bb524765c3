/**
 * The latency harness in one page: the harness canvas as the capture source, the paint-side
 * id reader hooked into the app's paint hook, socket marks for the raw path's hops, and the
 * automation surface `window.framewire.harness` that bench/latency.ts reads.
 *
 * Raw modes: the paint hook hands the tile canvas right after each draw; the id is read
 * from it at once, and the paint instant is the page's next rendering update (when the
 * canvas goes to the compositor). WebRTC: the hook hands the `<video>`; a
 * `VideoPaintWatcher` then reads every new video frame and takes its `presentationTime`
 * (when the frame was handed to the compositor).
 */
import type { CaptureSource } from '../pipeline/index.ts';
import { HarnessSource } from './harness-source.ts';
import type { ReceiveMarks } from './hop-breakdown.ts';
import { epochNow, joinLatency, LatencyRecorder, type CaptureMark, type PaintMark } from './latency-recorder.ts';
import { FrameIdReader, VideoPaintWatcher } from './paint-reader.ts';
import { summarize, type Summary } from '../stats/percentile.ts';
import { SocketMarks, type SocketSendMark } from './socket-marks.ts';

/** The fields the harness adds to `window.framewire` (as `window.framewire.harness`). */
export interface HarnessApi {
  /** Ids this page drew and when (ms since the epoch). */
  captures(): CaptureMark[];
  /** Ids this page read back from painted remote pictures and when. */
  paints(): PaintMark[];
  /** Raw frames this page handed to the socket. */
  sendMarks(): SocketSendMark[];
  /** Raw frames this page received and painted, with header times. */
  receiveMarks(): ReceiveMarks[];
  /** Paints whose strip could not be read. */
  misses(): number;
  /** Latency of this page's own captures painted by this page (a loopback test in one page). */
  summary(): Summary;
  /** Forgets everything recorded so far (after a warm-up). */
  clear(): void;
}

/** Keys of the paint hook's header the harness needs. */
interface PaintHeader {
  seq: number;
  sourceId: number;
  captureTime: number;
  relayTime: number;
}

export class LatencyHarness {
  readonly recorder = new LatencyRecorder();
  readonly socketMarks = new SocketMarks();
  readonly #reader = new FrameIdReader();
  readonly #watchers = new Map<HTMLVideoElement, VideoPaintWatcher>();
  readonly #receive: ReceiveMarks[] = [];
  #source: HarnessSource | undefined;
  #unsubscribe: (() => void)[] = [];
  #closed = false;

  /** Hooks into `window.framewire` and adds `harness` to it. */
  install(api: Record<string, unknown>): void {
    this.socketMarks.install();
    const onPaint = api['onPaint'];
    if (typeof onPaint === 'function') {
      this.#unsubscribe.push(
        (onPaint as (l: (peerId: number, element: HTMLCanvasElement | HTMLVideoElement, header: PaintHeader) => void) => () => void)(
          (peerId, element, header) => this.onPaint(peerId, element, header),
        ),
      );
    }
    const surface: HarnessApi = {
      captures: () => this.recorder.captures(),
      paints: () => this.recorder.paints(),
      sendMarks: () => [...this.socketMarks.sent],
      receiveMarks: () => [...this.#receive],
      misses: () => this.#reader.misses,
      summary: () => summarize(joinLatency(this.recorder.captures(), this.recorder.paints()).map((s) => s.latencyMs)),
      clear: () => this.clear(),
    };
    api['harness'] = surface;
  }

  /** The harness canvas (created once; `camera` is drawn under the strip when present). */
  createSource(camera: CaptureSource | null, settings: { width: number; height: number; fps: number; textured?: boolean }): HarnessSource {
    this.#source?.close();
    this.#source = new HarnessSource({
      recorder: this.recorder,
      camera,
      width: settings.width,
      height: settings.height,
      fps: settings.fps,
      ...(settings.textured === undefined ? {} : { textured: settings.textured }),
    });
    return this.#source;
  }

  /** The paint hook: read the id from what was just painted. */
  onPaint(peerId: number, element: HTMLCanvasElement | HTMLVideoElement, header: PaintHeader): void {
    if (this.#closed) return;
    if (element instanceof HTMLVideoElement) {
      // WebRTC: one watcher per <video>; it reads every new frame at its presentation time.
      if (!this.#watchers.has(element)) this.#watchers.set(element, new VideoPaintWatcher(element, peerId, this.recorder, this.#reader));
      return;
    }
    const id = this.#reader.read(element, element.width, element.height);
    const receivedAt = this.socketMarks.receivedAt(header.sourceId, header.seq, header.captureTime);
    const { seq, sourceId, captureTime, relayTime } = header;
    // NOTE: a canvas drawn now reaches the compositor at the page's next rendering update; the
    // paint instant is taken there, as WebRTC's is the video frame's presentationTime.
    requestAnimationFrame(() => {
      const paintedAt = epochNow();
      if (id !== null) this.recorder.recordPaint(id, paintedAt, peerId);
      if (receivedAt === undefined) return;
      this.#receive.push({ seq, sourceId, captureTime, relayTime, receivedAt, paintedAt });
      if (this.#receive.length > 20_000) this.#receive.splice(0, this.#receive.length - 20_000);
    });
  }

  clear(): void {
    this.recorder.clear();
    this.socketMarks.clear();
    this.#receive.length = 0;
    this.#reader.misses = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.socketMarks.close();
    this.#source?.close();
  }
}

/**
 * A synthetic participant that only receives: joins a room, validates every binary message
 * as a wire frame and reports frames, fps and latency per source. Latency is receive time −
 * capture time, so it is meaningful only when sender and receiver share a clock (one machine,
 * e.g. a loopback demo or a bench). With `transcode`, it asks the relay for JPEG instead of
 * BGRA from every BGRA sender (relay-side transcoding, for a thin link).
 */
import { WebSocket } from 'ws';
import { Codec, codecName, decodeFrame, type Frame } from '../../codec/index.ts';
import { joinUrl, type JoinOptions } from './join-url.ts';
import { percentileOfSorted } from '../../web/stats/percentile.ts';

/** Latency samples kept for percentiles (the newest ones). */
export const DEFAULT_LATENCY_SAMPLES = 10_000;

/** Options of `ReceiverBot`. */
export interface ReceiverBotOptions extends JoinOptions {
  /** Ask the relay to transcode every BGRA sender to JPEG for this bot. Default false. */
  transcode?: boolean;
  /** JPEG quality asked for with `transcode`, 1..100. Default: the relay's. */
  transcodeQuality?: number;
  /** Called with every valid frame (a view of the received message). */
  onFrame?: (frame: Frame) => void;
  /** Called with every control message from the relay (parsed JSON). */
  onControl?: (msg: Record<string, unknown>) => void;
}

/** Per-source counters. */
export interface SourceStats {
  frames: number;
  bytes: number;
  codec: string;
  width: number;
  height: number;
  lastSeq: number;
}

/** What a `ReceiverBot` reports. */
export interface ReceiverReport {
  peerId: number | undefined;
  frames: number;
  bytes: number;
  invalid: number;
  /** Frames per second from the first frame to the last. */
  fps: number;
  latencyMs: { mean: number; p50: number; p95: number; max: number } | null;
  sources: Record<string, SourceStats>;
}

export class ReceiverBot {
  readonly #options: ReceiverBotOptions;
  readonly #ws: WebSocket;
  readonly #sources = new Map<number, SourceStats>();
  readonly #latencies: number[] = [];
  readonly #asked = new Set<number>();
  #peerId: number | undefined;
  #frames = 0;
  #bytes = 0;
  #invalid = 0;
  #first = 0;
  #last = 0;
  #closed: Promise<ReceiverReport> | null = null;
  /** Resolves when the relay sent `welcome`. */
  readonly ready: Promise<number>;

  constructor(options: ReceiverBotOptions) {
    this.#options = options;
    this.#ws = new WebSocket(joinUrl({ ...options, mode: 'jpeg' }));
    this.#ws.binaryType = 'nodebuffer';
    this.ready = new Promise<number>((resolve, reject) => {
      this.#ws.once('error', reject);
      this.#ws.once('close', (code) => reject(new Error(`connection closed before welcome [code:${code}]`)));
      this.#ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) {
          this.#onFrame(data);
          return;
        }
        try {
          const msg = JSON.parse(data.toString()) as Record<string, unknown>;
          if (msg['type'] === 'welcome' && typeof msg['peerId'] === 'number') {
            this.#peerId = msg['peerId'];
            resolve(msg['peerId']);
          }
          this.#options.onControl?.(msg);
        } catch {
          // Not JSON: ignore.
        }
      });
    });
    this.ready.catch(() => undefined);
    this.#ws.on('error', () => undefined);
  }

  /** Peer id from `welcome`. */
  get peerId(): number | undefined {
    return this.#peerId;
  }

  /** Resolves with the next control message from the relay for which `match` is true. */
  nextControl(match: (msg: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ws.off('message', listener);
        reject(new Error(`no matching control message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (data: Buffer, isBinary: boolean): void => {
        if (isBinary) return;
        try {
          const msg = JSON.parse(data.toString()) as Record<string, unknown>;
          if (!match(msg)) return;
          clearTimeout(timer);
          this.#ws.off('message', listener);
          resolve(msg);
        } catch {
          // Not JSON: ignore.
        }
      };
      this.#ws.on('message', listener);
    });
  }

  /** Sends a control message (JSON) to the relay. */
  sendControl(msg: object): void {
    this.#ws.send(JSON.stringify(msg));
  }

  /** Counters and latency so far. */
  report(): ReceiverReport {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const pick = (q: number): number => percentileOfSorted(sorted, q * 100);
    const seconds = (this.#last - this.#first) / 1000;
    return {
      peerId: this.#peerId,
      frames: this.#frames,
      bytes: this.#bytes,
      invalid: this.#invalid,
      fps: this.#frames > 1 && seconds > 0 ? (this.#frames - 1) / seconds : 0,
      latencyMs:
        sorted.length === 0
          ? null
          : {
              mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
              p50: pick(0.5),
              p95: pick(0.95),
              max: sorted[sorted.length - 1]!,
            },
      sources: Object.fromEntries([...this.#sources].map(([id, s]) => [String(id), { ...s }])),
    };
  }

  /** Leaves the room and returns the final report. Safe to call twice. */
  close(): Promise<ReceiverReport> {
    this.#closed ??= new Promise<ReceiverReport>((resolve) => {
      const finish = (): void => resolve(this.report());
      if (this.#ws.readyState === WebSocket.CLOSED) {
        finish();
        return;
      }
      this.#ws.once('close', finish);
      this.#ws.close(1000, 'bot done');
      setTimeout(() => {
        this.#ws.terminate();
        finish();
      }, 2000).unref();
    });
    return this.#closed;
  }

  #onFrame(data: Buffer): void {
    const now = performance.timeOrigin + performance.now();
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      this.#invalid++;
      return;
    }
    if (this.#frames === 0) this.#first = now;
    this.#last = now;
    this.#frames++;
    this.#bytes += data.byteLength;
    if (frame.captureTime > 0) {
      if (this.#latencies.length >= DEFAULT_LATENCY_SAMPLES) this.#latencies.shift();
      this.#latencies.push(now - frame.captureTime);
    }
    let source = this.#sources.get(frame.sourceId);
    if (source === undefined) {
      source = { frames: 0, bytes: 0, codec: '', width: 0, height: 0, lastSeq: 0 };
      this.#sources.set(frame.sourceId, source);
    }
    source.frames++;
    source.bytes += data.byteLength;
    source.codec = codecName(frame.codec) ?? String(frame.codec);
    source.width = frame.width;
    source.height = frame.height;
    source.lastSeq = frame.seq;
    if (this.#options.transcode && frame.codec === Codec.bgra && !this.#asked.has(frame.sourceId)) {
      this.#asked.add(frame.sourceId);
      const quality = this.#options.transcodeQuality;
      this.sendControl({ type: 'transcode', from: frame.sourceId, codec: 'jpeg', ...(quality === undefined ? {} : { quality }) });
    }
    this.#options.onFrame?.(frame);
  }
}

/**
 * A synthetic participant that streams: joins a room over one WebSocket and sends frames
 * from a `VideoSource` (ffmpeg → BGRA), as raw BGRA or as JPEG made with sharp. Paced in
 * Node at `fps` on a drift-free clock; the capture timestamp is taken when a frame is taken
 * from the source. Under backpressure (the previous frame has not left the socket, or the
 * JPEG encoder is still busy) the tick is skipped — frames are never queued.
 */
import { WebSocket } from 'ws';
import { Codec, encodeFrame } from '../../codec/index.ts';
import { bgraToJpeg, checkQuality, DEFAULT_JPEG_QUALITY } from './jpeg.ts';
import { VideoSource, type VideoSourceOptions } from './video-source.ts';
import { joinUrl, type JoinOptions } from './join-url.ts';

/** Bytes allowed in the socket's send buffer when a tick comes; above this the tick is skipped. */
export const DEFAULT_SENDER_MAX_BUFFERED_BYTES = 0;

/** Options of `SenderBot`. */
export interface SenderBotOptions extends JoinOptions, VideoSourceOptions {
  /** What to send: `'jpeg'` (sharp) or `'bgra'` (raw). Default `'jpeg'`. */
  codec?: 'jpeg' | 'bgra';
  /** JPEG quality, 1..100. Default 75. */
  quality?: number;
  /** Stop after this many seconds (0 = run until `close()`). Default 0. */
  seconds?: number;
  /** `bufferedAmount` above which a tick is skipped. Default 0: skip while the last frame has not left. */
  maxBufferedBytes?: number;
}

/** Counters of a `SenderBot`. */
export interface SenderBotStats {
  /** Frames sent. */
  sent: number;
  /** Bytes sent (whole frames). */
  bytes: number;
  /** Ticks skipped because the socket had not sent the previous frame. */
  skippedBackpressure: number;
  /** Ticks skipped because the JPEG encoder was still busy with the previous frame. */
  skippedBusy: number;
  /** Ticks at which ffmpeg had no new frame ready. */
  skippedNoFrame: number;
  /** Seconds from the first tick to the last. */
  elapsedSeconds: number;
}

export class SenderBot {
  readonly #options: SenderBotOptions;
  readonly #ws: WebSocket;
  readonly #source: VideoSource;
  readonly #codec: 'jpeg' | 'bgra';
  readonly #quality: number;
  readonly #stats: SenderBotStats = {
    sent: 0,
    bytes: 0,
    skippedBackpressure: 0,
    skippedBusy: 0,
    skippedNoFrame: 0,
    elapsedSeconds: 0,
  };
  #peerId: number | undefined;
  #seq = 0;
  #busy = false;
  #timer: NodeJS.Timeout | null = null;
  #startedAt = 0;
  #ticks = 0;
  #closed: Promise<SenderBotStats> | null = null;
  readonly #done: Promise<SenderBotStats>;
  #resolveDone!: (stats: SenderBotStats) => void;
  #rejectDone!: (error: Error) => void;

  constructor(options: SenderBotOptions) {
    this.#options = options;
    this.#codec = options.codec ?? 'jpeg';
    if (this.#codec !== 'jpeg' && this.#codec !== 'bgra') throw new TypeError(`codec must be jpeg or bgra [codec:${String(this.#codec)}]`);
    this.#quality = options.quality ?? DEFAULT_JPEG_QUALITY;
    checkQuality(this.#quality);
    this.#done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.#done.catch(() => undefined);
    // Everything that can throw on bad options comes before ffmpeg is spawned.
    const url = joinUrl({ ...options, mode: this.#codec });
    this.#source = new VideoSource(options);
    this.#source.done.catch((error: Error) => this.#fail(error));
    this.#ws = new WebSocket(url);
    this.#ws.binaryType = 'nodebuffer';
    this.#ws.on('error', (error) => this.#fail(error));
    this.#ws.on('close', (code, reason) => {
      if (this.#closed === null) this.#fail(new Error(`relay closed the connection [code:${code}, reason:${reason.toString()}]`));
    });
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(data.toString()) as { type?: string; peerId?: number };
        if (msg.type === 'welcome' && typeof msg.peerId === 'number') this.#peerId = msg.peerId;
      } catch {
        // Not JSON: ignore.
      }
    });
    this.#ws.once('open', () => this.#start());
  }

  /** Peer id from the relay's `welcome`, once received. */
  get peerId(): number | undefined {
    return this.#peerId;
  }

  /** Counters so far. */
  get stats(): Readonly<SenderBotStats> {
    const running = this.#closed === null && this.#startedAt > 0;
    return running ? { ...this.#stats, elapsedSeconds: (performance.now() - this.#startedAt) / 1000 } : { ...this.#stats };
  }

  /** ffmpeg's pid (tests check it is gone after `close()`). */
  get ffmpegPid(): number | undefined {
    return this.#source.pid;
  }

  /** Resolves with the final counters when the bot stops (`seconds` elapsed or `close()`); rejects on a failure. */
  get done(): Promise<SenderBotStats> {
    return this.#done;
  }

  /** Stops sending, leaves the room (close 1000), kills ffmpeg. Safe to call twice. */
  close(): Promise<SenderBotStats> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<SenderBotStats> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#startedAt > 0) this.#stats.elapsedSeconds = (performance.now() - this.#startedAt) / 1000;
    await this.#source.close();
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      await new Promise<void>((resolve) => {
        this.#ws.once('close', () => resolve());
        this.#ws.close(1000, 'bot done');
        setTimeout(() => {
          this.#ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
    const stats = this.stats;
    this.#resolveDone(stats);
    return stats;
  }

  #fail(error: Error): void {
    if (this.#closed !== null) return;
    this.#rejectDone(error);
    void this.close();
  }

  #start(): void {
    this.#startedAt = performance.now();
    const seconds = this.#options.seconds ?? 0;
    if (seconds > 0) setTimeout(() => void this.close(), seconds * 1000).unref();
    this.#schedule();
  }

  #schedule(): void {
    const interval = 1000 / this.#source.fps;
    this.#ticks++;
    const due = this.#startedAt + this.#ticks * interval;
    this.#timer = setTimeout(() => {
      this.#tick();
      if (this.#closed === null) this.#schedule();
    }, Math.max(0, due - performance.now()));
  }

  #tick(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const maxBuffered = this.#options.maxBufferedBytes ?? DEFAULT_SENDER_MAX_BUFFERED_BYTES;
    if (this.#ws.bufferedAmount > maxBuffered) {
      this.#source.take();
      this.#stats.skippedBackpressure++;
      return;
    }
    if (this.#busy) {
      this.#stats.skippedBusy++;
      return;
    }
    const pixels = this.#source.take();
    if (pixels === null) {
      this.#stats.skippedNoFrame++;
      return;
    }
    const captureTime = performance.timeOrigin + performance.now();
    const { width, height } = this.#source;
    if (this.#codec === 'bgra') {
      this.#send(encodeFrame({ codec: Codec.bgra, width, height, payload: pixels, seq: this.#nextSeq(), captureTime }));
      return;
    }
    this.#busy = true;
    bgraToJpeg(pixels, width, height, this.#quality)
      .then((jpeg) => {
        this.#send(encodeFrame({ codec: Codec.jpeg, width, height, payload: jpeg, seq: this.#nextSeq(), captureTime }));
      })
      .catch((error: Error) => this.#fail(error))
      .finally(() => {
        this.#busy = false;
      });
  }

  #nextSeq(): number {
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0;
    return seq;
  }

  #send(bytes: Uint8Array): void {
    if (this.#closed !== null || this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(bytes, { binary: true });
    this.#stats.sent++;
    this.#stats.bytes += bytes.byteLength;
  }
}

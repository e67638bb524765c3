/**
 * A synthetic participant that streams: joins a room over one WebSocket and sends frames
 * from a `VideoSource` (ffmpeg → BGRA), as raw BGRA or as JPEG made with sharp. Paced in
 * Node at `fps` on a drift-free clock; the capture timestamp is taken when a frame is taken
 * from the source. Under backpressure (the previous frame has not left the socket, or the
 * JPEG encoder is still busy) the tick is skipped — frames are never queued.
 *
 * With `audio` it also sends Opus (an `AudioSource`: a tone in bursts or a file, 48 kHz mono,
 * 20 ms packets), one wire frame per packet, each sent once its last sample is due on the
 * same drift-free clock (one per 20 ms), captureTime = the instant of its first sample.
 * Both streams are stamped on the relay clock (relay-clock.ts) and share one timeline: the
 * source's sample 0 is the instant of the first video tick. Audio and video frames take
 * their seq from one counter (docs/protocol.md › Audio frames).
 */
import { WebSocket } from 'ws';
import { Codec, encodeFrame } from '../../codec/index.ts';
import { bgraToJpeg, checkQuality, DEFAULT_JPEG_QUALITY } from './jpeg.ts';
import { VideoSource, type VideoSourceOptions } from './video-source.ts';
import { AudioSource, type AudioPacket } from './audio-source.ts';
import { joinUrl, type JoinOptions } from './join-url.ts';
import { RelayClock } from './relay-clock.ts';

/** Bytes allowed in the socket's send buffer when a tick comes; above this the tick is skipped. */
export const DEFAULT_SENDER_MAX_BUFFERED_BYTES = 0;
/**
 * Send-buffer bytes above which an audio packet is dropped instead of sent (audio is not
 * skipped for a video frame still in the buffer: 256 KiB ≈ 60 s of 32 kbit/s Opus).
 */
export const DEFAULT_SENDER_MAX_AUDIO_BUFFERED_BYTES = 256 * 1024;
/** An audio packet this late (ms) at the start re-anchors the audio clock instead of a burst. */
const AUDIO_START_SLACK_MS = 40;

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
  /** Also send Opus audio: `'tone'` (1 kHz, 200 ms in every second) or an audio file (looped). Default none (video only). */
  audio?: string;
  /** Opus bitrate with `audio`, bit/s. Default 32000. */
  audioBitrate?: number;
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
  /** Audio frames (Opus packets) sent; 0 without `audio`. */
  audioSent: number;
  /** Bytes of audio frames sent. */
  audioBytes: number;
  /** Audio packets dropped because the socket held more than 256 KiB. */
  audioSkipped: number;
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
    audioSent: 0,
    audioBytes: 0,
    audioSkipped: 0,
  };
  readonly #audio: AudioSource | null;
  readonly #clock: RelayClock;
  /** performance.now() of the audio source's sample 0. */
  #audioAnchor: number | undefined;
  #audioTimer: NodeJS.Timeout | null = null;
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
    this.#audio = options.audio === undefined ? null : new AudioSource({ audio: options.audio, bitrate: options.audioBitrate });
    this.#audio?.done.catch((error: Error) => this.#fail(error));
    this.#ws = new WebSocket(url);
    this.#clock = new RelayClock((msg) => {
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(msg));
    });
    this.#ws.binaryType = 'nodebuffer';
    this.#ws.on('error', (error) => this.#fail(error));
    this.#ws.on('close', (code, reason) => {
      if (this.#closed === null) this.#fail(new Error(`relay closed the connection [code:${code}, reason:${reason.toString()}]`));
    });
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(data.toString()) as Record<string, unknown>;
        if (msg['type'] === 'welcome' && typeof msg['peerId'] === 'number') this.#peerId = msg['peerId'];
        this.#clock.onControl(msg);
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

  /** The audio ffmpeg's pid, with `audio`. */
  get audioFfmpegPid(): number | undefined {
    return this.#audio?.pid;
  }

  /** The relay clock's offset from this process's, ms (0 until the first pong). */
  get clockOffsetMs(): number {
    return this.#clock.offset;
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
    if (this.#audioTimer !== null) clearTimeout(this.#audioTimer);
    this.#audioTimer = null;
    this.#clock.close();
    if (this.#startedAt > 0) this.#stats.elapsedSeconds = (performance.now() - this.#startedAt) / 1000;
    await Promise.all([this.#source.close(), this.#audio?.close()]);
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
    this.#clock.start();
    const seconds = this.#options.seconds ?? 0;
    if (seconds > 0) setTimeout(() => void this.close(), seconds * 1000).unref();
    this.#schedule();
    if (this.#audio !== null) {
      // Sample 0 of the audio is the first video tick's instant: one timeline for both.
      this.#audioAnchor = this.#startedAt + 1000 / this.#source.fps;
      this.#scheduleAudio();
    }
  }

  /** Sends every audio packet whose last sample is due, then sleeps until the next one is. */
  #scheduleAudio(): void {
    const audio = this.#audio!;
    let wait = 5; // no packet ready yet: look again soon
    for (;;) {
      if (this.#closed !== null) return;
      const packet = audio.peek();
      if (packet === null) break;
      const now = performance.now();
      let due = this.#audioDue(packet);
      if (this.#stats.audioSent === 0 && this.#stats.audioSkipped === 0 && now - due > AUDIO_START_SLACK_MS) {
        // ffmpeg was slow to start: move the timeline instead of sending a burst.
        this.#audioAnchor! += now - due;
        due = now;
      }
      if (due > now) {
        wait = due - now;
        break;
      }
      audio.take();
      this.#sendAudio(packet);
    }
    if (audio.ended) return;
    this.#audioTimer = setTimeout(() => this.#scheduleAudio(), Math.max(0, wait));
  }

  /** performance.now() at which `packet` is complete (its last sample captured). */
  #audioDue(packet: AudioPacket): number {
    return this.#audioAnchor! + ((packet.startSample + packet.samples) * 1000) / this.#audio!.sampleRate;
  }

  #sendAudio(packet: AudioPacket): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (this.#ws.bufferedAmount > DEFAULT_SENDER_MAX_AUDIO_BUFFERED_BYTES) {
      this.#stats.audioSkipped++;
      return;
    }
    const audio = this.#audio!;
    const firstSample = this.#audioAnchor! + (packet.startSample * 1000) / audio.sampleRate;
    const bytes = encodeFrame({
      codec: Codec.opus,
      width: audio.sampleRate,
      height: audio.channels,
      samples: packet.samples,
      payload: packet.data,
      seq: this.#nextSeq(),
      captureTime: this.#clock.fromPerformance(firstSample),
    });
    this.#ws.send(bytes, { binary: true });
    this.#stats.audioSent++;
    this.#stats.audioBytes += bytes.byteLength;
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
    const captureTime = this.#clock.now();
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

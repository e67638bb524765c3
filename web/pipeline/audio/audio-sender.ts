/**
 * The sending half of sound: microphone → capture worklet (20 ms blocks at the context rate,
 * each with the context frame of its first sample) → resample to the wire rate (reframer.ts)
 * → encode (audio-encoders.ts) → one wire frame per packet (audio-packet.ts) → `send`.
 *
 * captureTime = local wall instant of the packet's first sample + `clockOffset()`: the
 * context frame → wall time of processing (context-clock.ts) minus the input latency the
 * track reports (10 ms when it does not).
 */
import { AUDIO_CODECS, AUDIO_FRAME_MS, pickAudioCodec, type AudioCodecName } from './audio-codecs.ts';
import { OpusFrameEncoder, PcmFrameEncoder, type AudioFrameEncoder, type PositionedPacket } from './audio-encoders.ts';
import { encodeAudioPacket } from './audio-packet.ts';
import { ContextClock } from './context-clock.ts';
import { LevelMeter } from './level-meter.ts';
import { Reframer } from './reframer.ts';
import { createCaptureNode, loadAudioWorklets } from './worklets.ts';
import { type CaptureCommand, type CapturedBlock } from './worklet-messages.ts';

/** Input latency assumed when the track does not report one, ms. */
export const DEFAULT_INPUT_LATENCY_MS = 10;

/** What the link answered to one frame. */
export type SendResult = 'sent' | 'busy' | 'offline';

/** Options of `AudioSender.create`. */
export interface AudioSenderOptions {
  /** The page's context (48 kHz normally; other rates are resampled). */
  context: AudioContext;
  /** The microphone. */
  stream: MediaStream;
  /** Sends one wire frame; 'busy'/'offline' → not sent (counted). */
  send: (bytes: Uint8Array) => SendResult;
  /** The sender's ONE frame counter (video shares it): called once per frame. */
  nextSeq: () => number;
  /** Relay clock − local wall clock, ms. */
  clockOffset: () => number;
  /** Default 'auto' (`pickAudioCodec`). */
  codec?: 'auto' | AudioCodecName;
}

/** Counters of an `AudioSender`. */
export interface AudioSenderStats {
  codec: AudioCodecName;
  /** Frames the link took. */
  packets: number;
  /** Their bytes (whole frames). */
  bytes: number;
  /** Frames the link refused (busy, offline). */
  notSent: number;
  muted: boolean;
  /** Encoder errors. */
  errors: number;
}

/** See the module doc. */
export class AudioSender {
  readonly codec: AudioCodecName;
  readonly #context: AudioContext;
  readonly #options: AudioSenderOptions;
  readonly #clock: ContextClock;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #node: AudioWorkletNode;
  readonly #sink: GainNode;
  readonly #reframer: Reframer;
  readonly #meter: LevelMeter;
  readonly #inputLatencyMs: number;
  #encoder: AudioFrameEncoder | null = null;
  #muted = false;
  #closed = false;
  #packets = 0;
  #bytes = 0;
  #notSent = 0;
  #errors = 0;

  private constructor(options: AudioSenderOptions, codec: AudioCodecName) {
    const context = options.context;
    this.codec = codec;
    this.#context = context;
    this.#options = options;
    this.#clock = ContextClock.of(context);
    const entry = AUDIO_CODECS[codec];
    this.#reframer = new Reframer({ inRate: context.sampleRate, outRate: entry.sampleRate, frameSamples: entry.frameSamples });
    this.#meter = new LevelMeter(context.sampleRate);
    const settings = options.stream.getAudioTracks()[0]?.getSettings() as { latency?: unknown } | undefined;
    const latency = settings?.latency; // Chrome reports it (s); not in TypeScript's DOM types
    this.#inputLatencyMs = typeof latency === 'number' && latency >= 0 && latency < 1 ? latency * 1000 : DEFAULT_INPUT_LATENCY_MS;
    this.#source = context.createMediaStreamSource(options.stream);
    this.#node = createCaptureNode(context, Math.round((context.sampleRate * AUDIO_FRAME_MS) / 1000));
    // The node outputs silence; connected so that the graph pulls it.
    this.#sink = context.createGain();
    this.#sink.gain.value = 0;
    this.#source.connect(this.#node);
    this.#node.connect(this.#sink);
    this.#sink.connect(context.destination);
    this.#node.port.onmessage = (event: MessageEvent<CapturedBlock>) => this.#block(event.data);
  }

  /** Loads the worklets, picks the codec, starts capturing. Rejects with `AudioPipelineError`. */
  static async create(options: AudioSenderOptions): Promise<AudioSender> {
    await loadAudioWorklets(options.context);
    const codec = options.codec === undefined || options.codec === 'auto' ? await pickAudioCodec() : options.codec;
    const sender = new AudioSender(options, codec);
    const sink = { packet: (packet: PositionedPacket) => sender.#packet(packet), error: () => sender.#errors++ };
    try {
      sender.#encoder = codec === 'opus' ? await OpusFrameEncoder.create(sink) : new PcmFrameEncoder(sink);
    } catch (error) {
      sender.close();
      throw error;
    }
    return sender;
  }

  #block(block: CapturedBlock): void {
    if (this.#closed) return;
    try {
      if (this.#muted) {
        this.#meter.silence(block.samples.length);
        return;
      }
      this.#meter.feedMeanSquare(block.meanSquare, block.samples.length);
      for (const frame of this.#reframer.push(block.samples, block.startFrame)) this.#encoder?.encode(frame.samples, frame.position);
    } catch {
      this.#errors++;
    } finally {
      const recycle: CaptureCommand = { type: 'recycle', samples: block.samples };
      this.#node.port.postMessage(recycle, [block.samples.buffer]);
    }
  }

  #packet(packet: PositionedPacket): void {
    if (this.#closed || this.#muted) return;
    const options = this.#options;
    const wall = this.#clock.renderedWall(packet.position / this.#context.sampleRate) - this.#inputLatencyMs;
    let bytes: Uint8Array;
    try {
      bytes = encodeAudioPacket(packet, { seq: options.nextSeq(), captureTime: wall + options.clockOffset() });
    } catch {
      this.#errors++;
      return;
    }
    if (options.send(bytes) === 'sent') {
      this.#packets++;
      this.#bytes += bytes.byteLength;
    } else {
      this.#notSent++;
    }
  }

  /** Muted: no packets at all, level 0 (the microphone stays open). */
  setMuted(muted: boolean): void {
    if (muted === this.#muted) return;
    this.#muted = muted;
    this.#reframer.reset();
    if (muted) {
      this.#meter.reset();
      this.#encoder?.reset();
    }
  }

  /** Loudness of the last ~100 ms captured, 0..1 (0 while muted). */
  level(): number {
    return this.#muted ? 0 : this.#meter.level;
  }

  stats(): AudioSenderStats {
    return { codec: this.codec, packets: this.#packets, bytes: this.#bytes, notSent: this.#notSent, muted: this.#muted, errors: this.#errors };
  }

  /** Stops capturing (the stream's tracks are the caller's). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder?.close();
    const close: CaptureCommand = { type: 'close' };
    this.#node.port.postMessage(close);
    this.#node.port.onmessage = null;
    this.#source.disconnect();
    this.#node.disconnect();
    this.#sink.disconnect();
  }
}

/**
 * The receiving half of sound: wire frames (opus or pcm) per source → decode
 * (audio-decoders.ts) → that source's player worklet (player-processor.ts: an adaptive
 * jitter buffer, jitter-buffer.ts) → its output node → `context.destination`.
 *
 * The player's state (level, stats, the capture time of the sample playing) is polled every
 * 50 ms, so `level`, `playoutDelayMs` and `stats` answer synchronously.
 */
import type { Frame } from '../../../codec/index.ts';
import type { PeerAudioFigures } from '../../stats/call-stats.ts';
import { audioCodecById, type AudioCodecName } from './audio-codecs.ts';
import { SourceDecoder, type DecodedAudio } from './audio-decoders.ts';
import { ContextClock } from './context-clock.ts';
import type { JitterBufferOptions } from './jitter-buffer.ts';
import { loadAudioWorklets } from './worklets.ts';
import { PLAYER_PROCESSOR, type PlayerCommand, type PlayerStatus } from './worklet-messages.ts';

/** How often each player is asked for its state, ms. */
export const STATUS_INTERVAL_MS = 50;

/** Options of `AudioReceiver.create`. */
export interface AudioReceiverOptions {
  /** The page's context; everything plays to its destination. */
  context: AudioContext;
  /** Relay clock − local wall clock, ms. */
  clockOffset: () => number;
  /** Jitter buffer tuning (defaults: target 20–200 ms). */
  jitterBuffer?: Omit<JitterBufferOptions, 'sampleRate'>;
}

/** One source's counters and playout state: what the stats show of it (`PeerAudioFigures`), and more. */
export interface AudioSourceStats extends PeerAudioFigures {
  codec: AudioCodecName;
  /** Current buffering over the fastest path (steered to `targetMs`), ms. */
  levelMs: number;
  /** Late frames played after stepping back. */
  rewound: number;
  /** Frames that failed to decode. */
  decodeErrors: number;
}

interface Source {
  readonly node: AudioWorkletNode;
  readonly decoder: SourceDecoder;
  codec: AudioCodecName;
  decodeErrors: number;
  status: PlayerStatus | null;
}

/** See the module doc. */
export class AudioReceiver {
  readonly #context: AudioContext;
  readonly #options: AudioReceiverOptions;
  readonly #clock: ContextClock;
  readonly #sources = new Map<number, Source>();
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;

  private constructor(options: AudioReceiverOptions) {
    this.#context = options.context;
    this.#options = options;
    this.#clock = ContextClock.of(options.context);
    this.#timer = setInterval(() => this.#poll(), STATUS_INTERVAL_MS);
  }

  /** Loads the worklets. Rejects with `AudioPipelineError`. */
  static async create(options: AudioReceiverOptions): Promise<AudioReceiver> {
    await loadAudioWorklets(options.context);
    return new AudioReceiver(options);
  }

  /** A decoded wire frame (opus or pcm) from `frame.sourceId`: decodes and plays it. Never throws. */
  push(frame: Frame): void {
    if (this.#closed) return;
    const entry = audioCodecById(frame.codec);
    if (entry === undefined) return;
    try {
      const source = this.#sources.get(frame.sourceId) ?? this.#add(frame.sourceId, entry.name);
      source.codec = entry.name;
      source.decoder.decode(frame);
    } catch {
      // Only a closed/failed context gets here; the frame is lost.
    }
  }

  #add(sourceId: number, codec: AudioCodecName): Source {
    const node = new AudioWorkletNode(this.#context, PLAYER_PROCESSOR, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: this.#options.jitterBuffer ?? {},
    });
    node.connect(this.#context.destination);
    const source: Source = {
      node,
      codec,
      decodeErrors: 0,
      status: null,
      decoder: new SourceDecoder(this.#context.sampleRate, {
        audio: (chunk: DecodedAudio) => {
          const command: PlayerCommand = { type: 'frame', captureMs: chunk.captureMs, samples: chunk.samples };
          node.port.postMessage(command, [chunk.samples.buffer]);
        },
        error: () => source.decodeErrors++,
      }),
    };
    node.port.onmessage = (event: MessageEvent<PlayerStatus>) => {
      source.status = event.data;
    };
    this.#sources.set(sourceId, source);
    return source;
  }

  #poll(): void {
    const command: PlayerCommand = { type: 'status' };
    for (const source of this.#sources.values()) source.node.port.postMessage(command);
  }

  /** Stops playing `sourceId` and forgets it. */
  remove(sourceId: number): void {
    const source = this.#sources.get(sourceId);
    if (source === undefined) return;
    this.#sources.delete(sourceId);
    source.decoder.close();
    const close: PlayerCommand = { type: 'close' };
    source.node.port.postMessage(close);
    source.node.port.onmessage = null;
    source.node.disconnect();
  }

  /** The node carrying `sourceId`'s playout (mono), for taps and meters; null before its first frame. */
  output(sourceId: number): AudioNode | null {
    return this.#sources.get(sourceId)?.node ?? null;
  }

  /** Loudness of `sourceId` as heard now, 0..1, or null when there is no audio from it. */
  level(sourceId: number): number | null {
    const status = this.#sources.get(sourceId)?.status;
    return status === undefined || status === null || !status.playing ? null : status.level;
  }

  /**
   * Mouth-to-ear on the relay clock: (local wall now + clockOffset) − capture time of the
   * sample heard now, ms; null before `sourceId` played anything.
   */
  playoutDelayMs(sourceId: number): number | null {
    const status = this.#sources.get(sourceId)?.status;
    if (status === undefined || status === null || !status.playing || status.blockCaptureMs === null) return null;
    // The sample rendered at blockFrame is heard at heardWall(blockFrame); playing at 1×, the
    // delay is the same for the sample heard now.
    const heard = this.#clock.heardWall(status.blockFrame / this.#context.sampleRate);
    return heard + this.#options.clockOffset() - status.blockCaptureMs;
  }

  stats(sourceId: number): AudioSourceStats | null {
    const source = this.#sources.get(sourceId);
    if (source === undefined) return null;
    const s = source.status?.stats;
    return {
      codec: source.codec,
      packets: s?.packets ?? 0,
      lost: s?.lost ?? 0,
      late: s?.late ?? 0,
      concealedMs: s?.concealedMs ?? 0,
      jitterMs: s?.jitterMs ?? 0,
      targetMs: s?.targetMs ?? 0,
      bufferMs: s?.bufferMs ?? 0,
      delayMs: this.playoutDelayMs(sourceId),
      levelMs: s?.levelMs ?? 0,
      rewound: s?.rewound ?? 0,
      decodeErrors: source.decodeErrors,
    };
  }

  /** Stops every source. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const id of [...this.#sources.keys()]) this.remove(id);
  }
}

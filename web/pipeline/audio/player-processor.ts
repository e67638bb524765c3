/**
 * AudioWorklet processor that plays ONE source through its `JitterBuffer` (jitter-buffer.ts).
 * Frames and status requests arrive as messages, handled outside `process()`; `process()`
 * only pulls from preallocated buffers (no allocation). Loaded with `audioWorklet.addModule`.
 */
import { JitterBuffer, type JitterBufferOptions } from './jitter-buffer.ts';
import { LevelMeter } from './level-meter.ts';
import { workletScope } from './worklet-scope.ts';
import { PLAYER_PROCESSOR, type PlayerCommand, type PlayerStatus } from './worklet-messages.ts';

const scope = workletScope();

class PlayerProcessor extends scope.AudioWorkletProcessor {
  readonly #buffer: JitterBuffer;
  readonly #meter: LevelMeter;
  #blockFrame = 0;
  #blockCaptureMs: number | null = null;
  #closed = false;

  constructor(options?: AudioWorkletNodeOptions) {
    super(options);
    const o = (options?.processorOptions ?? {}) as Omit<JitterBufferOptions, 'sampleRate'>;
    this.#buffer = new JitterBuffer({ ...o, sampleRate: scope.sampleRate });
    this.#meter = new LevelMeter(scope.sampleRate);
    this.port.onmessage = (event: MessageEvent<PlayerCommand>) => this.#handle(event.data);
  }

  #handle(command: PlayerCommand): void {
    switch (command.type) {
      case 'frame':
        this.#buffer.push(command.captureMs, command.samples, scope.currentTime * 1000);
        break;
      case 'status': {
        const status: PlayerStatus = {
          type: 'status',
          blockFrame: this.#blockFrame,
          blockCaptureMs: this.#blockCaptureMs,
          playing: this.#buffer.playing,
          level: this.#meter.level,
          stats: this.#buffer.stats(),
        };
        this.port.postMessage(status);
        break;
      }
      case 'close':
        this.#closed = true;
        break;
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    if (this.#closed) return false;
    const channels = outputs[0];
    const out = channels?.[0];
    if (channels === undefined || out === undefined) return true;
    const frame = scope.currentFrame;
    this.#blockFrame = frame;
    this.#blockCaptureMs = this.#buffer.playoutCaptureMs();
    this.#buffer.pull(out, (frame / scope.sampleRate) * 1000);
    this.#meter.feed(out);
    for (let c = 1; c < channels.length; c++) channels[c]!.set(out);
    return true;
  }
}

scope.registerProcessor(PLAYER_PROCESSOR, PlayerProcessor);

/**
 * AudioWorklet processor that cuts its input into mono blocks (the sender's 20 ms frames,
 * or a tap's chunks) and posts each with the context frame of its first sample. Blocks come
 * from a transfer pool that the main thread refills (`recycle`); a dry pool allocates.
 * Loaded with `audioWorklet.addModule` (see worklets.ts).
 */
import { workletScope } from './worklet-scope.ts';
import { CAPTURE_PROCESSOR, type CaptureCommand, type CaptureProcessorOptions, type CapturedBlock } from './worklet-messages.ts';

const scope = workletScope();

class CaptureProcessor extends scope.AudioWorkletProcessor {
  readonly #blockSamples: number;
  readonly #pool: Float32Array[] = [];
  #block: Float32Array;
  #filled = 0;
  #startFrame = 0;
  #sumSquares = 0;
  #closed = false;

  constructor(options?: AudioWorkletNodeOptions) {
    super(options);
    const o = options?.processorOptions as CaptureProcessorOptions;
    this.#blockSamples = o.blockSamples;
    for (let i = 0; i < (o.poolSize ?? 16); i++) this.#pool.push(new Float32Array(this.#blockSamples));
    this.#block = this.#take();
    this.port.onmessage = (event: MessageEvent<CaptureCommand>) => {
      const command = event.data;
      if (command.type === 'recycle') {
        if (command.samples.length === this.#blockSamples) this.#pool.push(command.samples);
      } else if (command.type === 'close') {
        this.#closed = true;
      }
    };
  }

  #take(): Float32Array {
    return this.#pool.pop() ?? new Float32Array(this.#blockSamples);
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.#closed) return false;
    const channels = inputs[0] ?? [];
    const frames = channels[0]?.length ?? 128;
    const frame0 = scope.currentFrame;
    for (let i = 0; i < frames; i++) {
      let v = 0;
      for (let c = 0; c < channels.length; c++) v += channels[c]![i]!;
      if (channels.length > 1) v /= channels.length;
      if (this.#filled === 0) this.#startFrame = frame0 + i;
      this.#block[this.#filled++] = v;
      this.#sumSquares += v * v;
      if (this.#filled === this.#blockSamples) {
        const message: CapturedBlock = {
          type: 'block',
          startFrame: this.#startFrame,
          samples: this.#block,
          meanSquare: this.#sumSquares / this.#blockSamples,
        };
        this.port.postMessage(message, [this.#block.buffer]);
        this.#block = this.#take();
        this.#filled = 0;
        this.#sumSquares = 0;
      }
    }
    return true;
  }
}

scope.registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);

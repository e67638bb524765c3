/**
 * Sample-rate conversion with positions carried through: mono chunks in (each with the
 * position of its first sample, in INPUT samples on any timeline), chunks out at the output
 * rate with the input position of their first sample (the filter delay included), cut into
 * frames of `frameSamples` when asked. A chunk that does not continue the previous one
 * (position off by more than `toleranceSamples`) restarts the stream. Pure: no DOM.
 *
 * The sender uses it context rate → 48 kHz / 16 kHz in 20 ms frames (positions: context
 * frames); the receiver 16 kHz / 48 kHz → context rate (positions: capture time × rate).
 */
import { Resampler } from './resampler.ts';

/** A chunk of output: `samples` at the output rate, samples[0] at INPUT position `position`. */
export interface TimedChunk {
  samples: Float32Array;
  position: number;
}

/** Options of `Reframer`. */
export interface ReframerOptions {
  inRate: number;
  outRate: number;
  /** Output frame length, samples at the output rate; 0 = emit whatever each push converts. Default 0. */
  frameSamples?: number;
  /** How far a chunk may start from where the previous ended and still continue it, input samples. Default 0.5. */
  toleranceSamples?: number;
}

/** See the module doc. */
export class Reframer {
  readonly #resampler: Resampler | null;
  readonly #frameSamples: number;
  readonly #tolerance: number;
  #started = false;
  #expected = 0;
  /** Input position of the first input sample since the last restart. */
  #segment = 0;
  /** Output samples since the last restart (identity: input samples). */
  #outCount = 0;
  #pending: Float32Array;
  #pendingFilled = 0;
  #pendingStart = 0;

  constructor(options: ReframerOptions) {
    this.#resampler = options.inRate === options.outRate ? null : new Resampler(options.inRate, options.outRate);
    this.#frameSamples = options.frameSamples ?? 0;
    if (!Number.isInteger(this.#frameSamples) || this.#frameSamples < 0) throw new TypeError(`frameSamples must be an integer ≥ 0 [frameSamples:${this.#frameSamples}]`);
    this.#tolerance = options.toleranceSamples ?? 0.5;
    this.#pending = new Float32Array(this.#frameSamples);
  }

  /** Filter delay, output samples (0 without conversion). */
  get delayOutput(): number {
    return this.#resampler?.delayOutput ?? 0;
  }

  /** Forgets the stream: the next push starts a new one. */
  reset(): void {
    this.#started = false;
  }

  /** Feeds a chunk whose first sample is at input position `position`; returns the chunks/frames completed. */
  push(samples: Float32Array, position: number): TimedChunk[] {
    if (!this.#started || Math.abs(position - this.#expected) > this.#tolerance) {
      this.#started = true;
      this.#segment = position;
      this.#outCount = 0;
      this.#pendingFilled = 0;
      this.#resampler?.reset();
    }
    this.#expected = position + samples.length;
    const converted = this.#resampler === null ? samples : this.#resampler.process(samples);
    const first = this.#outCount;
    this.#outCount += converted.length;
    if (this.#frameSamples === 0) {
      return converted.length === 0 ? [] : [{ samples: converted, position: this.#positionOf(first) }];
    }
    const frames: TimedChunk[] = [];
    let offset = 0;
    while (offset < converted.length) {
      if (this.#pendingFilled === 0) this.#pendingStart = first + offset;
      const take = Math.min(this.#frameSamples - this.#pendingFilled, converted.length - offset);
      this.#pending.set(converted.subarray(offset, offset + take), this.#pendingFilled);
      this.#pendingFilled += take;
      offset += take;
      if (this.#pendingFilled === this.#frameSamples) {
        frames.push({ samples: this.#pending, position: this.#positionOf(this.#pendingStart) });
        this.#pending = new Float32Array(this.#frameSamples);
        this.#pendingFilled = 0;
      }
    }
    return frames;
  }

  #positionOf(outputIndex: number): number {
    return this.#segment + (this.#resampler === null ? outputIndex : this.#resampler.inputPosition(outputIndex));
  }
}

/**
 * A streaming sample-rate converter: polyphase windowed-sinc FIR (Kaiser, ~80 dB stopband),
 * any rational ratio (48000→16000, 16000→48000, 44100→48000, …). Pure: no DOM, no Node.
 *
 * Output sample `n` (counted since construction or `reset()`) sits at input position
 * `inputPosition(n)` (fractional input samples since then): the filter's group delay is
 * included, so callers can carry capture times through the conversion exactly.
 */

/** Options of `Resampler`. */
export interface ResamplerOptions {
  /** Passband edge as a fraction of the lower Nyquist frequency. Default 0.8 (48k→16k: flat to 6.4 kHz, stopband from 8 kHz). */
  passband?: number;
  /** Kaiser window β. Default 8 (≈ 80 dB stopband). */
  beta?: number;
}

const DEFAULT_PASSBAND = 0.8;
const DEFAULT_BETA = 8;
/** Stopband attenuation the filter length is chosen for, dB (matches β = 8). */
const STOPBAND_DB = 80;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (Kaiser window). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Converts a mono stream from `inRate` to `outRate`, chunk by chunk, keeping the filter state between chunks. */
export class Resampler {
  /** Input rate, Hz. */
  readonly inRate: number;
  /** Output rate, Hz. */
  readonly outRate: number;
  /** Group delay of the filter, in INPUT samples. */
  readonly delayInput: number;
  readonly #up: number;
  readonly #down: number;
  /** Taps per phase. */
  readonly #taps: number;
  /** Coefficients, phase-major: phase p, tap k at `p * taps + k` (tap k multiplies x[i − k]). */
  readonly #coefs: Float32Array;
  /** The last `taps − 1` input samples (oldest first). */
  #history: Float32Array;
  #inCount = 0;
  #outCount = 0;

  constructor(inRate: number, outRate: number, options: ResamplerOptions = {}) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new TypeError(`sample rates must be positive integers [in:${inRate}, out:${outRate}]`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.#up = outRate / g;
    this.#down = inRate / g;
    const up = this.#up;
    const larger = Math.max(up, this.#down);
    const passband = options.passband ?? DEFAULT_PASSBAND;
    const beta = options.beta ?? DEFAULT_BETA;
    // In cycles per sample of the upsampled (in × up) stream: passband edge .. Nyquist of the lower rate.
    const edge = (0.5 * passband) / larger;
    const stop = 0.5 / larger;
    const cutoff = (edge + stop) / 2;
    const transition = stop - edge;
    const length = Math.ceil((STOPBAND_DB - 8) / (2.285 * 2 * Math.PI * transition)) | 1; // Kaiser's estimate: (A − 8)/(2.285·Δω)
    this.#taps = Math.ceil(length / up);
    const total = this.#taps * up;
    const center = (total - 1) / 2;
    const i0Beta = besselI0(beta);
    this.#coefs = new Float32Array(total);
    for (let m = 0; m < total; m++) {
      const t = m - center;
      const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
      const r = t / (center + 0.5);
      const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
      // Polyphase: upsampled tap m = k·up + phase.
      const phase = m % up;
      const k = (m - phase) / up;
      this.#coefs[phase * this.#taps + k] = up * sinc * window;
    }
    this.delayInput = center / up;
    this.#history = new Float32Array(this.#taps - 1);
  }

  /** Output samples produced so far (since construction or `reset()`). */
  get outputCount(): number {
    return this.#outCount;
  }

  /** Input samples consumed so far. */
  get inputCount(): number {
    return this.#inCount;
  }

  /** Group delay in OUTPUT samples. */
  get delayOutput(): number {
    return (this.delayInput * this.outRate) / this.inRate;
  }

  /** Input position (fractional, input samples since construction or `reset()`) of output sample `n`, group delay included. */
  inputPosition(n: number): number {
    return (n * this.#down) / this.#up - this.delayInput;
  }

  /** Forgets the stream (history zeroed, counters back to 0). */
  reset(): void {
    this.#history.fill(0);
    this.#inCount = 0;
    this.#outCount = 0;
  }

  /** Feeds `input` and returns the output samples it completes (a new array; length varies by ±1 with the ratio). */
  process(input: Float32Array): Float32Array {
    const taps = this.#taps;
    const up = this.#up;
    const down = this.#down;
    const keep = taps - 1;
    // x[j] = global input sample (base + j); base = inCount − keep.
    const x = new Float32Array(keep + input.length);
    x.set(this.#history, 0);
    x.set(input, keep);
    const base = this.#inCount - keep;
    const inEnd = this.#inCount + input.length; // exclusive
    // Outputs n with floor(n·down/up) < inEnd.
    const lastN = Math.floor((inEnd * up - 1) / down);
    const count = Math.max(0, lastN - this.#outCount + 1);
    const out = new Float32Array(count);
    const coefs = this.#coefs;
    for (let o = 0; o < count; o++) {
      const t = (this.#outCount + o) * down;
      const i = Math.floor(t / up);
      const phase = t - i * up;
      const c = phase * taps;
      let j = i - base;
      let acc = 0;
      for (let k = 0; k < taps; k++, j--) acc += coefs[c + k]! * x[j]!;
      out[o] = acc;
    }
    this.#outCount += count;
    this.#inCount = inEnd;
    this.#history = x.slice(x.length - keep);
    return out;
  }
}

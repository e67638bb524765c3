/** PCM payloads (s16le) and the 48 kHz ⇄ 16 kHz resampling of the PCM fallback. */
import { describe, expect, it } from 'vitest';
import { floatToS16le, s16leToFloat } from './pcm.ts';
import { Reframer } from './reframer.ts';
import { Resampler } from './resampler.ts';

function sine(rate: number, hz: number, seconds: number, amplitude: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Frequency from interpolated upward zero crossings. */
function frequency(samples: Float32Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 0; i + 1 < samples.length; i++) {
    const a = samples[i]!;
    const b = samples[i + 1]!;
    if (a <= 0 && b > 0) crossings.push(i + a / (a - b));
  }
  return ((crossings.length - 1) * rate) / (crossings.at(-1)! - crossings[0]!);
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

describe('s16le', () => {
  it('writes little-endian signed 16-bit, clipping at ±1', () => {
    const bytes = floatToS16le(new Float32Array([0, 1, -1, 0.5, 2, -2]));
    // 0 → 00 00; 1 → 7F FF as FF 7F; −1 → −32768 as 00 80; 0.5 → 16384 as 00 40 (0x3FFF.8 rounds up); clipped.
    expect([...bytes]).toEqual([0x00, 0x00, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x40, 0xff, 0x7f, 0x00, 0x80]);
  });

  it('round-trips within two steps and averages interleaved channels', () => {
    const input = sine(16000, 440, 0.05, 0.7);
    const back = s16leToFloat(floatToS16le(input));
    for (let i = 0; i < input.length; i++) expect(Math.abs(back[i]! - input[i]!)).toBeLessThan(2 / 32768);
    const stereo = new Uint8Array([0x00, 0x40, 0x00, 0x00]); // L = 0.5, R = 0
    expect([...s16leToFloat(stereo, 2)]).toEqual([0.25]);
  });
});

describe('Resampler', () => {
  it('48 kHz → 16 kHz → 48 kHz keeps a 440 Hz sine: frequency within 0.5 %, amplitude within 1 dB', () => {
    const input = sine(48000, 440, 1, 0.5);
    const down = new Resampler(48000, 16000);
    const up = new Resampler(16000, 48000);
    // In 20 ms chunks, as the sender and receiver feed it.
    const low: Float32Array[] = [];
    for (let i = 0; i < input.length; i += 960) low.push(down.process(input.subarray(i, i + 960)));
    expect(low.every((chunk) => chunk.length === 320)).toBe(true);
    const lowAll = Float32Array.from(low.flatMap((c) => [...c]));
    const high = Float32Array.from(low.flatMap((c) => [...up.process(c)]));
    expect(high.length).toBe(input.length);
    const settled = (x: Float32Array, rate: number) => x.subarray(Math.round(rate * 0.1), Math.round(rate * 0.9));
    for (const [x, rate] of [[lowAll, 16000], [high, 48000]] as const) {
      expect(Math.abs(frequency(settled(x, rate), rate) - 440)).toBeLessThan(2.2);
      const db = 20 * Math.log10(rms(settled(x, rate)) / (0.5 / Math.SQRT2));
      expect(Math.abs(db)).toBeLessThan(1);
    }
  });

  it('removes what the lower rate cannot carry (10 kHz into 16 kHz: ≥ 60 dB down)', () => {
    const low = new Resampler(48000, 16000).process(sine(48000, 10_000, 0.5, 0.5));
    expect(20 * Math.log10(rms(low.subarray(800)) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('reports the input position of each output sample, group delay included', () => {
    const resampler = new Resampler(48000, 16000);
    // A click at input 4800 comes out at output ≈ (4800 + delay)/3.
    const input = new Float32Array(9600);
    input[4800] = 1;
    const out = resampler.process(input);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]!) > Math.abs(out[peak]!)) peak = i;
    expect(Math.abs(resampler.inputPosition(peak) - 4800)).toBeLessThanOrEqual(3);
  });

  it('rejects non-integer rates', () => {
    expect(() => new Resampler(44100.5, 48000)).toThrow(TypeError);
  });
});

describe('Reframer', () => {
  it('cuts 48 kHz blocks into 20 ms 16 kHz frames whose positions advance by 960 input samples', () => {
    const reframer = new Reframer({ inRate: 48000, outRate: 16000, frameSamples: 320 });
    const frames = [];
    // Blocks of 960 starting at context frame 1000.
    for (let b = 0; b < 10; b++) frames.push(...reframer.push(new Float32Array(960), 1000 + b * 960));
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(frames.every((f) => f.samples.length === 320)).toBe(true);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.position - frames[i - 1]!.position).toBeCloseTo(960, 6);
    expect(frames[0]!.position).toBeCloseTo(1000 - reframer.delayOutput * 3, 6);
  });

  it('restarts on a discontinuity', () => {
    const reframer = new Reframer({ inRate: 48000, outRate: 48000, frameSamples: 960 });
    expect(reframer.push(new Float32Array(960), 0)[0]!.position).toBe(0);
    expect(reframer.push(new Float32Array(960), 5000)[0]!.position).toBe(5000);
  });
});

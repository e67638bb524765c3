import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { burstOnsets, median, pairOnsets, percentile, toneBurstWav, toneFrequency, wavSamples, type Recording } from './tone-analysis.ts';

/** A recording of bursts of `freq` Hz, `burstMs` long, starting at each of `onsetsMs` (relative), with some noise. */
function synth(onsetsMs: number[], seconds: number, freq = 1000, burstMs = 200, startTime = 1_000_000, noise = 0.01): Recording {
  const sampleRate = 48000;
  const samples = new Float32Array(sampleRate * seconds);
  let seed = 7;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    samples[i] = ((seed / 0x7fffffff) * 2 - 1) * noise;
  }
  for (const at of onsetsMs) {
    const from = Math.round((at / 1000) * sampleRate);
    for (let i = 0; i < (burstMs / 1000) * sampleRate && from + i < samples.length; i++) samples[from + i]! += 0.4 * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  }
  return { sampleRate, startTime, samples };
}

describe('tone analysis', () => {
  it('finds burst onsets within a window and the tone frequency', () => {
    const rec = synth([150, 1150, 2150, 3150], 4);
    const onsets = burstOnsets(rec).map((t) => t - rec.startTime);
    expect(onsets).toHaveLength(4);
    onsets.forEach((t, i) => expect(Math.abs(t - (150 + 1000 * i))).toBeLessThanOrEqual(10));
    expect(toneFrequency(rec)!).toBeGreaterThan(990);
    expect(toneFrequency(rec)!).toBeLessThan(1010);
    expect(toneFrequency(synth([100], 1, 440))!).toBeCloseTo(440, -1);
  });

  it('ignores a burst cut by the start of the recording, and finds nothing in silence', () => {
    const rec = synth([-100, 900], 2);
    expect(burstOnsets(rec).map((t) => Math.round((t - rec.startTime) / 10) * 10)).toEqual([900]);
    expect(burstOnsets(synth([], 2))).toEqual([]);
    expect(toneFrequency(synth([], 2))).toBeNull();
  });

  it('is not fooled by short blips in the quiet or a dip inside a burst', () => {
    const rec = synth([150, 1150, 2150], 3);
    const at = (ms: number): number => Math.round((ms / 1000) * rec.sampleRate);
    // A 10 ms click just before the second burst (it used to hide that burst), and a 15 ms
    // hole in the middle of the third (it used to be a second onset or none).
    for (let i = at(1100); i < at(1110); i++) rec.samples[i] = 0.4 * Math.sin(i);
    rec.samples.fill(0, at(2220), at(2235));
    const onsets = burstOnsets(rec).map((t) => t - rec.startTime);
    expect(onsets).toHaveLength(3);
    onsets.forEach((t, i) => expect(Math.abs(t - (150 + 1000 * i))).toBeLessThanOrEqual(10));
  });

  it('pairs each heard onset with the latest captured one before it', () => {
    expect(pairOnsets([0, 1000, 2000], [80, 1090, 2500], 400)).toEqual([80, 90]);
    expect(median([3, 1, 2])).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(median([])).toBeNaN();
  });

  it('makes a WAV of bursts with the bundled ffmpeg', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fw-tone-'));
    try {
      const path = join(dir, 'tone.wav');
      await toneBurstWav(path, { frequency: 1000, periodMs: 1000, burstMs: 200, seconds: 3, amplitude: 0.5 });
      const wav = await readFile(path);
      expect(wav.subarray(0, 4).toString()).toBe('RIFF');
      const samples = wavSamples(wav);
      expect(samples.length).toBe(3 * 48000);
      const rec = { sampleRate: 48000, startTime: 0, samples };
      expect(burstOnsets(rec, 300)).toEqual([1000, 2000]); // the first burst starts the file: not after a gap
      expect(toneFrequency(rec)!).toBeCloseTo(1000, -1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

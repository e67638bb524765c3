/**
 * The audio pipeline in real Chromium: a fake microphone playing 1 kHz tone bursts (200 ms
 * every second, ffmpeg) → AudioSender → wire frames → AudioReceiver in the audio lab page
 * (web/audio-lab.ts), served from dist/web by a relay on loopback. From the two taps'
 * wall clocks: the playout's frequency, its bursts (count, order, spacing) and the
 * mouth-to-ear latency; for Opus and for forced PCM. Run `npx vite build` first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../server/relay.ts';
import { launchChromium, type LaunchedChromium } from '../../../web-node/chromium.ts';
import { startTestRelay } from '../../../web-node/call-page.ts';
import type { AudioLab, TapDump } from '../../audio-lab.ts';

const TONE_HZ = 1000;
const BURST_MS = 200;
const PERIOD_MS = 1000;
const RUN_MS = 8000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Burst onsets (wall ms) of a recording: a 2 ms RMS envelope crossing a tenth of its peak after ≥ 300 ms below. */
function onsets(tap: TapDump): number[] {
  const win = Math.round(tap.sampleRate / 500);
  const env: number[] = [];
  for (let i = 0; i + win <= tap.samples.length; i += win) {
    let sum = 0;
    for (let j = i; j < i + win; j++) sum += tap.samples[j]! ** 2;
    env.push(Math.sqrt(sum / win));
  }
  const peak = Math.max(...env);
  const threshold = peak / 10; // the microphone's auto gain changes the level from burst to burst
  const found: number[] = [];
  let quietSince = 0;
  for (let w = 0; w < env.length; w++) {
    if (env[w]! >= threshold) {
      if ((w - quietSince) * 2 >= 300 || found.length === 0) {
        if (w > 0 || env[0]! < threshold) found.push(tap.startTime + (w * win * 1000) / tap.sampleRate);
      }
      quietSince = w + 1;
    }
  }
  return found.filter((t, i) => i > 0 || t > tap.startTime + 1); // a burst cut by the recording's start has no onset
}

/** Frequency from interpolated zero crossings in the middle 100 ms of each burst. */
function burstFrequency(tap: TapDump, at: number[]): number[] {
  return at.flatMap((onset) => {
    const from = Math.round(((onset - tap.startTime + 50) * tap.sampleRate) / 1000);
    const to = from + Math.round((100 * tap.sampleRate) / 1000);
    if (to >= tap.samples.length) return [];
    const crossings: number[] = [];
    for (let i = from; i < to; i++) {
      const a = tap.samples[i]!;
      const b = tap.samples[i + 1]!;
      if (a <= 0 && b > 0) crossings.push(i + a / (a - b));
    }
    if (crossings.length < 10) return [];
    return [((crossings.length - 1) * tap.sampleRate) / (crossings.at(-1)! - crossings[0]!)];
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe('audio pipeline (fake microphone → sender → receiver, one page)', () => {
  let dir: string;
  let chrome: LaunchedChromium;
  let relay: Relay;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'framewire-audio-'));
    const wav = join(dir, 'bursts.wav');
    // 1 kHz at −12 dBFS for the first 200 ms of every second, silence otherwise; 48 kHz mono s16, 10 s.
    execFileSync(ffmpeg.path, [
      '-v', 'error', '-f', 'lavfi',
      '-i', `aevalsrc='if(lt(mod(t\\,${PERIOD_MS / 1000})\\,${BURST_MS / 1000})\\,0.25*sin(2*PI*${TONE_HZ}*t)\\,0)':s=48000:d=10`,
      '-ac', '1', '-c:a', 'pcm_s16le', '-y', wav,
    ]);
    chrome = await launchChromium({ args: [`--use-file-for-fake-audio-capture=${wav}`] });
    relay = await startTestRelay();
  });

  afterAll(async () => {
    await chrome?.close();
    await relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each([
    { codec: 'opus' as const, jitter: 0 },
    { codec: 'pcm' as const, jitter: 0 },
    { codec: 'opus' as const, jitter: 60 },
  ])('codec $codec, artificial jitter up to $jitter ms', ({ codec, jitter }) => {
    it('plays the bursts at 1 kHz, in order, evenly spaced, under 500 ms mouth-to-ear', async () => {
      const context = await chrome.browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`[audio-lab ${codec}] pageerror`, error));
      page.on('console', (m) => {
        if (m.type() === 'error') console.error(`[audio-lab ${codec}] console.error`, m.text());
      });
      try {
        await page.goto(`${relay.url}/audio-lab.html?codec=${codec}&jitter=${jitter}`);
        const started = await page.evaluate(() => (window as unknown as { audioLab: AudioLab }).audioLab.start());
        console.log(`[audio ${codec} jitter ${jitter}] started`, started);
        expect(started.codec).toBe(codec);
        await sleep(RUN_MS);
        // Stats first: reading the taps stalls the page's main thread (and so the audio arriving).
        const stats = await page.evaluate(() => (window as unknown as { audioLab: AudioLab }).audioLab.stats());
        const { capture, playout } = await page.evaluate(() => (window as unknown as { audioLab: AudioLab }).audioLab.read());

        if (process.env['FW_AUDIO_DUMP']) writeFileSync(join(process.env['FW_AUDIO_DUMP'], `${codec}-${jitter}.json`), JSON.stringify({ capture, playout, stats, sent: await page.evaluate(() => (window as unknown as { audioLab: AudioLab }).audioLab.sent()) }));
        const captureOnsets = onsets(capture);
        const playoutOnsets = onsets(playout);
        const frequencies = burstFrequency(playout, playoutOnsets);
        const latencies = playoutOnsets.flatMap((po) => {
          const co = captureOnsets.filter((c) => c <= po && po - c < 600).at(-1);
          return co === undefined ? [] : [po - co];
        });
        const intervals = playoutOnsets.slice(1).map((t, i) => t - playoutOnsets[i]!);
        const playoutSeconds = playout.samples.length / playout.sampleRate;
        const expectedBursts = Math.floor(playoutSeconds - 0.5);
        console.log(
          `[audio ${codec} jitter ${jitter}] capture ${(capture.samples.length / capture.sampleRate).toFixed(1)} s, ${captureOnsets.length} bursts; ` +
            `playout ${playoutSeconds.toFixed(1)} s, ${playoutOnsets.length} bursts (expected ≥ ${expectedBursts}); ` +
            `frequency median ${median(frequencies).toFixed(1)} Hz [${frequencies.map((f) => f.toFixed(0)).join(' ')}]; ` +
            `intervals ms [${intervals.map((d) => d.toFixed(0)).join(' ')}]`,
        );
        console.log(
          `[audio ${codec} jitter ${jitter}] mouth-to-ear median ${median(latencies).toFixed(1)} ms [${latencies.map((l) => l.toFixed(0)).join(' ')}]; ` +
            `receiver playoutDelayMs ${stats.delayMs?.toFixed(1)}; stats ${JSON.stringify({ sender: stats.sender, receiver: stats.receiver })}`,
        );
        expect(stats.sender.codec).toBe(codec);
        expect(stats.receiver?.codec).toBe(codec);
        expect(playoutOnsets.length).toBeGreaterThanOrEqual(Math.ceil(0.8 * expectedBursts));
        expect(frequencies.length).toBeGreaterThanOrEqual(Math.ceil(0.8 * expectedBursts));
        expect(Math.abs(median(frequencies) - TONE_HZ)).toBeLessThan(0.03 * TONE_HZ);
        // (A burst cut by the recording's start or the buffer's start-up may read off.)
        expect(frequencies.filter((f) => Math.abs(f - TONE_HZ) < 0.03 * TONE_HZ).length).toBeGreaterThanOrEqual(Math.ceil(0.8 * expectedBursts));
        // The first two intervals may include the buffer's start-up convergence (and a start-up
        // stall of the page raising the target); after that, every burst 1 s after the previous.
        for (const d of intervals.slice(2)) expect(Math.abs(d - PERIOD_MS)).toBeLessThan(50);
        for (const d of intervals.slice(0, 2)) expect(Math.abs(d - PERIOD_MS)).toBeLessThan(150);
        expect(latencies.length).toBeGreaterThanOrEqual(Math.ceil(0.8 * expectedBursts));
        expect(median(latencies)).toBeGreaterThan(0);
        expect(median(latencies)).toBeLessThan(500);
        expect(stats.delayMs).not.toBeNull();
        // The receiver's own mouth-to-ear estimate agrees with the taps' measurement.
        // (Stats are read at the end: compare with the last bursts.)
        expect(Math.abs(stats.delayMs! - median(latencies.slice(-3)))).toBeLessThan(30);
        if (jitter > 0) expect(stats.receiver!.targetMs).toBeGreaterThan(jitter * 0.6);
      } finally {
        await context.close();
      }
    });
  });
});

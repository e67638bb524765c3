/**
 * Analysis of recorded sound for the audio tests and benches: a test clip of tone bursts
 * (`toneBurstWav`, made with the bundled ffmpeg) is captured by one page and heard by another;
 * both record what they capture/hear (`framewire.startAudioTap`), and this finds the bursts'
 * onsets in each recording, the tone's frequency, and pairs onsets to give mouth-to-ear
 * latency on the pages' shared wall clock. Pure functions on Float32 samples.
 */
import { spawn } from 'node:child_process';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';

/** A recording as `framewire.readAudioTap` returns it, decoded. */
export interface Recording {
  sampleRate: number;
  /** Local wall clock of samples[0], ms since the epoch. */
  startTime: number;
  samples: Float32Array;
}

/** `framewire.readAudioTap`'s base64 Float32 samples → a `Recording`. */
export function decodeTap(tap: { sampleRate: number; startTime: number; samples: string }): Recording {
  const bytes = Buffer.from(tap.samples, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { sampleRate: tap.sampleRate, startTime: tap.startTime, samples: new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4)) };
}

/** Bursts of the test clip. */
export interface ToneBursts {
  /** Tone frequency, Hz. */
  frequency: number;
  /** One burst every this many ms… */
  periodMs: number;
  /** …lasting this long, ms. */
  burstMs: number;
  /** Clip length, s (Chromium loops the file). */
  seconds: number;
  /** Peak amplitude, 0..1. */
  amplitude: number;
}

export const DEFAULT_BURSTS: ToneBursts = { frequency: 1000, periodMs: 1000, burstMs: 200, seconds: 10, amplitude: 0.5 };

/** Writes a 48 kHz mono 16-bit WAV of tone bursts with the bundled ffmpeg. */
export async function toneBurstWav(path: string, bursts: ToneBursts = DEFAULT_BURSTS): Promise<void> {
  const period = bursts.periodMs / 1000;
  const on = bursts.burstMs / 1000;
  const expr = `if(lt(mod(t\\,${period})\\,${on})\\,${bursts.amplitude}*sin(2*PI*${bursts.frequency}*t)\\,0)`;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=48000:d=${bursts.seconds}`, '-ac', '1', '-c:a', 'pcm_s16le', path];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpegInstaller.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg could not make the test clip [code:${code}]: ${err.trim()}`))));
  });
}

/** The samples of a 16-bit PCM WAV file (its `data` chunk), as floats. */
export function wavSamples(wav: Uint8Array): Float32Array {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  for (let at = 12; at + 8 <= wav.byteLength; ) {
    const id = String.fromCharCode(wav[at]!, wav[at + 1]!, wav[at + 2]!, wav[at + 3]!);
    const size = view.getUint32(at + 4, true);
    if (id === 'data') {
      const count = Math.floor(Math.min(size, wav.byteLength - at - 8) / 2);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(at + 8 + 2 * i, true) / 32768;
      return out;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('not a WAV file: no data chunk');
}

/** Energy envelope: RMS over windows of `windowMs`, one value per window. */
export function envelope(rec: Recording, windowMs = 5): Float32Array {
  const n = Math.max(1, Math.round((rec.sampleRate * windowMs) / 1000));
  const out = new Float32Array(Math.floor(rec.samples.length / n));
  for (let w = 0; w < out.length; w++) {
    let sum = 0;
    for (let i = w * n; i < (w + 1) * n; i++) sum += rec.samples[i]! * rec.samples[i]!;
    out[w] = Math.sqrt(sum / n);
  }
  return out;
}

/**
 * Onsets of bursts: wall-clock times (ms) where the envelope rises above half of its robust
 * peak and stays above a quarter of it for at least `minBurstMs`, at least `minGapMs` after
 * the previous onset. Short blips in the quiet (a concealment click, a crossfade) neither count
 * as bursts nor hide the next one; a burst cut by the recording's start is not an onset.
 * Empty for a silent recording.
 */
export function burstOnsets(rec: Recording, minGapMs = 300, windowMs = 5, minBurstMs = 40): number[] {
  const env = envelope(rec, windowMs);
  if (env.length === 0) return [];
  // The loudness of the bursts: the 90th percentile (bursts are ~20 % of the time), robust to
  // a few loud windows (auto gain control overshooting at the start); else the 99th.
  const sorted = [...env].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(sorted.length * 0.9)]!;
  const peak = p90 > 0.01 ? p90 : sorted[Math.floor(sorted.length * 0.99)]!;
  if (!(peak > 0.01)) return [];
  const high = peak / 2;
  const low = peak / 4;
  const onsets: number[] = [];
  // The window the current loud stretch started in; -1 while quiet. A recording that starts
  // loud starts inside a burst: that stretch is not an onset.
  let from = env[0]! >= low ? -1 : -2;
  const settle = (w: number): void => {
    if (from >= 0 && (w - from) * windowMs >= minBurstMs) {
      const at = rec.startTime + from * windowMs;
      if (onsets.length === 0 || at - onsets.at(-1)! >= minGapMs) onsets.push(at);
    }
  };
  for (let w = 0; w < env.length; w++) {
    const v = env[w]!;
    if (from === -2 && v >= high) from = w;
    else if (from !== -2 && v < low) {
      settle(w);
      from = -2;
    }
  }
  settle(env.length);
  return onsets;
}

/** Dominant frequency of the loud parts (zero crossings in 5 ms windows near the peak loudness), Hz; null if silent. */
export function toneFrequency(rec: Recording): number | null {
  const windowMs = 5;
  const env = envelope(rec, windowMs);
  const n = Math.round((rec.sampleRate * windowMs) / 1000);
  const sorted = [...env].sort((a, b) => a - b);
  const peak = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  if (!(peak > 0.01)) return null;
  let crossings = 0;
  let loudSamples = 0;
  // Only windows wholly inside a burst (an edge window is part noise).
  for (let w = 1; w < env.length; w++) {
    if (env[w]! < peak * 0.8) continue;
    for (let i = w * n; i < (w + 1) * n; i++) {
      if ((rec.samples[i - 1]! < 0) !== (rec.samples[i]! < 0)) crossings++;
    }
    loudSamples += n;
  }
  return loudSamples === 0 ? null : (crossings / 2) * (rec.sampleRate / loudSamples);
}

/**
 * Mouth-to-ear latencies: for each heard onset, the latest captured onset before it (within
 * `maxMs`), ms. Bursts are `periodMs` apart, so a latency is only unambiguous below that.
 */
export function pairOnsets(captured: readonly number[], heard: readonly number[], maxMs: number): number[] {
  const out: number[] = [];
  for (const h of heard) {
    let best: number | undefined;
    for (const c of captured) if (c <= h && h - c <= maxMs && (best === undefined || c > best)) best = c;
    if (best !== undefined) out.push(h - best);
  }
  return out;
}

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`th percentile (nearest rank) of `values` (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

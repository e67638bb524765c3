import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runFfmpeg } from './ffmpeg.ts';
import { AudioSource, audioSourceArgs } from './audio-source.ts';
import { alive } from './test-support/alive.ts';

describe('AudioSource', () => {
  const sources: AudioSource[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('tone: 20 ms Opus packets whose start samples count on from −pre-skip; encodes ahead only up to maxQueuedPackets', async () => {
    const source = new AudioSource({ audio: 'tone', maxQueuedPackets: 10 });
    sources.push(source);
    await expect.poll(() => source.stats.queued, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    // ffmpeg is paused, not encoding an endless tone into memory.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(source.stats.queued).toBeLessThanOrEqual(20);
    expect(source.preSkip).toBe(312);
    const taken = [];
    for (let i = 0; i < 30; i++) {
      await expect.poll(() => source.peek(), { timeout: 5000 }).not.toBeNull();
      taken.push(source.take()!);
    }
    taken.forEach((p, i) => {
      expect(p.samples).toBe(960);
      expect(p.startSample).toBe(i * 960 - 312);
    });
    const pid = source.pid!;
    await source.close();
    await source.close();
    expect(alive(pid)).toBe(false);
  });

  it('a file without loop: all of it, then ended', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fw-audio-'));
    dirs.push(dir);
    const wav = join(dir, 'voice.wav');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1', '-ac', '2', '-y', wav]);
    const source = new AudioSource({ audio: wav, loop: false });
    sources.push(source);
    await source.done;
    let packets = 0;
    while (source.take() !== null) packets++;
    // 1 s resampled to 48 kHz mono, plus the pre-skip, in 20 ms packets.
    expect(packets).toBe(Math.ceil((48000 + 312) / 960));
    expect(source.ended).toBe(true);
  });

  it('libopus at 48 kHz mono, 20 ms, voip, one packet per page on stdout', () => {
    const args = audioSourceArgs('tone', 32000, true);
    expect(args).toEqual(expect.arrayContaining(['-c:a', 'libopus', '-b:a', '32000', '-application', 'voip', '-frame_duration', '20', '-f', 'ogg', 'pipe:1']));
    expect(audioSourceArgs('x.wav', 32000, true).slice(0, 9)).toEqual(['-stream_loop', '-1', '-i', 'x.wav', '-vn', '-ac', '1', '-ar', '48000']);
  });

  it('rejects bad options with a TypeError before spawning ffmpeg', () => {
    expect(() => new AudioSource({ bitrate: 100 })).toThrow(TypeError);
    expect(() => new AudioSource({ audio: '' })).toThrow(TypeError);
    expect(() => new AudioSource({ maxQueuedPackets: 0 })).toThrow(TypeError);
  });
});

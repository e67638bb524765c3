import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Codec, decodeFrame, encodeFrame, type Frame } from '../../codec/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import { bgraToRgba } from '../../codec/index.ts';
import { jpegSize } from './jpeg.ts';
import { ReceiverBot } from './receiver-bot.ts';
import { liveFfmpegPids } from './ffmpeg.ts';
import { SenderBot } from './sender-bot.ts';
import { alive } from './test-support/alive.ts';

/** A plain WebSocket client that joins `room` and collects every binary message as a decoded frame. */
async function joinAndCollect(relay: Relay, room: string): Promise<{ frames: Frame[]; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/ws?room=${room}&name=watcher`);
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) frames.push(decodeFrame(new Uint8Array(data)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary && (JSON.parse(data.toString()) as { type: string }).type === 'welcome') resolve();
    });
    ws.once('error', reject);
  });
  return { frames, ws };
}

describe('SenderBot', () => {
  let relay: Relay | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await relay?.close();
    relay = undefined;
  });

  describe('bot → relay → WebSocket client', () => {
    it('delivers valid JPEG frames of the right size, with real capture times and rising seq', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const { frames, ws } = await joinAndCollect(relay, 'r1');
      cleanups.push(async () => ws.close());
      const before = Date.now();
      const bot = new SenderBot({ url: `ws://127.0.0.1:${relay.port}/ws`, room: 'r1', name: 'jpegbot', codec: 'jpeg', width: 320, height: 240, fps: 15 });
      cleanups.push(() => bot.close());
      await expect.poll(() => frames.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
      const stats = await bot.close();
      expect(stats.sent).toBeGreaterThanOrEqual(5);
      for (const frame of frames) {
        expect(frame.codec).toBe(Codec.jpeg);
        expect([frame.width, frame.height]).toEqual([320, 240]);
        expect(frame.sourceId).toBe(bot.peerId);
        expect(frame.captureTime).toBeGreaterThanOrEqual(before - 1);
        expect(frame.captureTime).toBeLessThanOrEqual(frame.relayTime);
        expect(await jpegSize(frame.payload)).toEqual({ width: 320, height: 240, format: 'jpeg' });
      }
      const seqs = frames.map((f) => f.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    });

    it('delivers raw BGRA frames of exactly w×h×4 bytes showing the test pattern', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const { frames, ws } = await joinAndCollect(relay, 'r2');
      cleanups.push(async () => ws.close());
      const bot = new SenderBot({ url: relay.url, room: 'r2', codec: 'bgra', width: 160, height: 120, fps: 10, seconds: 1 });
      cleanups.push(() => bot.close());
      const stats = await bot.done;
      expect(stats.sent).toBeGreaterThanOrEqual(3);
      await expect.poll(() => frames.length, { timeout: 5000 }).toBe(stats.sent);
      const frame = frames[0]!;
      expect(frame.codec).toBe(Codec.bgra);
      expect(frame.payload.byteLength).toBe(160 * 120 * 4);
      // testsrc is colourful: not one flat colour, and alpha is opaque.
      const rgba = bgraToRgba(frame.payload);
      const colours = new Set<number>();
      for (let i = 0; i < rgba.byteLength; i += 4 * 97) colours.add((rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!);
      expect(colours.size).toBeGreaterThan(4);
      expect(frame.payload[3]).toBe(255);
    });
  });

  describe('receiving bot', () => {
    it('reports frames, fps and latency per source', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const receiver = new ReceiverBot({ url: relay.url, room: 'r3', name: 'rx' });
      cleanups.push(() => receiver.close());
      await receiver.ready;
      const bot = new SenderBot({ url: relay.url, room: 'r3', codec: 'jpeg', width: 160, height: 120, fps: 20, seconds: 1.5 });
      cleanups.push(() => bot.close());
      const sent = await bot.done;
      await expect.poll(() => receiver.report().frames, { timeout: 5000 }).toBe(sent.sent);
      const report = await receiver.close();
      expect(report.invalid).toBe(0);
      expect(report.fps).toBeGreaterThan(0);
      expect(report.latencyMs!.p50).toBeGreaterThan(0);
      expect(report.sources[String(bot.peerId)]).toMatchObject({ frames: sent.sent, codec: 'jpeg', width: 160, height: 120 });
    });
  });

  describe('audio', () => {
    it('--audio tone: one Opus frame per 20 ms at real-time pace, first-sample capture times, seq shared with video', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const { frames, ws } = await joinAndCollect(relay, 'a1');
      cleanups.push(async () => ws.close());
      const arrivals: number[] = [];
      ws.on('message', (_data, isBinary) => {
        if (isBinary) arrivals.push(performance.timeOrigin + performance.now());
      });
      const bot = new SenderBot({ url: relay.url, room: 'a1', codec: 'jpeg', width: 96, height: 64, fps: 10, audio: 'tone', seconds: 3 });
      cleanups.push(() => bot.close());
      const stats = await bot.done;
      await expect.poll(() => frames.length, { timeout: 5000 }).toBe(stats.sent + stats.audioSent);
      const audio = frames.filter((f) => f.codec === Codec.opus);
      const video = frames.filter((f) => f.codec === Codec.jpeg);
      expect(audio.length).toBe(stats.audioSent);
      // 3 s of 20 ms packets (the first ~100 ms go to ffmpeg's start-up).
      expect(audio.length).toBeGreaterThanOrEqual(135);
      expect(audio.length).toBeLessThanOrEqual(151);
      for (const f of audio) expect([f.width, f.height, f.samples, f.sourceId]).toEqual([48000, 1, 960, bot.peerId]);
      // Capture times are continuous: each packet starts where the previous one ended.
      for (let i = 1; i < audio.length; i++) expect(audio[i]!.captureTime - audio[i - 1]!.captureTime).toBeCloseTo(20, 6);
      // Paced, not bursty: sent when complete (captureTime + 20 ms), each within a few ms of it.
      const audioArrivals = arrivals.filter((_, i) => frames[i]!.codec === Codec.opus);
      const lateness = audio.map((f, i) => audioArrivals[i]! - (f.captureTime + 20)).sort((a, b) => a - b);
      expect(lateness[0]).toBeGreaterThanOrEqual(-1);
      expect(lateness[Math.floor(lateness.length / 2)]).toBeLessThan(15);
      // One seq counter for both streams: all distinct, rising in send order, no gaps.
      const seqs = frames.map((f) => f.seq);
      expect(seqs).toEqual(Array.from({ length: frames.length }, (_, i) => i));
      // One timeline: the audio's sample 0 is the first video frame's capture instant.
      const firstSample = audio[0]!.captureTime + 312 / 48;
      expect(Math.abs(firstSample - video[0]!.captureTime)).toBeLessThan(50);
      // Bursts: 200 ms of tone (bigger packets) in every second, silence (tiny packets) between.
      const sizes = audio.map((f) => f.payload.byteLength);
      const loud = sizes.filter((n) => n > 40).length;
      expect(loud / sizes.length).toBeGreaterThan(0.12);
      expect(loud / sizes.length).toBeLessThan(0.3);
    });

    it('a receiving bot reports audio apart from video: packets, none missing, latency', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const receiver = new ReceiverBot({ url: relay.url, room: 'a2', name: 'rx' });
      cleanups.push(() => receiver.close());
      await receiver.ready;
      const bot = new SenderBot({ url: relay.url, room: 'a2', codec: 'jpeg', width: 96, height: 64, fps: 10, audio: 'tone', seconds: 2 });
      cleanups.push(() => bot.close());
      const sent = await bot.done;
      await expect.poll(() => receiver.report().audio?.packets ?? 0, { timeout: 5000 }).toBe(sent.audioSent);
      const report = await receiver.close();
      expect(report.frames).toBe(sent.sent);
      const audio = report.audio!;
      expect(audio.missing).toBe(0);
      expect(audio.lossRatio).toBe(0);
      expect(audio.sources[String(bot.peerId)]).toMatchObject({ packets: sent.audioSent, codec: 'opus', sampleRate: 48000, channels: 1, missing: 0, early: 0 });
      // Arrival − first sample ≥ the packet's 20 ms.
      expect(audio.latencyMs!.p50).toBeGreaterThanOrEqual(19);
      expect(audio.latencyMs!.p95).toBeGreaterThanOrEqual(audio.latencyMs!.p50);
    });

    it('missing audio is found from capture-time continuity, not seq', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const receiver = new ReceiverBot({ url: relay.url, room: 'a3', name: 'rx' });
      cleanups.push(() => receiver.close());
      await receiver.ready;
      const { ws } = await joinAndCollect(relay, 'a3');
      cleanups.push(async () => ws.close());
      const t0 = performance.timeOrigin + performance.now();
      let seq = 0;
      const send = (i: number): void => {
        ws.send(encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload: Uint8Array.of(0x78, 1, 2), seq: seq++, captureTime: t0 + i * 20 }));
        // A video frame between audio frames: seq goes up with no audio lost.
        ws.send(encodeFrame({ codec: Codec.jpeg, width: 2, height: 1, payload: Uint8Array.of(0xff, 0xd8, 0), seq: seq++, captureTime: t0 + i * 20 }));
      };
      // Packets 0..9, then 13..19 (3 missing), then 19 again (a duplicate).
      for (const i of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18, 19, 19]) send(i);
      await expect.poll(() => receiver.report().audio?.packets ?? 0, { timeout: 5000 }).toBe(18);
      const audio = receiver.report().audio!;
      expect(audio.missing).toBe(3);
      expect(audio.lossRatio).toBeCloseTo(3 / 21, 6);
      expect(Object.values(audio.sources)[0]).toMatchObject({ missing: 3, early: 1 });
      expect(Object.values(audio.sources)[0]!.missingMs).toBeCloseTo(60, 6);
    });
  });

  describe('lifetime', () => {
    it('close() kills both ffmpegs (video and audio): the pids are gone', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const bot = new SenderBot({ url: relay.url, room: 'r4a', codec: 'bgra', width: 64, height: 48, fps: 10, audio: 'tone' });
      const pids = [bot.ffmpegPid!, bot.audioFfmpegPid!];
      await expect.poll(() => bot.stats.audioSent, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(pids.map(alive)).toEqual([true, true]);
      await bot.close();
      expect(pids.map(alive)).toEqual([false, false]);
    });

    it('an audio file that ffmpeg cannot read fails the bot with the ffmpeg error', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const bot = new SenderBot({ url: relay.url, room: 'r5a', width: 64, height: 48, audio: '/nonexistent/voice.wav' });
      await expect(bot.done).rejects.toMatchObject({ name: 'FfmpegError', code: 'exit' });
      await bot.close();
      expect(liveFfmpegPids()).toEqual([]);
    });

    it('close() kills its ffmpeg: the pid is gone', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const bot = new SenderBot({ url: relay.url, room: 'r4', codec: 'bgra', width: 64, height: 48, fps: 10 });
      const pid = bot.ffmpegPid!;
      await expect.poll(() => bot.stats.sent, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(alive(pid)).toBe(true);
      await bot.close();
      await bot.close();
      expect(alive(pid)).toBe(false);
    });

    it('a failing source fails the bot with the ffmpeg error and leaves no process', async () => {
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const bot = new SenderBot({ url: relay.url, room: 'r5', source: '/nonexistent/camera.mp4', width: 64, height: 48 });
      const pid = bot.ffmpegPid!;
      await expect(bot.done).rejects.toMatchObject({ name: 'FfmpegError', code: 'exit' });
      await bot.close();
      expect(alive(pid)).toBe(false);
    });

    it('rejects bad options with a TypeError', () => {
      expect(() => new SenderBot({ url: 'ws://127.0.0.1:1/ws', room: 'r', width: 0 })).toThrow(TypeError);
      expect(() => new SenderBot({ url: 'ws://127.0.0.1:1/ws', room: 'r', quality: 101 })).toThrow(TypeError);
      expect(() => new SenderBot({ url: 'ftp://127.0.0.1:1/ws', room: 'r' })).toThrow(TypeError);
      expect(liveFfmpegPids()).toEqual([]);
    });
  });
});

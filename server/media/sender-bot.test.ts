import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Codec, decodeFrame, type Frame } from '../../codec/index.ts';
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

  describe('lifetime', () => {
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

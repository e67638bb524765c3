import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Codec, type Frame } from '../../codec/index.ts';
import { readFrameLog } from './frame-log.ts';
import { probeVideo } from './probe.ts';
import { ReceiverBot } from './receiver-bot.ts';
import { SenderBot } from './sender-bot.ts';
import { MediaRelayFixture } from './test-support/media-relay.ts';

interface PublicFiles {
  peerId: number;
  name: string;
  frameLog: string;
  mp4: string;
  frames: number;
}

async function collect(path: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of readFrameLog(path)) frames.push(frame);
  return frames;
}

describe('recording', () => {
  let dir: string;
  const server = new MediaRelayFixture();
  const { cleanups } = server;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-rec-'));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('--record DIR: a 3 s stream becomes a frame log and an MP4 with the same frame count and duration', async () => {
    const { relay } = await server.start({ recordDir: dir });
    const spans = new Map<number, { first: number; last: number }>();
    const watcher = new ReceiverBot({
      url: relay.url,
      room: 'rec',
      name: 'watcher',
      onFrame: (f) => {
        const span = spans.get(f.sourceId) ?? { first: f.captureTime, last: f.captureTime };
        span.last = f.captureTime;
        spans.set(f.sourceId, span);
      },
    });
    cleanups.push(() => watcher.close());
    const joined = watcher.nextControl((m) => m['type'] === 'recording');
    await watcher.ready;
    // A participant joining a recorded room is told so.
    expect(await joined).toMatchObject({ type: 'recording', room: 'rec', active: true });

    const bot = new SenderBot({ url: relay.url, room: 'rec', name: 'Cam Bot', codec: 'jpeg', width: 320, height: 240, fps: 20 });
    cleanups.push(() => bot.close());
    await expect.poll(() => {
      const span = [...spans.values()][0];
      return span === undefined ? 0 : span.last - span.first;
    }, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(3000);
    const stopped = watcher.nextControl((m) => m['type'] === 'recording' && m['active'] === false);
    watcher.sendControl({ type: 'record', action: 'stop' });
    const msg = await stopped;
    await bot.close();

    const files = msg['files'] as PublicFiles[];
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect(file.peerId).toBe(bot.peerId);
    expect(file.frameLog).toMatch(new RegExp(`^${bot.peerId}-Cam_Bot-.*\\.fwlog$`));
    expect(await readdir(join(dir, 'rec'))).toEqual(expect.arrayContaining([file.frameLog, file.mp4]));

    const logged = await collect(join(dir, 'rec', file.frameLog));
    expect(logged.length).toBe(file.frames);
    expect(logged.length).toBeGreaterThanOrEqual(30);
    for (const frame of logged) {
      expect(frame.sourceId).toBe(bot.peerId);
      expect(frame.codec).toBe(Codec.jpeg);
      expect(frame.relayTime).toBeGreaterThan(0);
    }
    const spanSeconds = (logged.at(-1)!.captureTime - logged[0]!.captureTime) / 1000;
    expect(spanSeconds).toBeGreaterThanOrEqual(2.9);

    const mp4 = await probeVideo(join(dir, 'rec', file.mp4));
    expect(mp4.codec).toBe('h264');
    expect([mp4.width, mp4.height]).toEqual([320, 240]);
    expect(Math.abs(mp4.frames - logged.length)).toBeLessThanOrEqual(1);
    // Duration = the capture-time span plus the last frame's length (guessed by the muxer).
    const frameSeconds = spanSeconds / (logged.length - 1);
    expect(mp4.durationSeconds).toBeGreaterThanOrEqual(spanSeconds - 0.01);
    expect(mp4.durationSeconds).toBeLessThanOrEqual(spanSeconds + 2 * frameSeconds + 0.05);
  });

  it('record start/stop per room; BGRA frames are recorded too', async () => {
    const { relay, media } = await server.start({ recordDir: dir, recordAllRooms: false });
    const watcher = new ReceiverBot({ url: relay.url, room: 'manual', name: 'watcher' });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    const bot = new SenderBot({ url: relay.url, room: 'manual', name: 'raw', codec: 'bgra', width: 160, height: 120, fps: 10 });
    cleanups.push(() => bot.close());
    await expect.poll(() => watcher.report().frames, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(media.recorder!.isRecording('manual')).toBe(false);
    await expect(readdir(dir)).resolves.toEqual([]);

    const started = watcher.nextControl((m) => m['type'] === 'recording');
    watcher.sendControl({ type: 'record', action: 'start' });
    expect(await started).toMatchObject({ type: 'recording', room: 'manual', active: true, by: watcher.peerId });
    const from = watcher.report().frames;
    await expect.poll(() => watcher.report().frames - from, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
    const stopped = watcher.nextControl((m) => m['type'] === 'recording' && m['active'] === false);
    watcher.sendControl({ type: 'record', action: 'stop' });
    const files = (await stopped)['files'] as PublicFiles[];
    expect(files).toHaveLength(1);
    const logged = await collect(join(dir, 'manual', files[0]!.frameLog));
    expect(logged.length).toBeGreaterThanOrEqual(10);
    expect(logged.every((f) => f.codec === Codec.bgra && f.payload.byteLength === 160 * 120 * 4)).toBe(true);
    const mp4 = await probeVideo(join(dir, 'manual', files[0]!.mp4));
    expect(Math.abs(mp4.frames - logged.length)).toBeLessThanOrEqual(1);
    expect([mp4.width, mp4.height]).toEqual([160, 120]);
  });

  it('a participant leaving closes its files', async () => {
    const { relay, media } = await server.start({ recordDir: dir });
    const bot = new SenderBot({ url: relay.url, room: 'leave', name: 'brief', codec: 'jpeg', width: 96, height: 64, fps: 10, seconds: 1 });
    const stats = await bot.done;
    await expect.poll(async () => (await readdir(join(dir, 'leave')).catch(() => [])).length, { timeout: 10_000 }).toBe(2);
    await media.close();
    const names = await readdir(join(dir, 'leave'));
    const logged = await collect(join(dir, 'leave', names.find((n) => n.endsWith('.fwlog'))!));
    expect(logged.length).toBe(stats.sent);
    const mp4 = await probeVideo(join(dir, 'leave', names.find((n) => n.endsWith('.mp4'))!));
    expect(Math.abs(mp4.frames - stats.sent)).toBeLessThanOrEqual(1);
  });

  it('refuses record when the relay has no record dir, and a bad action', async () => {
    const { relay } = await server.start({});
    const peer = new ReceiverBot({ url: relay.url, room: 'norec', name: 'p' });
    cleanups.push(() => peer.close());
    await peer.ready;
    let error = peer.nextControl((m) => m['type'] === 'error');
    peer.sendControl({ type: 'record', action: 'start' });
    expect(await error).toMatchObject({ code: 'bad-message', message: expect.stringContaining('--record DIR') });
    error = peer.nextControl((m) => m['type'] === 'error');
    peer.sendControl({ type: 'record', action: 'pause' });
    expect(await error).toMatchObject({ code: 'bad-message', message: expect.stringContaining('"action"') });
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Codec, type Frame } from '../../codec/index.ts';
import { readFrameLog } from './frame-log.ts';
import { probeMedia, probeVideo } from './probe.ts';
import { ReceiverBot } from './receiver-bot.ts';
import { SenderBot } from './sender-bot.ts';
import { MediaRelayFixture } from './test-support/media-relay.ts';
import { toneOnsetsMs } from './test-support/audio-frames.ts';

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

  it('a peer sending audio: the frame log keeps it, the MP4 gets an AAC track in sync with the video', async () => {
    const { relay } = await server.start({ recordDir: dir });
    let audioSpan = 0;
    let firstAudio: number | undefined;
    const watcher = new ReceiverBot({
      url: relay.url,
      room: 'av',
      name: 'watcher',
      onFrame: (f) => {
        if (f.codec !== Codec.opus) return;
        firstAudio ??= f.captureTime;
        audioSpan = f.captureTime - firstAudio;
      },
    });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    const bot = new SenderBot({ url: relay.url, room: 'av', name: 'Talker', codec: 'jpeg', width: 160, height: 120, fps: 20, audio: 'tone' });
    cleanups.push(() => bot.close());
    await expect.poll(() => audioSpan, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(3000);
    const stopped = watcher.nextControl((m) => m['type'] === 'recording' && m['active'] === false);
    watcher.sendControl({ type: 'record', action: 'stop' });
    const files = (await stopped)['files'] as PublicFiles[];
    await bot.close();
    expect(files).toHaveLength(1);
    // The audio waited in a side file until the MP4 was made; it is gone now.
    expect((await readdir(join(dir, 'av'))).sort()).toEqual([files[0]!.frameLog, files[0]!.mp4].sort());

    const logged = await collect(join(dir, 'av', files[0]!.frameLog));
    const audio = logged.filter((f) => f.codec === Codec.opus);
    const video = logged.filter((f) => f.codec === Codec.jpeg);
    expect(audio.length).toBeGreaterThanOrEqual(150);
    expect(audio.length + video.length).toBe(logged.length);
    expect(audio.every((f) => f.sourceId === bot.peerId && f.samples === 960 && f.relayTime > 0)).toBe(true);

    const probe = await probeMedia(join(dir, 'av', files[0]!.mp4));
    expect(probe.video).toMatchObject({ codec: 'h264', width: 160, height: 120 });
    expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
    expect(Math.abs(probe.video!.frames - video.length)).toBeLessThanOrEqual(1);
    // As much audio as was sent (20 ms a frame), within 100 ms.
    expect(Math.abs(probe.audio!.durationSeconds - (audio.length * 20) / 1000)).toBeLessThan(0.1);
    // Starts as captured: the earliest first frame of either is 0, the other follows by its capture offset.
    const frameMs = 1000 / 20;
    const origin = Math.min(audio[0]!.captureTime, video[0]!.captureTime);
    const offsetMs = video[0]!.captureTime - audio[0]!.captureTime;
    expect(Math.abs((probe.video!.startSeconds - probe.audio!.startSeconds) * 1000 - offsetMs)).toBeLessThan(frameMs);
    // What is heard: each burst of the tone begins where its capture time says (the sender's
    // sample 0 is its first packet's start + the encoder's 312-sample pre-skip).
    const onsets = await toneOnsetsMs(join(dir, 'av', files[0]!.mp4));
    expect(onsets.length).toBeGreaterThanOrEqual(3);
    const toneStart = audio[0]!.captureTime + 312 / 48 - origin;
    const errors = onsets.map((ms, k) => ms - (toneStart + k * 1000));
    for (const error of errors) expect(Math.abs(error)).toBeLessThan(frameMs);
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

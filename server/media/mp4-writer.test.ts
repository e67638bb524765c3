import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../../codec/index.ts';
import { bgraToJpeg } from './jpeg.ts';
import { Mp4Writer } from './mp4-writer.ts';
import { probeMedia, probeVideo } from './probe.ts';
import { alive } from './test-support/alive.ts';
import { opusFrame, opusTonePackets, pcmToneFrame, toneOnsetsMs } from './test-support/audio-frames.ts';

const W = 160;
const H = 120;

function bgraFrame(i: number, captureTime: number) {
  const pixels = new Uint8Array(W * H * 4);
  for (let p = 0; p < pixels.byteLength; p += 4) {
    pixels[p] = (i * 7) & 0xff;
    pixels[p + 1] = (p >> 6) & 0xff;
    pixels[p + 2] = (i * 3) & 0xff;
    pixels[p + 3] = 255;
  }
  return decodeFrame(encodeFrame({ codec: Codec.bgra, width: W, height: H, payload: pixels, seq: i, captureTime }));
}

describe('Mp4Writer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-mp4-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes timing from capture timestamps: a variable frame rate keeps its duration', async () => {
    const path = join(dir, 'vfr.mp4');
    const writer = new Mp4Writer(path, { maxPendingFrames: 1000 });
    // 30 frames at 50 fps (0.6 s) then 30 frames at 12.5 fps (2.4 s): 3 s in all.
    let t = 1_700_000_000_000.5;
    for (let i = 0; i < 60; i++) {
      expect(writer.write(bgraFrame(i, t))).toBe(true);
      t += i < 30 ? 20 : 80;
    }
    await writer.close();
    await writer.close();
    expect(writer.stats).toEqual({ written: 60, dropped: 0, audioWritten: 0, audioDropped: 0 });
    const probe = await probeVideo(path);
    expect(probe.codec).toBe('h264');
    expect(probe.width).toBe(W);
    expect(probe.height).toBe(H);
    expect(Math.abs(probe.frames - 60)).toBeLessThanOrEqual(1);
    // Last frame starts at 2.92 s; its length is guessed by the muxer.
    expect(probe.durationSeconds).toBeGreaterThan(2.9);
    expect(probe.durationSeconds).toBeLessThan(3.1);
  });

  it('accepts JPEG frames as they are', async () => {
    const path = join(dir, 'jpeg.mp4');
    const writer = new Mp4Writer(path);
    const pixels = new Uint8Array(W * H * 4).fill(200);
    const jpeg = await bgraToJpeg(pixels, W, H, 80);
    for (let i = 0; i < 10; i++) {
      writer.write(decodeFrame(encodeFrame({ codec: Codec.jpeg, width: W, height: H, payload: jpeg, seq: i, captureTime: 1000 + i * 100 })));
    }
    await writer.close();
    const probe = await probeVideo(path);
    expect(probe.frames).toBe(10);
    expect(probe.durationSeconds).toBeGreaterThan(0.9);
    expect(probe.durationSeconds).toBeLessThan(1.1);
  });

  it('scales frames of another size to the first one, and odd sizes to even', async () => {
    const path = join(dir, 'sizes.mp4');
    const writer = new Mp4Writer(path);
    const frame = (w: number, h: number, i: number) =>
      decodeFrame(encodeFrame({ codec: Codec.bgra, width: w, height: h, payload: new Uint8Array(w * h * 4).fill(90), seq: i, captureTime: i * 40 }));
    for (let i = 0; i < 6; i++) writer.write(i < 3 ? frame(101, 75, i) : frame(64, 48, i));
    await writer.close();
    const probe = await probeVideo(path);
    expect([probe.width, probe.height, probe.frames]).toEqual([100, 74, 6]);
  });

  it('drops instead of queueing past maxPendingFrames', async () => {
    const writer = new Mp4Writer(join(dir, 'drop.mp4'), { maxPendingFrames: 2 });
    const results = Array.from({ length: 10 }, (_, i) => writer.write(bgraFrame(i, 1000 + i * 33)));
    expect(results.filter((ok) => !ok).length).toBeGreaterThan(0);
    await writer.close();
    expect(writer.stats.written + writer.stats.dropped).toBe(10);
  });

  describe('ffmpeg failures', () => {
    it('an encoder that fails: close() rejects with the ffmpeg error and its stderr; the pid is gone', async () => {
      const writer = new Mp4Writer(join(dir, 'bad.mp4'), { preset: 'no-such-preset' });
      for (let i = 0; i < 5; i++) writer.write(bgraFrame(i, i * 40));
      const pid = writer.pid!;
      const error = await writer.close().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ name: 'FfmpegError', code: 'exit' });
      expect((error as Error).message).toMatch(/^ffmpeg failed \[exit:\d+\]: .*no-such-preset/);
      expect(alive(pid)).toBe(false);
      // Later frames are refused, not queued.
      expect(writer.write(bgraFrame(9, 400))).toBe(false);
    });

    it('a missing ffmpeg binary: close() rejects with not-found', async () => {
      const saved = process.env['FFMPEG_PATH'];
      process.env['FFMPEG_PATH'] = '/nonexistent/ffmpeg';
      try {
        const writer = new Mp4Writer(join(dir, 'none.mp4'));
        writer.write(bgraFrame(0, 0));
        await expect(writer.close()).rejects.toMatchObject({ name: 'FfmpegError', code: 'not-found' });
      } finally {
        if (saved === undefined) delete process.env['FFMPEG_PATH'];
        else process.env['FFMPEG_PATH'] = saved;
      }
    });
  });

  it('writes no file when it got no frame', async () => {
    const path = join(dir, 'empty.mp4');
    const writer = new Mp4Writer(path);
    await writer.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a bad quality with a TypeError', () => {
    expect(() => new Mp4Writer(join(dir, 'x.mp4'), { jpegQuality: 0 })).toThrow(TypeError);
  });

  describe('audio', () => {
    const T0 = 1_700_000_000_000.25;
    const FRAME_MS = 40; // video at 25 fps
    // As a sender stamps them: packet i starts at i × 20 ms − the encoder's pre-skip (312
    // samples), so the tone's bursts begin at audioAt + 0, 1000, 2000 ms.
    const PRE_SKIP_MS = 312 / 48;

    /** Writes `videoMs` of 25 fps JPEG from `T0 + videoAt` and Opus packets (20 ms) from `T0 + audioAt`, interleaved by time. */
    async function call(path: string, options: { videoAt: number; videoMs: number; audioAt: number; packets: Uint8Array[]; skip?: (i: number) => boolean }) {
      const writer = new Mp4Writer(path, { maxPendingFrames: 1000 });
      const jpeg = await bgraToJpeg(new Uint8Array(W * H * 4).fill(120), W, H, 80);
      const events: { t: number; write: () => boolean }[] = [];
      let seq = 0;
      for (let t = options.videoAt; t < options.videoAt + options.videoMs; t += FRAME_MS) {
        events.push({ t, write: () => writer.write(decodeFrame(encodeFrame({ codec: Codec.jpeg, width: W, height: H, payload: jpeg, seq: seq++, captureTime: T0 + t }))) });
      }
      options.packets.forEach((packet, i) => {
        if (options.skip?.(i)) return;
        const t = options.audioAt + i * 20 - PRE_SKIP_MS;
        events.push({ t, write: () => writer.write(opusFrame(packet, seq++, T0 + t)) });
      });
      events.sort((a, b) => a.t - b.t);
      for (const e of events) expect(e.write()).toBe(true);
      await writer.close();
      return writer;
    }

    it('Opus → AAC in sync: video 0.5 s after the audio starts 0.5 s into the file; audio as long as sent', async () => {
      const path = join(dir, 'av.mp4');
      const packets = await opusTonePackets(3);
      const writer = await call(path, { videoAt: 500, videoMs: 3000, audioAt: 0, packets });
      expect(writer.stats).toMatchObject({ audioWritten: packets.length, audioDropped: 0 });
      const probe = await probeMedia(path);
      expect(probe.video).toMatchObject({ codec: 'h264', width: W, height: H });
      expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
      const sentSeconds = (packets.length * 20) / 1000;
      expect(Math.abs(probe.audio!.durationSeconds - sentSeconds)).toBeLessThan(0.1);
      // The first sample starts the file; the first frame comes 0.5 s (+ the pre-skip) later, as captured.
      expect(Math.abs(probe.audio!.startSeconds)).toBeLessThan(FRAME_MS / 1000);
      expect(Math.abs(probe.video!.startSeconds - probe.audio!.startSeconds - (500 + PRE_SKIP_MS) / 1000)).toBeLessThan(FRAME_MS / 1000);
      // What is heard where: the bursts begin at their capture instants − the file's start.
      const onsets = await toneOnsetsMs(path);
      expect(onsets).toHaveLength(3);
      onsets.forEach((ms, k) => expect(Math.abs(ms - (PRE_SKIP_MS + k * 1000))).toBeLessThan(5));
      expect(Math.abs(probe.video!.frames - 75)).toBeLessThanOrEqual(1);
      // The kept audio file is gone once it is in the MP4.
      await expect(stat(writer.audioPath)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('audio that starts 1 s after the video (a late unmute) starts 1 s into the file', async () => {
      const path = join(dir, 'late.mp4');
      const packets = await opusTonePackets(2);
      await call(path, { videoAt: 0, videoMs: 3000, audioAt: 1000, packets });
      const probe = await probeMedia(path);
      expect(Math.abs(probe.video!.startSeconds)).toBeLessThan(FRAME_MS / 1000);
      // NOTE: a delayed AAC track's first decoded frame is its 1024 priming samples (21 ms) early.
      expect(Math.abs(probe.audio!.startSeconds - probe.video!.startSeconds - (1000 - PRE_SKIP_MS) / 1000)).toBeLessThan(FRAME_MS / 1000);
      expect(Math.abs(probe.audio!.durationSeconds - (packets.length * 20) / 1000)).toBeLessThan(0.1);
      const onsets = await toneOnsetsMs(path);
      expect(onsets).toHaveLength(2);
      onsets.forEach((ms, k) => expect(Math.abs(ms - (1000 + k * 1000))).toBeLessThan(5));
    });

    it('lost packets are filled with silence: later audio keeps its place', async () => {
      const path = join(dir, 'gaps.mp4');
      const packets = await opusTonePackets(3);
      // 10 packets (200 ms) missing at 0.6 s (between bursts), and every 7th one after that.
      const skip = (i: number): boolean => (i >= 30 && i < 40) || (i > 40 && i % 7 === 0);
      const writer = await call(path, { videoAt: 0, videoMs: 3000, audioAt: 0, packets, skip });
      expect(writer.stats.audioWritten).toBeLessThan(packets.length - 15);
      const probe = await probeMedia(path);
      // The audio still spans the whole 3 s from its first to its last packet, and the burst
      // after the gap is heard when it was captured.
      expect(Math.abs(probe.audio!.durationSeconds - (packets.length * 20) / 1000)).toBeLessThan(0.1);
      const onsets = await toneOnsetsMs(path);
      expect(onsets).toHaveLength(3);
      onsets.forEach((ms, k) => expect(Math.abs(ms - (PRE_SKIP_MS + k * 1000))).toBeLessThan(5));
    });

    it('PCM frames (16 kHz mono) become AAC at 16 kHz', async () => {
      const path = join(dir, 'pcm.mp4');
      const writer = new Mp4Writer(path);
      for (let i = 0; i < 100; i++) writer.write(pcmToneFrame(i, i, T0 + i * 20));
      for (let i = 0; i < 50; i++) writer.write(bgraFrame(1000 + i, T0 + 100 + i * 40));
      await writer.close();
      const probe = await probeMedia(path);
      expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 16000, channels: 1 });
      expect(Math.abs(probe.audio!.durationSeconds - 2)).toBeLessThan(0.1);
      expect(Math.abs(probe.video!.startSeconds - probe.audio!.startSeconds - 0.1)).toBeLessThan(FRAME_MS / 1000);
    });

    it('audio only: an MP4 with one AAC stream; frames of another format are dropped', async () => {
      const path = join(dir, 'voice.mp4');
      const packets = await opusTonePackets(1);
      const writer = new Mp4Writer(path);
      packets.forEach((p, i) => writer.write(opusFrame(p, i, T0 + i * 20)));
      expect(writer.write(pcmToneFrame(0, 99, T0 + 5000))).toBe(false);
      // A duplicate (same start as the last packet) is dropped too.
      expect(writer.write(opusFrame(packets[0]!, 100, T0 + (packets.length - 1) * 20))).toBe(false);
      await writer.close();
      expect(writer.stats).toMatchObject({ written: 0, audioWritten: packets.length, audioDropped: 2 });
      const probe = await probeMedia(path);
      expect(probe.video).toBeNull();
      expect(probe.audio!.codec).toBe('aac');
      expect(Math.abs(probe.audio!.durationSeconds - (packets.length * 20) / 1000)).toBeLessThan(0.1);
    });
  });
});

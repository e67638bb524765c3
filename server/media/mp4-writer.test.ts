import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../../codec/index.ts';
import { bgraToJpeg } from './jpeg.ts';
import { Mp4Writer } from './mp4-writer.ts';
import { probeVideo } from './probe.ts';
import { alive } from './test-support/alive.ts';

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
    expect(writer.stats).toEqual({ written: 60, dropped: 0 });
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
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, type Frame } from '../../codec/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import { FrameLogWriter, readFrameLog } from './frame-log.ts';
import { bgraToJpeg } from './jpeg.ts';
import { ReceiverBot } from './receiver-bot.ts';
import { replayFrameLog } from './replay.ts';
import { opusFrame, opusTonePackets } from './test-support/audio-frames.ts';

/** Writes a frame log of `count` frames: JPEG then BGRA, uneven gaps, as a relay would have stamped them. */
async function writeLog(path: string, count: number): Promise<Frame[]> {
  const writer = new FrameLogWriter(path);
  const frames: Frame[] = [];
  let t = 1_600_000_000_000.25;
  for (let i = 0; i < count; i++) {
    const w = 64 + (i % 3) * 16;
    const h = 48;
    const pixels = new Uint8Array(w * h * 4).map((_, j) => (i * 31 + j) & 0xff);
    const jpeg = i % 2 === 0;
    const payload = jpeg ? await bgraToJpeg(pixels, w, h, 70) : pixels;
    const frame = decodeFrame(
      encodeFrame({ codec: jpeg ? Codec.jpeg : Codec.bgra, width: w, height: h, payload, seq: 100 + i, captureTime: t, sourceId: 7, relayTime: t + 2 }),
    );
    writer.write(frame);
    frames.push(frame);
    t += i % 2 === 0 ? 30 : 70;
  }
  await writer.close();
  return frames;
}

describe('frame log', () => {
  let dir: string;
  let relay: Relay | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-replay-'));
  });
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back exactly the frames written', async () => {
    const path = join(dir, 'a.fwlog');
    const written = await writeLog(path, 6);
    const read: Frame[] = [];
    for await (const frame of readFrameLog(path)) read.push(frame);
    expect(read.map((f) => new Uint8Array(f.bytes))).toEqual(written.map((f) => new Uint8Array(f.bytes)));
  });

  it('a log that cannot be written fails on close with the file error', async () => {
    const writer = new FrameLogWriter(join(dir, 'no-such-dir', 'x.fwlog'));
    await expect(writer.close()).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(writer.close()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a truncated log fails with the codec error', async () => {
    const path = join(dir, 'cut.fwlog');
    const [frame] = await writeLog(path, 1);
    const cut = join(dir, 'cut2.fwlog');
    const writer = new FrameLogWriter(cut);
    writer.write({ bytes: frame!.bytes.subarray(0, frame!.bytes.byteLength - 3) });
    await writer.close();
    const consume = async (): Promise<void> => {
      for await (const _ of readFrameLog(cut)) void _;
    };
    await expect(consume()).rejects.toMatchObject({ name: 'FrameError', code: 'too-short' });
  });

  describe('replay', () => {
    it('reproduces the same frames in a room, with the recorded timing', async () => {
      const path = join(dir, 'call.fwlog');
      const written = await writeLog(path, 12);
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const received: Frame[] = [];
      const rx = new ReceiverBot({
        url: relay.url,
        room: 'replay',
        name: 'rx',
        onFrame: (f) => received.push({ ...f, payload: new Uint8Array(f.payload) }),
      });
      await rx.ready;
      const stats = await replayFrameLog(path, { url: relay.url, room: 'replay', name: 'replayer' });
      expect(stats).toMatchObject({ sent: 12, skipped: 0 });
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(12);
      await rx.close();
      received.forEach((got, i) => {
        const want = written[i]!;
        expect(got.codec).toBe(want.codec);
        expect([got.width, got.height, got.seq, got.flags]).toEqual([want.width, want.height, want.seq, want.flags]);
        expect(got.payload).toEqual(new Uint8Array(want.payload));
        expect(got.sourceId).toBe(stats.peerId);
        // Gaps between capture times are the recorded ones (one constant shift).
        expect(got.captureTime - received[0]!.captureTime).toBeCloseTo(want.captureTime - written[0]!.captureTime, 3);
      });
      // The shift puts the first frame at the start of the replay, not in 2020.
      expect(received[0]!.captureTime).toBeGreaterThan(Date.now() - 60_000);
    });

    it('replays audio frames too, paced by capture time like video, on one timeline; the mode is the first video frame’s', async () => {
      const path = join(dir, 'av.fwlog');
      const writer = new FrameLogWriter(path);
      const t0 = 1_600_000_000_000.5;
      const written: Frame[] = [];
      const packets = await opusTonePackets(1);
      const jpeg = await bgraToJpeg(new Uint8Array(64 * 48 * 4).fill(80), 64, 48, 70);
      let seq = 0;
      // 1 s: Opus every 20 ms from t0 (audio first), JPEG every 100 ms from t0 + 30, in capture order.
      const events: Frame[] = [];
      packets.slice(0, 50).forEach((p, i) => events.push(opusFrame(p, 0, t0 + i * 20)));
      for (let t = 30; t < 1000; t += 100) events.push(decodeFrame(encodeFrame({ codec: Codec.jpeg, width: 64, height: 48, payload: jpeg, captureTime: t0 + t })));
      events.sort((a, b) => a.captureTime - b.captureTime);
      for (const f of events) {
        const frame = decodeFrame(encodeFrame({ codec: f.codec, width: f.width, height: f.height, samples: f.samples || undefined, payload: f.payload, seq: seq++, captureTime: f.captureTime, sourceId: 7, relayTime: f.captureTime + 2 }));
        writer.write(frame);
        written.push(frame);
      }
      await writer.close();
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const received: { frame: Frame; at: number }[] = [];
      let mode: unknown;
      const rx = new ReceiverBot({
        url: relay.url,
        room: 'replay-av',
        name: 'rx',
        onFrame: (f) => received.push({ frame: { ...f, payload: new Uint8Array(f.payload) }, at: performance.timeOrigin + performance.now() }),
        onControl: (m) => {
          if (m['type'] === 'peer-joined') mode = (m['peer'] as { mode: string }).mode;
        },
      });
      await rx.ready;
      const stats = await replayFrameLog(path, { url: relay.url, room: 'replay-av', name: 'replayer' });
      expect(stats).toMatchObject({ sent: 60, skipped: 0 });
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(60);
      const report = await rx.close();
      expect(mode).toBe('jpeg');
      expect(report.audio).toMatchObject({ packets: 50, missing: 0 });
      expect(report.frames).toBe(10);
      received.forEach(({ frame }, i) => {
        const want = written[i]!;
        expect([frame.codec, frame.seq, frame.samples, frame.width, frame.height]).toEqual([want.codec, want.seq, want.samples, want.width, want.height]);
        expect(frame.payload).toEqual(new Uint8Array(want.payload));
        // One shift for audio and video: the recorded offsets between them are kept.
        expect(frame.captureTime - received[0]!.frame.captureTime).toBeCloseTo(want.captureTime - written[0]!.captureTime, 3);
      });
      // Paced in real time: each frame leaves when its (shifted) capture time comes, not in a burst.
      const lateness = received.map(({ frame, at }) => at - frame.captureTime);
      expect(Math.min(...lateness)).toBeGreaterThanOrEqual(-1);
      expect(stats.seconds).toBeGreaterThan(0.9);
    });

    it('npm run replay -- FILE --url … --room R plays the log into the room', async () => {
      const path = join(dir, 'cli.fwlog');
      const written = await writeLog(path, 5);
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      const received: Frame[] = [];
      const rx = new ReceiverBot({ url: relay.url, room: 'clireplay', name: 'rx', onFrame: (f) => received.push(f) });
      await rx.ready;
      const cli = fileURLToPath(new URL('./replay-cli.ts', import.meta.url));
      const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
      const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(tsx, [cli, path, '--url', `ws://127.0.0.1:${relay!.port}/ws`, '--room', 'clireplay'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, out }));
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out.trim())).toMatchObject({ event: 'done', sent: 5, skipped: 0 });
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(5);
      expect(received.map((f) => f.seq)).toEqual(written.map((f) => f.seq));
      await rx.close();
    });

    it('rejects when the relay refuses the connection', async () => {
      const path = join(dir, 'one.fwlog');
      await writeLog(path, 1);
      relay = await startRelay({ port: 0, logLevel: 'silent' });
      await expect(replayFrameLog(path, { url: relay.url, room: 'bad room!' })).rejects.toThrow(/refused|1008|bad-room/);
    });
  });
});

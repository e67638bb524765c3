import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, type Frame } from '../../codec/index.ts';
import { ReceiverBot } from './receiver-bot.ts';
import { SenderBot } from './sender-bot.ts';
import { Transcoder } from './transcoder.ts';
import { MediaRelayFixture } from './test-support/media-relay.ts';

describe('relay-side transcoding', () => {
  const server = new MediaRelayFixture();
  const { cleanups } = server;
  afterEach(() => server.close());

  function receiver(room: string, name: string, frames: Frame[]): ReceiverBot {
    const bot = new ReceiverBot({ url: server.relay.url, room, name, onFrame: (f) => frames.push({ ...f, payload: new Uint8Array(f.payload) }) });
    cleanups.push(() => bot.close());
    return bot;
  }

  it('BGRA→JPEG for the receiver that asked, while another still gets BGRA', async () => {
    const { relay, media } = await server.start({ transcodeQuality: 60 });
    const thinFrames: Frame[] = [];
    const fatFrames: Frame[] = [];
    const thin = receiver('tc', 'thin', thinFrames);
    const fat = receiver('tc', 'fat', fatFrames);
    await Promise.all([thin.ready, fat.ready]);
    const sender = new SenderBot({ url: relay.url, room: 'tc', name: 'raw', codec: 'bgra', width: 160, height: 120, fps: 10 });
    cleanups.push(() => sender.close());
    await expect.poll(() => sender.peerId, { timeout: 10_000 }).toBeDefined();

    const ack = thin.nextControl((m) => m['type'] === 'transcoding');
    thin.sendControl({ type: 'transcode', from: sender.peerId, codec: 'jpeg' });
    expect(await ack).toEqual({ type: 'transcoding', from: sender.peerId, codec: 'jpeg', quality: 60 });
    const afterAck = thinFrames.length;
    const fatBefore = fatFrames.length;
    await expect.poll(() => thinFrames.length - afterAck, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    await expect.poll(() => fatFrames.length - fatBefore, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);

    // Everything the thin receiver got after the ack is JPEG of the source's size and identity.
    const converted = thinFrames.slice(afterAck);
    for (const frame of converted) {
      expect(frame.codec).toBe(Codec.jpeg);
      expect(frame.sourceId).toBe(sender.peerId);
      expect([frame.width, frame.height]).toEqual([160, 120]);
      expect(await sharp(frame.payload).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    }
    // Same frames (seq, capture time) as the BGRA the other receiver gets.
    const bySeq = new Map(fatFrames.map((f) => [f.seq, f]));
    const matched = converted.filter((f) => bySeq.has(f.seq));
    expect(matched.length).toBeGreaterThan(0);
    for (const frame of matched) expect(frame.captureTime).toBe(bySeq.get(frame.seq)!.captureTime);
    expect(fatFrames.every((f) => f.codec === Codec.bgra && f.payload.byteLength === 160 * 120 * 4)).toBe(true);
    expect(media.stats.transcode.converted).toBeGreaterThanOrEqual(converted.length);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    const gauge = /framewire_transcode_frames_total\{result="converted"\} (\d+)/.exec(metrics);
    expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(converted.length);

    // 'off' gives the thin receiver raw BGRA again.
    const off = thin.nextControl((m) => m['type'] === 'transcoding' && m['codec'] === 'off');
    thin.sendControl({ type: 'transcode', from: sender.peerId, codec: 'off' });
    await off;
    const afterOff = thinFrames.length;
    await expect.poll(() => thinFrames.slice(afterOff).filter((f) => f.codec === Codec.bgra).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  });

  it('drops, never queues, while the converter is busy with the previous frame', async () => {
    // The real Transcoder and sharp; the sink records what the relay would be asked to do.
    const sent: { peerId: number; bytes: Uint8Array }[] = [];
    const excluded: string[] = [];
    const transcoder = new Transcoder(
      {
        sendFrame: (peerId, bytes) => (sent.push({ peerId, bytes }), true),
        setSourceExcluded: (receiver, source, on) => void excluded.push(`${receiver}<-${source}:${on}`),
      },
      { quality: 50 },
    );
    transcoder.subscribe(2, 1);
    transcoder.subscribe(3, 1);
    expect(excluded).toEqual(['2<-1:true', '3<-1:true']);
    const frame = (seq: number): Frame => {
      const pixels = new Uint8Array(64 * 48 * 4).fill(seq * 10);
      return decodeFrame(encodeFrame({ codec: Codec.bgra, width: 64, height: 48, payload: pixels, seq, captureTime: 1000 + seq, sourceId: 1 }));
    };
    // Three frames arrive while the first is still in sharp: the 2nd and 3rd are dropped.
    transcoder.onFrame(1, frame(0));
    transcoder.onFrame(1, frame(1));
    transcoder.onFrame(1, frame(2));
    expect(transcoder.stats).toEqual({ converted: 0, dropped: 2, sent: 0, autoConverted: 0, autoDropped: 0, autoSent: 0, audioPassed: 0 });
    await expect.poll(() => transcoder.stats.converted).toBe(1);
    // Once free, the next frame is converted again.
    transcoder.onFrame(1, frame(3));
    await expect.poll(() => transcoder.stats.converted).toBe(2);
    expect(transcoder.stats).toEqual({ converted: 2, dropped: 2, sent: 4, autoConverted: 0, autoDropped: 0, autoSent: 0, audioPassed: 0 });
    expect(sent.map((s) => [s.peerId, decodeFrame(s.bytes).seq])).toEqual([[2, 0], [3, 0], [2, 3], [3, 3]]);
    const out = decodeFrame(sent[0]!.bytes);
    expect(out).toMatchObject({ codec: Codec.jpeg, width: 64, height: 48, seq: 0, captureTime: 1000, sourceId: 1 });
    // One JPEG serves both receivers: the same bytes, converted once.
    expect(sent[1]!.bytes).toBe(sent[0]!.bytes);
    transcoder.close();
    expect(excluded.slice(-2)).toEqual(['2<-1:false', '3<-1:false']);
  });

  it('converts automatically per (source, receiver): smaller JPEG of the same frame, paced, one job per pair, a global job cap', async () => {
    const sent: { peerId: number; bytes: Uint8Array }[] = [];
    const excluded: string[] = [];
    const learned: string[] = [];
    let now = 0;
    const transcoder = new Transcoder(
      {
        sendFrame: (peerId, bytes) => (sent.push({ peerId, bytes }), true),
        setSourceExcluded: (receiver, source, on) => void excluded.push(`${receiver}<-${source}:${on}`),
      },
      { maxJobs: 2, now: () => now, onAutoConverted: (r, s, made) => void learned.push(`${r}<-${s}:${made.width}x${made.height}q${made.quality}`) },
    );
    const source = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 40, g: 120, b: 200 } } }).jpeg({ quality: 80 }).toBuffer();
    const frame = (seq: number, sourceId = 1): Frame =>
      decodeFrame(encodeFrame({ codec: Codec.jpeg, width: 320, height: 240, payload: new Uint8Array(source), seq, captureTime: 5000 + seq, sourceId }));
    expect(transcoder.has(1)).toBe(false);
    transcoder.setAuto(2, 1, { width: 160, height: 120, quality: 40, fps: 10 });
    transcoder.setAuto(3, 1, { width: 80, height: 60, quality: 30, fps: 10 });
    transcoder.setAuto(4, 1, { width: 80, height: 60, quality: 30, fps: 10 });
    expect(excluded).toEqual(['2<-1:true', '3<-1:true', '4<-1:true']);
    expect([transcoder.has(1), transcoder.autoCount]).toEqual([true, 3]);

    transcoder.onFrame(1, frame(0)); // 2 and 3 start; 4 finds the pool (2 jobs) busy
    expect(transcoder.jobs).toBe(2);
    expect(transcoder.stats.autoDropped).toBe(1);
    now = 10; // too soon for 2 and 3 (paced to 10 fps: not a drop); 4 still finds the pool busy
    transcoder.onFrame(1, frame(1));
    expect(transcoder.stats.autoDropped).toBe(2);
    await expect.poll(() => transcoder.stats.autoSent).toBe(2);
    expect(transcoder.jobs).toBe(0);
    const out = new Map(sent.map((s) => [s.peerId, decodeFrame(s.bytes)]));
    expect(out.get(2)).toMatchObject({ codec: Codec.jpeg, width: 160, height: 120, seq: 0, captureTime: 5000, sourceId: 1 });
    expect(out.get(3)).toMatchObject({ codec: Codec.jpeg, width: 80, height: 60, seq: 0, sourceId: 1 });
    expect(await sharp(out.get(2)!.payload).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    expect(learned.sort()).toEqual(['2<-1:160x120q40', '3<-1:80x60q30']);

    // A new target takes effect on the next frame; off restores the source's own frames, and a conversion still running is not delivered.
    transcoder.setAuto(2, 1, { width: 240, height: 180, quality: 50, fps: 10 });
    now = 200;
    transcoder.onFrame(1, frame(2));
    transcoder.setAuto(3, 1, null);
    transcoder.setAuto(3, 1, null); // twice: nothing more
    await expect.poll(() => transcoder.stats.autoConverted).toBe(4);
    expect(sent.slice(2).map((s) => [s.peerId, decodeFrame(s.bytes).width])).toEqual([[2, 240]]);
    expect(excluded.slice(3)).toEqual(['3<-1:false']);
    transcoder.forget(4);
    transcoder.close();
    expect(excluded.slice(4)).toEqual(['2<-1:false']);
    expect(() => transcoder.setAuto(2, 1, { width: 0, height: 1, quality: 50, fps: 1 })).toThrow(TypeError);
  });

  it('a receiving bot with transcode: true asks for JPEG from every BGRA sender', async () => {
    const { relay } = await server.start({});
    const frames: Frame[] = [];
    const rx = new ReceiverBot({ url: relay.url, room: 'auto', name: 'thin', transcode: true, transcodeQuality: 40, onFrame: (f) => frames.push(f) });
    cleanups.push(() => rx.close());
    const ack = rx.nextControl((m) => m['type'] === 'transcoding');
    await rx.ready;
    const sender = new SenderBot({ url: relay.url, room: 'auto', codec: 'bgra', width: 96, height: 64, fps: 10 });
    cleanups.push(() => sender.close());
    expect(await ack).toMatchObject({ codec: 'jpeg', quality: 40 });
    await expect.poll(() => frames.filter((f) => f.codec === Codec.jpeg).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Only the first frame(s), before the request took effect, came as BGRA.
    const firstJpeg = frames.findIndex((f) => f.codec === Codec.jpeg);
    expect(frames.slice(firstJpeg).every((f) => f.codec === Codec.jpeg)).toBe(true);
  });

  it('refuses bad requests with error codes', async () => {
    await server.start({});
    const rx = receiver('bad', 'rx', []);
    await rx.ready;
    const ask = async (msg: object): Promise<Record<string, unknown>> => {
      const error = rx.nextControl((m) => m['type'] === 'error');
      rx.sendControl(msg);
      return error;
    };
    expect(await ask({ type: 'transcode', from: 999, codec: 'jpeg' })).toMatchObject({ code: 'no-such-peer' });
    expect(await ask({ type: 'transcode', from: rx.peerId, codec: 'jpeg' })).toMatchObject({ code: 'no-such-peer' });
    expect(await ask({ type: 'transcode', from: rx.peerId, codec: 'vp8' })).toMatchObject({ code: 'bad-message' });
    expect(await ask({ type: 'transcode', from: rx.peerId, codec: 'jpeg', quality: 0 })).toMatchObject({ code: 'bad-message' });
    expect(await ask({ type: 'transcode', codec: 'jpeg' })).toMatchObject({ code: 'bad-message' });
  });

  describe('audio', () => {
    it('audio frames are never converted: passed as they are, once, to each receiver the source is excluded for', () => {
      const sent: { peerId: number; bytes: Uint8Array }[] = [];
      const transcoder = new Transcoder({
        sendFrame: (peerId, bytes) => (sent.push({ peerId, bytes }), true),
        setSourceExcluded: () => undefined,
      });
      const opus = decodeFrame(encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload: Uint8Array.of(0x78, 1, 2), seq: 3, captureTime: 100, sourceId: 1 }));
      const pcm = decodeFrame(encodeFrame({ codec: Codec.pcm, width: 16000, height: 1, samples: 320, payload: new Uint8Array(640), seq: 4, captureTime: 120, sourceId: 1 }));
      transcoder.onFrame(1, opus); // nobody excludes source 1 yet: nothing to do
      expect(sent).toEqual([]);
      transcoder.subscribe(2, 1, 50);
      transcoder.subscribe(3, 1, 60);
      transcoder.setAuto(4, 1, { width: 80, height: 60, quality: 30, fps: 10 });
      transcoder.setAuto(2, 1, { width: 80, height: 60, quality: 30, fps: 10 }); // 2 both ways: still once
      transcoder.onFrame(1, opus);
      transcoder.onFrame(1, pcm);
      expect(transcoder.jobs).toBe(0);
      expect(sent.map((s) => s.peerId).sort()).toEqual([2, 2, 3, 3, 4, 4]);
      expect(sent.every((s) => s.bytes === opus.bytes || s.bytes === pcm.bytes)).toBe(true);
      expect(transcoder.stats).toMatchObject({ converted: 0, dropped: 0, autoDropped: 0, audioPassed: 6 });
      transcoder.close();
    });

    it('a BGRA sender with audio: the receiver that asked for JPEG gets JPEG pictures and keeps the sound', async () => {
      const { relay } = await server.start({ transcodeQuality: 60 });
      const thinFrames: Frame[] = [];
      const fatFrames: Frame[] = [];
      const thin = receiver('tca', 'thin', thinFrames);
      const fat = receiver('tca', 'fat', fatFrames);
      await Promise.all([thin.ready, fat.ready]);
      const sender = new SenderBot({ url: relay.url, room: 'tca', name: 'raw', codec: 'bgra', width: 160, height: 120, fps: 10, audio: 'tone' });
      cleanups.push(() => sender.close());
      await expect.poll(() => sender.peerId, { timeout: 10_000 }).toBeDefined();
      const ack = thin.nextControl((m) => m['type'] === 'transcoding');
      thin.sendControl({ type: 'transcode', from: sender.peerId, codec: 'jpeg' });
      await ack;
      const afterAck = thinFrames.length;
      await expect.poll(() => thinFrames.slice(afterAck).filter((f) => f.codec === Codec.jpeg).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(10);
      const after = thinFrames.slice(afterAck);
      // Pictures as JPEG only; the audio goes on, continuous (no 20 ms packet missing).
      expect(after.filter((f) => f.codec === Codec.bgra)).toEqual([]);
      const audio = after.filter((f) => f.codec === Codec.opus);
      expect(audio.length).toBeGreaterThanOrEqual(40);
      for (let i = 1; i < audio.length; i++) expect(audio[i]!.captureTime - audio[i - 1]!.captureTime).toBeCloseTo(20, 6);
      expect(thin.report().audio!.sources[String(sender.peerId)]!.missing).toBe(0);
      // The other receiver gets the sender's own BGRA and the same audio.
      expect(fatFrames.some((f) => f.codec === Codec.bgra)).toBe(true);
      expect(fat.report().audio!.packets).toBeGreaterThanOrEqual(audio.length);
      expect(fat.report().audio!.missing).toBe(0);
    });
  });
});

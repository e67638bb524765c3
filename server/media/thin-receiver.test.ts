import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, Offset } from '../../codec/index.ts';
import { relayNow } from '../relay.ts';
import { ackEvery, connectClient, waitFor, type TestClient } from '../test-client.ts';
import { cameraPicture } from './test-support/camera-picture.ts';
import { MediaRelayFixture } from './test-support/media-relay.ts';
import { ThinReceivers } from './thin-receiver.ts';
import { Transcoder } from './transcoder.ts';

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 30;
/** The simulated thin path, bit/s. */
const THIN_BPS = 1_000_000;

/** A camera-like 640×480 JPEG (gradients and noise, ~50 KB at quality 80). */
async function cameraJpeg(): Promise<Uint8Array> {
  const rgb = cameraPicture(WIDTH, HEIGHT, 3, 31);
  const jpeg = await sharp(rgb, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
  return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
}

/**
 * Acks each frame when a `bps` link would have delivered it: frames go through one
 * simulated bottleneck, one after the other, each taking bytes × 8 / bps (loopback is the
 * only other delay). `delivered` gets (frame, time) in delivery order.
 */
function ackThroughLink(client: TestClient, bps: number, delivered: { seq: number; at: number; bytes: Buffer }[]): () => void {
  let linkFreeAt = 0;
  const timers = new Set<NodeJS.Timeout>();
  client.socket.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const bytes = data as Buffer;
    const f = decodeFrame(bytes);
    const at = Math.max(linkFreeAt, relayNow()) + (bytes.byteLength * 8 * 1000) / bps;
    linkFreeAt = at;
    const timer = setTimeout(() => {
      timers.delete(timer);
      delivered.push({ seq: f.seq, at, bytes });
      client.send({ type: 'ack', frames: [[f.sourceId, f.seq, at]] });
    }, Math.max(0, at - relayNow()));
    timers.add(timer);
  });
  client.send({ type: 'ack', frames: [] });
  return () => {
    for (const timer of timers) clearTimeout(timer);
  };
}

/** The frame with the relay's stamps (sourceId, relayTime) zeroed. */
function unstamped(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy.fill(0, Offset.sourceId, Offset.sourceId + 4);
  copy.fill(0, Offset.relayTime, Offset.relayTime + 8);
  return copy;
}

describe('ThinReceivers (real sockets, simulated 1 Mbit/s receiver)', () => {
  const server = new MediaRelayFixture();
  afterEach(() => server.close());

  it('sends the thin receiver smaller JPEG of the same frames, and the fast one the sender’s own bytes', async () => {
    const { relay, media } = await server.start({});
    const join = async (name: string) => {
      const c = await connectClient(relay.url, { room: 'thin', name, keepFrames: true });
      server.cleanups.push(() => c.close());
      return c;
    };
    const sender = await join('sender');
    const fast = await join('fast');
    const slow = await join('slow');
    const fastAcks = ackEvery(fast);
    const slowDelivered: { seq: number; at: number; bytes: Buffer }[] = [];
    const stopSlow = ackThroughLink(slow, THIN_BPS, slowDelivered);
    server.cleanups.push(async () => {
      fastAcks.stop();
      stopSlow();
    });
    await waitFor(() => relay.path(fast.peerId)!.ackMode && relay.path(slow.peerId)!.ackMode);

    const jpeg = await cameraJpeg();
    const sent = new Map<number, Uint8Array>();
    let seq = 0;
    const timer = setInterval(() => {
      const frame = encodeFrame({ codec: Codec.jpeg, width: WIDTH, height: HEIGHT, payload: jpeg, seq, captureTime: Date.now() });
      sent.set(seq++, frame);
      sender.sendFrame(frame);
    }, 1000 / FPS);
    server.cleanups.unshift(async () => clearInterval(timer));

    // The relay notices the thin path and says so.
    const notice = await slow.waitControl((m) => m.type === 'transcoding' && m['auto'] === true && m['codec'] === 'jpeg', 15_000);
    expect(notice).toMatchObject({ from: sender.peerId, codec: 'jpeg', auto: true });
    expect(notice['width']).toBeLessThan(WIDTH);
    expect(notice['height']).toBeLessThan(HEIGHT);
    expect(notice['quality']).toBeGreaterThanOrEqual(30);
    expect(notice['reason']).toMatch(/Mbit\/s/);
    const switchedAt = slowDelivered.length;
    const slowAfter = slow.frameCount;

    // From then on: JPEG of the same frames (seq, capture time, source), smaller than the source's.
    await waitFor(() => slow.frameCount - slowAfter >= 15, 10_000);
    const converted = slow.frames.slice(slowAfter + 2).map((b) => decodeFrame(b)); // 2: frames already in flight at the switch
    for (const frame of converted) {
      expect(frame.codec).toBe(Codec.jpeg);
      expect(frame.sourceId).toBe(sender.peerId);
      expect(frame.width).toBeLessThan(WIDTH);
      const original = sent.get(frame.seq);
      expect(original, `seq ${frame.seq}`).toBeDefined();
      expect(frame.captureTime).toBe(decodeFrame(original!).captureTime);
      expect(await sharp(frame.payload).metadata()).toMatchObject({ format: 'jpeg', width: frame.width, height: frame.height });
    }
    // More pictures per second reach it than the trickle of full-size frames before.
    const window = (from: number, to: number) => slowDelivered.filter((d) => d.at >= from && d.at < to).length;
    const t0 = slowDelivered[switchedAt - 1]?.at ?? 0;
    await waitFor(() => slowDelivered.length > 0 && slowDelivered[slowDelivered.length - 1]!.at > t0 + 2000, 10_000);
    expect(window(t0, t0 + 2000)).toBeGreaterThan(1.5 * window(t0 - 2000, t0));

    // The fast receiver got every frame as the sender sent it, byte for byte (but the relay's stamps), and no notice.
    expect(fast.control.some((m) => m.type === 'transcoding')).toBe(false);
    expect(fast.frames.length).toBeGreaterThan(0.9 * (seq - 5));
    const differing = fast.frames.filter((bytes) => {
      const f = decodeFrame(bytes);
      return f.sourceId !== sender.peerId || !Buffer.from(unstamped(bytes)).equals(unstamped(sent.get(f.seq)!));
    });
    expect(differing.length).toBe(0);
    expect(relay.path(fast.peerId)).toBeDefined();
    expect(media.thinReceivers?.planOf(fast.peerId, sender.peerId)).toBeUndefined();
    expect(media.thinReceivers?.planOf(slow.peerId, sender.peerId)).toBeDefined();

    // The counters and the receiver's own `stats` show it.
    expect(media.stats.transcode.autoConverted).toBeGreaterThanOrEqual(converted.length);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(Number(/framewire_auto_transcode_frames_total\{result="converted"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/framewire_auto_transcode_pairs 1/);
    slow.send({ type: 'stats' });
    const stats = await slow.waitControl((m) => m.type === 'stats');
    expect(stats['path']).toMatchObject({ acked: expect.any(Number), windowBytes: expect.any(Number) });
    expect((stats['path'] as { goodputBps: number }).goodputBps).toBeGreaterThan(0);
    expect((stats['path'] as { goodputBps: number }).goodputBps).toBeLessThan(1.5 * THIN_BPS);

    // The receiver's own choice wins: `transcode off` gives it the originals and no more automatic switching.
    slow.send({ type: 'transcode', from: sender.peerId, codec: 'off' });
    await slow.waitControl((m) => m.type === 'transcoding' && m['codec'] === 'off' && m['auto'] === undefined);
    expect(media.thinReceivers?.planOf(slow.peerId, sender.peerId)).toBeUndefined();
    const afterOff = slow.frameCount;
    await waitFor(() => slow.frameCount - afterOff >= 3, 10_000);
    const originals = slow.frames.slice(afterOff + 1).map((b) => decodeFrame(b));
    expect(originals.every((f) => f.width === WIDTH)).toBe(true);
  }, 60_000);
});

describe('ThinReceivers and audio', () => {
  it('audio frames are not a video source: no fps, no pairs, no conversions', () => {
    let peersAsked = 0;
    const autos: unknown[] = [];
    const transcoder = new Transcoder({ sendFrame: () => true, setSourceExcluded: () => undefined });
    const original = transcoder.setAuto.bind(transcoder);
    transcoder.setAuto = (...args) => {
      autos.push(args);
      original(...args);
    };
    let now = 0;
    const thin = new ThinReceivers(
      {
        peers: () => (peersAsked++, [{ id: 2, name: 'rx', mode: 'jpeg', room: 'r' }] as never),
        path: () => ({ ackMode: true, queueDelayMs: 900 }) as never,
        sourcePath: () => ({ fps: 0, goodputBps: 0, droppedPerSecond: 50 }) as never,
        sendControl: () => true,
      },
      transcoder,
      { timer: false, now: () => now },
    );
    for (let i = 0; i < 200; i++) {
      now = i * 20;
      thin.onFrame('r', 1, decodeFrame(encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload: Uint8Array.of(0x78, 1), seq: i, captureTime: now, sourceId: 1 })));
      if (i % 12 === 0) thin.tick();
    }
    expect(peersAsked).toBe(0);
    expect(autos).toEqual([]);
    expect(thin.activeCount).toBe(0);
    thin.close();
  });
});

import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiverBot } from './receiver-bot.ts';
import { Codec, encodeFrame } from '../../codec/index.ts';
import { connectClient } from '../test-client.ts';
import { SenderBot } from './sender-bot.ts';
import { MediaRelayFixture } from './test-support/media-relay.ts';

describe('snapshots', () => {
  const server = new MediaRelayFixture();
  const { cleanups } = server;
  afterEach(() => server.close());

  async function streaming(room: string, codec: 'jpeg' | 'bgra', secret?: string): Promise<SenderBot> {
    const bot = new SenderBot({ url: server.relay.url, room, codec, width: 200, height: 150, fps: 10, secret });
    cleanups.push(() => bot.close());
    await expect.poll(() => bot.stats.sent, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => bot.peerId, { timeout: 5000 }).toBeDefined();
    return bot;
  }

  it('GET …/snapshot.jpg of a BGRA peer is a JPEG of the right dimensions (converted with sharp)', async () => {
    const { relay } = await server.start({});
    const bot = await streaming('snap', 'bgra');
    const res = await fetch(`${relay.url}/rooms/snap/peers/${bot.peerId}/snapshot.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const body = new Uint8Array(await res.arrayBuffer());
    expect([body[0], body[1]]).toEqual([0xff, 0xd8]);
    const meta = await sharp(body).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 200, height: 150 });
  });

  it('a JPEG peer’s latest frame is returned byte for byte as it was sent', async () => {
    const { relay } = await server.start({});
    const watcher = new ReceiverBot({ url: relay.url, room: 'snapj', name: 'w' });
    cleanups.push(() => watcher.close());
    await watcher.ready;
    const received = new Map<number, Uint8Array>();
    const bot = new SenderBot({ url: relay.url, room: 'snapj', codec: 'jpeg', width: 200, height: 150, fps: 10 });
    cleanups.push(() => bot.close());
    const collector = new ReceiverBot({
      url: relay.url,
      room: 'snapj',
      name: 'c',
      // A copy: the payload is a view of the message (Buffer#slice would not copy).
      onFrame: (f) => received.set(f.seq, new Uint8Array(f.payload)),
    });
    cleanups.push(() => collector.close());
    await expect.poll(() => received.size, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const res = await fetch(`${relay.url}/rooms/snapj/peers/${bot.peerId}/snapshot.jpg`);
    expect(res.status).toBe(200);
    const seq = Number(res.headers.get('x-frame-seq'));
    const body = new Uint8Array(await res.arrayBuffer());
    await expect.poll(() => received.has(seq), { timeout: 5000 }).toBe(true);
    expect(body).toEqual(received.get(seq));
    expect(await sharp(body).metadata()).toMatchObject({ width: 200, height: 150 });
  });

  it('404 with a JSON error when the peer has no frame', async () => {
    const { relay } = await server.start({});
    const res = await fetch(`${relay.url}/rooms/empty/peers/42/snapshot.jpg`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ code: 'no-frame', message: 'no frame from this peer [room:empty, peer:42]' });
  });

  it('a room with a secret requires it, by query or header', async () => {
    const { relay } = await server.start({});
    const bot = await streaming('locked', 'jpeg', 's3cret');
    const url = `${relay.url}/rooms/locked/peers/${bot.peerId}/snapshot.jpg`;
    const denied = await fetch(url);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'bad-secret' });
    expect((await fetch(`${url}?secret=wrong`)).status).toBe(403);
    expect((await fetch(`${url}?secret=s3cret`)).status).toBe(200);
    expect((await fetch(url, { headers: { 'x-room-secret': 's3cret' } })).status).toBe(200);
  });

  it('forgets a peer that left', async () => {
    const { relay } = await server.start({});
    const bot = await streaming('gone', 'jpeg');
    const url = `${relay.url}/rooms/gone/peers/${bot.peerId}/snapshot.jpg`;
    expect((await fetch(url)).status).toBe(200);
    await bot.close();
    await expect.poll(async () => (await fetch(url)).status, { timeout: 5000 }).toBe(404);
  });

  describe('audio', () => {
    it('a peer sending audio too: the snapshot is always its latest picture, never an audio frame', async () => {
      const { relay } = await server.start({});
      const bot = new SenderBot({ url: relay.url, room: 'snapa', codec: 'bgra', width: 200, height: 150, fps: 10, audio: 'tone' });
      cleanups.push(() => bot.close());
      await expect.poll(() => bot.stats.audioSent, { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
      await expect.poll(() => bot.stats.sent, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      const url = `${relay.url}/rooms/snapa/peers/${bot.peerId}/snapshot.jpg`;
      // Audio frames come 50 a second, between the pictures: ask many times.
      for (let i = 0; i < 10; i++) {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-frame-width')).toBe('200');
        expect(await sharp(new Uint8Array(await res.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 200, height: 150 });
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    });

    it('a peer that sends only audio has no snapshot (404), and the relay goes on', async () => {
      const { relay } = await server.start({});
      const peer = await connectClient(relay.url, { room: 'voice', name: 'mic' });
      cleanups.push(() => peer.close());
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) {
        peer.socket.send(encodeFrame({ codec: Codec.pcm, width: 16000, height: 1, samples: 320, payload: new Uint8Array(640), seq: i, captureTime: t0 + i * 20 }));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await fetch(`${relay.url}/rooms/voice/peers/${peer.peerId}/snapshot.jpg`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'no-frame' });
    });
  });
});

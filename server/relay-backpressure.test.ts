import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';
import { startRelay, type Relay } from './relay.ts';
import { connectClient, waitFor, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) (c.socket as unknown as { _socket?: Socket })._socket?.resume();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

const WIDTH = 512;
const HEIGHT = 512;
/** 1 MiB of BGRA payload + 40 bytes of framing: a few of these fill the loopback socket buffers. */
const FRAME_BYTES = WIDTH * HEIGHT * 4 + 40;

function bgraFrame(seq: number): Uint8Array {
  const payload = new Uint8Array(WIDTH * HEIGHT * 4);
  payload.fill(seq & 0xff);
  return encodeFrame({ codec: Codec.bgra, width: WIDTH, height: HEIGHT, payload, seq, captureTime: Date.now() });
}

/** Stops reading the client's TCP socket: the relay's writes back up into the kernel, then into Node. */
function pauseReading(client: TestClient): void {
  const socket = (client.socket as unknown as { _socket: Socket })._socket;
  socket.pause();
}

function resumeReading(client: TestClient): void {
  (client.socket as unknown as { _socket: Socket })._socket.resume();
}

describe('Relay backpressure', () => {
  it('a paused receiver costs another receiver no frames, and the relay holds at most ~2 frames for it', async () => {
    const relay = await startRelay({ logLevel: 'silent' });
    relays.push(relay);
    const join = async (name: string): Promise<TestClient> => {
      const c = await connectClient(relay.url, { room: 'bp', name, keepFrames: false });
      clients.push(c);
      return c;
    };
    const sender = await join('sender');
    const healthy = await join('healthy');
    const frozen = await join('frozen');
    pauseReading(frozen);

    const total = 60;
    let maxQueued = 0;
    let maxBuffered = 0;
    for (let seq = 0; seq < total; seq++) {
      sender.sendFrame(bgraFrame(seq));
      // Lockstep with the healthy receiver (bounded wait): if the frozen one slowed it, frames would be late or missing.
      await healthy.waitFrames(seq + 1, 5000).catch(() => undefined);
      maxQueued = Math.max(maxQueued, relay.queuedFrames(frozen.peerId));
      maxBuffered = Math.max(maxBuffered, relay.bufferedAmount(frozen.peerId));
    }

    expect(healthy.frameCount).toBeGreaterThanOrEqual(Math.ceil(total * 0.9));
    expect(relay.drops(healthy.peerId).get(sender.peerId) ?? 0).toBe(0);
    // The frozen receiver: frames were dropped (latest wins), and what the relay holds for it stays bounded.
    const frozenDrops = relay.drops(frozen.peerId).get(sender.peerId) ?? 0;
    expect(frozenDrops).toBeGreaterThan(total / 2);
    expect(maxQueued).toBeLessThanOrEqual(2);
    expect(maxBuffered).toBeLessThanOrEqual(2 * FRAME_BYTES + 1024);
    expect(relay.stats.drops).toBe(frozenDrops);

    // Drops are visible to the receiver (stats) and to Prometheus.
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`framewire_peer_frame_drops\\{room="bp",receiver="${frozen.peerId}",source="${sender.peerId}"\\} ${frozenDrops}`));
    expect(metrics).toMatch(new RegExp(`framewire_frame_drops_total\\{codec="bgra"\\} ${frozenDrops}`));

    // When it reads again it catches up with the LATEST frame, not the backlog.
    resumeReading(frozen);
    await waitFor(() => frozen.lastFrame !== undefined && decodeFrame(frozen.lastFrame).seq === total - 1, 10_000);
    expect(frozen.frameCount).toBeLessThan(total / 2);
    frozen.send({ type: 'stats' });
    expect(await frozen.waitControl((m) => m.type === 'stats')).toEqual({ type: 'stats', drops: { [sender.peerId]: frozenDrops } });
  });

  it('never drops control messages to a paused receiver', async () => {
    const relay = await startRelay({ logLevel: 'silent' });
    relays.push(relay);
    const a = await connectClient(relay.url, { room: 'bp', name: 'a', keepFrames: false });
    const b = await connectClient(relay.url, { room: 'bp', name: 'b', keepFrames: false });
    clients.push(a, b);
    pauseReading(b);
    for (let seq = 0; seq < 20; seq++) {
      a.sendFrame(bgraFrame(seq));
      a.send({ type: 'chat', text: `message ${seq}` });
    }
    await a.waitControl((m) => m.type === 'chat' && m['text'] === 'message 19');
    resumeReading(b);
    await waitFor(() => b.control.filter((m) => m.type === 'chat').length === 20, 10_000);
    expect(b.control.filter((m) => m.type === 'chat').map((m) => m['text'])).toEqual(Array.from({ length: 20 }, (_, i) => `message ${i}`));
    expect(b.frameCount).toBeLessThan(20);
  });

  it('terminates a receiver that lets control messages pile up past maxBufferedBytes', async () => {
    const relay = await startRelay({ logLevel: 'silent', maxBufferedBytes: 1024 * 1024, maxChatChars: 60_000, controlBurst: 1000, controlRatePerSecond: 1000 });
    relays.push(relay);
    const a = await connectClient(relay.url, { room: 'bp', name: 'a' });
    const frozen = await connectClient(relay.url, { room: 'bp', name: 'frozen' });
    clients.push(a, frozen);
    pauseReading(frozen);
    const text = 'x'.repeat(50_000);
    for (let i = 0; i < 400 && relay.peers('bp').length === 2; i++) {
      a.send({ type: 'chat', text });
      await a.waitControl((m) => m.type === 'chat' && a.control.filter((c) => c.type === 'chat').length > i);
    }
    expect(await a.waitControl((m) => m.type === 'peer-left')).toEqual({ type: 'peer-left', peerId: frozen.peerId });
    expect(relay.peers('bp').map((p) => p.name)).toEqual(['a']);
    expect(await (await fetch(`${relay.url}/metrics`)).text()).toMatch(/^framewire_refused_total\{code="slow-consumer"\} 1$/m);
  });
});

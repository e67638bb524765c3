/**
 * Control traffic is bounded per RECEIVER: a peer that stops reading while another floods it
 * with signals (each under the size and rate limits) is cut once its unread control passes
 * 1 MiB beyond its frames in flight — the slow one goes, the sender stays — and what the
 * relay holds for it stays bounded. An honest pair in another room loses no frame meanwhile.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';
import { startRelay, type Relay } from './relay.ts';
import { DEFAULT_MAX_CONTROL_BACKLOG_BYTES } from './session/peer.ts';
import { connectClient, waitFor, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) (c.socket as unknown as { _socket?: Socket })._socket?.resume();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function join(r: Relay, room: string, name: string): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name });
  clients.push(c);
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe('relay: control backlog per receiver', () => {
  it('cuts a receiver that does not read a flood of signals; the sender and another room carry on', async () => {
    const relay = await startRelay({ logLevel: 'silent', controlRatePerSecond: 1000, controlBurst: 1000 });
    relays.push(relay);
    const flooder = await join(relay, 'room1', 'Flooder');
    const frozen = await join(relay, 'room1', 'Frozen');
    const alice = await join(relay, 'room2', 'Alice');
    const bob = await join(relay, 'room2', 'Bob');
    (frozen.socket as unknown as { _socket: Socket })._socket.pause();

    const signal = { type: 'signal', to: frozen.peerId, data: { sdp: 'x'.repeat(30_000) } };
    let seq = 0;
    let maxBuffered = 0;
    const deadline = Date.now() + 20_000;
    // Flood (≈ 3 MB/s) while the honest pair exchanges a frame every 20 ms, until the frozen peer is gone.
    while (Date.now() < deadline && relay.peers('room1').some((p) => p.id === frozen.peerId)) {
      for (let i = 0; i < 10; i++) flooder.send(signal);
      alice.sendFrame(encodeFrame({ codec: Codec.jpeg, width: 8, height: 8, payload: Uint8Array.from([0xff, 0xd8, seq & 0xff]), seq, captureTime: Date.now() }));
      seq++;
      maxBuffered = Math.max(maxBuffered, relay.bufferedAmount(frozen.peerId));
      await sleep(20);
    }
    console.log(`[control flood] frozen receiver cut after ${seq * 20} ms; the relay held at most ${(maxBuffered / 1048576).toFixed(2)} MiB for it`);
    expect(relay.peers('room1').some((p) => p.id === frozen.peerId), 'the frozen receiver is cut').toBe(false);
    expect(maxBuffered).toBeLessThanOrEqual(DEFAULT_MAX_CONTROL_BACKLOG_BYTES + 64 * 1024 + 64 * 1024); // one signal over, at most
    // The sender was not cut, and heard that the frozen one left.
    expect(await flooder.waitControl((m) => m.type === 'peer-left')).toMatchObject({ peerId: frozen.peerId });
    flooder.send({ type: 'ping', t: 1 });
    expect(await flooder.waitControl((m) => m.type === 'pong')).toMatchObject({ t: 1 });
    // The honest pair lost nothing.
    await waitFor(() => bob.frames.length === seq);
    expect(bob.frames.map((f) => decodeFrame(f).seq)).toEqual(Array.from({ length: seq }, (_, i) => i));
  }, 30_000);

  it('does not cut a receiver that reads, however much control goes to it', async () => {
    const relay = await startRelay({ logLevel: 'silent', controlRatePerSecond: 1000, controlBurst: 1000 });
    relays.push(relay);
    const flooder = await join(relay, 'room1', 'Flooder');
    const reader = await join(relay, 'room1', 'Reader');
    const signal = { type: 'signal', to: reader.peerId, data: { sdp: 'y'.repeat(30_000) } };
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 10; i++) flooder.send(signal);
      await sleep(20);
    }
    await waitFor(() => reader.control.filter((m) => m.type === 'signal').length === 500, 10_000);
    expect(relay.peers('room1').some((p) => p.id === reader.peerId)).toBe(true);
  }, 30_000);
});

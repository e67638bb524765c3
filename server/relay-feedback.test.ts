import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';
import { relayNow, startRelay, type Relay } from './relay.ts';
import { ackEvery, connectClient, waitFor, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

const FRAME_BYTES = 20_000;

function jpegFrame(seq: number): Uint8Array {
  const payload = new Uint8Array(FRAME_BYTES - 40);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  return encodeFrame({ codec: Codec.jpeg, width: 64, height: 48, payload, seq, captureTime: Date.now() });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Relay delivery feedback (real sockets)', () => {
  it('stops sending to a receiver that stops acking after about one window, while another gets everything; the sender gets delivery', async () => {
    // A tight control rate: acks must not count against it.
    const relay = await startRelay({ logLevel: 'silent', controlRatePerSecond: 2, controlBurst: 2 });
    relays.push(relay);
    const join = async (name: string) => {
      const c = await connectClient(relay.url, { room: 'fb', name, keepFrames: false });
      clients.push(c);
      return c;
    };
    const sender = await join('sender');
    const steady = await join('steady');
    const quitter = await join('quitter');
    sender.send({ type: 'ack', frames: [] });
    const steadyAcks = ackEvery(steady);
    const quitterAcks = ackEvery(quitter);
    await waitFor(() => relay.path(steady.peerId)!.ackMode && relay.path(quitter.peerId)!.ackMode && relay.path(sender.peerId)!.ackMode);
    expect(relay.path(sender.peerId)).toMatchObject({ ackMode: true, inFlightFrames: 0 });

    let seq = 0;
    for (; seq < 40; seq++) {
      sender.sendFrame(jpegFrame(seq));
      await sleep(10);
    }
    // Warm-up: each window starts at one frame and grows with the goodput it measures.
    const lastSeq = (c: TestClient) => (c.lastFrame === undefined ? -1 : decodeFrame(c.lastFrame).seq);
    await waitFor(() => lastSeq(steady) === 39 && lastSeq(quitter) === 39);
    await waitFor(() => relay.path(quitter.peerId)!.inFlightFrames === 0 && relay.path(steady.peerId)!.inFlightFrames === 0);
    const steadyBefore = steady.frameCount;
    const steadyDropsBefore = relay.drops(steady.peerId).get(sender.peerId) ?? 0;
    const path = relay.path(quitter.peerId)!;
    expect(path.goodputBps).toBeGreaterThan(0);
    expect(path.windowBytes).toBeGreaterThan(0);

    // The quitter stops acking: the relay sends it about one window, then holds back.
    quitterAcks.stop();
    await sleep(60); // its last batch lands
    const windowFrames = Math.max(1, Math.floor(relay.path(quitter.peerId)!.windowBytes / FRAME_BYTES));
    const before = quitter.frameCount;
    for (let k = 0; k < 40; k++, seq++) {
      sender.sendFrame(jpegFrame(seq));
      await sleep(10);
    }
    await waitFor(() => lastSeq(steady) === 79);
    await sleep(50);
    // The steady receiver got every frame of this phase.
    expect(steady.frameCount - steadyBefore).toBe(40);
    expect(relay.drops(steady.peerId).get(sender.peerId) ?? 0).toBe(steadyDropsBefore);
    const gotAfterStop = quitter.frameCount - before;
    expect(gotAfterStop).toBeGreaterThanOrEqual(1);
    expect(gotAfterStop).toBeLessThanOrEqual(windowFrames + 1);
    expect(relay.path(quitter.peerId)!.inFlightFrames).toBe(gotAfterStop);
    expect(relay.drops(quitter.peerId).get(sender.peerId)).toBeGreaterThan(30);

    // The sender got `delivery`: every seq it sent acknowledged in `up` (in order), `down` reports both receivers.
    await waitFor(() => sender.control.filter((m) => m.type === 'delivery').flatMap((m) => m['up'] as unknown[]).length === 80);
    const deliveries = sender.control.filter((m) => m.type === 'delivery');
    expect(deliveries.length).toBeLessThan(80); // batched, not one per frame
    const up = deliveries.flatMap((m) => m['up'] as [number, number][]);
    expect(up.map(([s]) => s)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    for (const [, receivedAt] of up) expect(receivedAt).toBeLessThanOrEqual(relayNow());
    const last = deliveries.at(-1)!['down'] as [number, number, number, number, number][];
    expect(last.map(([id]) => id).sort()).toEqual([steady.peerId, quitter.peerId].sort());
    const steadyReport = last.find(([id]) => id === steady.peerId)!;
    expect(steadyReport[1]).toBeGreaterThan(0); // goodput bit/s
    expect(steadyReport[3]).toBeGreaterThan(0); // fps
    expect(steadyReport[4]).toBeGreaterThanOrEqual(0); // dropped/s (only warm-up drops, if any)
    const quitterReport = last.find(([id]) => id === quitter.peerId)!;
    expect(quitterReport[4]).toBeGreaterThan(0);

    // Acks never hit the (tiny) control rate limit.
    expect([...sender.control, ...steady.control, ...quitter.control].filter((m) => m.type === 'error')).toEqual([]);

    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/^framewire_delivery_delay_seconds_count\{room="fb"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^framewire_uplink_acked_frames_total\{room="fb"\} 80$/m);
    steadyAcks.stop();
  });

  it('keeps flush-based backpressure for receivers that never ack, and sends no delivery to senders that never ack', async () => {
    const relay = await startRelay({ logLevel: 'silent' });
    relays.push(relay);
    const sender = await connectClient(relay.url, { room: 'fb', name: 'sender', keepFrames: false });
    const receiver = await connectClient(relay.url, { room: 'fb', name: 'receiver', keepFrames: false });
    clients.push(sender, receiver);
    for (let seq = 0; seq < 10; seq++) sender.sendFrame(jpegFrame(seq));
    await receiver.waitFrames(1);
    await sleep(120);
    expect(relay.path(receiver.peerId)).toMatchObject({ ackMode: false, windowBytes: 0, inFlightBytes: 0 });
    expect(sender.control.some((m) => m.type === 'delivery')).toBe(false);
    expect(relay.path(12345)).toBeUndefined();
  });

  it('refuses a bad ack with bad-message, and rate-limits acks on their own bucket', async () => {
    const relay = await startRelay({ logLevel: 'silent', maxControlErrors: 1000 });
    relays.push(relay);
    const c = await connectClient(relay.url, { room: 'fb', name: 'c' });
    clients.push(c);
    c.send({ type: 'ack', frames: [[1, 2]] });
    expect(await c.waitControl((m) => m.type === 'error')).toMatchObject({ code: 'bad-message' });
    for (let i = 0; i < 150; i++) c.send({ type: 'ack', frames: [] });
    const limited = await c.waitControl((m) => m.type === 'error' && m['code'] === 'rate-limited');
    expect(limited['limit']).toBe(100);
    // Chat still has its whole budget.
    c.send({ type: 'chat', text: 'still here' });
    expect(await c.waitControl((m) => m.type === 'chat')).toMatchObject({ text: 'still here' });
  });
});

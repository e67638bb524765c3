/**
 * Audio through the relay: presence (`state` → `peer-updated`, `muted` in summaries), audio
 * frames forwarded byte for byte and queued by the audio rule (never latest-wins), bad audio
 * frames closing only their sender, and per-kind drop counters in `stats`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, Offset } from '../codec/index.ts';
import { startRelay, type Relay, type RelayOptions } from './relay.ts';
import { connectClient, waitFor, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ logLevel: 'silent', ...options });
  relays.push(r);
  return r;
}

async function join(r: Relay, room: string, name = 'peer'): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name });
  clients.push(c);
  return c;
}

/** 20 ms of Opus at 48 kHz mono; the payload (a stand-in packet) depends on `seq`. */
function opusFrame(seq: number, bytes = 80): Uint8Array {
  const payload = new Uint8Array(bytes).map((_, i) => (i * 13 + seq) & 0xff);
  return encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload, seq, captureTime: 1_700_000_000_000 + seq * 20 });
}

describe('relay: audio', () => {
  it('tells the others when a peer mutes or unmutes (peer-updated), and later joiners see it in welcome', async () => {
    const r = await relay();
    const a = await join(r, 'room1', 'Alice');
    const b = await join(r, 'room1', 'Bob');
    const x = await join(r, 'room2', 'Xavier');
    a.send({ type: 'state', muted: true });
    expect(await b.waitControl((m) => m.type === 'peer-updated')).toEqual({ type: 'peer-updated', peer: { id: a.peerId, name: 'Alice', mode: 'jpeg', muted: true } });
    const c = await join(r, 'room1', 'Carol');
    const welcome = c.control.find((m) => m.type === 'welcome') as unknown as { peers: unknown[] };
    expect(welcome.peers).toContainEqual({ id: a.peerId, name: 'Alice', mode: 'jpeg', muted: true });
    // Unchanged state is not broadcast again; unmuting is.
    a.send({ type: 'state', muted: true });
    a.send({ type: 'state', muted: false });
    await waitFor(() => b.control.filter((m) => m.type === 'peer-updated').length === 2);
    expect(b.control.filter((m) => m.type === 'peer-updated').at(-1)).toEqual({ type: 'peer-updated', peer: { id: a.peerId, name: 'Alice', mode: 'jpeg' } });
    // Not to the sender, not to another room.
    a.send({ type: 'ping', t: 1 });
    await a.waitControl((m) => m.type === 'pong');
    expect(a.control.some((m) => m.type === 'peer-updated')).toBe(false);
    expect(x.control.some((m) => m.type === 'peer-updated')).toBe(false);
  });

  it('refuses a state without a boolean muted with bad-message and keeps the connection', async () => {
    const r = await relay();
    const a = await join(r, 'room1', 'Alice');
    a.send({ type: 'state', muted: 'yes' });
    expect(await a.waitControl((m) => m.type === 'error')).toMatchObject({ code: 'bad-message', message: expect.stringContaining('muted') });
    a.send({ type: 'ping', t: 2 });
    expect(await a.waitControl((m) => m.type === 'pong')).toMatchObject({ t: 2 });
  });

  it('forwards audio frames byte for byte (sourceId and relayTime stamped) in order, interleaved with video', async () => {
    const r = await relay();
    const a = await join(r, 'room1', 'Alice');
    const b = await join(r, 'room1', 'Bob');
    const sent: Uint8Array[] = [];
    for (let seq = 1; seq <= 30; seq++) {
      const frame = seq % 3 === 0 ? encodeFrame({ codec: Codec.jpeg, width: 8, height: 8, payload: Uint8Array.from([0xff, 0xd8, seq]), seq }) : opusFrame(seq);
      sent.push(frame);
      a.sendFrame(frame);
    }
    await waitFor(() => b.frames.length === 30);
    for (let i = 0; i < 30; i++) {
      const got = b.frames[i]!;
      expect(decodeFrame(got).sourceId).toBe(a.peerId);
      const stripped = Buffer.from(got);
      stripped.fill(0, Offset.sourceId, Offset.sourceId + 4);
      stripped.fill(0, Offset.relayTime, Offset.relayTime + 8);
      expect(stripped.equals(Buffer.from(sent[i]!))).toBe(true);
    }
    const metrics = await (await fetch(`${r.url.replace('ws', 'http')}/metrics`)).text();
    expect(metrics).toMatch(/framewire_frames_in_total\{codec="opus"\} 20/);
    expect(metrics).toMatch(/framewire_frames_in_total\{codec="jpeg"\} 10/);
  });

  it('closes only the sender of a bad audio frame (1007 bad-audio-format); the room keeps hearing the others', async () => {
    const r = await relay();
    const a = await join(r, 'room1', 'Alice');
    const b = await join(r, 'room1', 'Bob');
    const c = await join(r, 'room1', 'Carol');
    const bad = opusFrame(1);
    bad.set([0xac, 0x44], Offset.width); // 44100 Hz: not an Opus rate
    a.sendFrame(bad);
    expect(await a.closed).toMatchObject({ code: 1007, reason: 'bad-audio-format' });
    c.sendFrame(opusFrame(2));
    await waitFor(() => b.frames.length === 1);
    expect(decodeFrame(b.frames[0]!)).toMatchObject({ codec: Codec.opus, sourceId: c.peerId, samples: 960 });
  });
});

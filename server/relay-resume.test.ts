/**
 * Session resume over real WebSockets: a `resumable=1` peer gets a token in its welcome; a
 * new connection with `resume=TOKEN` continues the same peer (the room sees nothing); a
 * lost connection is held for `resumeGraceMs`, a clean close is not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';
import { startRelay, type Relay } from './relay.ts';
import { connectClient, waitFor, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(graceMs = 2000): Promise<Relay> {
  const r = await startRelay({ logLevel: 'silent', resumeGraceMs: graceMs, heartbeatMs: 0 });
  relays.push(r);
  return r;
}

async function join(r: Relay, room: string, name: string, query: Record<string, string | undefined> = {}): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name, query });
  clients.push(c);
  return c;
}

function welcomeOf(c: TestClient): Record<string, unknown> {
  return c.control.filter((m) => m.type === 'welcome').at(-1)!;
}

const frame = (seq: number): Uint8Array => encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, seq, payload: Uint8Array.from([0xff, 0xd8, seq]) });

describe('session resume', () => {
  it('gives a token only to resumable peers', async () => {
    const r = await relay();
    const plain = await join(r, 'r1', 'plain');
    const resumable = await join(r, 'r1', 'res', { resumable: '1' });
    expect(welcomeOf(plain)['resume']).toBeUndefined();
    expect(welcomeOf(resumable)['resume']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(welcomeOf(resumable)['resumed']).toBeUndefined();
  });

  it('moves a peer onto a new connection: same id, the room sees nothing, frames follow it', async () => {
    const r = await relay();
    const other = await join(r, 'r2', 'other');
    const first = await join(r, 'r2', 'mover', { resumable: '1' });
    const token = welcomeOf(first)['resume'] as string;
    const second = await join(r, 'r2', 'mover', { resumable: '1', resume: token });
    const welcome = welcomeOf(second);
    expect(welcome).toMatchObject({ peerId: first.peerId, resumed: true, peers: [{ id: other.peerId, name: 'other' }] });
    expect(welcome['resume']).not.toBe(token);
    expect(await first.closed).toEqual({ code: 1000, reason: 'resumed' });
    expect(r.peers('r2').map((p) => p.id)).toEqual([other.peerId, first.peerId]);
    expect(r.stats.connections).toBe(2);
    other.sendFrame(frame(1));
    const [got] = await second.waitFrames(1);
    expect(decodeFrame(got!).sourceId).toBe(other.peerId);
    second.sendFrame(frame(2));
    const [back] = await other.waitFrames(1);
    expect(decodeFrame(back!).sourceId).toBe(first.peerId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.control.filter((m) => m.type === 'peer-left' || m.type === 'peer-joined').map((m) => m.type)).toEqual(['peer-joined']);
    // The old token is spent; a stale one joins afresh as a new peer.
    const stale = await join(r, 'r2', 'stale', { resume: token });
    expect(stale.peerId).not.toBe(first.peerId);
    expect(welcomeOf(stale)['resumed']).toBeUndefined();
  });

  it('holds a lost peer for the grace period, then lets it leave', async () => {
    const r = await relay(600);
    const other = await join(r, 'r3', 'other');
    const lost = await join(r, 'r3', 'lost', { resumable: '1' });
    const token = welcomeOf(lost)['resume'] as string;
    lost.socket.terminate(); // no close handshake: 1006 at the relay
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(other.control.some((m) => m.type === 'peer-left')).toBe(false);
    expect(r.peers('r3')).toHaveLength(2);
    other.sendFrame(frame(1)); // to a held peer: dropped, nothing breaks
    await other.waitControl((m) => m.type === 'peer-left' && m['peerId'] === lost.peerId, 3000);
    expect(r.peers('r3')).toHaveLength(1);
    const late = await join(r, 'r3', 'lost', { resumable: '1', resume: token });
    expect(late.peerId).not.toBe(lost.peerId);
  });

  it('resumes a lost peer within the grace period', async () => {
    const r = await relay(5000);
    const other = await join(r, 'r4', 'other');
    const lost = await join(r, 'r4', 'lost', { resumable: '1' });
    lost.socket.terminate();
    await waitFor(() => r.stats.connections === 2); // still counted while held
    const back = await join(r, 'r4', 'lost', { resumable: '1', resume: welcomeOf(lost)['resume'] as string });
    expect(back.peerId).toBe(lost.peerId);
    other.send({ type: 'chat', text: 'still there?' });
    await back.waitControl((m) => m.type === 'chat' && m['text'] === 'still there?');
    expect(other.control.some((m) => m.type === 'peer-left')).toBe(false);
  });

  it('releases the ack window of the replaced connection at once: the resumed receiver gets frames without waiting for expiry', async () => {
    const r = await relay(5000);
    const sender = await join(r, 'r6', 'sender');
    const receiver = await join(r, 'r6', 'receiver', { resumable: '1' });
    receiver.send({ type: 'ack', frames: [] }); // feedback-aware: the outbox runs in ack mode
    await waitFor(() => r.path(receiver.peerId)?.ackMode === true);
    for (let seq = 1; seq <= 3; seq++) sender.sendFrame(frame(seq));
    await receiver.waitFrames(1);
    await waitFor(() => (r.path(receiver.peerId)?.inFlightFrames ?? 0) > 0);
    receiver.socket.terminate(); // those frames are never acked
    const back = await join(r, 'r6', 'receiver', { resumable: '1', resume: welcomeOf(receiver)['resume'] as string });
    expect(back.peerId).toBe(receiver.peerId);
    // The frames in flight on the dead socket are lost now; the latest waiting one goes out on the new connection.
    expect(r.path(receiver.peerId)!.lost).toBeGreaterThan(0);
    const [got] = await back.waitFrames(1, 1000); // well before the 1.5 s expiry
    expect(decodeFrame(got!).seq).toBe(3);
  });

  it('lets a cleanly closed peer leave at once, and a token never crosses rooms', async () => {
    const r = await relay(5000);
    const other = await join(r, 'r5', 'other');
    const leaver = await join(r, 'r5', 'leaver', { resumable: '1' });
    const token = welcomeOf(leaver)['resume'] as string;
    const intruder = await join(r, 'elsewhere', 'x', { resume: token });
    expect(intruder.peerId).not.toBe(leaver.peerId);
    expect(r.peers('r5')).toHaveLength(2);
    await leaver.close();
    await other.waitControl((m) => m.type === 'peer-left' && m['peerId'] === leaver.peerId, 1000);
  });
});

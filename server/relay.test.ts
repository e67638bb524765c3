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

async function join(r: Relay, room: string, name = 'peer', extra: { secret?: string; mode?: string } = {}): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name, ...extra });
  clients.push(c);
  return c;
}

async function refused(r: Relay, room: string, name: string, secret?: string): Promise<{ code: number; reason: string; error: unknown }> {
  const c = await connectClient(r.url, { room, name, secret, waitWelcome: false });
  clients.push(c);
  const { code, reason } = await c.closed;
  return { code, reason, error: c.control.find((m) => m.type === 'error') };
}

/** A JPEG-codec frame whose payload is `FF D8` + `size` bytes of a pattern that depends on `seed`. */
function jpegFrame(seq: number, size = 1000, seed = seq): Uint8Array {
  const payload = new Uint8Array(size + 2);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  for (let i = 2; i < payload.length; i++) payload[i] = (i * 31 + seed * 7) & 0xff;
  return encodeFrame({ codec: Codec.jpeg, width: 64, height: 48, payload, seq, captureTime: 1_700_000_000_000 + seq });
}

/** `sent` with the sourceId and relayTime fields zeroed out of `received`, compared byte for byte. */
function expectSameExceptStamps(received: Uint8Array, sent: Uint8Array, sourceId: number): void {
  const frame = decodeFrame(received);
  expect(frame.sourceId).toBe(sourceId);
  expect(frame.relayTime).toBeGreaterThan(1_600_000_000_000);
  const a = Buffer.from(received);
  a.fill(0, Offset.sourceId, Offset.sourceId + 4);
  a.fill(0, Offset.relayTime, Offset.relayTime + 8);
  expect(a.equals(Buffer.from(sent))).toBe(true);
}

describe('Relay', () => {
  describe('connect', () => {
    it('welcomes a peer with its id, the room, the others, server time and ICE servers', async () => {
      const iceServers = [{ urls: 'stun:stun.example.org:3478' }];
      const r = await relay({ iceServers });
      const a = await join(r, 'room1', 'Alice', { mode: 'bgra' });
      const b = await join(r, 'room1', 'Bob');
      const welcomeA = a.control[0]!;
      const welcomeB = b.control[0]!;
      expect(welcomeA).toMatchObject({ type: 'welcome', room: 'room1', name: 'Alice', mode: 'bgra', peers: [], iceServers });
      expect(welcomeA['limits']).toEqual({ maxPayload: 8 * 1024 * 1024, maxPeersPerRoom: 8, maxControlBytes: 65536, maxChatChars: 2000, controlRatePerSecond: 50 });
      expect(welcomeB).toMatchObject({ type: 'welcome', room: 'room1', peers: [{ id: a.peerId, name: 'Alice', mode: 'bgra' }] });
      expect(b.peerId).toBeGreaterThan(0);
      expect(b.peerId).not.toBe(a.peerId);
      expect(Math.abs((welcomeB['serverTime'] as number) - Date.now())).toBeLessThan(60_000);
      expect(r.peers('room1')).toEqual([
        { id: a.peerId, name: 'Alice', mode: 'bgra', room: 'room1' },
        { id: b.peerId, name: 'Bob', mode: 'jpeg', room: 'room1' },
      ]);
      expect(r.stats).toMatchObject({ connections: 2, rooms: 1 });
    });

    it.each([
      ['bad room', 'no spaces', 'Alice', 'bad-room'],
      ['empty room', '', 'Alice', 'bad-room'],
      ['long room', 'x'.repeat(65), 'Alice', 'bad-room'],
      ['bad name', 'room1', '<script>', 'bad-name'],
      ['empty name', 'room1', '', 'bad-name'],
      ['long name', 'room1', 'n'.repeat(33), 'bad-name'],
      ['padded name', 'room1', ' Al ', 'bad-name'],
    ])('refuses a %s with 1008, the code as reason and a readable error', async (_what, room, name, code) => {
      const r = await relay();
      const result = await refused(r, room, name);
      expect(result.code).toBe(1008);
      expect(result.reason).toBe(code);
      expect(result.error).toMatchObject({ type: 'error', code, message: expect.stringMatching(/must be/) });
      expect(r.stats.rooms).toBe(0);
    });

    it('accepts Unicode display names', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'Zoë Ångström');
      expect(a.peerId).toBeGreaterThan(0);
      expect(r.peers('room1')[0]!.name).toBe('Zoë Ångström');
    });

    it('lets the first joiner set the room secret and refuses a wrong or missing one', async () => {
      const r = await relay();
      await join(r, 'private', 'Alice', { secret: 's3cret' });
      expect(r.checkRoomSecret('private', 's3cret')).toBe(true);
      expect(r.checkRoomSecret('private', 'nope')).toBe(false);
      expect(r.checkRoomSecret('private', undefined)).toBe(false);
      expect(r.checkRoomSecret('other-room', 'anything')).toBe(true);
      const wrong = await refused(r, 'private', 'Mallory', 's3cres');
      expect(wrong).toMatchObject({ code: 1008, reason: 'bad-secret', error: { code: 'bad-secret' } });
      const missing = await refused(r, 'private', 'Mallory');
      expect(missing).toMatchObject({ code: 1008, reason: 'bad-secret' });
      const bob = await join(r, 'private', 'Bob', { secret: 's3cret' });
      expect(bob.control[0]).toMatchObject({ type: 'welcome', peers: [{ name: 'Alice' }] });
    });

    it('forgets the secret when the room empties', async () => {
      const r = await relay();
      const a = await join(r, 'private', 'Alice', { secret: 'one' });
      await a.close();
      await waitFor(() => r.stats.rooms === 0);
      const b = await join(r, 'private', 'Bob', { secret: 'two' });
      expect(b.peerId).toBeGreaterThan(0);
    });

    it('refuses a joiner of a full room', async () => {
      const r = await relay({ maxPeersPerRoom: 2 });
      await join(r, 'small', 'A');
      await join(r, 'small', 'B');
      const result = await refused(r, 'small', 'C');
      expect(result).toMatchObject({ code: 1008, reason: 'room-full', error: { code: 'room-full', message: 'room is full [room:small, max:2]' } });
      await join(r, 'other', 'C');
    });

    it('refuses connections over maxConnections with 1013', async () => {
      const r = await relay({ maxConnections: 2 });
      await join(r, 'a', 'A');
      await join(r, 'b', 'B');
      const result = await refused(r, 'c', 'C');
      expect(result).toMatchObject({ code: 1013, reason: 'server-full' });
    });

    it('rejects invalid options with a TypeError', async () => {
      await expect(startRelay({ maxPeersPerRoom: 0 })).rejects.toThrow(TypeError);
      await expect(startRelay({ port: 70000 })).rejects.toThrow(/port/);
      await expect(startRelay({ maxPayload: 10 })).rejects.toThrow(/maxPayload/);
      await expect(startRelay({ iceServers: [{ urls: 'http://x' }] })).rejects.toThrow(/iceServers/);
    });
  });

  describe('presence', () => {
    it('announces joins and leaves to the others and emits events', async () => {
      const r = await relay();
      const joined: number[] = [];
      const left: number[] = [];
      r.on('peer-joined', (e) => joined.push(e.peer.id));
      r.on('peer-left', (e) => left.push(e.peer.id));
      const a = await join(r, 'room1', 'Alice');
      const b = await join(r, 'room1', 'Bob', { mode: 'webrtc' });
      expect(await a.waitControl((m) => m.type === 'peer-joined')).toEqual({
        type: 'peer-joined',
        peer: { id: b.peerId, name: 'Bob', mode: 'webrtc' },
      });
      await b.close();
      expect(await a.waitControl((m) => m.type === 'peer-left')).toEqual({ type: 'peer-left', peerId: b.peerId });
      expect(joined).toEqual([a.peerId, b.peerId]);
      await waitFor(() => left.length === 1);
      expect(left).toEqual([b.peerId]);
      expect(r.peers('room1').map((p) => p.id)).toEqual([a.peerId]);
    });

    it('does not announce across rooms', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'Alice');
      await join(r, 'room2', 'Bob');
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
      expect(a.control.map((m) => m.type)).toEqual(['welcome', 'pong']);
    });
  });

  describe('frames', () => {
    it('forwards frames between two peers byte-exact except the stamped source id and relay time', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'Alice');
      const b = await join(r, 'room1', 'Bob');
      const seen: { peerId: number; sourceId: number; same: boolean }[] = [];
      r.on('frame', (e) => seen.push({ peerId: e.peerId, sourceId: e.frame.sourceId, same: e.frame.bytes.byteLength === 1042 }));
      const fromA = jpegFrame(1);
      const fromB = jpegFrame(2, 5000);
      a.sendFrame(fromA);
      b.sendFrame(fromB);
      const [atB] = await b.waitFrames(1);
      const [atA] = await a.waitFrames(1);
      expectSameExceptStamps(atB!, fromA, a.peerId);
      expectSameExceptStamps(atA!, fromB, b.peerId);
      expect(seen).toContainEqual({ peerId: a.peerId, sourceId: a.peerId, same: true });
      expect(r.stats).toMatchObject({ framesIn: 2, framesOut: 2, bytesIn: fromA.byteLength + fromB.byteLength, drops: 0 });
    });

    it('forwards to every other peer of a room of three, never back to the sender', async () => {
      const r = await relay();
      const [a, b, c] = [await join(r, 'room1', 'A'), await join(r, 'room1', 'B'), await join(r, 'room1', 'C')];
      const sent = [jpegFrame(1), jpegFrame(2), jpegFrame(3)];
      for (const f of sent) a.sendFrame(f);
      const atB = await b.waitFrames(3);
      const atC = await c.waitFrames(3);
      for (let i = 0; i < 3; i++) {
        expectSameExceptStamps(atB[i]!, sent[i]!, a.peerId);
        expectSameExceptStamps(atC[i]!, sent[i]!, a.peerId);
      }
      c.sendFrame(jpegFrame(9));
      await a.waitFrames(1);
      await b.waitFrames(4);
      expect(decodeFrame(b.frames[3]!).sourceId).toBe(c.peerId);
      expect(a.frames).toHaveLength(1);
      expect(r.stats.framesOut).toBe(8);
    });

    it('never forwards frames across rooms', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      const x = await join(r, 'room2', 'X');
      const y = await join(r, 'room2', 'Y');
      for (let i = 0; i < 5; i++) a.sendFrame(jpegFrame(i));
      x.sendFrame(jpegFrame(100));
      await b.waitFrames(5);
      await y.waitFrames(1);
      // a round trip through the relay after the frames: anything in flight has arrived.
      x.send({ type: 'ping', t: 0 });
      await x.waitControl((m) => m.type === 'pong');
      expect(x.frames).toHaveLength(0);
      expect(y.frames).toHaveLength(1);
      expect(decodeFrame(y.frames[0]!).sourceId).toBe(x.peerId);
      expect(a.frames).toHaveLength(0);
    });

    it.each([
      ['bad magic', (f: Uint8Array) => f.fill(0, 4, 6), 'bad-magic'],
      ['wrong length prefix', (f: Uint8Array) => new DataView(f.buffer).setUint32(0, 5, false), 'length-mismatch'],
      ['reserved codec', (f: Uint8Array) => (f[Offset.codec] = Codec.vp8), 'unknown-codec'],
      ['non-JPEG payload', (f: Uint8Array) => (f[Offset.payload] = 0), 'not-jpeg'],
      ['truncated header', (f: Uint8Array) => f, 'too-short'],
    ])('closes only the sender of a frame with %s, with 1007 and the FrameError code', async (what, corrupt, code) => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      const c = await join(r, 'room1', 'C');
      const bad = jpegFrame(1);
      corrupt(bad);
      b.sendFrame(what === 'truncated header' ? bad.subarray(0, 20) : bad);
      expect(await b.closed).toEqual({ code: 1007, reason: code });
      expect(await a.waitControl((m) => m.type === 'peer-left')).toMatchObject({ peerId: b.peerId });
      a.sendFrame(jpegFrame(2));
      const [atC] = await c.waitFrames(1);
      expect(decodeFrame(atC!).seq).toBe(2);
      expect(r.peers('room1').map((p) => p.name)).toEqual(['A', 'C']);
      expect(r.stats.framesIn).toBe(1);
    });

    it('fuzz: a bit-flipped or truncated frame is either forwarded intact or closes only its sender with 1007 and a FrameError code', async () => {
      const r = await relay();
      const watcher = await join(r, 'fuzz', 'watcher');
      let seed = 12345;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const codes = new Set(['too-short', 'bad-magic', 'bad-version', 'unknown-codec', 'length-mismatch', 'too-large', 'bad-dimensions', 'bad-payload-size', 'not-jpeg']);
      let forwarded = 0;
      for (let i = 0; i < 30; i++) {
        const sender = await join(r, 'fuzz', `s${i}`);
        const frame = jpegFrame(i, 64);
        let bytes = frame;
        if (random(4) === 0) bytes = frame.subarray(0, random(frame.length));
        else for (let k = 0, n = 1 + random(3); k < n; k++) frame[random(Offset.payload + 2)] ^= 1 << random(8);
        sender.sendFrame(bytes);
        sender.send({ type: 'ping', t: i });
        const outcome = await Promise.race([sender.closed, sender.waitControl((m) => m.type === 'pong').then(() => 'open' as const)]);
        if (outcome === 'open') {
          forwarded++;
          await watcher.waitFrames(forwarded);
          expect(decodeFrame(watcher.frames.at(-1)!).sourceId).toBe(sender.peerId);
        } else {
          expect(outcome.code).toBe(1007);
          expect(codes).toContain(outcome.reason);
        }
        await sender.close();
      }
      expect(forwarded).toBeLessThan(30);
      expect(watcher.socket.readyState).toBe(watcher.socket.OPEN);
      expect(r.stats.framesIn).toBe(forwarded);
    });

    it('rejects a message over maxPayload with 1009 and keeps the others', async () => {
      const r = await relay({ maxPayload: 64 * 1024 });
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      b.sendFrame(jpegFrame(1, 100 * 1024));
      expect((await b.closed).code).toBe(1009);
      a.sendFrame(jpegFrame(2, 60 * 1024));
      await waitFor(() => r.stats.framesIn === 1);
      expect(r.stats.framesOut).toBe(0);
      expect(r.peers('room1').map((p) => p.name)).toEqual(['A']);
    });

    it('lets an extension exclude a source for one receiver and send it replacement frames', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      const c = await join(r, 'room1', 'C');
      r.setSourceExcluded(c.peerId, a.peerId, true);
      r.on('frame', (e) => {
        const replacement = jpegFrame(e.frame.seq + 1000);
        new DataView(replacement.buffer).setUint32(Offset.sourceId, e.peerId, false);
        expect(r.sendFrame(c.peerId, replacement)).toBe(true);
      });
      a.sendFrame(jpegFrame(1));
      await b.waitFrames(1);
      const [atC] = await c.waitFrames(1);
      expect(decodeFrame(atC!)).toMatchObject({ seq: 1001, sourceId: a.peerId });
      expect(decodeFrame(b.frames[0]!).seq).toBe(1);
      expect(r.sendFrame(999_999, jpegFrame(1))).toBe(false);
    });
  });

  describe('control messages', () => {
    it('relays chat to the whole room with sender, name and server timestamp', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'Alice');
      const b = await join(r, 'room1', 'Bob');
      const x = await join(r, 'room2', 'Xavier');
      a.send({ type: 'chat', text: 'hello 👋' });
      const atB = await b.waitControl((m) => m.type === 'chat');
      const atA = await a.waitControl((m) => m.type === 'chat');
      expect(atB).toEqual({ type: 'chat', from: a.peerId, name: 'Alice', text: 'hello 👋', ts: expect.any(Number) });
      expect(atA).toEqual(atB);
      x.send({ type: 'ping', t: 0 });
      await x.waitControl((m) => m.type === 'pong');
      expect(x.control.some((m) => m.type === 'chat')).toBe(false);
    });

    it('refuses empty and over-long chat with an error and keeps the connection', async () => {
      const r = await relay({ maxChatChars: 10 });
      const a = await join(r, 'room1', 'Alice');
      a.send({ type: 'chat', text: 'x'.repeat(11) });
      expect(await a.waitControl((m) => m.type === 'error')).toMatchObject({ code: 'bad-message', message: expect.stringContaining('too long') });
      a.send({ type: 'chat', text: '' });
      await waitFor(() => a.control.filter((m) => m.type === 'error').length === 2);
      a.send({ type: 'chat', text: 'ok' });
      expect(await a.waitControl((m) => m.type === 'chat')).toMatchObject({ text: 'ok' });
    });

    it('delivers a signal only to its target, as {type, from, data}', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      const c = await join(r, 'room1', 'C');
      const data = { sdp: 'v=0\r\n…', kind: 'offer' };
      a.send({ type: 'signal', to: b.peerId, data });
      expect(await b.waitControl((m) => m.type === 'signal')).toEqual({ type: 'signal', from: a.peerId, data });
      c.send({ type: 'ping', t: 0 });
      await c.waitControl((m) => m.type === 'pong');
      a.send({ type: 'ping', t: 0 });
      await a.waitControl((m) => m.type === 'pong');
      expect(c.control.some((m) => m.type === 'signal')).toBe(false);
      expect(a.control.some((m) => m.type === 'signal')).toBe(false);
    });

    it('routes call control (invite, accept, decline, hangup) to one peer', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      a.send({ type: 'invite', to: b.peerId, data: { mode: 'webrtc' } });
      expect(await b.waitControl((m) => m.type === 'invite')).toEqual({ type: 'invite', from: a.peerId, data: { mode: 'webrtc' } });
      b.send({ type: 'accept', to: a.peerId });
      expect(await a.waitControl((m) => m.type === 'accept')).toEqual({ type: 'accept', from: b.peerId });
      b.send({ type: 'decline', to: a.peerId });
      expect(await a.waitControl((m) => m.type === 'decline')).toEqual({ type: 'decline', from: b.peerId });
      a.send({ type: 'hangup', to: b.peerId });
      expect(await b.waitControl((m) => m.type === 'hangup')).toEqual({ type: 'hangup', from: a.peerId });
    });

    it('refuses a signal to a peer in another room, to itself, or without a valid target', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      const x = await join(r, 'room2', 'X');
      a.send({ type: 'signal', to: x.peerId, data: {} });
      a.send({ type: 'signal', to: a.peerId, data: {} });
      a.send({ type: 'signal', to: 'everyone', data: {} });
      a.send({ type: 'signal', to: x.peerId });
      await waitFor(() => a.control.filter((m) => m.type === 'error').length === 4);
      expect(a.control.filter((m) => m.type === 'error').map((m) => m['code'])).toEqual(['no-such-peer', 'no-such-peer', 'bad-message', 'bad-message']);
      x.send({ type: 'ping', t: 0 });
      await x.waitControl((m) => m.type === 'pong');
      expect(x.control.some((m) => m.type === 'signal')).toBe(false);
    });

    it('answers ping with pong {t, serverTime}', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      a.send({ type: 'ping', t: 123.5 });
      const pong = await a.waitControl((m) => m.type === 'pong');
      expect(pong).toEqual({ type: 'pong', t: 123.5, serverTime: expect.any(Number) });
      expect(Math.abs((pong['serverTime'] as number) - Date.now())).toBeLessThan(60_000);
    });

    it('answers malformed JSON and unknown types with an error and keeps the connection', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      a.socket.send('{not json');
      a.socket.send('[1,2]');
      a.send({ type: 'teleport' });
      a.send({ kind: 'chat' });
      await waitFor(() => a.control.filter((m) => m.type === 'error').length === 4);
      expect(a.control.filter((m) => m.type === 'error').map((m) => m['code'])).toEqual(['bad-json', 'bad-json', 'unknown-type', 'bad-json']);
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
      expect(a.socket.readyState).toBe(a.socket.OPEN);
    });

    it('closes a connection with 1008 after repeated abuse', async () => {
      const r = await relay({ maxControlErrors: 5 });
      const a = await join(r, 'room1', 'A');
      const b = await join(r, 'room1', 'B');
      for (let i = 0; i < 20; i++) a.socket.send('garbage');
      expect(await a.closed).toEqual({ code: 1008, reason: 'abuse' });
      expect(a.control.filter((m) => m.type === 'error').length).toBeGreaterThanOrEqual(5);
      expect(await b.waitControl((m) => m.type === 'peer-left')).toMatchObject({ peerId: a.peerId });
    });

    it('rate-limits control messages per connection', async () => {
      const r = await relay({ controlRatePerSecond: 1, controlBurst: 3, maxControlErrors: 100 });
      const a = await join(r, 'room1', 'A');
      for (let i = 0; i < 6; i++) a.send({ type: 'ping', t: i });
      await waitFor(() => a.control.length >= 7);
      const replies = a.control.slice(1);
      expect(replies.filter((m) => m.type === 'pong')).toHaveLength(3);
      expect(replies.filter((m) => m.type === 'error').map((m) => m['code'])).toEqual(['rate-limited', 'rate-limited', 'rate-limited']);
    });

    it('refuses control messages over maxControlBytes', async () => {
      const r = await relay({ maxControlBytes: 1024 });
      const a = await join(r, 'room1', 'A');
      a.send({ type: 'chat', text: 'x'.repeat(2000) });
      expect(await a.waitControl((m) => m.type === 'error')).toMatchObject({ code: 'too-large' });
    });

    it('reports drops per source on stats', async () => {
      const r = await relay();
      const a = await join(r, 'room1', 'A');
      a.send({ type: 'stats' });
      expect(await a.waitControl((m) => m.type === 'stats')).toEqual({ type: 'stats', drops: {} });
    });

    it('dispatches extra control types to handleControl handlers; sendControl reaches one peer', async () => {
      const r = await relay();
      const calls: { peer: number; msg: Record<string, unknown> }[] = [];
      r.handleControl('record', (peer, msg) => {
        calls.push({ peer: peer.id, msg });
        r.sendControl(peer.id, { type: 'recording', on: msg['on'] });
      });
      r.handleControl('explode', () => {
        throw new Error('boom');
      });
      expect(() => r.handleControl('chat', () => undefined)).toThrow(TypeError);
      expect(() => r.handleControl('record', () => undefined)).toThrow(TypeError);
      const a = await join(r, 'room1', 'A');
      a.send({ type: 'record', on: true });
      expect(await a.waitControl((m) => m.type === 'recording')).toEqual({ type: 'recording', on: true });
      expect(calls).toEqual([{ peer: a.peerId, msg: { type: 'record', on: true } }]);
      a.send({ type: 'explode' });
      expect(await a.waitControl((m) => m.type === 'error')).toMatchObject({ code: 'handler-failed' });
      a.send({ type: 'unheard-of' });
      await waitFor(() => a.control.filter((m) => m.type === 'error').length === 2);
      expect(a.control.at(-1)).toMatchObject({ code: 'unknown-type' });
      expect(r.sendControl(424242, { type: 'x' })).toBe(false);
    });
  });
});

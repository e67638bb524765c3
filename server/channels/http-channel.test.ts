/**
 * HttpChannel on real loopback sockets: a bare node:http server attaches each request to one
 * channel (no relay, no endpoint), the test plays the relay core (a recording receiver) and
 * the client (node:http requests). Then the channel behind a real relay (`Relay.accept`).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, encodeCloseRecord, encodeControlRecord, encodeFrame, encodeKeepaliveRecord, RecordReader, type StreamRecord } from '../../codec/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import { connectClient, waitFor, type TestClient } from '../test-client.ts';
import { HttpChannel, type HttpChannelOptions, type HttpSessionEnd } from './http-channel.ts';
import { httpRequest } from './http-test-client.ts';
import type { ChannelReceiver } from './peer-channel.ts';

const servers: Server[] = [];
const channels: HttpChannel[] = [];
const relays: Relay[] = [];
const wsClients: TestClient[] = [];

afterEach(async () => {
  for (const c of channels.splice(0)) c.terminate();
  await Promise.all(wsClients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    }),
  );
});

/** What the channel told its receiver (the core's side). */
interface Recorded {
  frames: Uint8Array[];
  control: string[];
  closes: { code: number; reason: string }[];
}

function recorder(): Recorded & ChannelReceiver {
  const decoder = new TextDecoder();
  const r: Recorded & ChannelReceiver = {
    frames: [],
    control: [],
    closes: [],
    onFrame: (bytes) => r.frames.push(bytes),
    onControl: (utf8) => r.control.push(decoder.decode(utf8)),
    onClose: (code, reason) => r.closes.push({ code, reason }),
  };
  return r;
}

/** One channel behind a bare HTTP server: GET /stream and GET /poll attach to it. */
async function harness(options: HttpChannelOptions = {}) {
  const ends: HttpSessionEnd[] = [];
  const channel = new HttpChannel({ ...options, onEnd: (_c, why) => ends.push(why) });
  channels.push(channel);
  const core = recorder();
  channel.receive(core);
  const server = createServer((req, res) => {
    if (req.url === '/stream') channel.attachStream(res);
    else if (req.url === '/poll') channel.attachPoll(res);
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { channel, core, ends, base };
}

/** A GET /stream reader: the records as they arrive, and whether the body ended. */
function openStream(base: string) {
  const reader = new RecordReader();
  const s = { records: [] as StreamRecord[], ended: false, status: 0, res: undefined as IncomingMessage | undefined, destroy: () => req.destroy() };
  const req = request(new URL('/stream', base), { agent: false }, (res) => {
    s.status = res.statusCode ?? 0;
    s.res = res;
    res.on('data', (chunk: Buffer) => s.records.push(...reader.push(chunk)));
    res.on('end', () => (s.ended = true));
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return s;
}

async function poll(base: string): Promise<{ status: number; length: string | undefined; records: StreamRecord[] }> {
  const answer = await httpRequest(base, 'GET', '/poll');
  return { status: answer.status, length: answer.headers['content-length'], records: new RecordReader().push(answer.body) };
}

/** The bytes as a plain Uint8Array (a Buffer does not deep-equal one). */
const plain = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

const controls = (records: StreamRecord[]): string[] =>
  records.flatMap((r) => (r.kind === 'control' ? [new TextDecoder().decode(r.utf8)] : []));

function jpegFrame(seq: number, bytes = 600): Uint8Array {
  const payload = new Uint8Array(bytes);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  return encodeFrame({ codec: Codec.jpeg, width: 32, height: 24, payload, seq, captureTime: 1_700_000_000_000 });
}

describe('HttpChannel', () => {
  describe('stream downlink', () => {
    it('writes what was queued, then each record as it comes, frames as their own bytes', async () => {
      const { channel, base } = await harness();
      channel.sendControl('{"type":"welcome"}');
      const early = jpegFrame(1);
      const dones: string[] = [];
      expect(channel.sendFrame(early, () => dones.push('early'))).toBe('in-flight');
      expect(channel.bufferedAmount).toBe(encodeControlRecord('{"type":"welcome"}').byteLength + early.byteLength);
      const s = openStream(base);
      await waitFor(() => s.records.length === 2);
      expect(s.status).toBe(200);
      expect(s.res!.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      expect(s.res!.headers['content-length']).toBeUndefined();
      await waitFor(() => dones.length === 1);
      const live = jpegFrame(2);
      expect(channel.sendFrame(live, () => dones.push('live'))).toBe('flushed'); // a small write the kernel takes at once
      channel.sendControl('{"type":"chat"}');
      await waitFor(() => s.records.length === 4);
      expect(s.records.map((r) => r.kind)).toEqual(['control', 'frame', 'frame', 'control']);
      expect(controls(s.records)).toEqual(['{"type":"welcome"}', '{"type":"chat"}']);
      expect(plain((s.records[1] as { bytes: Uint8Array }).bytes)).toEqual(early);
      expect(plain((s.records[2] as { bytes: Uint8Array }).bytes)).toEqual(live);
      await waitFor(() => dones.length === 2); // `done` comes for a flushed frame too (and is ignored by the outbox)
      expect(dones).toEqual(['early', 'live']);
      expect(channel.downlinkKind).toBe('stream');
    });

    it('a newer stream ends the older one (its body just ends) and takes the records from then on', async () => {
      const { channel, base } = await harness();
      const first = openStream(base);
      await waitFor(() => first.status === 200);
      const second = openStream(base);
      await waitFor(() => first.ended && second.status === 200);
      channel.sendControl('{"n":1}');
      await waitFor(() => second.records.length === 1);
      expect(first.records).toEqual([]);
      expect(channel.isOpen).toBe(true);
    });

    it('a stream that fails just detaches: its frames are settled without an error and the next records queue', async () => {
      const { channel, base } = await harness();
      const s = openStream(base);
      await waitFor(() => s.status === 200);
      s.destroy();
      await waitFor(() => channel.bufferedAmount === 0);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the close
      const errors: unknown[] = [];
      expect(channel.sendFrame(jpegFrame(1), (error) => errors.push(error))).toBe('in-flight');
      expect(channel.isOpen).toBe(true);
      const answer = await poll(base);
      expect(answer.records.map((r) => r.kind)).toEqual(['frame']);
      await waitFor(() => errors.length === 1);
      expect(errors).toEqual([undefined]);
    });

    it('writes a keepalive record after a quiet keepaliveMs', async () => {
      const { base } = await harness({ keepaliveMs: 150 });
      const s = openStream(base);
      await waitFor(() => s.records.length >= 2, 2000);
      expect(s.records.every((r) => r.kind === 'keepalive')).toBe(true);
    });
  });

  describe('poll downlink', () => {
    it('answers at once with everything queued, with a Content-Length', async () => {
      const { channel, base } = await harness();
      channel.sendControl('{"type":"welcome"}');
      const frame = jpegFrame(3);
      let done = 0;
      channel.sendFrame(frame, () => done++);
      const answer = await poll(base);
      expect(answer.status).toBe(200);
      expect(Number(answer.length)).toBe(encodeControlRecord('{"type":"welcome"}').byteLength + frame.byteLength);
      expect(answer.records.map((r) => r.kind)).toEqual(['control', 'frame']);
      expect(done).toBe(1); // written: the poll carrying it is done
      expect(channel.bufferedAmount).toBe(0);
      expect(channel.downlinkKind).toBe('poll');
    });

    it('waits for the first records (those of one event-loop turn together)', async () => {
      const { channel, base } = await harness();
      const pending = poll(base);
      await new Promise((resolve) => setTimeout(resolve, 50));
      channel.sendControl('{"n":1}');
      channel.sendControl('{"n":2}');
      const answer = await pending;
      expect(controls(answer.records)).toEqual(['{"n":1}', '{"n":2}']);
    });

    it('answers one keepalive record after pollWaitMs without records', async () => {
      const { base } = await harness({ pollWaitMs: 100 });
      const answer = await poll(base);
      expect(answer.records).toEqual([{ kind: 'keepalive' }]);
      expect(Number(answer.length)).toBe(encodeKeepaliveRecord().byteLength);
    });

    it('a newer poll answers the waiting one with an empty body', async () => {
      const { channel, base } = await harness();
      const older = poll(base);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const newer = poll(base);
      expect(await older).toMatchObject({ status: 200, length: '0', records: [] });
      channel.sendControl('{"n":1}');
      expect(controls((await newer).records)).toEqual(['{"n":1}']);
    });
  });

  describe('close', () => {
    it('a close by the relay: the close record is the last record, onClose once it is written, then the linger', async () => {
      const { channel, core, ends, base } = await harness({ lingerMs: 200 });
      const s = openStream(base);
      await waitFor(() => s.status === 200);
      channel.sendControl('{"type":"error"}');
      channel.close(1008, 'room-full');
      expect(channel.isOpen).toBe(false);
      expect(channel.sendControl('{}')).toBe(false);
      expect(channel.sendFrame(jpegFrame(1), () => undefined)).toBe('failed');
      await waitFor(() => s.ended);
      expect(s.records).toEqual([expect.objectContaining({ kind: 'control' }), { kind: 'close', code: 1008, reason: 'room-full' }]);
      await waitFor(() => core.closes.length === 1);
      expect(core.closes).toEqual([{ code: 1008, reason: 'room-full' }]);
      // Lingering: a late poll still gets the close record; then the session is forgotten.
      expect((await poll(base)).records).toEqual([{ kind: 'close', code: 1008, reason: 'room-full' }]);
      expect(ends).toEqual([]);
      await waitFor(() => ends.length === 1, 2000);
      expect(ends).toEqual(['linger']);
      expect(channel.forgotten).toBe(true);
      expect(core.closes).toHaveLength(1);
    });

    it('a close by the relay with nothing attached completes at once; the record waits for the next fetch', async () => {
      const { channel, core, base } = await harness();
      channel.close(1001, 'shutting-down');
      expect(core.closes).toEqual([{ code: 1001, reason: 'shutting-down' }]);
      expect((await poll(base)).records).toEqual([{ kind: 'close', code: 1001, reason: 'shutting-down' }]);
    });

    it('a close record that cannot be written (the reader stopped) completes as lost (1006) after closeTimeoutMs', async () => {
      const { channel, core, base } = await harness({ closeTimeoutMs: 200 });
      const s = openStream(base);
      await waitFor(() => s.status === 200);
      s.res!.pause();
      // Fill the socket buffers so the close record stays in Node's buffer.
      const big = jpegFrame(1, 4 * 1024 * 1024);
      while (channel.sendFrame(big, () => undefined) === 'flushed') await new Promise((resolve) => setTimeout(resolve, 5));
      channel.close(1001, 'shutting-down');
      expect(core.closes).toEqual([]);
      await waitFor(() => core.closes.length === 1, 2000);
      expect(core.closes).toEqual([{ code: 1006, reason: '' }]);
      // The relay dropped that response: reading again, the client sees it cut short.
      s.res!.resume();
      await waitFor(() => s.res!.destroyed, 5000);
      expect(s.records.some((r) => r.kind === 'close')).toBe(false);
    });

    it('a waiting poll is answered with the close record', async () => {
      const { channel, core, base } = await harness();
      const pending = poll(base);
      await new Promise((resolve) => setTimeout(resolve, 50));
      channel.close(1001, 'shutting-down');
      expect((await pending).records).toEqual([{ kind: 'close', code: 1001, reason: 'shutting-down' }]);
      await waitFor(() => core.closes.length === 1);
      expect(core.closes).toEqual([{ code: 1001, reason: 'shutting-down' }]);
    });

    it('a close record from the client: echoed as the last record, the receiver told at once', async () => {
      const { channel, core, base } = await harness();
      const s = openStream(base);
      await waitFor(() => s.status === 200);
      const records = new RecordReader().push(encodeCloseRecord(4001, 'bye'));
      expect(channel.deliver(records)).toBe(true);
      expect(core.closes).toEqual([{ code: 4001, reason: 'bye' }]);
      await waitFor(() => s.ended);
      expect(s.records).toEqual([{ kind: 'close', code: 4001, reason: 'bye' }]);
    });

    it('a close record with a code a client may not send (1006) is refused: the channel closes 1002 bad-close-code', async () => {
      const { channel, core, base } = await harness();
      expect(channel.deliver([{ kind: 'close', code: 1006, reason: '' }])).toBe(false);
      expect((await poll(base)).records).toEqual([{ kind: 'close', code: 1002, reason: 'bad-close-code' }]);
      await waitFor(() => core.closes.length === 1);
      expect(core.closes).toEqual([{ code: 1002, reason: 'bad-close-code' }]);
    });

    it('terminate drops the attached stream and tells the receiver 1006 at once; the session is forgotten', async () => {
      const { channel, core, ends, base } = await harness();
      const s = openStream(base);
      await waitFor(() => s.status === 200);
      channel.terminate();
      expect(core.closes).toEqual([{ code: 1006, reason: '' }]);
      expect(ends).toEqual(['terminated']);
      await waitFor(() => s.ended || s.res!.destroyed);
      channel.terminate();
      expect(core.closes).toHaveLength(1);
    });
  });

  describe('uplink', () => {
    it('hands frames over as the very views the reader cut (zero copy), control as UTF-8, skips keepalives', () => {
      const channel = new HttpChannel();
      channels.push(channel);
      const core = recorder();
      channel.receive(core);
      const frame = jpegFrame(9);
      const body = new Uint8Array([...encodeKeepaliveRecord(), ...frame, ...encodeControlRecord('{"type":"ping","t":1}')]);
      const records = new RecordReader().push(body);
      expect(channel.deliver(records)).toBe(true);
      expect(core.frames).toHaveLength(1);
      expect(core.frames[0]).toBe((records[1] as { bytes: Uint8Array }).bytes);
      expect(core.frames[0]!.buffer).toBe(body.buffer);
      expect(core.frames[0]).toEqual(frame);
      expect(core.control).toEqual(['{"type":"ping","t":1}']);
    });

    it('ignores records after the channel closed', () => {
      const channel = new HttpChannel();
      channels.push(channel);
      const core = recorder();
      channel.receive(core);
      channel.deliver([{ kind: 'close', code: 1000, reason: '' }, { kind: 'frame', bytes: jpegFrame(1) }]);
      expect(core.frames).toEqual([]);
      expect(core.closes).toEqual([{ code: 1000, reason: '' }]);
    });
  });

  describe('liveness', () => {
    it('no request for idleTimeoutMs: lost (1006) and forgotten; a waiting poll keeps it alive', async () => {
      const { channel, core, ends, base } = await harness({ idleTimeoutMs: 150, pollWaitMs: 400 });
      const answer = await poll(base); // waits 400 ms > idle timeout: still alive
      expect(answer.records).toEqual([{ kind: 'keepalive' }]);
      expect(core.closes).toEqual([]);
      await waitFor(() => core.closes.length === 1, 2000);
      expect(core.closes).toEqual([{ code: 1006, reason: '' }]);
      expect(ends).toEqual(['idle']);
      expect(channel.forgotten).toBe(true);
    });

    it('behind a relay: a peer that stops polling is terminated after the idle timeout and the others get peer-left', async () => {
      const relay = await startRelay({ logLevel: 'silent' });
      relays.push(relay);
      const other = await connectClient(relay.url, { room: 'idle', name: 'ws' });
      wsClients.push(other);
      const { channel, base } = await harness({ idleTimeoutMs: 300, pollWaitMs: 100 });
      channels.splice(channels.indexOf(channel), 1); // the relay owns it now
      relay.accept(channel, new URLSearchParams({ room: 'idle', name: 'poller' }), { remoteAddress: 'test' });
      const welcome = await poll(base);
      const peerId = (JSON.parse(controls(welcome.records)[0]!) as { type: string; peerId: number }).peerId;
      await other.waitControl((m) => m.type === 'peer-joined');
      // It stops polling: ~300 ms later the relay hears it lost, and the room hears it left.
      const left = await other.waitControl((m) => m.type === 'peer-left', 3000);
      expect(left['peerId']).toBe(peerId);
      expect(relay.peers('idle').map((p) => p.name)).toEqual(['ws']);
      expect(channel.forgotten).toBe(true);
    });
  });

  it('writes the records of the worked examples in docs/protocol.md › Byte-stream records', () => {
    // prettier-ignore
    expect([...encodeControlRecord('{"type":"ping","t":1}')]).toEqual([
      0x00, 0x00, 0x00, 0x17, //             length = 23
      0x46, 0x43, //                         magic "FC"
      0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, // {"type":
      0x22, 0x70, 0x69, 0x6e, 0x67, 0x22, 0x2c, //       "ping",
      0x22, 0x74, 0x22, 0x3a, 0x31, 0x7d, //             "t":1}
    ]);
    // prettier-ignore
    expect([...encodeCloseRecord(1000, 'leave')]).toEqual([
      0x00, 0x00, 0x00, 0x09, //             length = 9
      0x46, 0x45, //                         magic "FE"
      0x03, 0xe8, //                         code 1000
      0x6c, 0x65, 0x61, 0x76, 0x65, //       "leave"
    ]);
    expect([...encodeKeepaliveRecord()]).toEqual([0x00, 0x00, 0x00, 0x02, 0x46, 0x4b]);
  });

  it('rejects bad options with a TypeError', () => {
    expect(() => new HttpChannel({ pollWaitMs: 0 })).toThrow(TypeError);
    expect(() => new HttpChannel({ lingerMs: Number.NaN })).toThrow(/lingerMs/);
  });
});

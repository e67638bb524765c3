/**
 * The relay core behind its transports: the same scenario over two ws clients, over two
 * in-process memory channels (no sockets) and over two HTTP channel sessions (a stream, and
 * long-polling) must give the same frames, byte for byte, and the same control messages —
 * the proof that a transport is one `PeerChannel` file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, encodeFrame, Offset } from '../../codec/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import { connectClient, waitFor, type ControlMsg } from '../test-client.ts';
import { openHttpClient, type HttpTestClient } from './http-test-client.ts';
import { createMemoryChannelPair, type MemoryChannel } from './memory-channel.ts';

/** A client of either transport, as the scenario drives it. */
interface ScenarioClient {
  control: ControlMsg[];
  frames: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  sendText(text: string): void;
  sendFrame(bytes: Uint8Array): void;
  close(): void;
}

type Connect = (relay: Relay, room: string, name: string) => Promise<ScenarioClient>;

const relays: Relay[] = [];
const httpClients: HttpTestClient[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  for (const c of httpClients.splice(0)) c.dispose();
});

const overWs: Connect = async (relay, room, name) => {
  const c = await connectClient(relay.url, { room, name });
  return {
    control: c.control,
    frames: c.frames,
    closed: c.closed,
    sendText: (text) => c.socket.send(text),
    sendFrame: (bytes) => c.sendFrame(bytes),
    close: () => c.socket.close(1000, 'bye'),
  };
};

const overMemory: Connect = async (relay, room, name) => {
  const [relayEnd, clientEnd] = createMemoryChannelPair();
  const client = memoryClient(clientEnd);
  relay.accept(relayEnd, new URLSearchParams({ room, name }), { remoteAddress: 'memory' });
  await waitFor(() => client.control.some((m) => m.type === 'welcome'));
  return client;
};

/** An HTTP channel session, its downlink over one stream or by long-polling. */
const overHttp =
  (downlink: 'stream' | 'poll'): Connect =>
  async (relay, room, name) => {
    const c = await openHttpClient(relay.url, { room, name, downlink });
    httpClients.push(c);
    return {
      control: c.control,
      frames: c.frames,
      closed: c.closed,
      sendText: (text) => c.sendText(text),
      sendFrame: (bytes) => c.sendFrame(bytes),
      close: () => c.leave(1000, 'bye'),
    };
  };

function memoryClient(channel: MemoryChannel): ScenarioClient {
  const decoder = new TextDecoder();
  const control: ControlMsg[] = [];
  const frames: Uint8Array[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    channel.receive({
      onFrame: (bytes) => frames.push(bytes),
      onControl: (utf8) => control.push(JSON.parse(decoder.decode(utf8)) as ControlMsg),
      onClose: (code, reason) => resolve({ code, reason }),
    });
  });
  return {
    control,
    frames,
    closed,
    sendText: (text) => channel.sendControl(text),
    sendFrame: (bytes) => channel.sendFrame(bytes, () => undefined),
    close: () => channel.close(1000, 'bye'),
  };
}

function jpegFrame(seq: number): Uint8Array {
  const payload = new Uint8Array(600);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  for (let i = 2; i < payload.length; i++) payload[i] = (i * 13 + seq) & 0xff;
  return encodeFrame({ codec: Codec.jpeg, width: 32, height: 24, payload, seq, captureTime: 1_700_000_000_000 + seq });
}

/** Clocks differ from run to run: blank them (relayTime in frames, serverTime/ts in messages). */
function withoutClocks(frame: Uint8Array): Uint8Array {
  const copy = new Uint8Array(frame);
  copy.fill(0, Offset.relayTime, Offset.relayTime + 8);
  return copy;
}
function controlWithoutClocks(messages: ControlMsg[]): ControlMsg[] {
  return messages.map(({ serverTime: _s, ts: _t, ...rest }) => rest);
}

/** Two peers: frames both ways, chat, a signal, ping, stats, a refused message, a leave. */
async function scenario(connect: Connect) {
  const relay = await startRelay({ logLevel: 'silent' });
  relays.push(relay);
  const a = await connect(relay, 'parity', 'Ann');
  const b = await connect(relay, 'parity', 'Bob');
  await waitFor(() => a.control.some((m) => m.type === 'peer-joined'));
  // Paced like a camera (one frame per flush): latest-wins must not drop any here.
  for (let seq = 1; seq <= 3; seq++) {
    a.sendFrame(jpegFrame(seq));
    await waitFor(() => b.frames.length === seq);
  }
  b.sendFrame(jpegFrame(10));
  await waitFor(() => a.frames.length === 1);
  a.sendText(JSON.stringify({ type: 'chat', text: 'hello' }));
  await waitFor(() => b.control.some((m) => m.type === 'chat'));
  b.sendText(JSON.stringify({ type: 'signal', to: 1, data: { sdp: 'x' } }));
  b.sendText(JSON.stringify({ type: 'ping', t: 42 }));
  b.sendText(JSON.stringify({ type: 'stats' }));
  b.sendText('{not json');
  await waitFor(() => b.control.some((m) => m.type === 'error') && a.control.some((m) => m.type === 'signal'));
  a.close();
  const closedA = await a.closed;
  await waitFor(() => b.control.some((m) => m.type === 'peer-left'));
  return {
    closedA,
    framesA: a.frames.map(withoutClocks),
    framesB: b.frames.map(withoutClocks),
    controlA: controlWithoutClocks(a.control),
    controlB: controlWithoutClocks(b.control),
    stats: { framesIn: relay.stats.framesIn, framesOut: relay.stats.framesOut, bytesOut: relay.stats.bytesOut },
  };
}

describe('Relay core over two transports', () => {
  it('gives the same frames byte for byte and the same control messages over ws and over memory channels', async () => {
    const ws = await scenario(overWs);
    const memory = await scenario(overMemory);
    expect(ws.framesB).toHaveLength(3);
    expect(ws.controlB.map((m) => m.type)).toEqual(['welcome', 'chat', 'pong', 'stats', 'error', 'peer-left']);
    expect(ws.controlA.map((m) => m.type)).toEqual(['welcome', 'peer-joined', 'chat', 'signal']);
    expect(ws.stats.framesOut).toBe(4);
    expect(ws.framesB[0]![Offset.sourceId + 3]).toBe(1);
    expect(memory.framesA).toEqual(ws.framesA);
    expect(memory.framesB).toEqual(ws.framesB);
    expect(memory.controlA).toEqual(ws.controlA);
    expect(memory.controlB).toEqual(ws.controlB);
    expect(memory.stats).toEqual(ws.stats);
    expect(memory.closedA).toEqual(ws.closedA);
  });

  it.each([
    ['an HTTP stream', 'stream'],
    ['long-polling', 'poll'],
  ] as const)('gives the same frames byte for byte and the same control messages over ws and over HTTP sessions (%s)', async (_, downlink) => {
    const ws = await scenario(overWs);
    const http = await scenario(overHttp(downlink));
    expect(ws.framesB).toHaveLength(3);
    expect(ws.closedA).toEqual({ code: 1000, reason: 'bye' });
    expect(http.framesA).toEqual(ws.framesA);
    expect(http.framesB).toEqual(ws.framesB);
    expect(http.controlA).toEqual(ws.controlA);
    expect(http.controlB).toEqual(ws.controlB);
    expect(http.stats).toEqual(ws.stats);
    expect(http.closedA).toEqual(ws.closedA);
  });
});

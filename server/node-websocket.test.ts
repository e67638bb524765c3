import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, Offset } from '../codec/index.ts';
import { startRelay, type Relay } from './relay.ts';
import { connectClient, wsUrl, type TestClient } from './test-client.ts';

const PEER_SCRIPT = fileURLToPath(new URL('./fixtures/native-websocket-peer.mjs', import.meta.url));

const relays: Relay[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

function runNativePeer(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', PEER_SCRIPT, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function zeroStamps(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  b.fill(0, Offset.sourceId, Offset.sourceId + 4);
  b.fill(0, Offset.relayTime, Offset.relayTime + 8);
  return b;
}

describe("Node's built-in WebSocket client", () => {
  it('joins, exchanges frames byte-exact and chats with a ws peer', async () => {
    const relay = await startRelay({ logLevel: 'silent' });
    relays.push(relay);
    const a = await connectClient(relay.url, { room: 'native', name: 'ws peer' });
    clients.push(a);
    const native = runNativePeer(wsUrl(relay.url, { room: 'native', name: 'native peer' }));

    const joined = await a.waitControl((m) => m.type === 'peer-joined', 15_000);
    const nativeId = (joined['peer'] as { id: number }).id;
    const fromA = encodeFrame({ codec: Codec.jpeg, width: 4, height: 2, payload: new Uint8Array([0xff, 0xd8, 9, 8, 7, 6]), seq: 7, captureTime: 1234.5 });
    a.sendFrame(fromA);

    const result = await native;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { welcome: Record<string, unknown>; frame: string; chat: Record<string, unknown> };
    expect(out.welcome).toMatchObject({ type: 'welcome', peerId: nativeId, room: 'native', peers: [{ id: a.peerId, name: 'ws peer', mode: 'jpeg' }] });
    expect(out.chat).toMatchObject({ type: 'chat', from: nativeId, name: 'native peer', text: 'hello from the built-in WebSocket' });

    // What the native peer received from A: A's bytes, stamped with A's id.
    const received = new Uint8Array(Buffer.from(out.frame, 'base64'));
    expect(decodeFrame(received).sourceId).toBe(a.peerId);
    expect(zeroStamps(received).equals(Buffer.from(fromA))).toBe(true);

    // What A received from the native peer: the frame it built by hand, stamped with its id.
    const [atA] = await a.waitFrames(1);
    const expected = encodeFrame({ codec: Codec.jpeg, width: 2, height: 1, payload: new Uint8Array([0xff, 0xd8, 1, 2, 3]), seq: 42, captureTime: 1700000000123.25 });
    expect(decodeFrame(atA!)).toMatchObject({ sourceId: nativeId, seq: 42, captureTime: 1700000000123.25 });
    expect(zeroStamps(atA!).equals(Buffer.from(expected))).toBe(true);
    expect(await a.waitControl((m) => m.type === 'peer-left')).toEqual({ type: 'peer-left', peerId: nativeId });
  });
});

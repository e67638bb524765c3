import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, encodeFrame } from '../codec/index.ts';
import { connectClient, type TestClient } from './test-client.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) (c.socket as unknown as { _socket?: Socket })._socket?.resume();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts server/fixtures/relay-process.ts (a relay alone in a process, with `GET /memory`). */
async function relayProcess(options: object = {}): Promise<string> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'server/fixtures/relay-process.ts', JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`relay process exited early [code:${code}]`)));
  });
}

async function memory(url: string): Promise<{ gc: boolean; arrayBuffers: number; external: number; rss: number }> {
  return (await fetch(`${url}/memory`)).json() as Promise<{ gc: boolean; arrayBuffers: number; external: number; rss: number }>;
}

const MIB = 1024 * 1024;
const SIDE = 512; // 512×512 BGRA = 1 MiB of payload

describe('Relay memory with a frozen receiver', () => {
  it('stays bounded: the relay pins about two frames for a receiver that stopped reading', async () => {
    const url = await relayProcess();
    const join = async (name: string): Promise<TestClient> => {
      const c = await connectClient(url, { room: 'mem', name, keepFrames: false });
      clients.push(c);
      return c;
    };
    const sender = await join('sender');
    const healthy = await join('healthy');
    const frozen = await join('frozen');
    (frozen.socket as unknown as { _socket: Socket })._socket.pause();
    const before = await memory(url);
    expect(before.gc).toBe(true);

    const total = 150;
    for (let seq = 0; seq < total; seq++) {
      const payload = new Uint8Array(SIDE * SIDE * 4).fill(seq & 0xff);
      sender.sendFrame(encodeFrame({ codec: Codec.bgra, width: SIDE, height: SIDE, payload, seq }));
      await healthy.waitFrames(seq + 1, 5000).catch(() => undefined);
    }
    const after = await memory(url);

    expect(healthy.frameCount).toBeGreaterThanOrEqual(total * 0.9);
    // 150 MiB went through; without latest-wins the frozen receiver would pin nearly all of it.
    const growth = after.arrayBuffers - before.arrayBuffers;
    expect(growth).toBeLessThan(16 * MIB);
    frozen.send({ type: 'stats' });
    (frozen.socket as unknown as { _socket: Socket })._socket.resume();
    const stats = await frozen.waitControl((m) => m.type === 'stats', 10_000);
    expect((stats['drops'] as Record<string, number>)[String(sender.peerId)]).toBeGreaterThan(total / 2);
  });
});

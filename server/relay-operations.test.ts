import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Codec, encodeFrame } from '../codec/index.ts';
import { startRelay, type Relay, type RelayOptions } from './relay.ts';
import { connectClient, wsUrl, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ logLevel: 'silent', ...options });
  relays.push(r);
  return r;
}

async function join(r: Relay, room: string, name: string, ws?: WebSocket.ClientOptions): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name, ws });
  clients.push(c);
  return c;
}

/** Resolves with the HTTP status of a refused WebSocket handshake. */
function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('handshake succeeded'));
    });
    ws.on('error', () => undefined);
  });
}

function jpegFrame(): Uint8Array {
  return encodeFrame({ codec: Codec.jpeg, width: 2, height: 1, payload: new Uint8Array([0xff, 0xd8, 1, 2, 3]) });
}

describe('Relay operations', () => {
  describe('heartbeat', () => {
    it('terminates a peer that stops answering pings and tells the room', async () => {
      const r = await relay({ heartbeatMs: 300 });
      const alive = await join(r, 'hb', 'alive');
      const silent = await join(r, 'hb', 'silent', { autoPong: false });
      const { code } = await silent.closed;
      expect(code).toBe(1006); // terminated: no close frame
      expect(await alive.waitControl((m) => m.type === 'peer-left')).toEqual({ type: 'peer-left', peerId: silent.peerId });
      // The answering peer survives many heartbeats.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(alive.socket.readyState).toBe(WebSocket.OPEN);
      expect(r.peers('hb').map((p) => p.name)).toEqual(['alive']);
    });
  });

  describe('graceful shutdown', () => {
    it('closes every peer with 1001 and stops listening; close() is safe twice', async () => {
      const r = await startRelay({ logLevel: 'silent' });
      const a = await connectClient(r.url, { room: 'x', name: 'a' });
      const b = await connectClient(r.url, { room: 'y', name: 'b' });
      const first = r.close();
      const second = r.close();
      expect(second).toBe(first);
      await first;
      expect(await a.closed).toEqual({ code: 1001, reason: 'shutting-down' });
      expect(await b.closed).toEqual({ code: 1001, reason: 'shutting-down' });
      await expect(fetch(`${r.url}/healthz`)).rejects.toThrow();
      await r.close();
    });

    it('does not hang on a peer that stopped reading (terminated after shutdownTimeoutMs)', async () => {
      const r = await startRelay({ logLevel: 'silent', shutdownTimeoutMs: 200 });
      const a = await connectClient(r.url, { room: 'x', name: 'a' });
      (a.socket as unknown as { _socket: Socket })._socket.pause();
      await r.close();
      (a.socket as unknown as { _socket: Socket })._socket.resume();
      expect([1001, 1006]).toContain((await a.closed).code);
    });
  });

  describe('HTTP', () => {
    it('GET /healthz reports status, connections and rooms', async () => {
      const r = await relay();
      await join(r, 'h', 'a');
      const res = await fetch(`${r.url}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toMatchObject({ status: 'ok', connections: 1, rooms: 1 });
    });

    it('GET /metrics exposes Prometheus text: connections, rooms, frames and bytes by codec', async () => {
      const r = await relay();
      const a = await join(r, 'm', 'a');
      const b = await join(r, 'm', 'b');
      const frame = jpegFrame();
      a.sendFrame(frame);
      await b.waitFrames(1);
      const res = await fetch(`${r.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain('# TYPE framewire_connections gauge');
      expect(text).toMatch(/^framewire_connections 2$/m);
      expect(text).toMatch(/^framewire_rooms 1$/m);
      expect(text).toMatch(/^framewire_frames_in_total\{codec="jpeg"\} 1$/m);
      expect(text).toMatch(new RegExp(`^framewire_bytes_in_total\\{codec="jpeg"\\} ${frame.byteLength}$`, 'm'));
      expect(text).toMatch(/^framewire_frames_out_total\{codec="jpeg"\} 1$/m);
      expect(text).toMatch(new RegExp(`^framewire_bytes_out_total\\{codec="jpeg"\\} ${frame.byteLength}$`, 'm'));
    });

    it('serves the built web app, never outside its directory', async () => {
      const dir = await mkdtemp(joinPath(tmpdir(), 'framewire-static-'));
      dirs.push(dir);
      await mkdir(joinPath(dir, 'web', 'assets'), { recursive: true });
      await writeFile(joinPath(dir, 'web', 'index.html'), '<!doctype html><title>framewire</title>');
      await writeFile(joinPath(dir, 'web', 'assets', 'app-1234.js'), 'console.log(1)');
      await writeFile(joinPath(dir, 'secret.txt'), 'do not serve');
      const r = await relay({ staticDir: joinPath(dir, 'web') });
      const index = await fetch(`${r.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await index.text()).toContain('<title>framewire</title>');
      const js = await fetch(`${r.url}/assets/app-1234.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await js.text()).toBe('console.log(1)');
      expect((await fetch(`${r.url}/missing.js`)).status).toBe(404);
      expect((await fetch(`${r.url}/%2e%2e/secret.txt`)).status).toBe(404);
      expect((await fetch(`${r.url}/..%2fsecret.txt`)).status).toBe(404);
    });

    it('checks extra routes before static files', async () => {
      const r = await relay();
      r.route('GET', /^\/recordings\/([a-z0-9]+)$/, (_req, res, match) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`recording ${match[1]}`);
      });
      r.route('POST', /^\/fail$/, async () => {
        throw new Error('boom');
      });
      expect(await (await fetch(`${r.url}/recordings/abc?x=1`)).text()).toBe('recording abc');
      expect((await fetch(`${r.url}/recordings/abc`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${r.url}/fail`, { method: 'POST' })).status).toBe(500);
    });

    it('survives request targets that are not valid URLs', async () => {
      const r = await relay();
      for (const upgrade of [false, true]) {
        const response = await new Promise<string>((resolve, reject) => {
          const socket = connect(r.port, '127.0.0.1', () => {
            const headers = upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' : '';
            socket.write(`GET //[::1 HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
          });
          let text = '';
          socket.on('data', (d) => (text += d.toString()));
          socket.on('close', () => resolve(text));
          socket.on('error', reject);
        });
        expect(response).toMatch(/^HTTP\/1\.1 (400|404|500) /);
      }
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
    });

    it('answers a plain GET /ws with 426 and upgrades elsewhere with 404', async () => {
      const r = await relay();
      expect((await fetch(`${r.url}/ws`)).status).toBe(426);
      expect(await handshakeStatus(r.url.replace('http', 'ws') + '/other?room=a&name=b')).toBe(404);
    });
  });

  describe('origin allowlist', () => {
    it('accepts listed origins and requests without Origin, refuses others with 403', async () => {
      const r = await relay({ origins: ['https://app.example', 'http://localhost:5173/'] });
      const url = wsUrl(r.url, { room: 'o', name: 'a' });
      expect(await handshakeStatus(url, { origin: 'https://evil.example' })).toBe(403);
      const listed = await join(r, 'o', 'listed', { headers: { origin: 'https://app.example' } });
      const slash = await join(r, 'o', 'slash', { headers: { origin: 'http://localhost:5173' } });
      const none = await join(r, 'o', 'none');
      expect([listed.peerId, slash.peerId, none.peerId].every((id) => id > 0)).toBe(true);
      expect(await (await fetch(`${r.url}/metrics`)).text()).toMatch(/^framewire_refused_total\{code="origin"\} 1$/m);
    });
  });

  describe('listener errors', () => {
    it('a throwing frame listener does not break forwarding', async () => {
      const r = await relay();
      r.on('frame', () => {
        throw new Error('listener bug');
      });
      const a = await join(r, 'l', 'a');
      const b = await join(r, 'l', 'b');
      a.sendFrame(jpegFrame());
      a.sendFrame(jpegFrame());
      await b.waitFrames(2);
      expect(a.socket.readyState).toBe(WebSocket.OPEN);
    });
  });
});

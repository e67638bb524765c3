/**
 * Deadlines against slow clients (docs/protocol.md › Connect, Close codes): request headers
 * within `headersTimeoutMs` of accept (plain and TLS, the TLS handshake and the plain-HTTP
 * redirect included), a WebSocket message within `messageTimeoutMs` of its first byte
 * (fragments and pongs do not extend it), an HTTP request body within `messageTimeoutMs` —
 * while a long-lived `GET /fw/stream` is not cut. Each attack runs beside an honest call in
 * another room, which must lose no frame and see no latency spike (bounds are generous: a
 * noisy 2-core machine; precise figures belong in a bench).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHttpClient } from './channels/http-test-client.ts';
import { closedAfter, rawSocket, startHonestCall, trickle, upgradeRequest, type HonestFigures } from './hardening-harness.ts';
import { loadOrCreateSelfSignedCert, type SelfSignedCert } from './http/self-signed-cert.ts';
import { tlsServerFactory } from './http/tls-server.ts';
import { startRelay, type Relay, type RelayOptions } from './relay.ts';
import { connectClient } from './test-client.ts';

const relays: Relay[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ logLevel: 'silent', ...options });
  relays.push(r);
  return r;
}

/** Generous bound of the honest call's p99 latency under attack, ms. */
const P99_BOUND_MS = 200;
/** Slack over a deadline before a cut counts as late (timer checks, a loaded machine), ms. */
const SLACK_MS = 1500;

function expectHonest(figures: HonestFigures): void {
  expect(figures.sent).toBeGreaterThan(30);
  expect(figures.received, 'honest frames lost').toBe(figures.sent);
  expect(figures.p99, `honest p99 latency [p50:${figures.p50.toFixed(1)}, p99:${figures.p99.toFixed(1)}, max:${figures.max.toFixed(1)}]`).toBeLessThan(P99_BOUND_MS);
}

async function refusedCount(r: Relay, code: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`framewire_refused_total\\{code="${code}"\\} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** A masked client frame (mask key 0: the payload goes as it is) of `payload`, FIN and opcode as given. */
function clientFrame(fin: boolean, opcode: number, payloadBytes: number): Buffer {
  const len = payloadBytes < 126 ? [0x80 | payloadBytes] : payloadBytes < 65536 ? [0x80 | 126, payloadBytes >> 8, payloadBytes & 0xff] : [0x80 | 127, 0, 0, 0, 0, (payloadBytes >>> 24) & 0xff, (payloadBytes >> 16) & 0xff, (payloadBytes >> 8) & 0xff, payloadBytes & 0xff];
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, ...len, 0, 0, 0, 0]), Buffer.alloc(payloadBytes)]);
}

describe('deadlines', () => {
  describe('request headers (headersTimeoutMs)', () => {
    it('destroys upgrade requests sent a byte at a time after the deadline; the honest call goes on', async () => {
      const r = await relay({ headersTimeoutMs: 1000 });
      const call = await startHonestCall(r.url);
      const start = performance.now();
      const attacks = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const s = await rawSocket(r.url);
          sockets.push(s);
          const closed = closedAfter(s, start);
          // ~230 bytes at one per 40 ms: 9 s to finish, were it let.
          trickle(s, upgradeRequest(`room=slow${i}&name=S`), 40);
          return closed;
        }),
      );
      const figures = await call.stop();
      for (const { ms, received } of attacks) {
        expect(ms).toBeGreaterThan(900);
        expect(ms).toBeLessThan(1000 + SLACK_MS);
        expect(received).not.toContain('101 Switching Protocols');
      }
      expect(await refusedCount(r, 'handshake-timeout')).toBe(20);
      expectHonest(figures);
    });

    it('cuts the headers of a later request on a kept-alive connection (Node headersTimeout, checked often enough)', async () => {
      const r = await relay({ headersTimeoutMs: 500 });
      const s = await rawSocket(r.url);
      sockets.push(s);
      const start = performance.now();
      const closed = closedAfter(s, start);
      s.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      trickle(s, 'GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n', 50);
      const { ms, received } = await closed;
      expect(received).toContain('HTTP/1.1 200 OK');
      expect(received).toContain('408 Request Timeout');
      expect(ms).toBeLessThan(100 + 500 + SLACK_MS);
    });
  });

  describe('over TLS (TlsRelayServer)', () => {
    let cert: SelfSignedCert;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'framewire-hardening-'));
      cert = await loadOrCreateSelfSignedCert({ dataDir: dir, addresses: [] });
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('destroys a stalled TLS handshake, a trickled plain request (redirect path) and a trickled upgrade over TLS', async () => {
      const r = await relay({ headersTimeoutMs: 1000, host: '127.0.0.1', createServer: tlsServerFactory({ cert: cert.cert, key: cert.key }) });
      const call = await startHonestCall(r.url, 'honest', { ws: { rejectUnauthorized: false } });
      const start = performance.now();
      // 1. A ClientHello that never ends: one 0x16 byte, then silence.
      const hello = await rawSocket(r.url);
      sockets.push(hello);
      const helloClosed = closedAfter(hello, start);
      hello.write(Buffer.from([0x16, 0x03, 0x01]));
      // 2. Plain HTTP a byte at a time: the redirect server's requests (it never listens itself).
      const plain = await rawSocket(r.url);
      sockets.push(plain);
      const plainClosed = closedAfter(plain, start);
      trickle(plain, 'GET / HTTP/1.1\r\nHost: relay\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n', 40);
      // 3. A TLS connection whose upgrade request comes a byte at a time.
      const url = new URL(r.url);
      const secure = tlsConnect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false });
      sockets.push(secure);
      const secureClosed = closedAfter(secure as unknown as Socket, start);
      secure.once('secureConnect', () => trickle(secure as unknown as Socket, upgradeRequest('room=slow&name=S'), 40));
      const results = await Promise.all([helloClosed, plainClosed, secureClosed]);
      const figures = await call.stop();
      for (const { ms, received } of results) {
        expect(ms).toBeLessThan(1000 + SLACK_MS);
        expect(received).not.toContain('101 Switching Protocols');
        expect(received).not.toContain('308');
      }
      expectHonest(figures);
    });
  });

  describe('WebSocket messages (messageTimeoutMs)', () => {
    it('closes 1008 message-timeout a message whose payload trickles; the honest call goes on', async () => {
      const r = await relay({ messageTimeoutMs: 1000 });
      const call = await startHonestCall(r.url);
      const attacker = await connectClient(r.url, { room: 'attack', name: 'M' });
      const raw = (attacker.socket as unknown as { _socket: Socket })._socket;
      const start = performance.now();
      // A 1 MiB binary message: its header, then 1 KiB every 50 ms (20 s to finish, were it let).
      const frame = clientFrame(true, 2, 1 << 20);
      raw.write(frame.subarray(0, 14));
      let offset = 14;
      const timer = setInterval(() => {
        if (raw.destroyed) return clearInterval(timer);
        raw.write(frame.subarray(offset, offset + 1024));
        offset += 1024;
      }, 50);
      const closed = await attacker.closed;
      clearInterval(timer);
      const ms = performance.now() - start;
      const figures = await call.stop();
      expect(closed).toEqual({ code: 1008, reason: 'message-timeout' });
      expect(attacker.control.find((m) => m.type === 'error')).toMatchObject({ code: 'message-timeout', limit: 1000 });
      expect(ms).toBeGreaterThan(900);
      expect(ms).toBeLessThan(1000 + SLACK_MS);
      expect(await refusedCount(r, 'message-timeout')).toBe(1);
      expectHonest(figures);
    });

    it('does not let fragments and answered pings extend a message', async () => {
      // The heartbeat pings every 250 ms and the attacker answers (ws autoPong): it is never "silent".
      const r = await relay({ messageTimeoutMs: 1000, heartbeatMs: 250 });
      const call = await startHonestCall(r.url);
      const attacker = await connectClient(r.url, { room: 'attack', name: 'F' });
      const raw = (attacker.socket as unknown as { _socket: Socket })._socket;
      const start = performance.now();
      raw.write(clientFrame(false, 2, 1000)); // first fragment, no FIN
      const timer = setInterval(() => {
        if (raw.destroyed) return clearInterval(timer);
        raw.write(clientFrame(false, 0, 1000)); // another fragment, never the last
        raw.write(clientFrame(true, 0xa, 0)); // an unsolicited pong between them
      }, 100);
      const closed = await attacker.closed;
      clearInterval(timer);
      const ms = performance.now() - start;
      const figures = await call.stop();
      expect(closed).toEqual({ code: 1008, reason: 'message-timeout' });
      expect(ms).toBeLessThan(1000 + SLACK_MS);
      expectHonest(figures);
    });

    it('lets a large message that arrives in time through, and idle sockets live', async () => {
      const r = await relay({ messageTimeoutMs: 300 });
      const a = await connectClient(r.url, { room: 'big', name: 'A' });
      const b = await connectClient(r.url, { room: 'big', name: 'B' });
      await new Promise((resolve) => setTimeout(resolve, 800)); // idle: longer than the deadline
      const { encodeFrame, Codec } = await import('../codec/index.ts');
      const payload = new Uint8Array(4 << 20);
      payload[0] = 0xff;
      payload[1] = 0xd8;
      a.sendFrame(encodeFrame({ codec: Codec.jpeg, width: 64, height: 48, payload, seq: 1, captureTime: 0 }));
      await b.waitFrames(1);
      expect(a.socket.readyState).toBe(a.socket.OPEN);
      await Promise.all([a.close(), b.close()]);
    });
  });

  describe('HTTP requests (messageTimeoutMs as Node requestTimeout)', () => {
    it('answers 408 and cuts a /fw/send body that trickles, while a long-lived /fw/stream is not cut', async () => {
      const r = await relay({ messageTimeoutMs: 1000, headersTimeoutMs: 500 });
      const call = await startHonestCall(r.url);
      const http = await openHttpClient(r.url, { room: 'http', name: 'H', downlink: 'stream' });
      const s = await rawSocket(r.url);
      sockets.push(s);
      const start = performance.now();
      const closed = closedAfter(s, start);
      s.write(`POST /fw/send HTTP/1.1\r\nHost: relay\r\nx-framewire-token: ${http.token}\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n`);
      // One frame record of 100,000 bytes (its prefix and magic, then a payload that trickles).
      const body = new Uint8Array(100_000);
      new DataView(body.buffer).setUint32(0, body.byteLength - 4, false);
      body.set([0x46, 0x57], 4);
      trickle(s, body, 20);
      const { ms, received } = await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(received).toContain('"code":"request-timeout"');
      expect(ms).toBeGreaterThan(900);
      expect(ms).toBeLessThan(1000 + SLACK_MS);
      // The stream has now been open for more than the request deadline: still attached, still delivering.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      http.send({ type: 'ping', t: 42 });
      expect(await http.waitControl((m) => m.type === 'pong' && m['t'] === 42)).toBeDefined();
      expect(http.downlinkErrors).toEqual([]);
      expect(http.isClosed).toBe(false);
      expect(await refusedCount(r, 'request-timeout')).toBe(1);
      http.dispose();
      expectHonest(await call.stop());
    });
  });
});

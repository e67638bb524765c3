/**
 * The HTTP channel end to end: a real relay (`startRelay`) on loopback, WebSocket peers
 * (server/test-client.ts) and HTTP channel peers (http-test-client.ts) in the same rooms;
 * hostile requests written by hand (node:http, raw TCP).
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeControlRecord, encodeFrame, Offset } from '../../codec/index.ts';
import { HTTP_ERROR_CODES, HTTP_SEND_PATH, HTTP_SESSION_PATH, HTTP_STREAM_PATH, SEQ_HEADER, TOKEN_HEADER } from '../../protocol/index.ts';
import { startRelay, type Relay } from '../relay.ts';
import type { RelayOptions } from '../options.ts';
import { connectClient, waitFor, type TestClient } from '../test-client.ts';
import { BODY_SLACK_BYTES, httpIdleTimeoutMs, MAX_WAITING_SENDS, SEQ_SKIP_MS } from './http-endpoint.ts';
import { httpRequest, openHttpClient, type HttpTestClient, type HttpTestClientOptions } from './http-test-client.ts';

const relays: Relay[] = [];
const wsClients: TestClient[] = [];
const httpClients: HttpTestClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  // The relay closes first, so that HTTP clients still fetching get their close record (a
  // vanished client keeps the shutdown waiting shutdownTimeoutMs, as a silent WebSocket does).
  for (const c of httpClients) c.resumeStream();
  for (const c of wsClients) (c.socket as unknown as { _socket?: Socket })._socket?.resume();
  await Promise.all(wsClients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
  for (const c of httpClients.splice(0)) c.dispose();
});

async function relayWith(options: RelayOptions = {}): Promise<Relay> {
  const relay = await startRelay({ logLevel: 'silent', ...options });
  relays.push(relay);
  return relay;
}

async function wsPeer(relay: Relay, room: string, name: string, extra: { keepFrames?: boolean; query?: Record<string, string> } = {}): Promise<TestClient> {
  const c = await connectClient(relay.url, { room, name, ...extra });
  wsClients.push(c);
  return c;
}

async function httpPeer(relay: Relay, options: HttpTestClientOptions): Promise<HttpTestClient> {
  const c = await openHttpClient(relay.url, options);
  httpClients.push(c);
  return c;
}

function jpegFrame(seq: number): Uint8Array {
  const payload = new Uint8Array(800);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  for (let i = 2; i < payload.length; i++) payload[i] = (i + seq) & 0xff;
  return encodeFrame({ codec: Codec.jpeg, width: 32, height: 24, payload, seq, captureTime: 1_700_000_000_000 + seq });
}

const BGRA_SIDE = 512;
/** 1 MiB of BGRA payload + 40 bytes of framing: a few of these fill the loopback socket buffers. */
const BGRA_FRAME_BYTES = BGRA_SIDE * BGRA_SIDE * 4 + 40;
function bgraFrame(seq: number): Uint8Array {
  const payload = new Uint8Array(BGRA_SIDE * BGRA_SIDE * 4).fill(seq & 0xff);
  return encodeFrame({ codec: Codec.bgra, width: BGRA_SIDE, height: BGRA_SIDE, payload, seq, captureTime: Date.now() });
}

/** POST /fw/send with `body` as it is. */
function send(relay: Relay, token: string, body: Uint8Array, contentType = 'application/octet-stream') {
  return httpRequest(relay.url, 'POST', HTTP_SEND_PATH, { headers: { [TOKEN_HEADER]: token, 'content-type': contentType }, body });
}

/** An answer to a request of `openSend`. */
interface SendAnswer {
  status: number;
  body: Buffer;
  at: number;
}

/**
 * POST /fw/send on a connection of its own, with `x-framewire-seq: seq` (none if undefined):
 * the headers and the first `firstBytes` of `body` are written now, the rest by `finish()`.
 */
function openSend(relay: Relay, token: string, seq: string | undefined, body: Uint8Array, firstBytes = body.byteLength): { answer: Promise<SendAnswer>; answered: () => boolean; finish: () => void } {
  const headers: Record<string, string> = { [TOKEN_HEADER]: token, 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) };
  if (seq !== undefined) headers[SEQ_HEADER] = seq;
  let done = false;
  const req = request(new URL(HTTP_SEND_PATH, relay.url), { method: 'POST', headers, agent: false });
  const answer = new Promise<SendAnswer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), at: Date.now() });
      });
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  if (firstBytes > 0) req.write(body.subarray(0, firstBytes));
  const finish = (): void => void req.end(body.subarray(firstBytes));
  if (firstBytes >= body.byteLength) finish();
  return { answer, answered: () => done, finish };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seqsOf = (frames: readonly Uint8Array[]): number[] => frames.map((f) => decodeFrame(f).seq);

/** Writes `text` on a raw TCP connection to the relay; resolves with what came back before `until` matched or the socket closed. */
function rawExchange(relay: Relay, text: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(relay.port, '127.0.0.1');
    sockets.push(socket);
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (until.test(answer)) resolve(answer);
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(text);
  });
}

const errorOf = (body: Buffer): { code: string; message: string } => (JSON.parse(body.toString()) as { error: { code: string; message: string } }).error;

describe('HTTP channel endpoint', () => {
  describe('peers over WebSocket and over HTTP in one room', () => {
    it('frames and chat cross both ways between a WebSocket peer and an HTTP stream peer', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'mix', 'Ann');
      const http = await httpPeer(relay, { room: 'mix', name: 'Bob', downlink: 'stream' });
      expect(http.control[0]).toMatchObject({ type: 'welcome', room: 'mix', name: 'Bob', peers: [{ id: ws.peerId, name: 'Ann' }] });
      await ws.waitControl((m) => m.type === 'peer-joined');

      ws.sendFrame(jpegFrame(1));
      const [toHttp] = await http.waitFrames(1);
      expect(decodeFrame(toHttp!)).toMatchObject({ seq: 1, sourceId: ws.peerId, codec: Codec.jpeg });
      http.sendFrame(jpegFrame(2));
      const [toWs] = await ws.waitFrames(1);
      expect(decodeFrame(toWs!)).toMatchObject({ seq: 2, sourceId: http.peerId });
      expect(new Uint8Array(toWs!.subarray(Offset.length, Offset.sourceId))).toEqual(jpegFrame(2).subarray(Offset.length, Offset.sourceId));

      http.send({ type: 'chat', text: 'hi from http' });
      await ws.waitControl((m) => m.type === 'chat' && m['text'] === 'hi from http');
      ws.send({ type: 'chat', text: 'hi from ws' });
      const chat = await http.waitControl((m) => m.type === 'chat' && m['text'] === 'hi from ws');
      expect(chat).toMatchObject({ from: ws.peerId, name: 'Ann' });
      await http.flushed();
      expect(http.sendStatuses.every((s) => s === 204)).toBe(true);

      // /healthz counts both connections; /metrics has the session by transport and its requests.
      const health = JSON.parse((await httpRequest(relay.url, 'GET', '/healthz')).body.toString()) as { connections: number };
      expect(health.connections).toBe(2);
      const metrics = (await httpRequest(relay.url, 'GET', '/metrics')).body.toString();
      expect(metrics).toMatch(/framewire_http_sessions\{transport="http-stream"\} 1/);
      expect(metrics).toMatch(/framewire_http_requests_total\{route="session",status="200"\} 1/);
      expect(metrics).toMatch(/framewire_http_requests_total\{route="send",status="204"\} 2/);
      expect(metrics).toMatch(/framewire_connections 2/);
    });

    it('long-poll mode delivers frames and control messages', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'poll', 'Ann');
      const http = await httpPeer(relay, { room: 'poll', name: 'Bob', downlink: 'poll' });
      await ws.waitControl((m) => m.type === 'peer-joined');
      for (let seq = 1; seq <= 3; seq++) {
        ws.sendFrame(jpegFrame(seq));
        await http.waitFrames(seq);
      }
      expect(http.frames.map((f) => decodeFrame(f).seq)).toEqual([1, 2, 3]);
      http.send({ type: 'ping', t: 5 });
      expect(await http.waitControl((m) => m.type === 'pong')).toMatchObject({ t: 5 });
      ws.send({ type: 'chat', text: 'polled' });
      await http.waitControl((m) => m.type === 'chat');
      const metrics = (await httpRequest(relay.url, 'GET', '/metrics')).body.toString();
      expect(metrics).toMatch(/framewire_http_sessions\{transport="long-poll"\} 1/);
    });

    it('a peer that stops polling is terminated after max(2 × heartbeat, 10 s) and the other gets peer-left', async () => {
      expect(httpIdleTimeoutMs(1000)).toBe(10_000);
      expect(httpIdleTimeoutMs(30_000)).toBe(60_000);
      const relay = await relayWith({ heartbeatMs: 1000 });
      const ws = await wsPeer(relay, 'idle', 'Ann');
      const http = await httpPeer(relay, { room: 'idle', name: 'Bob', downlink: 'poll' });
      // The ws peer answers pings; the HTTP peer stops every request.
      http.stop();
      const started = Date.now();
      const left = await ws.waitControl((m) => m.type === 'peer-left', 20_000);
      expect(left['peerId']).toBe(http.peerId);
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      const answer = await httpRequest(relay.url, 'GET', '/fw/poll', { headers: { [TOKEN_HEADER]: http.token } });
      expect(answer.status).toBe(404);
      const metrics = (await httpRequest(relay.url, 'GET', '/metrics')).body.toString();
      expect(metrics).toMatch(/framewire_refused_total\{code="heartbeat"\} 1/);
    }, 30_000);

    it('a WebSocket peer resumes over HTTP: same peer, the room sees nothing, the socket is closed 1000 resumed', async () => {
      const relay = await relayWith();
      const other = await wsPeer(relay, 'resume', 'Ann');
      const ws = await wsPeer(relay, 'resume', 'Bob', { query: { resumable: '1' } });
      const token = ws.control[0]!['resume'] as string;
      expect(typeof token).toBe('string');
      const http = await httpPeer(relay, { room: 'resume', name: 'Bob', query: { resumable: '1', resume: token } });
      expect(http.control[0]).toMatchObject({ type: 'welcome', peerId: ws.peerId, resumed: true });
      expect(await ws.closed).toEqual({ code: 1000, reason: 'resumed' });
      other.send({ type: 'chat', text: 'still there?' });
      await http.waitControl((m) => m.type === 'chat');
      expect(other.control.some((m) => m.type === 'peer-left')).toBe(false);
    });
  });

  describe('send order (x-framewire-seq)', () => {
    it('a request ahead of the next seq waits for the earlier ones to end: the other peer gets the frames in seq order, 204 only once delivered', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'order', 'Ann');
      const http = await httpPeer(relay, { room: 'order', name: 'Bob' });
      await ws.waitControl((m) => m.type === 'peer-joined');

      // seq 0 is held open (headers and part of its frame), seq 1 and 2 arrive complete.
      const zero = openSend(relay, http.token, '0', jpegFrame(10), 100);
      await sleep(50);
      const two = openSend(relay, http.token, '2', jpegFrame(12));
      const one = openSend(relay, http.token, '1', jpegFrame(11));
      await sleep(150);
      expect(ws.frameCount).toBe(0);
      expect(one.answered() || two.answered() || zero.answered()).toBe(false);
      zero.finish();
      await ws.waitFrames(3);
      expect(seqsOf(ws.frames)).toEqual([10, 11, 12]);
      expect((await Promise.all([zero.answer, one.answer, two.answer])).map((a) => a.status)).toEqual([204, 204, 204]);

      // seq 4 before seq 3 has even started: it waits for 3.
      const four = openSend(relay, http.token, '4', jpegFrame(14));
      await sleep(50);
      expect(ws.frameCount).toBe(3);
      openSend(relay, http.token, '3', jpegFrame(13));
      await ws.waitFrames(5);
      expect(seqsOf(ws.frames)).toEqual([10, 11, 12, 13, 14]);
      expect((await four.answer).status).toBe(204);
    });

    it('a gap that never fills is skipped after ~1 s; a late (stale) request and one without the header are delivered at once', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'gap', 'Ann');
      const http = await httpPeer(relay, { room: 'gap', name: 'Bob' });
      await ws.waitControl((m) => m.type === 'peer-joined');
      expect((await openSend(relay, http.token, '0', jpegFrame(20)).answer).status).toBe(204);
      await ws.waitFrames(1);

      const started = Date.now();
      const two = openSend(relay, http.token, '2', jpegFrame(22)); // seq 1 never comes
      await sleep(100);
      // No header: as before the header, delivered at once even with a request waiting.
      expect((await openSend(relay, http.token, undefined, jpegFrame(30)).answer).status).toBe(204);
      await ws.waitFrames(2);
      expect(seqsOf(ws.frames)).toEqual([20, 30]);
      const answer = await two.answer;
      expect(answer.status).toBe(204);
      expect(answer.at - started).toBeGreaterThanOrEqual(SEQ_SKIP_MS - 50);
      expect(answer.at - started).toBeLessThan(SEQ_SKIP_MS + 1000);
      await ws.waitFrames(3);
      expect(seqsOf(ws.frames)).toEqual([20, 30, 22]);

      // seq 1 turns up late: behind the next expected, delivered at once; seq 3 goes on in order.
      const late = await openSend(relay, http.token, '1', jpegFrame(21)).answer;
      expect(late.status).toBe(204);
      expect((await openSend(relay, http.token, '3', jpegFrame(23)).answer).status).toBe(204);
      await ws.waitFrames(5);
      expect(seqsOf(ws.frames)).toEqual([20, 30, 22, 21, 23]);
    });

    it(`more than MAX_WAITING_SENDS requests waiting skip the gap at once`, async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'many', 'Ann');
      const http = await httpPeer(relay, { room: 'many', name: 'Bob' });
      await ws.waitControl((m) => m.type === 'peer-joined');
      const started = Date.now();
      const sends = [];
      for (let seq = 1; seq <= MAX_WAITING_SENDS; seq++) {
        sends.push(openSend(relay, http.token, String(seq), jpegFrame(40 + seq)));
        await sleep(20);
      }
      await sleep(100);
      expect(ws.frameCount).toBe(0); // seq 0 missing: all wait
      sends.push(openSend(relay, http.token, String(MAX_WAITING_SENDS + 1), jpegFrame(41 + MAX_WAITING_SENDS)));
      await ws.waitFrames(MAX_WAITING_SENDS + 1);
      expect(Date.now() - started).toBeLessThan(SEQ_SKIP_MS);
      expect(seqsOf(ws.frames)).toEqual(Array.from({ length: MAX_WAITING_SENDS + 1 }, (_, i) => 41 + i));
      expect((await Promise.all(sends.map((x) => x.answer))).every((a) => a.status === 204)).toBe(true);
    });

    it('a bad x-framewire-seq: 400 bad-record, the body unread and the session still open', async () => {
      const relay = await relayWith();
      const a = await httpPeer(relay, { room: 'badseq', name: 'Ann' });
      for (const value of ['-1', 'abc', '1.5', '', '1, 2', '1e3', '9007199254740992', '0x10']) {
        const answer = await openSend(relay, a.token, value, encodeControlRecord('{"type":"ping","t":9}')).answer;
        expect(answer.status, value).toBe(400);
        expect(errorOf(answer.body)).toMatchObject({ code: 'bad-record', message: expect.stringContaining(SEQ_HEADER) });
      }
      expect(a.control.some((m) => m.type === 'pong' && m['t'] === 9)).toBe(false);
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
      expect(a.isClosed).toBe(false);
    });
  });

  describe('backpressure', () => {
    it('a stream reader that stops reading gets frames dropped latest-wins, not queued without bound', async () => {
      const relay = await relayWith();
      const sender = await wsPeer(relay, 'bp', 'sender', { keepFrames: false });
      const healthy = await wsPeer(relay, 'bp', 'healthy', { keepFrames: false });
      const frozen = await httpPeer(relay, { room: 'bp', name: 'frozen', downlink: 'stream', keepFrames: false });
      frozen.pauseStream();

      const total = 60;
      let maxQueued = 0;
      let maxBuffered = 0;
      for (let seq = 0; seq < total; seq++) {
        sender.sendFrame(bgraFrame(seq));
        await healthy.waitFrames(seq + 1, 5000).catch(() => undefined);
        maxQueued = Math.max(maxQueued, relay.queuedFrames(frozen.peerId));
        maxBuffered = Math.max(maxBuffered, relay.bufferedAmount(frozen.peerId));
      }
      expect(healthy.frameCount).toBeGreaterThanOrEqual(Math.ceil(total * 0.9));
      const drops = relay.drops(frozen.peerId).get(sender.peerId) ?? 0;
      expect(drops).toBeGreaterThan(total / 2);
      expect(maxQueued).toBeLessThanOrEqual(2);
      expect(maxBuffered).toBeLessThanOrEqual(2 * BGRA_FRAME_BYTES + 1024);
      expect(relay.drops(healthy.peerId).get(sender.peerId) ?? 0).toBe(0);

      // Reading again, it catches up with the LATEST frame, not the backlog.
      frozen.resumeStream();
      await waitFor(() => frozen.lastFrame !== undefined && decodeFrame(frozen.lastFrame).seq === total - 1, 10_000);
      expect(frozen.frameCount).toBeLessThan(total / 2);
    });
  });

  describe('hostile input', () => {
    const MAX_PAYLOAD = 100_000;
    const LIMIT = MAX_PAYLOAD + BODY_SLACK_BYTES;

    it('a wrong or missing token: 404 unknown-session, the other session unaffected', async () => {
      const relay = await relayWith();
      const a = await httpPeer(relay, { room: 'tok', name: 'Ann' });
      const b = await httpPeer(relay, { room: 'tok', name: 'Bob' });
      const wrong = await send(relay, `${a.token.slice(0, -1)}x`, encodeControlRecord('{"type":"chat","text":"x"}'));
      expect(wrong.status).toBe(404);
      expect(wrong.headers['cache-control']).toBe('no-store');
      expect(errorOf(wrong.body).code).toBe('unknown-session');
      expect((await httpRequest(relay.url, 'GET', HTTP_STREAM_PATH)).status).toBe(404);
      a.send({ type: 'chat', text: 'fine' });
      await b.waitControl((m) => m.type === 'chat' && m['text'] === 'fine');
      expect(b.control.filter((m) => m.type === 'chat')).toHaveLength(1);
    });

    it('Content-Length over the limit: 413 before the body is read (headers only)', async () => {
      const relay = await relayWith({ maxPayload: MAX_PAYLOAD });
      const a = await httpPeer(relay, { room: 'big', name: 'Ann' });
      const answer = await rawExchange(
        relay,
        `POST ${HTTP_SEND_PATH} HTTP/1.1\r\nHost: relay\r\n${TOKEN_HEADER}: ${a.token}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${LIMIT + 1}\r\n\r\n`,
        /\r\n\r\n[\s\S]*\}\}/,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"too-large"');
      // The session is not closed by it.
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
    });

    it('a chunked body over the limit: 413, cut at the limit', async () => {
      const relay = await relayWith({ maxPayload: MAX_PAYLOAD });
      const a = await httpPeer(relay, { room: 'chunked', name: 'Ann' });
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(new URL(HTTP_SEND_PATH, relay.url), { method: 'POST', headers: { [TOKEN_HEADER]: a.token, 'content-type': 'application/octet-stream' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        // Valid records (keepalives, 6 bytes each), more than the body limit in all, never ended.
        const chunk = new Uint8Array(6 * 2731);
        for (let at = 0; at < chunk.byteLength; at += 6) chunk.set([0, 0, 0, 2, 0x46, 0x4b], at);
        for (let sent = 0; sent <= LIMIT; sent += chunk.byteLength) req.write(chunk);
      });
      expect(status).toBe(413);
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
    });

    it('a garbage body: 400 bad-record, and only that session closes (1007 and the FrameError code on its downlink)', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'junk', 'Ann');
      const bad = await httpPeer(relay, { room: 'junk', name: 'Bad' });
      const good = await httpPeer(relay, { room: 'junk', name: 'Good' });
      const garbage = new Uint8Array([0, 0, 0, 8, 0x58, 0x58, 1, 2, 3, 4, 5, 6]); // length 8, magic "XX"
      const answer = await send(relay, bad.token, garbage);
      expect(answer.status).toBe(400);
      expect(errorOf(answer.body)).toMatchObject({ code: 'bad-record', message: expect.stringContaining('bad magic') });
      expect(await bad.closed).toEqual({ code: 1007, reason: 'bad-magic' });
      const left = await ws.waitControl((m) => m.type === 'peer-left');
      expect(left['peerId']).toBe(bad.peerId);
      good.send({ type: 'chat', text: 'still here' });
      await ws.waitControl((m) => m.type === 'chat' && m['text'] === 'still here');
      expect(good.isClosed).toBe(false);
    });

    it('a body that ends inside a record is a bad record stream too', async () => {
      const relay = await relayWith();
      const a = await httpPeer(relay, { room: 'cut', name: 'Ann' });
      const answer = await send(relay, a.token, jpegFrame(1).subarray(0, 30));
      expect(answer.status).toBe(400);
      expect(await a.closed).toEqual({ code: 1007, reason: 'too-short' });
    });

    it('a valid record holding an invalid frame goes to the core like a WebSocket message: 204, closed 1007 with the frame error', async () => {
      const relay = await relayWith();
      const a = await httpPeer(relay, { room: 'badframe', name: 'Ann' });
      const frame = jpegFrame(1);
      frame[40] = 0; // payload no longer starts FF D8
      expect((await send(relay, a.token, frame)).status).toBe(204);
      expect(await a.closed).toEqual({ code: 1007, reason: 'not-jpeg' });
    });

    it('a wrong content type: 415; a wrong method: 405 with Allow', async () => {
      const relay = await relayWith();
      const a = await httpPeer(relay, { room: 'type', name: 'Ann' });
      const wrongType = await send(relay, a.token, encodeControlRecord('{"type":"ping","t":1}'), 'application/json');
      expect(wrongType.status).toBe(415);
      expect(errorOf(wrongType.body).code).toBe('bad-content-type');
      const wrongMethod = await httpRequest(relay.url, 'GET', HTTP_SEND_PATH, { headers: { [TOKEN_HEADER]: a.token } });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers['allow']).toBe('POST');
      expect(errorOf(wrongMethod.body).code).toBe('method-not-allowed');
      expect((await httpRequest(relay.url, 'GET', HTTP_SESSION_PATH)).status).toBe(405);
      a.send({ type: 'ping', t: 1 });
      await a.waitControl((m) => m.type === 'pong');
    });

    it('an Origin not in the allowlist: 403 bad-origin; no Origin (not a browser) is allowed', async () => {
      const relay = await relayWith({ origins: ['https://good.example'] });
      const bad = await httpRequest(relay.url, 'POST', `${HTTP_SESSION_PATH}?room=o&name=x`, { headers: { origin: 'https://evil.example' } });
      expect(bad.status).toBe(403);
      expect(errorOf(bad.body).code).toBe('bad-origin');
      await httpPeer(relay, { room: 'o', name: 'Good', headers: { origin: 'https://GOOD.example/' } });
      await httpPeer(relay, { room: 'o', name: 'Tool' });
      expect(relay.peers('o').map((p) => p.name)).toEqual(['Good', 'Tool']);
    });

    it('CORS: a page of another origin may use the channel (preflight answered, its origin echoed); a refused origin gets no CORS headers', async () => {
      const relay = await relayWith({ origins: ['https://page.example'] });
      const preflight = await httpRequest(relay.url, 'OPTIONS', HTTP_SEND_PATH, { headers: { origin: 'https://page.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-framewire-token, x-framewire-seq, content-type' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': 'https://page.example',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': `${TOKEN_HEADER}, x-framewire-seq, content-type`,
        vary: 'Origin',
      });
      const session = await httpRequest(relay.url, 'POST', `${HTTP_SESSION_PATH}?room=cors&name=Page`, { headers: { origin: 'https://page.example' } });
      expect(session.status).toBe(200);
      expect(session.headers['access-control-allow-origin']).toBe('https://page.example');
      const evil = await httpRequest(relay.url, 'OPTIONS', HTTP_SEND_PATH, { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.status).toBe(403);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      // Without an Origin (not a browser) OPTIONS is just a wrong method.
      expect((await httpRequest(relay.url, 'OPTIONS', HTTP_SEND_PATH)).status).toBe(405);
    });

    it('every error answer uses a code of HTTP_ERROR_CODES', () => {
      expect([...HTTP_ERROR_CODES].sort()).toEqual(['bad-content-type', 'bad-origin', 'bad-record', 'method-not-allowed', 'rate-limited', 'request-timeout', 'server-busy', 'shutting-down', 'too-large', 'too-many-connections', 'unknown-session']);
    });
  });

  describe('refusals and closes', () => {
    it('a refusal (room full, bad secret) arrives as an error control record and a close record on the downlink', async () => {
      const relay = await relayWith({ maxPeersPerRoom: 1 });
      await httpPeer(relay, { room: 'full', name: 'Ann', secret: 's3' });
      const full = await httpPeer(relay, { room: 'full', name: 'Bob', secret: 's3' });
      expect(full.control).toEqual([expect.objectContaining({ type: 'error', code: 'room-full', limit: 1 })]);
      expect(await full.closed).toEqual({ code: 1008, reason: 'room-full' });
      expect(full.kinds).toEqual(['control', 'close']);

      const relay2 = await relayWith();
      await httpPeer(relay2, { room: 'sec', name: 'Ann', secret: 'right', downlink: 'poll' });
      const wrong = await httpPeer(relay2, { room: 'sec', name: 'Eve', secret: 'wrong', downlink: 'poll' });
      expect(wrong.control).toEqual([expect.objectContaining({ type: 'error', code: 'bad-secret' })]);
      expect(await wrong.closed).toEqual({ code: 1008, reason: 'bad-secret' });
    });

    it('POST /fw/close: 204, the session closes 1000 leave, the room hears peer-left; the close record stays fetchable', async () => {
      const relay = await relayWith();
      const ws = await wsPeer(relay, 'bye', 'Ann');
      const http = await httpPeer(relay, { room: 'bye', name: 'Bob' });
      expect(await http.closeSession()).toBe(204);
      expect(await http.closed).toEqual({ code: 1000, reason: 'leave' });
      await ws.waitControl((m) => m.type === 'peer-left');
      // Lingering: a late send is answered 204 and dropped, a late stream gets the close record and ends.
      expect((await send(relay, http.token, encodeControlRecord('{"type":"ping","t":1}'))).status).toBe(204);
      const late = await httpRequest(relay.url, 'GET', HTTP_STREAM_PATH, { headers: { [TOKEN_HEADER]: http.token } });
      expect(late.status).toBe(200);
      expect([...late.body]).toEqual([0, 0, 0, 9, 0x46, 0x45, 0x03, 0xe8, ...Buffer.from('leave')]);
      expect(relay.stats.connections).toBe(1);
    });

    it('relay.close() ends streams and waiting polls with a close record 1001 shutting-down, and does not hang', async () => {
      const relay = await startRelay({ logLevel: 'silent', shutdownTimeoutMs: 20_000 });
      const streamer = await openHttpClient(relay.url, { room: 'down', name: 'Ann', downlink: 'stream' });
      const poller = await openHttpClient(relay.url, { room: 'down', name: 'Bob', downlink: 'poll' });
      httpClients.push(streamer, poller);
      await streamer.waitControl((m) => m.type === 'peer-joined');
      await new Promise((resolve) => setTimeout(resolve, 50)); // the poller's next poll is waiting
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 5000)));
      expect(await Promise.race([relay.close().then(() => 'closed' as const), hung])).toBe('closed');
      clearTimeout(timer);
      expect(await streamer.closed).toEqual({ code: 1001, reason: 'shutting-down' });
      expect(await poller.closed).toEqual({ code: 1001, reason: 'shutting-down' });
    });

    it('a new session while shutting down: 503 shutting-down', async () => {
      const relay = await startRelay({ logLevel: 'silent', shutdownTimeoutMs: 1000 });
      // A WebSocket that never answers the close keeps the shutdown going for shutdownTimeoutMs.
      const stuck = await connectClient(relay.url, { room: 'late', name: 'Ann' });
      (stuck.socket as unknown as { _socket: Socket })._socket.pause();
      // A request whose headers are half written keeps its connection busy (not closed as idle).
      const socket = connectTcp(relay.port, '127.0.0.1');
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST ${HTTP_SESSION_PATH}?room=late&name=Bob HTTP/1.1\r\nHost: relay\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closing = relay.close();
      let answer = '';
      socket.on('data', (d) => (answer += d.toString('latin1')));
      socket.write('content-length: 0\r\n\r\n');
      await waitFor(() => /\}\}/.test(answer));
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toContain('"code":"shutting-down"');
      (stuck.socket as unknown as { _socket: Socket })._socket.resume();
      await closing;
    });
  });
});

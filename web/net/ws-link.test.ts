/**
 * `WsLink` against a real relay on loopback. Node 20 has no global WebSocket without a
 * flag, so the test gives the browser code `ws`'s WebSocket, which implements the same
 * browser API (binaryType 'arraybuffer', onopen/onmessage/onclose, bufferedAmount).
 */
import WsWebSocket, { WebSocketServer } from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame } from '../../codec/index.ts';
import { startRelay, type Relay } from '../../server/relay.ts';
import { next } from './test-support/next-event.ts';
import { refusalOf, WsLink } from './ws-link.ts';
import type { ControlMessage, LinkState, StateInfo } from './relay-link.ts';

beforeAll(() => {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= WsWebSocket;
});

const relays: Relay[] = [];
const connections: WsLink[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(port = 0): Promise<Relay> {
  const r = await startRelay({ port, logLevel: 'error' } as Parameters<typeof startRelay>[0]);
  relays.push(r);
  return r;
}

function connect(r: Relay, query: string, options: Partial<ConstructorParameters<typeof WsLink>[0]> = {}): WsLink {
  const c = new WsLink({ url: `${r.url.replace('http', 'ws')}/ws?${query}`, backoff: { baseMs: 50, maxMs: 200 }, ...options });
  connections.push(c);
  c.open();
  return c;
}

function waitState(c: WsLink, wanted: LinkState): Promise<StateInfo> {
  return next((resolve) => {
    const off = c.on('state', (state, info) => {
      if (state === wanted) {
        off();
        resolve(info);
      }
    });
  });
}

const jpeg = (seq: number): Uint8Array =>
  encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload: new Uint8Array([0xff, 0xd8, 1, 2, 3]), seq, captureTime: 1234.5 });

describe('WsLink', () => {
  describe('session', () => {
    it('is welcomed, syncs its clock with ping/pong, and exchanges frames and chat', async () => {
      const r = await relay();
      const alice = connect(r, 'room=t1&name=Alice');
      const welcomeA = await next<{ peerId: number }>((resolve) => alice.on('welcome', resolve));
      expect(alice.ready).toBe(true);
      expect(alice.peerId).toBe(welcomeA.peerId);
      const bob = connect(r, 'room=t1&name=Bob');
      await next((resolve) => bob.on('welcome', resolve));

      const clock = await next<{ offset: number; rtt: number }>((resolve) => alice.on('clock', resolve));
      expect(clock.rtt).toBeGreaterThanOrEqual(0);
      expect(Math.abs(clock.offset)).toBeLessThan(100); // same machine, same clock
      expect(alice.clock.synced).toBe(true);

      const received = next<Uint8Array>((resolve) => bob.on('frame', resolve));
      expect(alice.sendFrame(jpeg(7))).toBe('sent');
      const frame = decodeFrame(await received);
      expect(frame).toMatchObject({ seq: 7, sourceId: alice.peerId, captureTime: 1234.5 });
      expect(frame.relayTime).toBeGreaterThan(0);

      const chat = next<ControlMessage>((resolve) => bob.on('control', (m) => m.type === 'chat' && resolve(m)));
      expect(alice.sendControl({ type: 'chat', text: 'hi' })).toBe(true);
      expect(await chat).toMatchObject({ from: alice.peerId, name: 'Alice', text: 'hi' });
    });

    it('refuses frames before the welcome and after close()', async () => {
      const r = await relay();
      const c = connect(r, 'room=t2&name=Cy');
      expect(c.sendFrame(jpeg(1))).toBe('offline');
      await next((resolve) => c.on('welcome', resolve));
      c.close();
      c.close();
      expect(c.state).toBe('closed');
      expect(c.sendFrame(jpeg(2))).toBe('offline');
      expect(c.sendControl({ type: 'ping', t: 1 })).toBe(false);
    });

    it('reports busy instead of queueing while a large frame is still in the socket', async () => {
      const r = await relay();
      const c = connect(r, 'room=t3&name=Dee');
      await next((resolve) => c.on('welcome', resolve));
      const big = encodeFrame({ codec: Codec.bgra, width: 1280, height: 720, payload: new Uint8Array(1280 * 720 * 4) });
      const results = Array.from({ length: 5 }, () => c.sendFrame(big));
      expect(results[0]).toBe('sent');
      expect(results.slice(1)).toContain('busy');
    });
  });

  describe('reconnect', () => {
    it('retries with backoff after the relay goes away and is welcomed by the new relay on the same port', async () => {
      const first = await relay();
      const c = connect(first, 'room=t4&name=Eve');
      await next((resolve) => c.on('welcome', resolve));
      const lost = waitState(c, 'reconnecting');
      await first.close();
      const info = await lost;
      expect(info.code).toBe(1001);
      expect(info.delayMs).toBeGreaterThanOrEqual(25);
      expect(info.delayMs).toBeLessThanOrEqual(50);
      const second = await relay(first.port);
      const welcome = await next<{ room: string }>((resolve) => c.on('welcome', resolve), 10_000);
      expect(welcome.room).toBe('t4');
      expect(c.state).toBe('open');
      expect(second.peers('t4').map((p) => p.name)).toEqual(['Eve']);
    });

    it('stops for good on a policy refusal (wrong secret) and reports the reason', async () => {
      const r = await relay();
      const owner = connect(r, 'room=t5&name=Owner&secret=right');
      await next((resolve) => owner.on('welcome', resolve));
      const intruder = connect(r, 'room=t5&name=Intruder&secret=wrong');
      const failed = await waitState(intruder, 'failed');
      expect(failed).toMatchObject({ code: 1008, reason: 'bad-secret' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(intruder.state).toBe('failed');
    });
  });

  describe('redirects', () => {
    /** A cluster's entry point: every connection gets a `redirect` to `target` and the close 4302; it keeps their queries. */
    async function entry(target: () => string): Promise<{ url: string; queries: URLSearchParams[]; server: WebSocketServer }> {
      const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      const queries: URLSearchParams[] = [];
      server.on('connection', (socket, request) => {
        queries.push(new URL(request.url ?? '/', 'http://x').searchParams);
        socket.send(JSON.stringify({ type: 'redirect', url: target(), room: 't6' }));
        socket.close(4302, 'redirect');
      });
      entries.push(server);
      const { port } = server.address() as { port: number };
      return { url: `ws://127.0.0.1:${port}/ws`, queries, server };
    }
    const entries: WebSocketServer[] = [];
    afterEach(async () => {
      await Promise.all(entries.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    });

    it('is redirected by the entry point to the relay holding the room, and comes back to the entry point when that relay goes', async () => {
      const r = await relay();
      const front = await entry(() => r.url);
      const states: LinkState[] = [];
      const c = new WsLink({ url: `${front.url}?room=t6&name=Fay`, backoff: { baseMs: 50, maxMs: 200 } });
      connections.push(c);
      c.on('state', (state) => states.push(state));
      c.open();
      const welcome = await next<{ room: string }>((resolve) => c.on('welcome', resolve));
      expect(welcome.room).toBe('t6');
      expect(c.nodeBase).toBe(r.url);
      expect(c.redirects).toBe(1);
      expect(states).toEqual(['connecting', 'connecting', 'open']);
      expect(r.peers('t6').map((p) => p.name)).toEqual(['Fay']);
      expect(front.queries[0]!.get('name')).toBe('Fay');

      const back = next((resolve) => front.server.once('connection', resolve));
      await r.close();
      await back;
      expect(front.queries).toHaveLength(2);
      expect(front.queries[1]!.get('room')).toBe('t6');
      expect(front.queries[1]!.get('resume')).toBe(c.resumeToken); // the relay's token, for the owner to resume us
    });

    it('fails with "redirect loop" when the entry point keeps redirecting to itself', async () => {
      let self = '';
      const front = await entry(() => self);
      self = front.url.replace('ws:', 'http:').replace(/\/ws$/, '');
      const c = new WsLink({ url: `${front.url}?room=t7&name=Gus` });
      connections.push(c);
      c.open();
      const failed = await waitState(c, 'failed');
      expect(failed).toMatchObject({ code: 4302, reason: 'redirect', refusal: { code: 'redirect' } });
      expect(failed.refusal?.message).toMatch(/^redirect loop: 4 redirects in a row/);
      expect(front.queries).toHaveLength(4);
    });
  });

  it('rejects a non-WebSocket URL with a TypeError', () => {
    expect(() => new WsLink({ url: 'http://example.com/ws' })).toThrow(TypeError);
  });
});

describe('refusalOf', () => {
  it('takes code, limit and message from the error before the close, else the close reason', () => {
    const error = { type: 'error', code: 'room-full', message: 'room is full [room:r, max:3]', limit: 3 } as const;
    expect(refusalOf('room-full', error)).toEqual({ code: 'room-full', message: 'room is full [room:r, max:3]', limit: 3 });
    expect(refusalOf('', error)).toEqual({ code: 'room-full', message: 'room is full [room:r, max:3]', limit: 3 });
    expect(refusalOf('bad-secret', error)).toEqual({ code: 'bad-secret' });
    expect(refusalOf('server-full', undefined)).toEqual({ code: 'server-full' });
    expect(refusalOf('', undefined)).toBeUndefined();
  });
});

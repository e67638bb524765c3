/**
 * `AutoLink` against a real relay on loopback, its WebSocket going through a TCP proxy the
 * test controls (pass, refuse, cut), HTTP going straight to the relay: the fallback, the
 * probe back to WebSocket and the failover mid-call, with the relay's session resume; and a
 * cluster's entry point (a bare HTTP server) redirecting the HTTP channel to the relay. As in
 * ws-link.test.ts, the browser code gets `ws`'s WebSocket (Node 20 has none without a flag).
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import WsWebSocket from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeCloseRecord, encodeControlRecord, encodeFrame } from '../../codec/index.ts';
import { HTTP_SESSION_PATH, type WelcomeMessage } from '../../protocol/index.ts';
import { startRelay, type Relay } from '../../server/relay.ts';
import { AutoLink, type AutoLinkOptions } from './auto-link.ts';
import type { ControlMessage, TransportInfo } from './relay-link.ts';
import { next } from './test-support/next-event.ts';
import { WsLink } from './ws-link.ts';

beforeAll(() => {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= WsWebSocket;
});

/** A TCP proxy to the relay: passes, refuses (closes at once) or cuts every open connection. */
class Proxy {
  mode: 'pass' | 'refuse' = 'pass';
  readonly #sockets = new Set<Socket>();
  #server!: Server;
  port = 0;

  async start(target: number): Promise<this> {
    this.#server = createServer((client) => {
      if (this.mode === 'refuse') return client.destroy();
      const upstream = tcpConnect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.#sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Cuts every connection without a close handshake (both ends see 1006). */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ relay: Relay; proxy: Proxy }> {
  const relay = await startRelay({ port: 0, logLevel: 'error' } as Parameters<typeof startRelay>[0]);
  cleanups.push(() => relay.close());
  const proxy = await new Proxy().start(relay.port);
  cleanups.push(() => proxy.close());
  return { relay, proxy };
}

function autoLink(proxy: Proxy, relay: Relay, query: string, options: Partial<AutoLinkOptions> = {}): AutoLink {
  const link = new AutoLink({ wsUrl: `ws://127.0.0.1:${proxy.port}/ws`, httpBase: relay.url, query, backoff: { baseMs: 50, maxMs: 200 }, ...options });
  cleanups.push(() => link.close());
  link.open();
  return link;
}

function wsPeer(relay: Relay, query: string): WsLink {
  const link = new WsLink({ url: `${relay.url.replace('http', 'ws')}/ws?${query}` });
  cleanups.push(() => link.close());
  link.open();
  return link;
}

const welcomed = (link: AutoLink | WsLink): Promise<WelcomeMessage> => next((resolve) => link.once('welcome', resolve));
const transported = (link: AutoLink, kind: TransportInfo['kind']): Promise<TransportInfo> =>
  next((resolve) => {
    if (link.ready && link.transport.kind === kind) return resolve(link.transport);
    const off = link.on('transport', (info) => {
      if (info.kind !== kind) return;
      off();
      resolve(info);
    });
  });

const jpeg = (seq: number): Uint8Array =>
  encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload: new Uint8Array([0xff, 0xd8, 1, 2, 3]), seq, captureTime: 1 });

describe('AutoLink with a relay', () => {
  it('falls back to an HTTP stream when WebSocket is refused, and a call runs over it', async () => {
    const { relay, proxy } = await setup();
    proxy.mode = 'refuse';
    const alice = autoLink(proxy, relay, 'room=a1&name=Alice');
    const welcome = await welcomed(alice);
    expect(alice.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket could not connect' });
    expect(typeof welcome.resume).toBe('string');
    const bob = wsPeer(relay, 'room=a1&name=Bob');
    await welcomed(bob);

    const chat = next<ControlMessage>((resolve) => alice.on('control', (m) => m.type === 'chat' && resolve(m)));
    bob.sendControl({ type: 'chat', text: 'over http?' });
    expect(await chat).toMatchObject({ text: 'over http?', name: 'Bob' });
    const frame = next<Uint8Array>((resolve) => bob.on('frame', resolve));
    expect(alice.sendFrame(jpeg(3))).toBe('sent');
    expect(decodeFrame(await frame)).toMatchObject({ seq: 3, sourceId: welcome.peerId });
    const back = next<Uint8Array>((resolve) => alice.on('frame', resolve));
    bob.sendFrame(jpeg(4));
    expect(decodeFrame(await back).seq).toBe(4);
    await next<unknown>((resolve) => alice.on('clock', resolve));
    expect(alice.clock.synced).toBe(true);
  });

  it('moves back to WebSocket when a probe gets through, as the same peer', async () => {
    const { relay, proxy } = await setup();
    proxy.mode = 'refuse';
    const alice = autoLink(proxy, relay, 'room=a2&name=Alice', { probeDelayMs: 300, probeMaxDelayMs: 300 });
    const first = await welcomed(alice);
    const bob = wsPeer(relay, 'room=a2&name=Bob');
    await welcomed(bob);
    const seen: string[] = [];
    bob.on('control', (m) => seen.push(m.type));
    await new Promise((resolve) => setTimeout(resolve, 700)); // a probe or two fail
    expect(alice.transport.kind).toBe('http-stream');

    proxy.mode = 'pass';
    const again = await next<WelcomeMessage>((resolve) => alice.on('welcome', (w) => w.resumed && resolve(w)));
    expect(again).toMatchObject({ peerId: first.peerId, resumed: true });
    expect(again.resume).not.toBe(first.resume);
    expect(alice.transport).toEqual({ kind: 'websocket' });
    const chat = next<ControlMessage>((resolve) => bob.on('control', (m) => m.type === 'chat' && resolve(m)));
    alice.sendControl({ type: 'chat', text: 'on ws again' });
    expect(await chat).toMatchObject({ from: first.peerId });
    expect(seen).not.toContain('peer-left');
    expect(seen).not.toContain('peer-joined');
    expect(relay.peers('a2').map((p) => p.name).sort()).toEqual(['Alice', 'Bob']);
  });

  it('goes on over HTTP, as the same peer, when its WebSocket is cut mid-call', async () => {
    const { relay, proxy } = await setup();
    const alice = autoLink(proxy, relay, 'room=a3&name=Alice', { probeDelayMs: 60_000 });
    const first = await welcomed(alice);
    expect(alice.transport).toEqual({ kind: 'websocket' });
    const bob = wsPeer(relay, 'room=a3&name=Bob');
    await welcomed(bob);
    const seen: string[] = [];
    bob.on('control', (m) => seen.push(m.type));

    const cutAt = Date.now();
    proxy.cut();
    const info = await transported(alice, 'http-stream');
    expect(Date.now() - cutAt).toBeLessThan(3000);
    expect(info.reason).toBe('WebSocket connection lost');
    expect(alice.peerId).toBe(first.peerId);
    const frame = next<Uint8Array>((resolve) => bob.on('frame', resolve));
    expect(alice.sendFrame(jpeg(8))).toBe('sent');
    expect(decodeFrame(await frame)).toMatchObject({ seq: 8, sourceId: first.peerId });
    expect(seen).not.toContain('peer-left');
  });

  it('follows an entry point\'s redirect over the HTTP fallback to the relay, and probes WebSocket on the relay, not at the entry point', async () => {
    const { relay, proxy } = await setup();
    proxy.mode = 'refuse'; // the entry point's WebSocket is blocked
    const sessions: URLSearchParams[] = [];
    const front = createHttpServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (request.method === 'POST' && url.pathname === HTTP_SESSION_PATH) {
        sessions.push(url.searchParams);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'entry-token', pollWaitMs: 20_000 }));
      } else if (request.method === 'GET') {
        // The downlink of a node that does not own the room: the redirect instead of a welcome, then the close.
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.write(encodeControlRecord(JSON.stringify({ type: 'redirect', url: relay.url, room: 'a4' })));
        response.end(encodeCloseRecord(4302, 'redirect'));
      } else {
        response.writeHead(204).end();
      }
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => front.close(resolve)));
    const { port } = front.address() as AddressInfo;

    const alice = autoLink(proxy, relay, 'room=a4&name=Alice', { httpBase: `http://127.0.0.1:${port}`, probeDelayMs: 300, probeMaxDelayMs: 300 });
    const first = await welcomed(alice);
    expect(alice.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket could not connect' });
    expect(alice.nodeBase).toBe(relay.url);
    expect(alice.redirects).toBe(1);
    expect(sessions.map((q) => q.get('name'))).toEqual(['Alice']);
    expect(relay.peers('a4').map((p) => p.name)).toEqual(['Alice']);

    const again = await transported(alice, 'websocket'); // the probe went straight to the relay, past the blocked entry point
    expect(again).toEqual({ kind: 'websocket' });
    expect(alice.peerId).toBe(first.peerId);
    expect(alice.nodeBase).toBe(relay.url);
    expect(sessions).toHaveLength(1);
  });
});

import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { isWebSocketUpgrade, startHostileProxy, type HostileBehaviour, type HostileProxy } from './hostile-proxy.ts';

/** An upstream relay stand-in: `/slow` answers after 600 ms, anything else at once; WebSockets echo. */
async function startUpstream(): Promise<{ server: Server; url: string; upgrades: string[]; close(): Promise<void> }> {
  const upgrades: string[] = [];
  const server = createServer((req, res) => {
    const answer = (): void => void res.end(`hello ${req.url}`);
    if (req.url === '/slow') setTimeout(answer, 600);
    else answer();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(req.url ?? '');
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    upgrades,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** A WebSocket client that records what happened to it. */
function openWs(url: string): { ws: WebSocket; opened: Promise<void>; messages: string[]; closed: Promise<{ code: number; at: number }>; refused: Promise<number> } {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  ws.on('error', () => undefined);
  const opened = new Promise<void>((done, fail) => {
    ws.once('open', () => done());
    ws.once('close', () => fail(new Error('closed before open')));
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; at: number }>((done) => ws.once('close', (code) => done({ code, at: Date.now() })));
  const refused = new Promise<number>((done) => ws.once('unexpected-response', (_req, res) => (done(res.statusCode ?? 0), ws.terminate())));
  return { ws, opened, messages, closed, refused };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('hostile proxy', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
  let proxy: HostileProxy | undefined;
  const clients: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    await proxy?.close();
    proxy = undefined;
    await upstream?.close();
    upstream = undefined;
  });

  async function start(options: Partial<HostileBehaviour> = {}): Promise<HostileProxy> {
    upstream = await startUpstream();
    proxy = await startHostileProxy({ upstream: upstream.url, ...options });
    return proxy;
  }

  describe('upgrade detection', () => {
    it('finds Upgrade: websocket in any case and among other tokens, only in header lines', () => {
      expect(isWebSocketUpgrade('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade')).toBe(true);
      expect(isWebSocketUpgrade('GET /ws HTTP/1.1\r\nupgrade:WebSocket')).toBe(true);
      expect(isWebSocketUpgrade('GET /ws HTTP/1.1\r\nUPGRADE: h2c, websocket')).toBe(true);
      expect(isWebSocketUpgrade('GET /ws HTTP/1.1\r\nUpgrade: h2c')).toBe(false);
      expect(isWebSocketUpgrade('GET /upgrade:websocket HTTP/1.1\r\nHost: x')).toBe(false);
      expect(isWebSocketUpgrade('GET /ws HTTP/1.1\r\nX-Upgrade: websocket')).toBe(false);
    });
  });

  describe('passthrough', () => {
    it('carries plain requests and WebSockets untouched', async () => {
      const p = await start();
      expect(await get(`${p.url}/page`)).toEqual({ status: 200, body: 'hello /page' });
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      await c.opened;
      c.ws.send('a');
      await expect.poll(() => c.messages).toEqual(['echo a']);
      expect(p.counters()).toMatchObject({ connections: 2, upgradeRequests: 1, upgraded: 1, upgradedKilled: 0, blackholed: 0, refused: 0 });
      expect(p.openUpgraded()).toBe(1);
    });

    it('decides from a request head that arrives a few bytes at a time', async () => {
      const p = await start({ refuseUpgrades: true });
      const socket = connect(p.port, '127.0.0.1');
      const head = 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      const ended = new Promise((done) => socket.once('end', done));
      for (let i = 0; i < head.length; i += 3) {
        socket.write(head.slice(i, i + 3));
        await sleep(1);
      }
      await ended;
      socket.destroy();
      expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(upstream!.upgrades).toEqual([]);
    });

    it('passes on, undecided, a start without a head end within 64 KiB', async () => {
      const p = await start({ refuseUpgrades: true });
      const socket = connect(p.port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', () => undefined);
      const closed = new Promise((done) => socket.once('close', done));
      socket.write(`GET /x HTTP/1.1\r\nUpgrade: websocket\r\nX-Pad: ${'a'.repeat(70 * 1024)}`);
      await closed;
      // Node's HTTP parser answers an oversized head itself: the relay, not the proxy, decided.
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(p.counters()).toMatchObject({ upgradeRequests: 0, refused: 0 });
    });
  });

  describe('killUpgradedAfterMs', () => {
    it('resets an upgraded connection N ms after its 101, and leaves plain requests alone', async () => {
      const p = await start({ killUpgradedAfterMs: 300 });
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      await c.opened;
      const openedAt = Date.now();
      c.ws.send('a');
      await expect.poll(() => c.messages).toEqual(['echo a']);
      // A plain request slower than the kill delay is not killed.
      expect(await get(`${p.url}/slow`)).toEqual({ status: 200, body: 'hello /slow' });
      const { code, at } = await c.closed;
      expect(code).toBe(1006);
      expect(at - openedAt).toBeGreaterThanOrEqual(250);
      expect(at - openedAt).toBeLessThan(1500);
      expect(p.counters()).toMatchObject({ upgraded: 1, upgradedKilled: 1 });
      expect(p.openUpgraded()).toBe(0);
      const history = p.history();
      expect(history.map((e) => [e.event, e.target])).toEqual([
        ['upgraded', '/ws'],
        ['killed', '/ws'],
      ]);
      expect(history[1]!.at - history[0]!.at).toBeGreaterThanOrEqual(290);
    });

    it('switched to passthrough, cancels the kills already scheduled', async () => {
      const p = await start({ killUpgradedAfterMs: 300 });
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      await c.opened;
      p.passthrough();
      expect(p.behaviour).toEqual({ killUpgradedAfterMs: null, blackholeUpgrades: false, refuseUpgrades: false });
      await sleep(600);
      c.ws.send('still here');
      await expect.poll(() => c.messages).toEqual(['echo still here']);
      expect(p.counters().upgradedKilled).toBe(0);
    });
  });

  describe('blackholeUpgrades', () => {
    it('opens the WebSocket itself and then passes nothing either way', async () => {
      const p = await start({ blackholeUpgrades: true });
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      await c.opened;
      c.ws.send('anyone?');
      await sleep(400);
      expect(c.messages).toEqual([]);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(upstream!.upgrades).toEqual([]);
      expect(p.counters()).toMatchObject({ upgradeRequests: 1, blackholed: 1, upgraded: 0 });
      // Plain requests still pass.
      expect(await get(`${p.url}/page`)).toEqual({ status: 200, body: 'hello /page' });
    });
  });

  describe('refuseUpgrades', () => {
    it('answers 403 to an upgrade; switched back, the next upgrade passes', async () => {
      const p = await start({ refuseUpgrades: true });
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      expect(await c.refused).toBe(403);
      expect(p.counters()).toMatchObject({ refused: 1, upgraded: 0 });
      p.set({ refuseUpgrades: false });
      const d = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(d.ws);
      await d.opened;
      expect(upstream!.upgrades).toEqual(['/ws']);
    });
  });

  describe('options', () => {
    it('rejects bad settings with a TypeError', async () => {
      const p = await start();
      expect(() => p.set({ killUpgradedAfterMs: -1 })).toThrow(TypeError);
      expect(() => p.set({ blackholeUpgrades: true, refuseUpgrades: true })).toThrow(/exclude each other/);
      await expect(startHostileProxy({ upstream: 'nope' })).rejects.toThrow(/upstream must be a URL or host:port \[upstream:nope\]/);
    });

    it('close() drops every connection; a second close is a no-op', async () => {
      const p = await start();
      const c = openWs(`ws://127.0.0.1:${p.port}/ws`);
      clients.push(c.ws);
      await c.opened;
      await p.close();
      await p.close();
      expect((await c.closed).code).toBe(1006);
      await expect(get(`${p.url}/`)).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});

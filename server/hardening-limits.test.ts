/**
 * Per-address limits and half-open accounting (docs/protocol.md › Connect, docs/deployment.md
 * › Per-address limits): connections per address (half-open sockets included) and joins per
 * address per minute, with the address taken from `X-Forwarded-For` only behind a trusted
 * proxy; the relay-wide `maxConnections` counting half-open sockets. Every attack runs beside
 * an honest call in another room (from 127.0.0.1, exempt or not the attacker's address),
 * which must lose no frame and keep its latency.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest } from './channels/http-test-client.ts';
import { closedAfter, rawSocket, startHonestCall, type HonestFigures } from './hardening-harness.ts';
import { startRelay, type Relay, type RelayOptions } from './relay.ts';
import { connectClient, type TestClient } from './test-client.ts';

const relays: Relay[] = [];
const sockets: Socket[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function relay(options: RelayOptions = {}): Promise<Relay> {
  const r = await startRelay({ logLevel: 'silent', ...options });
  relays.push(r);
  return r;
}

function expectHonest(figures: HonestFigures): void {
  expect(figures.sent).toBeGreaterThan(10);
  expect(figures.received, 'honest frames lost').toBe(figures.sent);
  expect(figures.p99, `honest p99 latency [p50:${figures.p50.toFixed(1)}, p99:${figures.p99.toFixed(1)}, max:${figures.max.toFixed(1)}]`).toBeLessThan(200);
}

async function refusedCount(r: Relay, code: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`framewire_refused_total\\{code="${code}"\\} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** A WebSocket client in `room` whose request says it is for `forwardedFor`. */
async function from(r: Relay, forwardedFor: string | undefined, room: string, waitWelcome = true): Promise<TestClient> {
  const c = await connectClient(r.url, { room, name: 'X', waitWelcome, ws: forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } } });
  clients.push(c);
  return c;
}

describe('per-address limits', () => {
  it('refuses the connection over maxConnectionsPerIp of a client behind a trusted proxy with error + 1013 too-many-connections', async () => {
    const r = await relay({ trustedProxies: ['127.0.0.1'], maxConnectionsPerIp: 5, joinBurstPerIp: 100 });
    const call = await startHonestCall(r.url); // no X-Forwarded-For: 127.0.0.1, exempt (loopback)
    for (let i = 0; i < 5; i++) await from(r, '198.51.100.1, 203.0.113.7', `a${i}`);
    const refused = await from(r, '203.0.113.7', 'a-more', false);
    expect(await refused.closed).toEqual({ code: 1013, reason: 'too-many-connections' });
    expect(refused.control).toEqual([{ type: 'error', code: 'too-many-connections', message: 'too many connections from this address [max:5]', limit: 5 }]);
    // Another client of the same proxy is not affected; nor, once one of the five leaves, the first.
    await from(r, '203.0.113.8', 'b');
    await clients[0]!.close();
    await from(r, '203.0.113.7', 'a-again');
    // IPv6 clients count per /64.
    for (let i = 0; i < 5; i++) await from(r, `2001:db8:1:2::${i + 1}`, `v6-${i}`);
    const v6 = await from(r, '2001:db8:1:2:ffff::9', 'v6-more', false);
    expect((await v6.closed).reason).toBe('too-many-connections');
    expect(await refusedCount(r, 'too-many-connections')).toBe(2);
    expectHonest(await call.stop());
  });

  it('ignores a spoofed X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const r = await relay({ trustedProxies: ['10.9.9.9'], limitExempt: [], maxConnectionsPerIp: 5, joinBurstPerIp: 100 });
    for (let i = 0; i < 3; i++) await from(r, `203.0.113.${i + 1}`, `s${i}`);
    const call = await startHonestCall(r.url); // 127.0.0.1 too: 5 in all
    const spoofed = await from(r, '203.0.113.99', 'spoof', false);
    expect(await spoofed.closed).toEqual({ code: 1013, reason: 'too-many-connections' });
    expectHonest(await call.stop());
  });

  it('refuses joins over the per-address rate with 1013 rate-limited (WebSocket) and 429 rate-limited (HTTP)', async () => {
    const r = await relay({ trustedProxies: ['127.0.0.1'], joinBurstPerIp: 3, joinsPerIpPerMinute: 6 });
    const call = await startHonestCall(r.url);
    for (let i = 0; i < 3; i++) await (await from(r, '203.0.113.7', `j${i}`)).close();
    const refused = await from(r, '203.0.113.7', 'j-more', false);
    expect(await refused.closed).toEqual({ code: 1013, reason: 'rate-limited' });
    expect(refused.control[0]).toMatchObject({ type: 'error', code: 'rate-limited', limit: 6 });
    const answer = await httpRequest(r.url, 'POST', '/fw/session?room=h&name=H', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
    expect(JSON.parse(answer.body.toString())).toEqual({ error: { code: 'rate-limited', message: 'too many joins from this address [max:6/min]' } });
    const other = await httpRequest(r.url, 'POST', '/fw/session?room=h&name=H', { headers: { 'x-forwarded-for': '203.0.113.8' } });
    expect(other.status).toBe(200);
    expect(await refusedCount(r, 'rate-limited')).toBe(2);
    expectHonest(await call.stop());
  });

  it('counts HTTP sessions per address until they close', async () => {
    const r = await relay({ trustedProxies: ['127.0.0.1'], maxConnectionsPerIp: 2, joinBurstPerIp: 100 });
    const open = (): Promise<number> => httpRequest(r.url, 'POST', '/fw/session?room=h&name=H', { headers: { 'x-forwarded-for': '203.0.113.7' } }).then((a) => a.status);
    expect([await open(), await open(), await open()]).toEqual([200, 200, 429]);
  });
});

describe('half-open sockets', () => {
  it('count towards the per-address limit: beyond it (plus a small allowance) new sockets of that address are destroyed at once', async () => {
    // The attacker connects from 127.0.0.2 (not exempt); the honest call from 127.0.0.1 (exempt).
    const r = await relay({ limitExempt: ['127.0.0.1'], maxConnectionsPerIp: 3, headersTimeoutMs: 3000 });
    const call = await startHonestCall(r.url);
    const start = performance.now();
    const idle = await Promise.all(Array.from({ length: 12 }, () => rawSocket(r.url, '127.0.0.2')));
    sockets.push(...idle);
    const closes = idle.map((s) => closedAfter(s, start));
    const early = await Promise.race([Promise.all(closes.slice(7)), new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 1000))]);
    expect(early, 'sockets over 3 + 4 destroyed at once').not.toBe('late');
    expect(await refusedCount(r, 'too-many-connections')).toBe(5);
    // The first 7 wait for their headers' deadline.
    const rest = await Promise.all(closes.slice(0, 7));
    for (const { ms } of rest) expect(ms).toBeGreaterThan(2500);
    expectHonest(await call.stop());
  });

  it('count towards maxConnections: beyond it (plus an allowance, refused cleanly as server-full by the core) new sockets are destroyed', async () => {
    const r = await relay({ maxConnections: 10, headersTimeoutMs: 2000 });
    const call = await startHonestCall(r.url); // 2 connections
    const idle = await Promise.all(Array.from({ length: 40 }, () => rawSocket(r.url)));
    sockets.push(...idle);
    const start = performance.now();
    const closes = idle.map((s) => closedAfter(s, start));
    // 2 open + 24 half-open = 10 + 16: the 16 after them are destroyed.
    await Promise.all(closes.slice(24));
    expect(performance.now() - start).toBeLessThan(1000);
    for (const s of idle.slice(0, 24)) expect(s.destroyed).toBe(false);
    // Once the half-open ones are cut by the deadline, an honest client (and a metrics scrape) gets in again.
    await Promise.all(closes.slice(0, 24));
    expect(await refusedCount(r, 'server-full')).toBe(16);
    expect(await refusedCount(r, 'handshake-timeout')).toBe(24);
    const late = await connectClient(r.url, { room: 'late', name: 'L' });
    clients.push(late);
    expectHonest(await call.stop());
  });
});

/**
 * The relay-wide memory budget: connections that each start a large message and never finish
 * it make the relay hold what arrived. Over the budget the biggest holders are cut (an
 * `error` `memory-budget`, then the socket goes) until the total is back under the low-water
 * mark; an honest call in another room, holding next to nothing, is never cut and loses no
 * frame. After each check the relay keeps within the budget (between checks, 100 ms,
 * arrivals may overshoot it).
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedAfter, rawSocket, startHonestCall, upgradeRequest } from './hardening-harness.ts';
import { request } from 'node:http';
import { openHttpClient } from './channels/http-test-client.ts';
import { HTTP_SEND_PATH, startRelay, TOKEN_HEADER, type Relay } from './relay.ts';

const relays: Relay[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

const MIB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A WebSocket (by hand) that starts a masked binary message declaring `declared` bytes and sends `send` of them. */
async function hoarder(relay: Relay, name: string, declared: number, send: number): Promise<{ socket: Socket; closed: Promise<{ received: string }> }> {
  const socket = await rawSocket(relay.url);
  sockets.push(socket);
  const closed = closedAfter(socket, performance.now());
  socket.write(upgradeRequest(`room=hoard-${name}&name=${name}`));
  await new Promise<void>((resolve) => socket.once('data', () => resolve())); // 101 (and the welcome)
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(declared), 2);
  socket.write(header);
  const chunk = Buffer.alloc(64 * 1024);
  for (let sent = 0; sent < send; sent += chunk.byteLength) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  return { socket, closed };
}

describe('relay: memory budget', () => {
  it('cuts the biggest holders when over the budget, never the honest call, and stays within it', async () => {
    const budget = 24 * MIB;
    const relay = await startRelay({ logLevel: 'silent', maxMemoryBytes: budget, maxPayload: 16 * MIB, messageTimeoutMs: 60_000 });
    relays.push(relay);
    const call = await startHonestCall(relay.url);
    // Small hoarders first (2 MiB each, 8 MiB in all), then big ones (6 MiB each, 36 MiB): 44 MiB > 24.
    const small = await Promise.all(Array.from({ length: 4 }, (_, i) => hoarder(relay, `small${i}`, 8 * MIB, 2 * MIB)));
    const big = await Promise.all(Array.from({ length: 6 }, (_, i) => hoarder(relay, `big${i}`, 12 * MIB, 6 * MIB)));
    let peakHeld = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      peakHeld = Math.max(peakHeld, relay.heldBytes);
    }
    const bigCut = big.filter((h) => h.socket.destroyed).length;
    const smallCut = small.filter((h) => h.socket.destroyed).length;
    const figures = await call.stop();
    console.log(`[memory budget] ${bigCut}/6 big and ${smallCut}/4 small hoarders cut; kept at most ${(peakHeld / MIB).toFixed(1)} MiB after a check of a ${budget / MIB} MiB budget; honest ${figures.received}/${figures.sent} frames, p99 ${figures.p99.toFixed(1)} ms`);
    // Biggest first: enough big ones go to get under 80 % (44 − 4 × 6 = 20 ≤ 19.2? one more: 14), no small one.
    expect(bigCut).toBeGreaterThanOrEqual(4);
    expect(smallCut).toBe(0);
    const said = (await big.find((h) => h.socket.destroyed)!.closed).received;
    expect(said).toContain('"code":"memory-budget"');
    // What it keeps after each check: within the budget (over it, it cuts down to 80 %); between checks (100 ms) arrivals may overshoot.
    expect(peakHeld).toBeLessThanOrEqual(budget);
    // The honest call: never cut, nothing lost.
    expect(figures.received).toBe(figures.sent);
    expect(figures.p99).toBeLessThan(200);
  }, 30_000);

  it('counts HTTP-channel bodies in progress: a session that streams a huge /fw/send body slowly is cut', async () => {
    const budget = 8 * MIB;
    const relay = await startRelay({ logLevel: 'silent', maxMemoryBytes: budget, maxPayload: 16 * MIB, messageTimeoutMs: 60_000 });
    relays.push(relay);
    const call = await startHonestCall(relay.url);
    const session = await openHttpClient(relay.url, { room: 'hoard-http', name: 'hoarder' });
    // One body of 16 MiB, of which 12 arrive and the rest never: the relay holds what came.
    let bodyGone = false;
    const body = request(`${relay.url}${HTTP_SEND_PATH}`, { method: 'POST', headers: { [TOKEN_HEADER]: session.token, 'x-framewire-seq': '0', 'content-type': 'application/octet-stream', 'content-length': String(16 * MIB) } });
    body.on('error', () => (bodyGone = true));
    body.on('close', () => (bodyGone = true));
    // A frame record declaring 15 MiB (u32 length, magic `FW`), of which 12 MiB arrive.
    const head = Buffer.alloc(6);
    head.writeUInt32BE(2 + 15 * MIB, 0);
    head.write('FW', 4, 'latin1');
    body.write(head);
    const chunk = Buffer.alloc(256 * 1024);
    for (let sent = 0; sent < 12 * MIB && !bodyGone; sent += chunk.byteLength) {
      if (!body.write(chunk)) await Promise.race([new Promise((r) => body.once('drain', r)), sleep(2000)]);
    }
    // Cut, and said why; its body's connection goes with the session.
    await session.waitControl((m) => m.type === 'error' && m['code'] === 'memory-budget', 5000);
    const deadline = performance.now() + 5000;
    while (!bodyGone && performance.now() < deadline) await sleep(20);
    expect(bodyGone).toBe(true);
    expect(relay.heldBytes).toBeLessThan(budget);
    body.destroy();
    session.dispose();
    const figures = await call.stop();
    expect(figures.received).toBe(figures.sent);
  }, 30_000);
});


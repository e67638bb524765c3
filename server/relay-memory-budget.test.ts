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
import { startRelay, type Relay } from './relay.ts';

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
});

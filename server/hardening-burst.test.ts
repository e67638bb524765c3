/**
 * Admission pacing (docs/protocol.md › Connect): a burst of 1500 connections — WebSocket
 * upgrades from another process, as fast as it can open them — is admitted at
 * `admissionsPerSecond` (the rest wait briefly, are refused 1013 `server-busy`, or, beyond
 * `maxConnections` counting half-open sockets, destroyed at accept), while an honest call in
 * another room goes on: no frame lost, p99 latency under a generous bound. The attacker is
 * a child process so that its own work does not load the relay's event loop.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startHonestCall } from './hardening-harness.ts';
import { startRelay, type Relay } from './relay.ts';

const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

/** Opens `count` sockets to `port` at once, each sends an upgrade request, holds what it gets for `holdMs`; prints what they saw. */
const ATTACKER = `
import { connect } from 'node:net';
const [port, count, holdMs] = process.argv.slice(1).map(Number);
const seen = { welcome: 0, busy: 0, busy503: 0, full: 0, other: 0, destroyed: 0, error: 0 };
const sockets = [];
const start = performance.now();
let firstWelcomeMs = -1, lastWelcomeMs = -1;
await new Promise((done) => {
  let left = count;
  for (let i = 0; i < count; i++) {
    const s = connect({ host: '127.0.0.1', port });
    sockets.push(s);
    let got = '';
    let counted = false;
    const count1 = (k) => { if (!counted) { counted = true; seen[k]++; } };
    s.on('connect', () => s.write('GET /ws?room=flood' + (i % 180) + '&name=F HTTP/1.1\\r\\nHost: relay\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n'));
    s.on('data', (c) => {
      got += c.toString('latin1');
      if (got.includes('"welcome"')) { const t = performance.now() - start; if (firstWelcomeMs < 0) firstWelcomeMs = t; lastWelcomeMs = t; count1('welcome'); }
      else if (got.includes('server-busy')) count1('busy');
      else if (got.startsWith('HTTP/1.1 503')) count1('busy503');
      else if (got.includes('server-full')) count1('full');
    });
    s.on('error', () => count1('error'));
    s.on('close', () => { if (got === '') count1('destroyed'); else count1('other'); if (--left === 0) done(); });
  }
  setTimeout(done, holdMs);
});
process.stdout.write(JSON.stringify({ ...seen, firstWelcomeMs, lastWelcomeMs }));
for (const s of sockets) s.destroy();
process.exit(0);
`;

function attack(port: number, count: number, holdMs: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', ATTACKER, String(port), String(count), String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as Record<string, number>);
      } catch {
        reject(new Error(`attacker printed ${JSON.stringify(out)}`));
      }
    });
  });
}

async function refusedCount(r: Relay, code: string): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const m = new RegExp(`framewire_refused_total\\{code="${code}"\\} (\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('admission pacing', () => {
  it('admits a burst of 1500 connections at the pacer rate while an honest call keeps its frames and latency', async () => {
    // The defaults: 200 admissions/s, burst 20, 2 s of wait at most, 1000 connections.
    // FW_NOPACE=1 switches pacing off, to see this test fail (seen: 998 admitted in 0.7 s, honest p99 265 ms).
    const r = await startRelay({ logLevel: 'silent', ...(process.env['FW_NOPACE'] ? { admissionsPerSecond: 1e6, admissionBurst: 1000000 } : {}) });
    relays.push(r);
    const call = await startHonestCall(r.url);
    const seen = await attack(r.port, 1500, 4000);
    const figures = await call.stop();
    const busy = await refusedCount(r, 'server-busy');
    console.log('burst of 1500:', JSON.stringify(seen), 'honest:', JSON.stringify(figures), 'server-busy:', busy);
    // Paced: the admitted ones came over more than a second, never more than the bucket allows.
    const spanS = (seen['lastWelcomeMs']! - seen['firstWelcomeMs']!) / 1000;
    expect(seen['welcome']).toBeGreaterThan(100);
    expect(seen['welcome']).toBeLessThanOrEqual(20 + 200 * (spanS + 0.5));
    expect(spanS).toBeGreaterThan(1);
    // Refused server-busy: cleanly (error + 1013) up to a rate, the rest of the flood with a bare 503 before the upgrade.
    expect(seen['busy']).toBeGreaterThan(0);
    expect(busy).toBe(seen['busy']! + seen['busy503']!);
    expect(seen['welcome']! + seen['busy']! + seen['busy503']! + seen['full']! + seen['destroyed']! + seen['error']!).toBe(1500);
    expect(figures.received, 'honest frames lost').toBe(figures.sent);
    expect(figures.p99, `honest p99 latency [p50:${figures.p50.toFixed(1)}, p99:${figures.p99.toFixed(1)}, max:${figures.max.toFixed(1)}]`).toBeLessThan(200);
  }, 60_000);
});

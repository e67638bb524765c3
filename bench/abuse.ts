/**
 * `npm run bench:abuse` — the relay under hostile load, with honest calls beside it: the
 * relay runs alone in a child process (bench/relay-host.ts, its RSS sampled every 50 ms);
 * the attack clients (bench/abuse-clients.ts) and two honest pairs (each in its own room, a
 * frame every 33 ms) run here. Per attack: relay RSS peak, honest frames lost and their
 * latency p50/p99/max, and what happened to the attackers.
 *
 * Attacks:
 * - `hoard`: N connections each start an 8 MiB message and send 7 MiB of it, never the rest.
 * - `deep-json`: signals nesting 20,000 levels deep (≈ 40 KB), 650 connections a second.
 * - `control-flood`: pairs where one floods the other with 30 KB signals and the other stops reading.
 * - `burst`: 1500 connections opened at once.
 *
 * Goals (issue 14): RSS peak ≤ the memory budget (default ≤ 512 MiB); honest loss 0; honest
 * p99 ≤ 50 ms on this 2-core machine. Flags: `--attacks hoard,deep-json,…`, `--hoarders N`
 * (default 1000), `--smoke` (small numbers), `--name`, `--results-dir`.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { HonestPairs, openRawWebSocket, sendUnfinishedMessage, type HonestFigures } from './abuse-clients.ts';
import { benchEnv, DEFAULT_RESULTS_DIR, describeEnv, runIfMain, writeResults } from './env.ts';
import { ChildLink, type HostReady, type HostRequest, type HostSample } from './relay-ipc.ts';
import { fixed, markdownTable } from './table.ts';

export const ATTACKS = ['hoard', 'deep-json', 'control-flood', 'burst'] as const;
export type Attack = (typeof ATTACKS)[number];

/** What one attack did. */
export interface AttackResult {
  attack: Attack;
  /** What the attack was, in words. */
  what: string;
  /** Relay RSS before (idle with the honest pairs) and its peak during the attack, MiB. */
  rssBeforeMiB: number;
  rssPeakMiB: number;
  honest: HonestFigures;
  /** What became of the attackers (connections refused, cut, answered). */
  outcome: string;
  seconds: number;
}

export interface AbuseOptions {
  attacks?: Attack[];
  hoarders?: number;
  smoke?: boolean;
  log?: (line: string) => void;
}

const MIB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runAbuseBench(options: AbuseOptions = {}): Promise<{ env: ReturnType<typeof benchEnv>; results: AttackResult[] }> {
  const attacks = options.attacks ?? [...ATTACKS];
  const log = options.log ?? (() => undefined);
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    log(`${attack} …`);
    const host = new ChildLink<HostRequest>('./relay-host.ts', ['framewire', JSON.stringify({ maxConnections: 1000 })]);
    try {
      const ready = await host.waitFor<HostReady>('ready');
      const honest = await HonestPairs.open(ready.url.replace(/\/?$/, '/ws'), 2);
      honest.start();
      await sleep(1000);
      const before = await host.call<HostSample>({ type: 'sample', resetPeak: true });
      const started = performance.now();
      const outcome = await ATTACK_RUNNERS[attack](ready.port, ready.url.replace(/\/?$/, '/ws'), options);
      const seconds = (performance.now() - started) / 1000;
      const figures = await honest.stop();
      const after = await host.call<HostSample>({ type: 'sample' });
      honest.close();
      const result: AttackResult = { attack, what: outcome.what, rssBeforeMiB: round(before.rss / MIB), rssPeakMiB: round(after.peakRss / MIB), honest: figures, outcome: outcome.outcome, seconds: round(seconds) };
      log(`  ${attack}: RSS ${result.rssBeforeMiB} → peak ${result.rssPeakMiB} MiB; honest ${figures.received}/${figures.sent} frames, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms; ${outcome.outcome}`);
      results.push(result);
    } finally {
      await host.call({ type: 'close' }, 30_000).catch(() => undefined);
    }
  }
  return { env: benchEnv(), results };
}

type Runner = (port: number, url: string, options: AbuseOptions) => Promise<{ what: string; outcome: string }>;

const ATTACK_RUNNERS: Record<Attack, Runner> = {
  async hoard(port, _url, options) {
    const n = options.hoarders ?? (options.smoke ? 60 : 1000);
    const sendBytes = 7 * MIB;
    let opened = 0;
    let refused = 0;
    const sockets: import('node:net').Socket[] = [];
    const batch = 25;
    for (let i = 0; i < n; i += batch) {
      const opening = Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        openRawWebSocket(port, `room=hoard-${i + j}&name=h`).then(
          (socket) => {
            opened++;
            sockets.push(socket);
            return sendUnfinishedMessage(socket, 8 * MIB, sendBytes);
          },
          () => {
            refused++;
          },
        ),
      );
      await Promise.all(opening);
    }
    await sleep(3000);
    const alive = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    for (const s of sockets) s.destroy();
    return { what: `${n} connections × 7 MiB of an unfinished 8 MiB message`, outcome: `${opened} opened, ${refused} refused; ${alive} still open 3 s after the last byte` };
  },

  async 'deep-json'(_port, url, options) {
    const perSecond = options.smoke ? 100 : 650;
    const seconds = options.smoke ? 2 : 5;
    const deep = `{"type":"signal","to":1,"data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    let answered = 0;
    let internal = 0;
    let failed = 0;
    const end = performance.now() + seconds * 1000;
    const pending: Promise<void>[] = [];
    while (performance.now() < end) {
      const tickEnd = performance.now() + 100;
      for (let i = 0; i < perSecond / 10; i++) {
        pending.push(
          new Promise<void>((resolve) => {
            const ws = new WebSocket(`${url}?room=deep-${i}&name=m`, { perMessageDeflate: false });
            ws.on('message', (data, isBinary) => {
              if (isBinary) return;
              const msg = JSON.parse(String(data)) as { type: string; code?: string };
              if (msg.type === 'welcome') ws.send(deep);
              else if (msg.type === 'error') {
                answered++;
                ws.terminate();
              }
            });
            ws.on('close', (code) => {
              if (code === 1011) internal++;
              resolve();
            });
            ws.on('error', () => {
              failed++;
              resolve();
            });
          }),
        );
      }
      await sleep(Math.max(0, tickEnd - performance.now()));
    }
    await Promise.race([Promise.all(pending), sleep(10_000)]);
    return { what: `${perSecond} connections/s for ${seconds} s, each a 20,000-deep signal`, outcome: `${answered} answered with an error, ${internal} closed 1011 internal-error, ${failed} failed to connect` };
  },

  async 'control-flood'(_port, url, options) {
    const pairs = options.smoke ? 4 : 20;
    const seconds = options.smoke ? 4 : 15;
    const flooders: WebSocket[] = [];
    const frozen: WebSocket[] = [];
    let cut = 0; // frozen receivers the relay cut (their flooder hears peer-left)
    for (let i = 0; i < pairs; i++) {
      const a = await openWelcomed(`${url}?room=flood-${i}&name=flooder`);
      const b = await openWelcomed(`${url}?room=flood-${i}&name=frozen`);
      (b.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
      a.ws.on('message', (data, isBinary) => {
        if (!isBinary && String(data).includes('"peer-left"')) cut++;
      });
      flooders.push(a.ws);
      frozen.push(b.ws);
      (a.ws as unknown as { target: number }).target = b.peerId;
    }
    const signal = (to: number): string => JSON.stringify({ type: 'signal', to, data: { sdp: 'x'.repeat(30_000) } });
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      for (const f of flooders) if (f.readyState === WebSocket.OPEN) for (let k = 0; k < 2; k++) f.send(signal((f as unknown as { target: number }).target));
      await sleep(40);
    }
    const floodersOpen = flooders.filter((f) => f.readyState === WebSocket.OPEN).length;
    for (const ws of [...flooders, ...frozen]) ws.terminate();
    return { what: `${pairs} pairs, 1.5 MB/s of signals each towards a peer that stopped reading, ${seconds} s`, outcome: `${cut}/${pairs} frozen receivers cut, ${floodersOpen}/${pairs} flooders still connected` };
  },

  async burst(_port, url, options) {
    const n = options.smoke ? 300 : 1500;
    let welcomed = 0;
    let refused = 0;
    const sockets = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        new Promise<WebSocket>((resolve) => {
          const ws = new WebSocket(`${url}?room=burst-${i % 200}&name=b${i}`, { perMessageDeflate: false });
          ws.on('message', (data, isBinary) => {
            if (!isBinary && String(data).includes('"welcome"')) {
              welcomed++;
              resolve(ws);
            }
          });
          ws.on('close', () => {
            refused++;
            resolve(ws);
          });
          ws.on('error', () => undefined);
        }),
      ),
    );
    await sleep(1000);
    for (const ws of sockets) ws.terminate();
    return { what: `${n} connections opened at once`, outcome: `${welcomed} welcomed, ${refused} refused or closed` };
  },
};

async function openWelcomed(url: string): Promise<{ ws: WebSocket; peerId: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as { type: string; peerId?: number };
      if (msg.type === 'welcome') resolve({ ws, peerId: msg.peerId! });
    });
    ws.once('error', reject);
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export function abuseMarkdown(results: AttackResult[]): string {
  return [
    '# bench:abuse — the relay under hostile load, honest calls beside it',
    '',
    'Relay alone in a child process (RSS sampled every 50 ms); attackers and two honest pairs (a 2 KB frame every 33 ms each) in the bench process, on loopback.',
    '',
    markdownTable(
      ['attack', 'what', 'relay RSS before → peak', 'honest frames', 'honest p50 / p99 / max', 'attackers'],
      results.map((r) => [r.attack, r.what, `${r.rssBeforeMiB} → ${r.rssPeakMiB} MiB`, `${r.honest.received}/${r.honest.sent} (lost ${r.honest.lost})`, `${fixed(r.honest.p50Ms, 1)} / ${fixed(r.honest.p99Ms, 1)} / ${fixed(r.honest.maxMs, 1)} ms`, r.outcome]),
    ),
    '',
  ].join('\n');
}

runIfMain(import.meta.url, async () => {
  const { values } = parseArgs({ options: { attacks: { type: 'string' }, hoarders: { type: 'string' }, smoke: { type: 'boolean' }, name: { type: 'string' }, 'results-dir': { type: 'string' } } });
  const attacks = values.attacks?.split(',').map((a) => a.trim()) as Attack[] | undefined;
  for (const a of attacks ?? []) if (!(ATTACKS as readonly string[]).includes(a)) throw new TypeError(`unknown attack [attack:${a}, known:${ATTACKS.join(',')}]`);
  const run = await runAbuseBench({
    ...(attacks ? { attacks } : {}),
    ...(values.hoarders ? { hoarders: Number(values.hoarders) } : {}),
    ...(values.smoke ? { smoke: true } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const markdown = abuseMarkdown(run.results);
  await writeResults(values.name ?? 'abuse', run, markdown, values['results-dir'] ?? DEFAULT_RESULTS_DIR);
  process.stderr.write(`${describeEnv(run.env)}\n`);
  process.stdout.write(`${markdown}\n`);
});

/**
 * `npm run bench:soak` — the relay over a long run (default 30 minutes; runs outside CI):
 * 20 rooms, each an honest pair exchanging a 2 KB frame every 33 ms, plus churn — a third
 * peer joining a random room and leaving again every 200 ms, with a resume token half the
 * time. The relay runs alone in a child process; its RSS is sampled each minute. Reports RSS
 * per minute (goal: flat within 10 MB after the first minute), honest frames lost (goal 0) and
 * their latency. Flags: `--minutes N`, `--name`, `--results-dir`.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { HonestPairs } from './abuse-clients.ts';
import { benchEnv, DEFAULT_RESULTS_DIR, describeEnv, runIfMain, writeResults } from './env.ts';
import { ChildLink, type HostReady, type HostRequest, type HostSample } from './relay-ipc.ts';
import { markdownTable } from './table.ts';

const MIB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SoakResult {
  minutes: number;
  rooms: number;
  churnJoins: number;
  rssMiB: number[];
  /** Largest RSS minus the RSS at the end of minute 1, MiB. */
  growthMiB: number;
  honest: Awaited<ReturnType<HonestPairs['stop']>>;
}

export async function runSoak(minutes: number, log: (line: string) => void): Promise<SoakResult> {
  const host = new ChildLink<HostRequest>('./relay-host.ts', ['framewire', JSON.stringify({ maxConnections: 1000 })]);
  try {
    const ready = await host.waitFor<HostReady>('ready');
    const url = ready.url.replace(/\/?$/, '/ws');
    const honest = await HonestPairs.open(url, 20);
    honest.start();
    const rooms = honest.rooms;
    let churnJoins = 0;
    let stop = false;
    const churn = (async () => {
      while (!stop) {
        const room = rooms[Math.floor(Math.random() * rooms.length)]!;
        const resumable = Math.random() < 0.5 ? '&resumable=1' : '';
        const ws = new WebSocket(`${url}?room=${room}&name=churn${resumable}`, { perMessageDeflate: false });
        ws.on('error', () => undefined);
        ws.once('message', () => {
          churnJoins++;
          setTimeout(() => (Math.random() < 0.5 ? ws.close() : ws.terminate()), 150 + Math.random() * 1000);
        });
        await sleep(200);
      }
    })();
    const rss: number[] = [];
    for (let m = 1; m <= minutes; m++) {
      await sleep(60_000);
      const sample = await host.call<HostSample>({ type: 'sample' });
      rss.push(Math.round((sample.rss / MIB) * 10) / 10);
      log(`minute ${m}: RSS ${rss.at(-1)} MiB, churn joins ${churnJoins}`);
    }
    stop = true;
    await churn;
    const figures = await honest.stop();
    honest.close();
    const base = rss[0] ?? 0;
    return { minutes, rooms: rooms.length, churnJoins, rssMiB: rss, growthMiB: Math.round((Math.max(...rss) - base) * 10) / 10, honest: figures };
  } finally {
    await host.call({ type: 'close' }, 30_000).catch(() => undefined);
  }
}

export function soakMarkdown(r: SoakResult): string {
  return [
    `# bench:soak — ${r.minutes} minutes, ${r.rooms} rooms × 2 at 30 fps, churn`,
    '',
    markdownTable(['minutes', 'churn joins', 'RSS per minute, MiB', 'growth after minute 1', 'honest frames', 'honest p50 / p99 / max'], [
      [r.minutes, r.churnJoins, r.rssMiB.join(' '), `${r.growthMiB} MiB`, `${r.honest.received}/${r.honest.sent} (lost ${r.honest.lost})`, `${r.honest.p50Ms} / ${r.honest.p99Ms} / ${r.honest.maxMs} ms`],
    ]),
    '',
  ].join('\n');
}

runIfMain(import.meta.url, async () => {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, name: { type: 'string' }, 'results-dir': { type: 'string' } } });
  const minutes = values.minutes === undefined ? 30 : Number(values.minutes);
  if (!(minutes >= 1 && minutes <= 600)) throw new TypeError(`minutes must be in 1..600 [minutes:${minutes}]`);
  const result = await runSoak(minutes, (line) => process.stderr.write(`${line}\n`));
  const markdown = soakMarkdown(result);
  const env = benchEnv();
  await writeResults(values.name ?? 'soak', { env, ...result }, markdown, values['results-dir'] ?? DEFAULT_RESULTS_DIR);
  process.stderr.write(`${describeEnv(env)}\n`);
  process.stdout.write(`${markdown}\n`);
});

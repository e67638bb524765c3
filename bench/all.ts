/**
 * `npm run bench` — the quick benches one after another (codec, relay `--quick`, sharp
 * `--quick`), each in its own process so they do not disturb one another, then one summary
 * table on stdout. Each bench checks its own output and exits non-zero when a check fails;
 * this exits non-zero if any did. Full tables: RESULTS/{codec,relay,sharp}.md, the summary in
 * RESULTS/summary.{json,md}. RESULTS defaults to bench/results/quick, so the quick run never
 * overwrites the results of the full benches in bench/results.
 *
 * Flags: `--smoke` (every bench in its shortest mode, for the test suite), `--results-dir DIR`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CodecBenchResult } from './codec.ts';
import { benchEnv, describeEnv, DEFAULT_RESULTS_DIR, writeResults, runIfMain } from './env.ts';
import type { RelayBenchResult } from './relay.ts';
import type { SharpBenchResult } from './sharp.ts';
import { fixed, markdownTable, type Cell } from './table.ts';

/** The benches `npm run bench` runs, in order. */
export const BENCHES = ['codec', 'relay', 'sharp'] as const;
export type BenchName = (typeof BENCHES)[number];

/** How one bench process ended. */
export interface BenchRun {
  bench: BenchName;
  /** Exit code (0 = its output checks passed). */
  code: number | null;
  seconds: number;
}

/** Runs `bench/NAME.ts` with `flag` under tsx; its progress goes to our stderr, its table is dropped. */
export function runBench(bench: BenchName, flag: '--quick' | '--smoke', resultsDir: string): Promise<BenchRun> {
  const script = fileURLToPath(new URL(`./${bench}.ts`, import.meta.url));
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, flag, '--results-dir', resultsDir], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', fail);
    child.once('exit', (code) => done({ bench, code, seconds: (performance.now() - started) / 1000 }));
  });
}

async function readJson<T>(dir: string, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** One row per headline number: bench, case, measured, baseline, ratio. */
export function summaryRows(codec: CodecBenchResult | undefined, relay: RelayBenchResult | undefined, sharp: SharpBenchResult | undefined): Cell[][] {
  const rows: Cell[][] = [];
  if (codec) {
    const h = codec.header;
    rows.push(['codec', 'header encode + decode', `${fixed(h.encodeDecodeNs.median, 0)} ns/frame`, `target < ${h.targetNs} ns`, null]);
    for (const r of codec.reader) {
      rows.push(['codec', `FrameReader ${r.stream}`, `${fixed(r.readerMBps.median, 0)} MB/s`, `${fixed(r.copyMBps.median, 0)} MB/s set() copy`, fixed(r.ratio, 2)]);
    }
    for (const s of codec.swizzle) {
      rows.push(['codec', `swizzle ${s.size}`, `${fixed(s.alignedGBps.median, 2)} GB/s`, `${fixed(s.copyGBps.median, 2)} GB/s set() copy`, fixed(s.ratioToCopy, 2)]);
    }
  }
  if (relay) {
    for (const c of relay.cases) {
      const p99 = c.p99Ms === null ? '' : `, p99 ${c.p99Ms} ms`;
      rows.push(['relay', c.case, `${c.framewireMBps ?? '–'} MB/s${p99}`, `${c.baselineMBps ?? '–'} MB/s bare ws`, c.ratio]);
    }
    const held = (n: number | null, capped: boolean): string => (n === null ? 'none' : capped ? `≥ ${n}` : String(n));
    rows.push(['relay', 'rooms × 2 held (30 fps, 50 KB)', held(relay.rooms.framewire, relay.rooms.framewireCapped), `${held(relay.rooms.baseline, relay.rooms.baselineCapped)} bare ws`, null]);
  }
  if (sharp) {
    for (const raw of sharp.raw) {
      for (const row of sharp.rows.filter((r) => r.size === raw.size && r.input === 'bgra' && r.quality === 75)) {
        rows.push([
          'sharp',
          `${row.size} BGRA→JPEG q75${row.mozjpeg ? ' mozjpeg' : ''}`,
          `${row.msPerFrame} ms, ${row.bytesPerFrame} B`,
          `raw ${raw.copyMs} ms, ${raw.bytesPerFrame} B`,
          fixed(raw.bytesPerFrame / row.bytesPerFrame, 1),
        ]);
      }
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { smoke: { type: 'boolean', default: false }, 'results-dir': { type: 'string' } },
  });
  const flag = values.smoke ? '--smoke' : '--quick';
  const dir = values['results-dir'] ?? join(DEFAULT_RESULTS_DIR, values.smoke ? 'smoke' : 'quick');
  const runs: BenchRun[] = [];
  for (const bench of BENCHES) {
    console.error(`== bench ${bench} ${flag}`);
    runs.push(await runBench(bench, flag, dir));
  }
  const [codec, relay, sharp] = await Promise.all([
    readJson<CodecBenchResult>(dir, 'codec'),
    readJson<RelayBenchResult>(dir, 'relay'),
    readJson<SharpBenchResult>(dir, 'sharp'),
  ]);
  const env = benchEnv();
  const table = markdownTable(['bench', 'case', 'framewire', 'baseline', 'ratio'], summaryRows(codec, relay, sharp));
  const status = markdownTable(
    ['bench', 'output checks', 'seconds'],
    runs.map((r) => [r.bench, r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`, fixed(r.seconds, 1)]),
  );
  const markdown = [
    `# framewire benchmarks (${flag.slice(2)})`,
    '',
    describeEnv(env),
    '',
    table,
    '',
    status,
    '',
    'ratio: relay = framewire / bare ws (higher is better); codec = vs a plain set() copy; sharp = raw BGRA bytes / JPEG bytes.',
    `Full tables: ${['codec', 'relay', 'sharp'].map((n) => `${n}.md`).join(', ')}.`,
  ].join('\n');
  await writeResults('summary', { env, mode: flag.slice(2), runs, rows: summaryRows(codec, relay, sharp) }, markdown, dir);
  console.log(markdown);
  if (runs.some((r) => r.code !== 0)) process.exit(1);
}

runIfMain(import.meta.url, main);

/**
 * What every benchmark prints and stores beside its numbers: the machine it ran on, and
 * `writeResults` to put a JSON and a Markdown file into bench/results/.
 */
import { cpus, totalmem, platform, arch, release } from 'node:os';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where results go unless a bench is told otherwise (`--results-dir`). */
export const DEFAULT_RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'results');

/** The machine and runtime a result was measured on. */
export interface BenchEnv {
  /** `process.version`, e.g. `v20.20.2`. */
  node: string;
  /** CPU model string of the first core. */
  cpu: string;
  /** Logical cores (`os.cpus().length`). */
  cores: number;
  /** Total memory, MiB. */
  memoryMiB: number;
  /** `linux-x64 6.1.0` and the like. */
  os: string;
  /** When the bench ran, ISO 8601 UTC. */
  date: string;
}

/** The environment of this process. */
export function benchEnv(): BenchEnv {
  const list = cpus();
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    os: `${platform()}-${arch()} ${release()}`,
    date: new Date().toISOString(),
  };
}

/** One line describing `env`, for the top of a Markdown report or the console. */
export function describeEnv(env: BenchEnv): string {
  return `Node ${env.node} · ${env.cpu} · ${env.cores} cores · ${env.memoryMiB} MiB · ${env.os} · ${env.date}`;
}

/**
 * Writes `NAME.json` (pretty JSON) and `NAME.md` into `dir` (default bench/results/), each
 * through a temporary file and a rename so a reader never sees half a file. Returns the paths.
 */
export async function writeResults(
  name: string,
  json: unknown,
  markdown: string,
  dir: string = DEFAULT_RESULTS_DIR,
): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  const mdPath = join(dir, `${name}.md`);
  await writeAtomically(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  await writeAtomically(mdPath, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return { json: jsonPath, markdown: mdPath };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** How long a bench runs: `smoke` (CI, seconds), `quick` (≤ about a minute), `full`. */
export type BenchMode = 'smoke' | 'quick' | 'full';

/** The mode the `--smoke` / `--quick` flags select (`full` without either). */
export function benchMode(flags: { smoke?: boolean; quick?: boolean }): BenchMode {
  return flags.smoke ? 'smoke' : flags.quick ? 'quick' : 'full';
}

/**
 * Runs `main` when the module at `moduleUrl` is the script Node was started with (so a bench
 * file is both runnable and importable); an error is printed and exits 1.
 */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}

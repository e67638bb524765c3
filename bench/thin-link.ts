/**
 * `npm run bench:thin-link` — raw JPEG vs WebRTC on capped links (issue 11), same run, same
 * harness frames: each browser in its own network namespace behind `tc tbf` caps, the relay
 * in the middle (see thin-link-run.ts, net/topology.ts). Needs root, and the app built
 * (`npx vite build`).
 *
 * Flags: `--seconds N` (per scenario and mode, default 30), `--scenarios a,b,c,d` (default
 * all), `--modes jpeg,webrtc`, `--warmup N` (s, default 2), `--smoke` (scenario b, 4 s per
 * mode, 1 s warm-up), `--content synthetic|camera` (what the harness draws under the id
 * strip; camera = Chromium's fake camera, bigger frames, no quality figures; default
 * synthetic), `--name NAME` (output file names, default thin-link), `--results-dir DIR` (default bench/results), `--static-dir DIR`.
 * Output: RESULTS/thin-link.{json,md,svg}; the table on stdout, environment and progress
 * on stderr. Exits 1 when a mode painted nothing or a check of its own output failed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RESULTS_DIR, describeEnv, runIfMain, writeResults } from './env.ts';
import { canCreateNamespaces } from './net/topology.ts';
import { runThinLinkBench, THIN_LINK_CONTENTS, THIN_LINK_MODES, type ThinLinkContent, type ThinLinkMode, type ThinLinkReport } from './thin-link-run.ts';
import { thinLinkFailures, thinLinkMarkdown, thinLinkRatios, thinLinkSvg } from './thin-link-report.ts';
import { parseScenarios, type ScenarioId } from './thin-link-scenarios.ts';

/** Options of `thinLinkMain` (the CLI flags). */
export interface ThinLinkCliOptions {
  seconds?: number;
  scenarios?: ScenarioId[];
  modes?: ThinLinkMode[];
  warmupSeconds?: number;
  smoke?: boolean;
  /** Harness content (see ThinLinkOptions.content). Default synthetic. */
  content?: ThinLinkContent;
  /** Output name: NAME.json/.md/.svg. Default thin-link. */
  name?: string;
  resultsDir?: string;
  staticDir?: string;
  log?: (line: string) => void;
  onNamespaces?: (names: string[]) => void;
}

/** Runs the bench, writes JSON, Markdown and SVG; returns the report and the failed output checks. */
export async function thinLinkMain(o: ThinLinkCliOptions): Promise<{ report: ThinLinkReport; failures: string[]; markdown: string }> {
  if (!canCreateNamespaces()) throw new Error('bench:thin-link needs root (it creates network namespaces and tc caps): run it as root');
  const report = await runThinLinkBench({
    scenarios: o.scenarios ?? (o.smoke ? ['b'] : ['a', 'b', 'c', 'd']),
    ...(o.modes ? { modes: o.modes } : {}),
    seconds: o.seconds ?? (o.smoke ? 4 : 30),
    warmupSeconds: o.warmupSeconds ?? (o.smoke ? 1 : 2),
    ...(o.smoke ? { tailMs: 8000 } : {}),
    ...(o.staticDir ? { staticDir: o.staticDir } : {}),
    ...(o.content ? { content: o.content } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.onNamespaces ? { onNamespaces: o.onNamespaces } : {}),
  });
  const failures = thinLinkFailures(report);
  const markdown = thinLinkMarkdown(report, failures);
  const dir = o.resultsDir ?? DEFAULT_RESULTS_DIR;
  const name = o.name ?? 'thin-link';
  if (!/^[a-z0-9-]+$/.test(name)) throw new TypeError(`bad output name [name:${name}]`);
  await writeResults(name, { ...report, ratios: thinLinkRatios(report), failures }, markdown, dir);
  await writeFile(join(dir, `${name}.svg`), thinLinkSvg(report));
  return { report, failures, markdown };
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      scenarios: { type: 'string' },
      modes: { type: 'string' },
      warmup: { type: 'string' },
      smoke: { type: 'boolean' },
      content: { type: 'string' },
      name: { type: 'string' },
      'results-dir': { type: 'string' },
      'static-dir': { type: 'string' },
    },
  });
  try {
    const modes = values.modes?.split(',').map((m) => m.trim()).filter(Boolean);
    for (const m of modes ?? []) if (!(THIN_LINK_MODES as readonly string[]).includes(m)) throw new TypeError(`unknown mode [mode:${m}, known:${THIN_LINK_MODES.join(',')}]`);
    if (values.content !== undefined && !(THIN_LINK_CONTENTS as readonly string[]).includes(values.content)) throw new TypeError(`unknown content [content:${values.content}, known:${THIN_LINK_CONTENTS.join(',')}]`);
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new TypeError(`--seconds must be > 0 [seconds:${values.seconds}]`);
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    const { report, failures, markdown } = await thinLinkMain({
      ...(seconds !== undefined ? { seconds } : {}),
      ...(values.scenarios ? { scenarios: parseScenarios(values.scenarios) } : {}),
      ...(modes ? { modes: modes as ThinLinkMode[] } : {}),
      ...(values.warmup ? { warmupSeconds: Number(values.warmup) } : {}),
      ...(values.smoke ? { smoke: true } : {}),
      ...(values.content ? { content: values.content as ThinLinkContent } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(values['results-dir'] ? { resultsDir: values['results-dir'] } : {}),
      ...(values['static-dir'] ? { staticDir: values['static-dir'] } : {}),
      log,
    });
    log(describeEnv(report.env));
    process.stdout.write(markdown);
    if (failures.length > 0) {
      log(`bench:thin-link: ${failures.length} output check(s) failed`);
      process.exitCode = 1;
    }
  } catch (error) {
    process.stderr.write(`bench:thin-link failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

runIfMain(import.meta.url, cli);

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
 *
 * The runner and CLI below (`linkBenchMain`, `linkBenchCli`) serve every bench built on the
 * thin-link driver; a `LinkBenchSpec` says what differs (defaults, report, checks) — see
 * reach.ts for the other one.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RESULTS_DIR, describeEnv, runIfMain, writeResults } from './env.ts';
import { parseLinkModes, type LinkModeId } from './link-modes.ts';
import { canCreateNamespaces } from './net/topology.ts';
import { runThinLinkBench, THIN_LINK_CONTENTS, THIN_LINK_MODES, type ThinLinkContent, type ThinLinkMode, type ThinLinkReport } from './thin-link-run.ts';
import { thinLinkFailures, thinLinkMarkdown, thinLinkRatios, thinLinkSvg } from './thin-link-report.ts';
import { parseScenarios, type ScenarioId } from './thin-link-scenarios.ts';

/** Options of `linkBenchMain` (the CLI flags). Defaults come from the bench's `LinkBenchSpec`. */
export interface ThinLinkCliOptions {
  seconds?: number;
  scenarios?: ScenarioId[];
  modes?: ThinLinkMode[];
  warmupSeconds?: number;
  smoke?: boolean;
  /** Harness content (see ThinLinkOptions.content). Default synthetic. */
  content?: ThinLinkContent;
  /** Output name: NAME.json/.md/.svg. Default the bench's (thin-link, reach). */
  name?: string;
  resultsDir?: string;
  staticDir?: string;
  log?: (line: string) => void;
  onNamespaces?: (names: string[]) => void;
}

/** What one bench on the thin-link driver is: its name, defaults, checks and report. */
export interface LinkBenchSpec {
  /** The npm script, for messages: `bench:thin-link`. */
  command: string;
  /** Default output name. */
  name: string;
  /** Default scenarios, and those of `--smoke`. */
  scenarios: readonly ScenarioId[];
  smokeScenarios: readonly ScenarioId[];
  /** Default link modes, and the ones `--modes` accepts. */
  modes: readonly LinkModeId[];
  allowedModes: readonly LinkModeId[];
  /** Default seconds per scenario and mode, and with `--smoke`. */
  seconds: number;
  smokeSeconds: number;
  /** The run's failed output checks (empty = fine). */
  failures: (report: ThinLinkReport) => string[];
  /** The Markdown report (also printed to stdout). */
  markdown: (report: ThinLinkReport, failures: readonly string[]) => string;
  /** Fields added to the JSON beside the report (ratios, target checks). */
  summary: (report: ThinLinkReport) => Record<string, unknown>;
  /** What the latency-over-time SVG compares, for its title. */
  svgTitle: string;
}

/** bench:thin-link: raw JPEG vs WebRTC on scenarios a–d. */
export const THIN_LINK_BENCH: LinkBenchSpec = {
  command: 'bench:thin-link',
  name: 'thin-link',
  scenarios: ['a', 'b', 'c', 'd'],
  smokeScenarios: ['b'],
  modes: THIN_LINK_MODES,
  allowedModes: THIN_LINK_MODES,
  seconds: 30,
  smokeSeconds: 4,
  failures: thinLinkFailures,
  markdown: thinLinkMarkdown,
  summary: (report) => ({ ratios: thinLinkRatios(report) }),
  svgTitle: 'raw JPEG vs WebRTC',
};

/** Runs `spec`'s bench, writes JSON, Markdown and SVG; returns the report and the failed output checks. */
export async function linkBenchMain(spec: LinkBenchSpec, o: ThinLinkCliOptions): Promise<{ report: ThinLinkReport; failures: string[]; markdown: string }> {
  if (!canCreateNamespaces()) throw new Error(`${spec.command} needs root (it creates network namespaces and tc caps): run it as root`);
  const name = o.name ?? spec.name;
  if (!/^[a-z0-9-]+$/.test(name)) throw new TypeError(`bad output name [name:${name}]`);
  const report = await runThinLinkBench({
    scenarios: o.scenarios ?? [...(o.smoke ? spec.smokeScenarios : spec.scenarios)],
    modes: o.modes ?? [...spec.modes],
    seconds: o.seconds ?? (o.smoke ? spec.smokeSeconds : spec.seconds),
    warmupSeconds: o.warmupSeconds ?? (o.smoke ? 1 : 2),
    ...(o.smoke ? { tailMs: 8000 } : {}),
    ...(o.staticDir ? { staticDir: o.staticDir } : {}),
    ...(o.content ? { content: o.content } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...(o.onNamespaces ? { onNamespaces: o.onNamespaces } : {}),
  });
  const failures = spec.failures(report);
  const markdown = spec.markdown(report, failures);
  const dir = o.resultsDir ?? DEFAULT_RESULTS_DIR;
  await writeResults(name, { ...report, ...spec.summary(report), failures }, markdown, dir);
  await writeFile(join(dir, `${name}.svg`), thinLinkSvg(report, spec.svgTitle));
  return { report, failures, markdown };
}

/** `linkBenchMain` of bench:thin-link. */
export function thinLinkMain(o: ThinLinkCliOptions): Promise<{ report: ThinLinkReport; failures: string[]; markdown: string }> {
  return linkBenchMain(THIN_LINK_BENCH, o);
}

/** The command line of `spec`'s bench (flags in the file comment); exit code 1 on a failed check or error. */
export async function linkBenchCli(spec: LinkBenchSpec): Promise<void> {
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
    const modes = values.modes === undefined ? undefined : parseLinkModes(values.modes, spec.allowedModes);
    if (values.content !== undefined && !(THIN_LINK_CONTENTS as readonly string[]).includes(values.content)) throw new TypeError(`unknown content [content:${values.content}, known:${THIN_LINK_CONTENTS.join(',')}]`);
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new TypeError(`--seconds must be > 0 [seconds:${values.seconds}]`);
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    const { report, failures, markdown } = await linkBenchMain(spec, {
      ...(seconds !== undefined ? { seconds } : {}),
      ...(values.scenarios ? { scenarios: parseScenarios(values.scenarios) } : {}),
      ...(modes ? { modes } : {}),
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
      log(`${spec.command}: ${failures.length} output check(s) failed`);
      process.exitCode = 1;
    }
  } catch (error) {
    process.stderr.write(`${spec.command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

runIfMain(import.meta.url, () => linkBenchCli(THIN_LINK_BENCH));

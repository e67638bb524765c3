/**
 * `npm run bench:reach` — glass-to-glass latency and delivered fps by transport, same run,
 * same harness frames: raw JPEG over WebSocket, over an HTTP stream and over long-poll
 * (page parameter `transport=`), WebRTC direct and WebRTC relayed by coturn over TCP
 * (`ice=relay`; coturn started in the relay namespace), on unshaped homes (scenario o, the
 * "loopback" case) and under the congestion-control bench's 4 Mbit/s cap (scenario a).
 * Built on the thin-link driver (thin-link-run.ts, link-modes.ts); needs root and the app
 * built (`npx vite build`).
 *
 * Targets: HTTP stream p50 ≤ 1.2× WebSocket p50; under the cap every raw transport's
 * p95 ≤ 250 ms; WebRTC-via-TURN/TCP is reported beside them. A mode that ran on another
 * transport than it claims (the pages' own report) fails the run (exit 1), as does one that
 * painted nothing; a missed target does not.
 *
 * Flags: `--seconds N` (per scenario and mode, default 20), `--scenarios o,a` (default),
 * `--modes ws,http,poll,webrtc,webrtc-turn` (default; any of link-modes.ts), `--warmup N`
 * (s, default 2), `--smoke` (scenario o, 4 s per mode, 1 s warm-up), `--content
 * synthetic|camera`, `--name NAME` (default reach), `--results-dir DIR`, `--static-dir DIR`.
 * Output: RESULTS/reach.{json,md,svg}; the tables on stdout, environment and progress on stderr.
 */
import { runIfMain } from './env.ts';
import { LINK_MODE_IDS } from './link-modes.ts';
import { reachFailures, reachMarkdown, reachSummary } from './reach-report.ts';
import { linkBenchCli, linkBenchMain, type LinkBenchSpec, type ThinLinkCliOptions } from './thin-link.ts';
import type { ThinLinkReport } from './thin-link-run.ts';

/** bench:reach on the thin-link driver. */
export const REACH_BENCH: LinkBenchSpec = {
  command: 'bench:reach',
  name: 'reach',
  scenarios: ['o', 'a'],
  smokeScenarios: ['o'],
  modes: ['ws', 'http', 'poll', 'webrtc', 'webrtc-turn'],
  allowedModes: LINK_MODE_IDS,
  seconds: 20,
  smokeSeconds: 4,
  failures: reachFailures,
  markdown: reachMarkdown,
  summary: reachSummary,
  svgTitle: 'by transport',
};

/** Runs bench:reach, writes RESULTS/NAME.{json,md,svg}; returns the report and the failed output checks. */
export function reachMain(o: ThinLinkCliOptions): Promise<{ report: ThinLinkReport; failures: string[]; markdown: string }> {
  return linkBenchMain(REACH_BENCH, o);
}

runIfMain(import.meta.url, () => linkBenchCli(REACH_BENCH));

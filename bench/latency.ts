/**
 * `npm run bench:latency` — capture→paint latency of raw JPEG, raw BGRA and WebRTC on the
 * same harness frames, side by side in one headless Chromium run (see latency-run.ts).
 *
 * Flags: `--seconds N` (per mode, default 10), `--modes jpeg,bgra,webrtc`, `--res 640x480`,
 * `--fps 30`, `--warmup N` (s, default 2), `--rounds N` (modes alternate N times, each for
 * seconds/N, samples pooled; default 1), `--webrtc-jitter-target MS` (receivers'
 * jitterBufferTarget; default the browser's), `--picture textured|flat` (the harness picture:
 * camera-like ≈ 36 KB JPEG, or the flat ≈ 8 KB one of earlier runs; default textured),
 * `--results-dir DIR` (default bench/results),
 * `--static-dir DIR` (the built app, default dist/web).
 * Output: RESULTS/latency.json, RESULTS/latency.md, RESULTS/latency.svg; the table on
 * stdout, the environment and progress on stderr. Exits 1 if a mode painted nothing.
 */
import { parseArgs } from 'node:util';
import { LATENCY_MODES, runLatencyBench, type LatencyMode } from './latency-run.ts';
import { reportMarkdown } from './latency-report.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    modes: { type: 'string' },
    res: { type: 'string' },
    fps: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    'webrtc-jitter-target': { type: 'string' },
    picture: { type: 'string' },
    'results-dir': { type: 'string' },
    'static-dir': { type: 'string' },
  },
});

function parseRes(text: string): { width: number; height: number } {
  const match = /^(\d{2,4})x(\d{2,4})$/.exec(text);
  if (!match) throw new TypeError(`--res must be WIDTHxHEIGHT [res:${text}]`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

try {
  const modes = values.modes?.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes ?? []) {
    if (!(LATENCY_MODES as readonly string[]).includes(m)) throw new TypeError(`unknown mode [mode:${m}, known:${LATENCY_MODES.join(',')}]`);
  }
  const res = values.res ? parseRes(values.res) : undefined;
  if (values.picture !== undefined && values.picture !== 'flat' && values.picture !== 'textured') throw new TypeError(`--picture must be textured or flat [picture:${values.picture}]`);
  const report = await runLatencyBench({
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(modes ? { modes: modes as LatencyMode[] } : {}),
    ...(res ?? {}),
    ...(values.fps ? { fps: Number(values.fps) } : {}),
    ...(values.warmup ? { warmupSeconds: Number(values.warmup) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values['webrtc-jitter-target'] ? { webrtcJitterBufferTargetMs: Number(values['webrtc-jitter-target']) } : {}),
    ...(values.picture === 'flat' || values.picture === 'textured' ? { picture: values.picture } : {}),
    ...(values['results-dir'] ? { resultsDir: values['results-dir'] } : {}),
    ...(values['static-dir'] ? { staticDir: values['static-dir'] } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(reportMarkdown(report));
} catch (error) {
  process.stderr.write(`bench:latency failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

/**
 * `npm run bench:audio` — mouth-to-ear latency of the sound, raw frames through the relay vs
 * WebRTC, same run, on unshaped homes ("loopback": veth pairs through the relay namespace)
 * and with both homes capped at 1 Mbit/s both ways (tbf, the congestion-control bench's
 * thin link). The sender's Chromium plays a clip of 1 kHz tone bursts as its microphone
 * (made with the bundled ffmpeg) while its fake camera sends 640×480 @ 30 fps video; the
 * sender's microphone and the receiver's playout are recorded (`framewire.startAudioTap`) and
 * the bursts' onsets paired (web-node/tone-analysis.ts). Also reported: audio packets
 * delivered, the raw receiver's A/V offset, the video alongside. Needs root and the app built.
 *
 * Flags: `--seconds N` (per condition and mode, default 20), `--conditions loopback,cap`,
 * `--modes jpeg,webrtc`, `--cap-mbit X` (default 1), `--smoke` (8 s each), `--name NAME`
 * (default audio), `--results-dir DIR`, `--static-dir DIR`.
 * Output: RESULTS/NAME.{json,md}. Exits 1 when a mode heard nothing; a missed target does not.
 * `FRAMEWIRE_AUDIO_DUMP=DIR` also writes each recording as raw float32 (48 kHz mono) there.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { burstOnsets, decodeTap, DEFAULT_BURSTS, pairOnsets, percentile, toneBurstWav, toneFrequency, type Recording } from '../web-node/tone-analysis.ts';
import { AUDIO_CONDITIONS, AUDIO_MODES, audioFailures, audioMarkdown, audioVerdicts, type AudioCondition, type AudioMode, type AudioReport, type AudioResult } from './audio-report.ts';
import { benchEnv, DEFAULT_RESULTS_DIR, describeEnv, runIfMain, writeResults } from './env.ts';
import { launchChromiumInNamespace } from './net/browser.ts';
import { startRelayProcess } from './net/relay-process.ts';
import { canCreateNamespaces, createTopology, removeStaleNamespaces } from './net/topology.ts';

export const DEFAULT_SECONDS = 20;
export const SMOKE_SECONDS = 8;
const WARMUP_MS = 3000;
const JOIN_TIMEOUT_MS = 30_000;
const DEFAULT_STATIC_DIR = resolve(import.meta.dirname, '..', 'dist', 'web');

export interface AudioBenchOptions {
  seconds?: number;
  conditions?: AudioCondition[];
  modes?: AudioMode[];
  capMbit?: number;
  staticDir?: string;
  log?: (line: string) => void;
  onNamespaces?: (names: string[]) => void;
}

/** Runs the bench; returns the report (nothing written). */
export async function runAudioBench(options: AudioBenchOptions = {}): Promise<AudioReport> {
  const seconds = options.seconds ?? DEFAULT_SECONDS;
  const conditions = options.conditions ?? [...AUDIO_CONDITIONS];
  const modes = options.modes ?? [...AUDIO_MODES];
  const capMbit = options.capMbit ?? 1;
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const log = options.log ?? (() => undefined);
  if (!(seconds >= 3 && seconds <= 600)) throw new TypeError(`seconds must be in 3..600 [seconds:${seconds}]`);
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`the web app is not built [staticDir:${staticDir}]: run \`npx vite build\` first`);
  removeStaleNamespaces();
  const dir = await mkdtemp(join(tmpdir(), 'fw-audio-bench-'));
  const clip = join(dir, 'tone.wav');
  await toneBurstWav(clip, { ...DEFAULT_BURSTS, seconds: 10 });
  const report: AudioReport = {
    env: benchEnv(),
    settings: { seconds, capMbit, clip: `${DEFAULT_BURSTS.frequency} Hz, ${DEFAULT_BURSTS.burstMs} ms every ${DEFAULT_BURSTS.periodMs} ms`, video: '640×480 @ 30 fps, fake camera (raw: JPEG)' },
    results: [],
  };
  try {
    for (const condition of conditions) {
      const mbit = condition === 'cap' ? capMbit : null;
      const topology = await createTopology({ homes: [{ name: 'sender', upMbit: mbit, downMbit: mbit }, { name: 'recv', upMbit: mbit, downMbit: mbit }], tag: `a${condition === 'cap' ? 'c' : 'l'}` });
      options.onNamespaces?.(topology.namespaces);
      const browsers: Awaited<ReturnType<typeof launchChromiumInNamespace>>[] = [];
      let relay: Awaited<ReturnType<typeof startRelayProcess>> | undefined;
      try {
        relay = await startRelayProcess({ ns: topology.relayNs, staticDir, log: (line) => log(`  [relay] ${line}`) });
        const origins = topology.homes.map((h) => `http://${h.relayIp}:${relay!.port}`);
        for (const [i, home] of topology.homes.entries()) {
          browsers.push(await launchChromiumInNamespace({ ns: home.ns, secureOrigins: [origins[i]!], args: [`--use-file-for-fake-audio-capture=${clip}`] }));
        }
        for (const mode of modes) {
          log(`${condition}/${mode}: ${seconds} s …`);
          const result = await runOne(browsers.map((b) => b.browser), origins, condition, mode, seconds, log);
          log(`  ${condition}/${mode}: mouth-to-ear p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms (${result.paired}/${result.bursts} bursts), delivery ${result.delivery}, A/V ${result.avOffsetMs} ms, video ${result.videoFps} fps ${result.videoSize ?? ''}`);
          report.results.push(result);
        }
      } finally {
        await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
        await relay?.close().catch(() => undefined);
        topology.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return report;
}

async function runOne(browsers: Browser[], origins: string[], condition: AudioCondition, mode: AudioMode, seconds: number, log: (line: string) => void): Promise<AudioResult> {
  const contexts: BrowserContext[] = [];
  try {
    const room = `audio-${condition}-${mode}-${Date.now().toString(36)}`;
    const pages: Page[] = [];
    for (const [i, name] of ['Sender', 'Receiver'].entries()) {
      const context = await browsers[i]!.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => log(`  [${name}] page error: ${error.message}`));
      const params = new URLSearchParams({ room, name, mode, res: '640x480', fps: '30', autostart: '1' });
      await page.goto(`${origins[i]}/?${params}`, { timeout: JOIN_TIMEOUT_MS });
      await page.waitForFunction(() => window.framewire?.state().connection === 'open' && window.framewire.state().peerId > 0, null, { timeout: JOIN_TIMEOUT_MS });
      pages.push(page);
    }
    const [sender, receiver] = pages as [Page, Page];
    await receiver.evaluate(() => window.framewire.setSettings({ cameraOn: false }));
    const senderId = await sender.evaluate(() => window.framewire.state().peerId);
    await receiver.waitForFunction((id) => (window.framewire.stats().peers.find((p) => p.id === id)?.framesPainted ?? 0) > 5, senderId, { timeout: JOIN_TIMEOUT_MS });
    await sleep(WARMUP_MS);
    const tapped = await Promise.all([sender.evaluate((s) => window.framewire.startAudioTap(0, s), seconds + 2), receiver.evaluate(([id, s]) => window.framewire.startAudioTap(id, s), [senderId, seconds + 2] as const)]);
    if (!tapped.every(Boolean)) throw new Error(`${condition}/${mode}: no sound to record [sender mic:${tapped[0]}, receiver playout:${tapped[1]}]`);
    const sentBefore = (await sender.evaluate(() => window.framewire.stats().self.audio))?.packets ?? null;
    const receivedBefore = await receivedPackets(receiver, senderId);
    await sleep(seconds * 1000);
    const sentAfter = (await sender.evaluate(() => window.framewire.stats().self.audio))?.packets ?? null;
    const receivedAfter = await receivedPackets(receiver, senderId);
    const [captured, heard] = await Promise.all([readTap(sender, 0), readTap(receiver, senderId)]);
    const dump = process.env['FRAMEWIRE_AUDIO_DUMP'];
    if (dump) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dump, `${condition}-${mode}-captured.f32`), captured.samples);
      await writeFile(join(dump, `${condition}-${mode}-heard.f32`), heard.samples);
    }
    const heardOnsets = burstOnsets(heard);
    const capturedOnsets = burstOnsets(captured);
    // (the microphone's tap is 'captured'-timed: see startAudioTap)
    const latencies = pairOnsets(capturedOnsets, heardOnsets, DEFAULT_BURSTS.periodMs * 0.9);
    log(`  ${condition}/${mode}: captured ${capturedOnsets.length} onsets from ${(captured.samples.length / captured.sampleRate).toFixed(1)} s at ${captured.startTime.toFixed(0)}, heard ${heardOnsets.length} from ${(heard.samples.length / heard.sampleRate).toFixed(1)} s at ${heard.startTime.toFixed(0)}; first captured ${capturedOnsets.slice(0, 3).map((t) => (t - captured.startTime).toFixed(0))}, heard ${heardOnsets.slice(0, 3).map((t) => (t - captured.startTime).toFixed(0))} (ms after the capture tap's start)`);
    const peer = (await receiver.evaluate(() => window.framewire.stats())).peers.find((p) => p.id === senderId);
    const self = (await sender.evaluate(() => window.framewire.stats())).self;
    log(`  ${condition}/${mode}: sender rate ${JSON.stringify(self.rate)}, skipped ${self.skipped}, fps ${self.fps}; receiver audio ${JSON.stringify(peer?.audio ?? null)}`);
    const sent = sentBefore === null || sentAfter === null ? null : sentAfter - sentBefore;
    const received = receivedBefore === null || receivedAfter === null ? null : receivedAfter - receivedBefore;
    return {
      condition,
      mode,
      bursts: heardOnsets.length,
      paired: latencies.length,
      p50Ms: latencies.length > 0 ? round(percentile(latencies, 50)) : null,
      p95Ms: latencies.length > 0 ? round(percentile(latencies, 95)) : null,
      frequencyHz: toneFrequency(heard),
      sent,
      received,
      // NOTE: packets in flight at either end of the window make this ±1–2 packets.
      delivery: sent !== null && received !== null && sent > 0 ? Math.min(1, round(received / sent, 4)) : null,
      avOffsetMs: peer?.avOffsetMs ?? null,
      reportedDelayMs: peer?.audio?.delayMs ?? null,
      videoFps: peer?.fps ?? null,
      videoP50Ms: peer?.latencyMs.p50 ?? null,
      videoSize: mode === 'jpeg' ? `${self.width}×${self.height}` : null,
    };
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
  }
}

async function receivedPackets(page: Page, from: number): Promise<number | null> {
  return page.evaluate((id) => window.framewire.stats().peers.find((p) => p.id === id)?.audio?.packets ?? null, from);
}

async function readTap(page: Page, from: number): Promise<Recording> {
  const tap = await page.evaluate((id) => window.framewire.readAudioTap(id), from);
  if (tap === null) throw new Error(`no recording of ${from}`);
  return decodeTap(tap);
}

function round(x: number, digits = 1): number {
  return Number(x.toFixed(digits));
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** CLI options. */
export interface AudioCliOptions extends AudioBenchOptions {
  smoke?: boolean;
  name?: string;
  resultsDir?: string;
}

/** Runs the bench and writes RESULTS/NAME.{json,md}; returns the report, the failed output checks and the Markdown. */
export async function audioMain(o: AudioCliOptions): Promise<{ report: AudioReport; failures: string[]; markdown: string }> {
  const report = await runAudioBench({ ...o, seconds: o.seconds ?? (o.smoke ? SMOKE_SECONDS : DEFAULT_SECONDS) });
  const failures = audioFailures(report);
  const markdown = audioMarkdown(report);
  await writeResults(o.name ?? 'audio', { ...report, verdicts: audioVerdicts(report), failures }, markdown, o.resultsDir ?? DEFAULT_RESULTS_DIR);
  return { report, failures, markdown };
}

runIfMain(import.meta.url, async () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      conditions: { type: 'string' },
      modes: { type: 'string' },
      'cap-mbit': { type: 'string' },
      smoke: { type: 'boolean' },
      name: { type: 'string' },
      'results-dir': { type: 'string' },
      'static-dir': { type: 'string' },
    },
  });
  if (!canCreateNamespaces()) throw new Error('bench:audio needs root (network namespaces and tc caps)');
  const list = <T extends string>(text: string | undefined, allowed: readonly T[], what: string): T[] | undefined => {
    if (text === undefined) return undefined;
    const items = text.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!(allowed as readonly string[]).includes(item)) throw new TypeError(`unknown ${what} [${what}:${item}, known:${allowed.join(',')}]`);
    return items as T[];
  };
  const conditions = list(values.conditions, AUDIO_CONDITIONS, 'condition');
  const modes = list(values.modes, AUDIO_MODES, 'mode');
  const { failures, markdown, report } = await audioMain({
    ...(values.seconds === undefined ? {} : { seconds: Number(values.seconds) }),
    ...(conditions ? { conditions } : {}),
    ...(modes ? { modes } : {}),
    ...(values['cap-mbit'] === undefined ? {} : { capMbit: Number(values['cap-mbit']) }),
    ...(values.smoke ? { smoke: true } : {}),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values['results-dir'] === undefined ? {} : { resultsDir: values['results-dir'] }),
    ...(values['static-dir'] === undefined ? {} : { staticDir: values['static-dir'] }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`${describeEnv(report.env as ReturnType<typeof benchEnv>)}\n`);
  process.stdout.write(`${markdown}\n`);
  if (failures.length > 0) {
    process.stderr.write(`bench:audio: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  }
});

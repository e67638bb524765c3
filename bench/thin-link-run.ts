/**
 * The driver of the browser-on-a-network benches (bench:thin-link, bench:reach). Per scenario:
 * a fresh topology (bench/net/topology.ts), the relay CLI in the middle namespace (and, when
 * a mode needs it, coturn beside it: web-node/coturn.ts, TURN over TCP on the relay
 * namespace's addresses), one headless Chromium per home; then per link mode (link-modes.ts:
 * raw JPEG, WebRTC, raw JPEG forced onto one transport, WebRTC through TURN — same harness
 * frames, same caps, one after the other) a sender page and one page per receiver in one
 * room. After each mode the pages are asked what carried the call (transport, WebRTC route),
 * so a report can prove each mode ran on the transport it claims. Latency is read as in
 * bench:latency (frame id drawn into the picture, read off what the receiver painted), but
 * across browsers: each page's clock is compared with this process's, and the difference
 * between sender and receiver is taken out. Captures in the measuring window count; after
 * it, the run waits (bounded) for frames still in flight, so seconds-late frames are
 * measured rather than cut off.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { HarnessApi } from '../web/harness/latency-harness.ts';
import type { CaptureMark, PaintMark } from '../web/harness/latency-recorder.ts';
import { percentile } from '../web/stats/percentile.ts';
import { benchEnv, type BenchEnv } from './env.ts';
import { launchChromiumInNamespace } from './net/browser.ts';
import { startRelayProcess } from './net/relay-process.ts';
import { createTopology, removeStaleNamespaces, type Topology } from './net/topology.ts';
import { qualityProbeSource, type QualityResult } from './thin-link-quality.ts';
import { describeCaps, SCENARIOS, type Scenario, type ScenarioId } from './thin-link-scenarios.ts';
import type { LaunchedChromium } from '../web-node/chromium.ts';
import { Coturn } from '../web-node/coturn.ts';
import { isLinkModeId, LINK_MODE_IDS, LINK_MODES, linkModeParams, needsTurn, type LinkModeId, type ObservedLink } from './link-modes.ts';

/** The thin-link bench's modes (its default); any of link-modes.ts's can be run. */
export const THIN_LINK_MODES = ['jpeg', 'webrtc'] as const satisfies readonly LinkModeId[];
/** A mode the driver runs: any link mode (link-modes.ts). */
export type ThinLinkMode = LinkModeId;
export const THIN_LINK_CONTENTS = ['synthetic', 'camera'] as const;
export type ThinLinkContent = (typeof THIN_LINK_CONTENTS)[number];

export const DEFAULT_THIN_LINK_SECONDS = 30;
export const DEFAULT_WARMUP_SECONDS = 2;
/** Longest wait after the window for frames still in flight, ms. */
export const DEFAULT_TAIL_MS = 12_000;
/** Longest wait for a page to join, and for the first painted frame, ms. */
export const JOIN_TIMEOUT_MS = 30_000;
export const FIRST_PAINT_TIMEOUT_MS = 45_000;
/** Pause between modes so queues drain, ms. */
export const DRAIN_MS = 2_000;
/** Longest wait for a browser to close, ms. */
export const CLOSE_TIMEOUT_MS = 10_000;
/** Points kept per latency-over-time series. */
export const MAX_SERIES_POINTS = 1500;
export const DEFAULT_STATIC_DIR = resolve(import.meta.dirname, '..', 'dist', 'web');

/** Options of `runThinLinkBench`. */
export interface ThinLinkOptions {
  /** Scenarios, in this order. Default a, b, c, d. */
  scenarios?: ScenarioId[];
  /** Link modes (link-modes.ts), in this order. Default jpeg, webrtc. A mode that needs TURN starts coturn for the scenario. */
  modes?: ThinLinkMode[];
  /** Measuring time per scenario and mode, s. Default 30. */
  seconds?: number;
  /** Time after the first painted frame before measuring, s. Default 2. */
  warmupSeconds?: number;
  /** Longest wait for in-flight frames after the window, ms. Default 12 000. */
  tailMs?: number;
  /** Frame size and rate requested. Default 640×480 @ 30. */
  width?: number;
  height?: number;
  fps?: number;
  /** The built web app. Default dist/web. */
  staticDir?: string;
  /**
   * What the harness draws under the id strip: `synthetic` (reproducible, so picture quality
   * is measured) or `camera` (Chromium's fake camera: bigger JPEG frames, closer to a real
   * call, but no reference picture, so no quality figures). Default synthetic.
   */
  content?: ThinLinkContent;
  /** Progress lines. Default none. */
  log?: (line: string) => void;
  /** Called with the topology's namespaces as soon as they exist (tests check they are gone). */
  onNamespaces?: (names: string[]) => void;
}

/** One receiver in one mode of one scenario. */
export interface ReceiverResult {
  scenario: ScenarioId;
  mode: ThinLinkMode;
  receiver: string;
  /** The receiver's caps, e.g. `1 Mbit/s`. */
  link: string;
  /** Frames captured in the window and painted (first paint of each id). */
  frames: number;
  /** Frames the sender drew in the window. */
  captured: number;
  /** Delivered frames per second of window. */
  fps: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Sender's application payload per frame sent (raw: frame bytes; WebRTC: RTP payload), bytes. */
  sentBytesPerFrame: number | null;
  /** Frames the sender handed to its transport per second of window (its `stats().self.framesSent`); absent in older results. */
  sentFps?: number;
  /** Bytes on the receiver's link (IP level, relay end → home) per frame painted in the window. */
  wireBytesPerFrame: number | null;
  /** Receiver link throughput over the window, kbit/s. */
  wireKbps: number;
  /** Median luma PSNR / SSIM of sampled painted pictures against the sent ones (same id, sender size). */
  psnrDb: number | null;
  ssim: number | null;
  qualitySamples: number;
  /** Painted size most often seen in the quality samples, e.g. `640x480`. */
  paintedSize: string | null;
  /** Of the alignment checks, how many scored best on the right id (of how many). */
  alignment: { best: number; checked: number };
  /** Paints whose id strip could not be read. */
  misses: number;
  /** Receiver clock − sender clock, ms (taken out of every latency). */
  clockSkewMs: number;
  /** Step scenario: per phase between steps, p95 and how long after the phase began latency stayed under 250 ms. */
  phases?: PhaseResult[];
  /** Latency over time: [s since window start (capture), ms], at most MAX_SERIES_POINTS. */
  series: Array<[number, number]>;
  /** What the pages said carried the call, read right after the window. */
  observed?: ObservedLink;
}

/** One phase of a step scenario. */
export interface PhaseResult {
  fromS: number;
  toS: number;
  mbit: number | null;
  frames: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Seconds from the phase start until every later sample in the phase is under 250 ms; null if never. */
  settleS: number | null;
}

/** The whole run. */
export interface ThinLinkReport {
  env: BenchEnv & { chromium: string };
  settings: { seconds: number; warmupSeconds: number; width: number; height: number; fps: number; modes: ThinLinkMode[]; scenarios: ScenarioId[]; content: ThinLinkContent; tbf: string; turn?: string };
  scenarios: Array<{ id: ScenarioId; title: string; steps: Scenario['steps']; results: ReceiverResult[] }>;
}

/** Latency under which a step phase counts as settled, ms (the target). */
export const SETTLE_MS = 250;

interface ModeRun {
  results: ReceiverResult[];
}

/** Runs the scenarios and returns the report (writing files is the caller's). */
export async function runThinLinkBench(options: ThinLinkOptions = {}): Promise<ThinLinkReport> {
  const scenarios = options.scenarios ?? (['a', 'b', 'c', 'd'] as ScenarioId[]);
  const modes = options.modes ?? [...THIN_LINK_MODES];
  const seconds = options.seconds ?? DEFAULT_THIN_LINK_SECONDS;
  const warmupSeconds = options.warmupSeconds ?? DEFAULT_WARMUP_SECONDS;
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const fps = options.fps ?? 30;
  const staticDir = resolve(options.staticDir ?? DEFAULT_STATIC_DIR);
  const log = options.log ?? (() => undefined);
  const content = options.content ?? 'synthetic';
  if (!THIN_LINK_CONTENTS.includes(content)) throw new TypeError(`content must be one of ${THIN_LINK_CONTENTS.join(',')} [content:${String(content)}]`);
  if (!(seconds > 0 && seconds <= 3600)) throw new TypeError(`seconds must be in (0, 3600] [seconds:${seconds}]`);
  if (!(fps >= 5 && fps <= 30)) throw new TypeError(`fps must be in 5..30 [fps:${fps}]`);
  if (modes.length === 0 || modes.some((m) => !isLinkModeId(m))) throw new TypeError(`modes must be some of ${LINK_MODE_IDS.join(',')} [modes:${modes.join(',')}]`);
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`the web app is not built [staticDir:${staticDir}]: run \`npx vite build\` first`);
  const stale = removeStaleNamespaces();
  if (stale.length > 0) log(`removed stale namespaces: ${stale.join(', ')}`);

  const env = { ...benchEnv(), chromium: '' };
  const report: ThinLinkReport = {
    env,
    settings: {
      seconds,
      warmupSeconds,
      width,
      height,
      fps,
      modes: [...modes],
      scenarios: [...scenarios],
      content,
      tbf: 'tbf burst 32 kbit (or rate × 4 ms), latency 200 ms, both directions of every shaped home link',
      ...(needsTurn(modes) ? { turn: `coturn ${TURN_DESCRIPTION}` } : {}),
    },
    scenarios: [],
  };
  for (const id of scenarios) {
    const scenario = SCENARIOS[id];
    log(`scenario ${id}: ${scenario.title}`);
    const results: ReceiverResult[] = [];
    await withScenario(scenario, staticDir, { ...options, modes }, log, async (ctx) => {
      env.chromium ||= ctx.browsers[0]!.browser.version();
      for (const mode of modes) {
        log(`  ${id}/${mode}: ${width}×${height} @ ${fps} fps, ${seconds} s …`);
        const run = await runMode(ctx, scenario, mode, { seconds, warmupSeconds, width, height, fps, tailMs: options.tailMs ?? DEFAULT_TAIL_MS, content, log });
        for (const r of run.results) {
          log(`  ${id}/${mode}/${r.receiver}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, p99 ${r.p99Ms} ms, ${r.fps} fps, ${r.wireBytesPerFrame} B/frame on the wire, PSNR ${r.psnrDb} dB, SSIM ${r.ssim}${observedText(r.observed)}`);
        }
        results.push(...run.results);
        await sleep(DRAIN_MS);
      }
    });
    report.scenarios.push({ id, title: scenario.title, steps: scenario.steps, results });
  }
  return report;
}

interface ScenarioContext {
  topology: Topology;
  /** Browsers in home order: sender first. */
  browsers: LaunchedChromium[];
  origins: string[];
  /** coturn in the relay namespace, when a mode needs TURN. */
  turn: Coturn | undefined;
}

/** How coturn runs for the modes that need TURN (see withScenario). */
export const TURN_DESCRIPTION = 'TURN over TCP only (no UDP/TLS/DTLS listener) in the relay namespace, on its addresses; relayed candidates on the first home\'s relay address';

function observedText(o: ObservedLink | undefined): string {
  if (o === undefined) return '';
  const parts = [o.senderTransport === o.receiverTransport ? o.receiverTransport : `${o.senderTransport}/${o.receiverTransport}`, o.route, o.turnAllocations === null ? null : `${o.turnAllocations} TURN allocations`];
  return `, on ${parts.filter((p) => p !== null && p !== '').join(', ') || 'unreported transport'}`;
}

async function withScenario(
  scenario: Scenario,
  staticDir: string,
  options: ThinLinkOptions,
  log: (line: string) => void,
  body: (ctx: ScenarioContext) => Promise<void>,
): Promise<void> {
  const homes = [scenario.sender, ...scenario.receivers];
  const topology = await createTopology({ homes, tag: scenario.id });
  options.onNamespaces?.(topology.namespaces);
  const browsers: LaunchedChromium[] = [];
  let relay: Awaited<ReturnType<typeof startRelayProcess>> | undefined;
  let turn: Coturn | undefined;
  try {
    if (needsTurn(options.modes ?? [])) {
      // Every home routes to the relay namespace, so its first address reaches the relayed candidates from all of them.
      turn = await Coturn.start({ ns: topology.relayNs, listeningIps: topology.homes.map((h) => h.relayIp), relayIp: topology.homes[0]!.relayIp });
      log(`  coturn in ${topology.relayNs}: ${turn.iceServer().urls}`);
    }
    // Plain HTTP: the pages are opened by IP as trusted origins (--unsafely-treat-insecure-origin-as-secure).
    relay = await startRelayProcess({ ns: topology.relayNs, staticDir, args: turn?.relayCliArgs() ?? [], log: (line) => log(`  [relay] ${line}`) });
    const origins = topology.homes.map((h) => `http://${h.relayIp}:${relay!.port}`);
    for (const [i, home] of topology.homes.entries()) {
      browsers.push(await launchChromiumInNamespace({ ns: home.ns, secureOrigins: [origins[i]!] }));
    }
    await body({ topology, browsers, origins, turn });
  } finally {
    await Promise.all(browsers.map((b) => withTimeout(b.close(), CLOSE_TIMEOUT_MS).catch(() => undefined)));
    await relay?.close().catch(() => undefined);
    await turn?.stop().catch(() => undefined);
    topology.close();
  }
}

interface ModeOptions {
  seconds: number;
  warmupSeconds: number;
  width: number;
  height: number;
  fps: number;
  tailMs: number;
  content: ThinLinkContent;
  log: (line: string) => void;
}

async function runMode(ctx: ScenarioContext, scenario: Scenario, mode: ThinLinkMode, o: ModeOptions): Promise<ModeRun> {
  const { topology } = ctx;
  const contexts: BrowserContext[] = [];
  // Allocations happen while the pages connect, so they are counted from before the pages open.
  const allocationsBefore = ctx.turn?.allocations() ?? null;
  try {
    const room = `thin-${scenario.id}-${mode}-${Date.now().toString(36)}`;
    const pages: Page[] = [];
    for (const [i, home] of topology.homes.entries()) {
      const context = await ctx.browsers[i]!.browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => o.log(`  [${mode} ${home.name}] page error: ${error.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') o.log(`  [${mode} ${home.name}] ${m.text()}`);
      });
      const params = new URLSearchParams({ room, name: home.name, ...linkModeParams(mode), res: `${o.width}x${o.height}`, fps: String(o.fps), source: 'harness', ...(o.content === 'synthetic' ? { harness: 'synthetic' } : {}), autostart: '1' });
      await page.goto(`${ctx.origins[i]}/?${params}`, { timeout: JOIN_TIMEOUT_MS });
      await waitForHarness(page, `${mode} ${home.name}`);
      if (i > 0) await page.evaluate(() => window.framewire.setSettings({ cameraOn: false }));
      pages.push(page);
    }
    const [sender, ...receivers] = pages as [Page, ...Page[]];
    const receiverHomes = topology.homes.slice(1);
    const deadline = Date.now() + FIRST_PAINT_TIMEOUT_MS;
    for (const [i, page] of receivers.entries()) {
      while ((await page.evaluate(() => (window.framewire['harness'] as HarnessApi).paints().length)) === 0) {
        if (Date.now() > deadline) throw new Error(`${scenario.id}/${mode}: ${receiverHomes[i]!.name} painted no frame within ${FIRST_PAINT_TIMEOUT_MS} ms`);
        await sleep(250);
      }
    }
    await sleep(o.warmupSeconds * 1000);
    const measureQuality = o.content === 'synthetic';
    const probe = qualityProbeSource({ width: o.width, height: o.height });
    if (measureQuality) await Promise.all(receivers.map((page) => page.evaluate(probe)));
    const skews = await Promise.all(pages.map((page) => clockOffset(page)));
    await Promise.all(pages.map((page) => page.evaluate(() => (window.framewire['harness'] as HarnessApi).clear())));
    const countersBefore = await Promise.all(receiverHomes.map((h) => topology.counters(h)));
    const sentBefore = await sender.evaluate(() => window.framewire.stats().self);
    const t0 = Date.now();
    const stepTimers = scenario.steps.map((step) =>
      setTimeout(() => {
        const home = topology.home(step.home);
        void Promise.all([topology.setRate(home, 'up', step.mbit), topology.setRate(home, 'down', step.mbit)])
          .then(() => o.log(`  step: ${step.home} → ${step.mbit ?? 'unshaped'} Mbit/s at ${((Date.now() - t0) / 1000).toFixed(1)} s`))
          .catch((error: unknown) => o.log(`  step failed: ${String(error)}`));
      }, step.at * o.seconds * 1000),
    );
    await sleep(o.seconds * 1000);
    const t1 = Date.now();
    for (const timer of stepTimers) clearTimeout(timer);
    const countersAfter = await Promise.all(receiverHomes.map((h) => topology.counters(h)));
    const sentAfter = await sender.evaluate(() => window.framewire.stats().self);
    const senderTransport = await transportKind(sender);
    const allocations = allocationsBefore === null ? null : ctx.turn!.allocations() - allocationsBefore;
    if (measureQuality) await Promise.all(receivers.map((page) => page.evaluate(() => (window as unknown as { __thinLinkQuality: { stop(): void } }).__thinLinkQuality.stop())));
    const lastId = await sender.evaluate(() => (window.framewire['harness'] as HarnessApi).captures().at(-1)?.id ?? -1);
    // Frames captured before t1 may still be on their way: wait (bounded) until every receiver painted the last one or a later one.
    const tailEnd = Date.now() + o.tailMs;
    for (const page of receivers) {
      while (Date.now() < tailEnd) {
        const painted = await page.evaluate(() => (window.framewire['harness'] as HarnessApi).paints().at(-1)?.id ?? -1);
        if (painted >= lastId) break;
        await sleep(250);
      }
    }
    const captures = await sender.evaluate(() => (window.framewire['harness'] as HarnessApi).captures());
    const results: ReceiverResult[] = [];
    for (const [i, page] of receivers.entries()) {
      const home = receiverHomes[i]!;
      const spec = scenario.receivers[i]!;
      const [paints, misses] = await page.evaluate(() => {
        const h = window.framewire['harness'] as HarnessApi;
        return [h.paints(), h.misses()] as const;
      });
      const quality: QualityResult = measureQuality
        ? ((await page.evaluate(() => (window as unknown as { __thinLinkQuality: { finish(): Promise<unknown> } }).__thinLinkQuality.finish())) as QualityResult)
        : { samples: [], unreadable: 0, unmatched: 0 };
      const skew = skews[i + 1]! - skews[0]!;
      const observed: ObservedLink = {
        senderTransport,
        receiverTransport: await transportKind(page),
        route: LINK_MODES[mode].params.mode === 'webrtc' ? await webrtcRoute(page, topology.homes[0]!.name) : null,
        turnAllocations: allocations,
      };
      const bytes = countersAfter[i]!.toHome - countersBefore[i]!.toHome;
      const framesSent = sentAfter.framesSent - sentBefore.framesSent;
      results.push(
        receiverResult({
          scenario,
          mode,
          receiver: home.name,
          link: describeCaps(spec) + (scenario.steps.some((s) => s.home === home.name) ? ` → ${scenario.steps.map((s) => s.mbit ?? '∞').join(' → ')}` : ''),
          captures,
          paints,
          misses,
          quality,
          skewMs: skew,
          senderOffsetMs: skews[0]!,
          t0,
          t1,
          wireBytes: bytes,
          sentBytesPerFrame: framesSent > 0 ? (sentAfter.bytesSent - sentBefore.bytesSent) / framesSent : null,
          framesSent,
          initialMbit: spec.downMbit,
          observed,
        }),
      );
    }
    return { results };
  } finally {
    await Promise.all(contexts.map((c) => withTimeout(c.close(), CLOSE_TIMEOUT_MS).catch(() => undefined)));
    // Undo the steps for the next mode.
    for (const step of scenario.steps) {
      const home = topology.home(step.home);
      const spec = scenario.receivers.find((r) => r.name === step.home) ?? scenario.sender;
      await topology.setRate(home, 'up', spec.upMbit).catch(() => undefined);
      await topology.setRate(home, 'down', spec.downMbit).catch(() => undefined);
    }
  }
}

interface ResultInput {
  scenario: Scenario;
  mode: ThinLinkMode;
  receiver: string;
  link: string;
  captures: CaptureMark[];
  paints: PaintMark[];
  misses: number;
  quality: QualityResult;
  /** Receiver page clock − sender page clock, ms. */
  skewMs: number;
  /** Sender page clock − this process's clock, ms. */
  senderOffsetMs: number;
  /** Window, this process's clock (ms since the epoch). */
  t0: number;
  t1: number;
  wireBytes: number;
  sentBytesPerFrame: number | null;
  /** Frames the sender sent in the window. Default: not recorded. */
  framesSent?: number;
  initialMbit: number | null;
  /** What the pages said carried the call. Default: not recorded. */
  observed?: ObservedLink;
}

/** Joins one receiver's paints with the sender's captures and sums them up. Exported for tests. */
export function receiverResult(input: ResultInput): ReceiverResult {
  const { t0, t1 } = input;
  const windowS = (t1 - t0) / 1000;
  const captureTimes = new Map<number, number>();
  let captured = 0;
  for (const c of input.captures) {
    const at = c.captureTime - input.senderOffsetMs;
    if (at < t0 || at > t1) continue;
    captureTimes.set(c.id, at);
    captured++;
  }
  const seen = new Set<number>();
  const samples: Array<{ at: number; ms: number }> = [];
  let paintedInWindow = 0;
  for (const p of input.paints) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    const paintAt = p.paintTime - input.skewMs - input.senderOffsetMs;
    if (paintAt >= t0 && paintAt <= t1) paintedInWindow++;
    const at = captureTimes.get(p.id);
    if (at === undefined || paintAt < at) continue;
    samples.push({ at: (at - t0) / 1000, ms: paintAt - at });
  }
  samples.sort((a, b) => a.at - b.at);
  const ms = samples.map((s) => s.ms);
  const q = input.quality.samples;
  const sizes = new Map<string, number>();
  for (const s of q) sizes.set(`${s.paintedWidth}x${s.paintedHeight}`, (sizes.get(`${s.paintedWidth}x${s.paintedHeight}`) ?? 0) + 1);
  const paintedSize = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  const checked = q.filter((s) => s.psnrNextDb !== undefined);
  const best = checked.filter((s) => s.psnrDb > (s.psnrNextDb ?? -Infinity) && s.psnrDb > (s.psnrPrevDb ?? -Infinity)).length;
  const stride = Math.max(1, Math.ceil(samples.length / MAX_SERIES_POINTS));
  const result: ReceiverResult = {
    scenario: input.scenario.id,
    mode: input.mode,
    receiver: input.receiver,
    link: input.link,
    frames: samples.length,
    captured,
    fps: round(samples.length / windowS, 1),
    p50Ms: pct(ms, 50),
    p95Ms: pct(ms, 95),
    p99Ms: pct(ms, 99),
    maxMs: ms.length > 0 ? round(Math.max(...ms), 0) : null,
    sentBytesPerFrame: input.sentBytesPerFrame === null ? null : Math.round(input.sentBytesPerFrame),
    ...(input.framesSent !== undefined ? { sentFps: round(input.framesSent / windowS, 1) } : {}),
    wireBytesPerFrame: paintedInWindow > 0 ? Math.round(input.wireBytes / paintedInWindow) : null,
    wireKbps: round((input.wireBytes * 8) / 1000 / windowS, 0),
    psnrDb: q.length > 0 ? round(percentile(q.map((s) => s.psnrDb), 50), 2) : null,
    ssim: q.length > 0 ? round(percentile(q.map((s) => s.ssim), 50), 4) : null,
    qualitySamples: q.length,
    paintedSize,
    alignment: { best, checked: checked.length },
    misses: input.misses,
    clockSkewMs: round(input.skewMs, 2),
    series: samples.filter((_, i) => i % stride === 0).map((s) => [round(s.at, 3), round(s.ms, 1)]),
    ...(input.observed ? { observed: input.observed } : {}),
  };
  const steps = input.scenario.steps.filter((s) => s.home === input.receiver);
  if (steps.length > 0) {
    const bounds = [0, ...steps.map((s) => s.at * windowS), windowS];
    const rates = [input.initialMbit, ...steps.map((s) => s.mbit)];
    result.phases = rates.map((mbit, i) => {
      const from = bounds[i]!;
      const to = bounds[i + 1]!;
      const inPhase = samples.filter((s) => s.at >= from && s.at < to);
      const values = inPhase.map((s) => s.ms);
      let settle: number | null = inPhase.length > 0 ? 0 : null;
      for (const s of inPhase) if (s.ms >= SETTLE_MS) settle = null;
      const lastBad = [...inPhase].reverse().find((s) => s.ms >= SETTLE_MS);
      if (lastBad !== undefined) {
        const after = inPhase.find((s) => s.at > lastBad.at);
        settle = after === undefined ? null : round(after.at - from, 2);
      }
      return { fromS: round(from, 2), toS: round(to, 2), mbit, frames: inPhase.length, p50Ms: pct(values, 50), p95Ms: pct(values, 95), settleS: settle };
    });
  }
  return result;
}

function pct(values: number[], p: number): number | null {
  return values.length > 0 ? round(percentile(values, p), 1) : null;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** Page clock (performance.timeOrigin + now) minus this process's Date.now(), ms, from the fastest of 7 round trips. */
async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 7; i++) {
    const before = Date.now();
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = Date.now();
    if (after - before < best.rtt) best = { rtt: after - before, offset: pageNow - (before + after) / 2 };
  }
  return best.offset;
}

/** `framewire.stats().transport.kind` of the page, or null when it reports none. */
async function transportKind(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const kind = (window.framewire.stats() as { transport?: { kind?: unknown } }).transport?.kind;
    return typeof kind === 'string' ? kind : null;
  });
}

/** The WebRTC route (`host`, `relay/tcp`, …) the page reports for its connection to the peer called `from`, or null. */
async function webrtcRoute(page: Page, from: string): Promise<string | null> {
  return page.evaluate((name) => window.framewire.stats().peers.find((p) => p.name === name)?.webrtc?.route ?? null, from);
}

async function waitForHarness(page: Page, what: string): Promise<void> {
  await page
    .waitForFunction(() => typeof window.framewire === 'object' && typeof window.framewire['harness'] === 'object' && window.framewire.state().peerId > 0, undefined, { timeout: JOIN_TIMEOUT_MS, polling: 100 })
    .catch((error: unknown) => {
      throw new Error(`${what}: the page did not join with the harness [${error instanceof Error ? error.message : String(error)}]`);
    });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<T>((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}


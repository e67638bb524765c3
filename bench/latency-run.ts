/**
 * The latency bench's driver: one relay in-process (port 0, serving the built app), one
 * headless Chromium (web/test/chromium.ts), and per mode two pages of that browser in one
 * room — a sender drawing frame ids on the harness canvas (`source=harness`) and a receiver
 * reading them back from what it paints. Both pages share the browser's clock, so
 * capture→paint latency is a plain difference. Raw modes also yield per-hop marks; WebRTC
 * yields getStats figures. Used by bench/latency.ts (CLI) and the CI smoke test.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startRelay, type Relay } from '../server/relay.ts';
import type { HarnessApi } from '../web/harness/latency-harness.ts';
import { joinHopMarks } from '../web/harness/hop-breakdown.ts';
import { joinLatency } from '../web/harness/latency-recorder.ts';
import { launchChromium } from '../web-node/chromium.ts';
import { benchEnv, DEFAULT_RESULTS_DIR, writeResults } from './env.ts';
import { cdfSvg } from './latency-chart.ts';
import { buildReport, mergeMeasurements, modeResult, reportMarkdown, type LatencyReport, type ModeMeasurement, type ModeResult } from './latency-report.ts';

export const LATENCY_MODES = ['jpeg', 'bgra', 'webrtc'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

export const DEFAULT_LATENCY_SECONDS = 10;
export const DEFAULT_LATENCY_WIDTH = 640;
export const DEFAULT_LATENCY_HEIGHT = 480;
export const DEFAULT_LATENCY_FPS = 30;
export const DEFAULT_WARMUP_SECONDS = 2;
/** Longest wait for the first painted frame of a mode, ms. */
export const FIRST_PAINT_TIMEOUT_MS = 30_000;
/** The built app (`npm run build`). */
export const DEFAULT_STATIC_DIR = resolve(import.meta.dirname, '..', 'dist', 'web');

/** Options of `runLatencyBench`. */
export interface LatencyBenchOptions {
  /** Measuring time per mode, s. Default 10. */
  seconds?: number;
  /** Modes, run in this order. Default jpeg, bgra, webrtc. */
  modes?: LatencyMode[];
  /** Frame size, px. Default 640×480. */
  width?: number;
  height?: number;
  /** Frames per second, 5..30 (the app's range). Default 30. */
  fps?: number;
  /** Time per mode between the first painted frame and the start of measuring, s. Default 2. */
  warmupSeconds?: number;
  /**
   * The modes run in turn this many times, each for seconds / rounds, and the samples are
   * pooled: on a shared machine, load that comes and goes then hits every mode alike. Default 1.
   */
  rounds?: number;
  /** Where latency.json, latency.md and latency.svg go. Default bench/results. */
  resultsDir?: string;
  /** The built web app. Default dist/web. */
  staticDir?: string;
  /** WebRTC receivers' jitter-buffer target, ms (`jitterBufferTarget` page parameter). Default: the browser's. */
  webrtcJitterBufferTargetMs?: number;
  /** The harness picture: 'textured' like a camera (≈ 36 KB JPEG at q70, 640×480), or 'flat' (≈ 8 KB, as before 2026-12). Default 'textured'. */
  picture?: 'textured' | 'flat';
  /** Progress lines (stderr in the CLI). Default none. */
  log?: (line: string) => void;
}

interface PageSide {
  harness: {
    captures: ReturnType<HarnessApi['captures']>;
    paints: ReturnType<HarnessApi['paints']>;
    sendMarks: ReturnType<HarnessApi['sendMarks']>;
    receiveMarks: ReturnType<HarnessApi['receiveMarks']>;
    misses: number;
  };
  self: { framesSent: number; bytesSent: number; encodeMs: number | null };
  peers: Array<{ decodeMs: number | null; width: number; height: number; webrtc: { jitterBufferDelayMs: number | null; decodeMs: number | null; rttMs: number | null } | null }>;
}

/** Runs every mode and writes the results; returns the report. Throws if a mode painted nothing. */
export async function runLatencyBench(options: LatencyBenchOptions = {}): Promise<LatencyReport> {
  const seconds = options.seconds ?? DEFAULT_LATENCY_SECONDS;
  const modes = options.modes ?? [...LATENCY_MODES];
  const width = options.width ?? DEFAULT_LATENCY_WIDTH;
  const height = options.height ?? DEFAULT_LATENCY_HEIGHT;
  const fps = options.fps ?? DEFAULT_LATENCY_FPS;
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const log = options.log ?? (() => undefined);
  const rounds = options.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new TypeError(`rounds must be a positive integer [rounds:${rounds}]`);
  if (!(seconds > 0)) throw new TypeError(`seconds must be > 0 [seconds:${seconds}]`);
  if (modes.length === 0 || modes.some((m) => !LATENCY_MODES.includes(m))) throw new TypeError(`modes must be some of ${LATENCY_MODES.join(',')} [modes:${modes.join(',')}]`);
  if (!(fps >= 5 && fps <= 30)) throw new TypeError(`fps must be in 5..30 [fps:${fps}]`);
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error(`the web app is not built [staticDir:${staticDir}]: run \`npm run build\` first`);

  const relay = await startRelay({ port: 0, staticDir, logLevel: 'error' });
  const chromium = await launchChromium({ fakeCamera: true });
  try {
    const env = { ...benchEnv(), chromium: chromium.browser.version() };
    log(`Chromium ${env.chromium} · Node ${env.node} · ${env.cpu} · ${env.cores} cores · ${env.os}`);
    const pooled = new Map<LatencyMode, ModeMeasurement>();
    for (let round = 1; round <= rounds; round++) {
      for (const mode of modes) {
        const slice = seconds / rounds;
        log(`${mode}${rounds > 1 ? ` (round ${round}/${rounds})` : ''}: ${width}×${height} @ ${fps} fps for ${slice} s …`);
        const measured = await runMode(chromium.browser, relay, mode, {
          seconds: slice,
          width,
          height,
          fps,
          warmupSeconds: options.warmupSeconds ?? DEFAULT_WARMUP_SECONDS,
          extraParams: {
            ...(options.picture === 'flat' ? { harness: 'flat' } : {}),
            ...(mode === 'webrtc' && options.webrtcJitterBufferTargetMs !== undefined ? { jitterBufferTarget: String(options.webrtcJitterBufferTargetMs) } : {}),
          },
        });
        pooled.set(mode, mergeMeasurements(pooled.get(mode), measured));
      }
    }
    const results: Record<string, ModeResult> = {};
    const latencies: Record<string, number[]> = {};
    for (const mode of modes) {
      const measured = pooled.get(mode)!;
      results[mode] = modeResult(measured);
      latencies[mode] = measured.latencies;
      const r = results[mode];
      log(`${mode}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, p99 ${r.p99Ms} ms, ${r.frames} frames, ${r.fps} fps, ${r.bytesPerFrame} B/frame`);
    }
    const settings = { seconds, modes: [...modes], width, height, fps, rounds, ...(options.webrtcJitterBufferTargetMs !== undefined ? { webrtcJitterBufferTargetMs: options.webrtcJitterBufferTargetMs } : {}) };
    const report = buildReport(env, settings, results);
    const dir = options.resultsDir ?? DEFAULT_RESULTS_DIR;
    await writeResults('latency', report, reportMarkdown(report), dir);
    await writeFile(join(dir, 'latency.svg'), cdfSvg(modes.map((m) => ({ name: m, values: latencies[m] ?? [] })), { title: `Capture → paint latency, ${width}×${height} @ ${fps} fps (CDF)` }));
    const empty = modes.filter((m) => (results[m]?.frames ?? 0) === 0);
    if (empty.length > 0) throw new Error(`no frame was painted in mode ${empty.join(', ')}: the bench measured nothing there`);
    return report;
  } finally {
    await chromium.close();
    await relay.close();
  }
}

async function runMode(
  browser: Browser,
  relay: Relay,
  mode: LatencyMode,
  o: { seconds: number; width: number; height: number; fps: number; warmupSeconds: number; extraParams: Record<string, string> },
): Promise<ModeMeasurement> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const room = `latency-${mode}-${Date.now().toString(36)}`;
    const url = (name: string): string =>
      `${relay.url}/?${new URLSearchParams({ room, name, mode, res: `${o.width}x${o.height}`, fps: String(o.fps), source: 'harness', harness: 'synthetic', autostart: '1', ...o.extraParams })}`;
    const sender = await context.newPage();
    const receiver = await context.newPage();
    for (const [name, page] of [['sender', sender], ['receiver', receiver]] as const) {
      page.on('pageerror', (error) => process.stderr.write(`[${mode} ${name}] page error: ${error.message}\n`));
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') process.stderr.write(`[${mode} ${name}] ${message.text()}\n`);
      });
    }
    await sender.goto(url('sender'));
    await waitForHarness(sender, mode);
    await receiver.goto(url('receiver'));
    await waitForHarness(receiver, mode);
    // One-way: the receiver sends nothing (raw: no frames; WebRTC: a disabled track).
    await receiver.evaluate(() => window.framewire.setSettings({ cameraOn: false }));
    const deadline = Date.now() + FIRST_PAINT_TIMEOUT_MS;
    while ((await receiver.evaluate(() => (window.framewire['harness'] as HarnessApi).paints().length)) === 0) {
      if (Date.now() > deadline) throw new Error(`${mode}: no frame painted within ${FIRST_PAINT_TIMEOUT_MS} ms`);
      await sleep(200);
    }
    await sleep(o.warmupSeconds * 1000);
    const clear = (page: Page): Promise<void> => page.evaluate(() => (window.framewire['harness'] as HarnessApi).clear());
    await Promise.all([clear(sender), clear(receiver)]);
    const before = await sender.evaluate(() => window.framewire.stats().self);
    const start = Date.now();
    await sleep(o.seconds * 1000);
    const [s, r] = await Promise.all([collect(sender), collect(receiver)]);
    const elapsed = (Date.now() - start) / 1000;
    const samples = joinLatency(s.harness.captures, r.harness.paints);
    const measured: ModeMeasurement = {
      latencies: samples.map((x) => x.latencyMs),
      seconds: elapsed,
      captured: s.harness.captures.length,
      bytesSent: s.self.bytesSent - before.bytesSent,
      framesSent: s.self.framesSent - before.framesSent,
      misses: r.harness.misses,
      appEncodeMs: s.self.encodeMs,
      appDecodeMs: r.peers[0]?.decodeMs ?? null,
    };
    if (mode === 'webrtc') {
      const w = r.peers[0]?.webrtc;
      measured.webrtc = w
        ? {
            jitterBufferDelayMs: w.jitterBufferDelayMs ?? Number.NaN,
            decodeMs: w.decodeMs ?? Number.NaN,
            encodeMs: s.self.encodeMs ?? Number.NaN,
            rttMs: w.rttMs ?? Number.NaN,
            width: r.peers[0]?.width ?? 0,
            height: r.peers[0]?.height ?? 0,
          }
        : null;
      delete measured.appDecodeMs;
      const captureTimes = new Map(s.harness.captures.map((c) => [c.id, c.captureTime]));
      const firstPaint = new Set<number>();
      measured.videoStages = [];
      for (const paint of r.harness.paints) {
        const captureTime = captureTimes.get(paint.id);
        if (captureTime === undefined || paint.video === undefined || firstPaint.has(paint.id)) continue;
        firstPaint.add(paint.id);
        measured.videoStages.push({ captureTime, ...paint.video, paintTime: paint.paintTime });
      }
    } else {
      measured.hops = joinHopMarks(s.harness.sendMarks, r.harness.receiveMarks);
    }
    return measured;
  } finally {
    await context.close();
  }
}

async function waitForHarness(page: Page, mode: string): Promise<void> {
  await page
    .waitForFunction(() => typeof window.framewire === 'object' && typeof window.framewire['harness'] === 'object' && window.framewire.state().peerId > 0, undefined, {
      timeout: FIRST_PAINT_TIMEOUT_MS,
      polling: 100,
    })
    .catch((error: unknown) => {
      throw new Error(`${mode}: the page did not join with the harness [${error instanceof Error ? error.message : String(error)}]`);
    });
}

async function collect(page: Page): Promise<PageSide> {
  return page.evaluate(() => {
    const h = window.framewire['harness'] as HarnessApi;
    const stats = window.framewire.stats();
    return {
      harness: { captures: h.captures(), paints: h.paints(), sendMarks: h.sendMarks(), receiveMarks: h.receiveMarks(), misses: h.misses() },
      self: { framesSent: stats.self.framesSent, bytesSent: stats.self.bytesSent, encodeMs: stats.self.encodeMs },
      peers: stats.peers.map((p) => ({ decodeMs: p.decodeMs, width: p.width, height: p.height, webrtc: p.webrtc })),
    };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

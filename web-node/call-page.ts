/**
 * Helpers of the browser tests: a relay in-process serving dist/web, and call pages opened
 * with `autostart=1` in the shared Chromium (web-node/chromium.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startRelay, type Relay, type RelayOptions } from '../server/relay.ts';
import type { StatsSnapshot } from '../web/stats/call-stats.ts';
import { percentile } from '../web/stats/percentile.ts';
import { launchChromium, type LaunchedChromium } from './chromium.ts';

/** Where screenshots go (gitignored). */
export const RESULTS_DIR = 'test-results';

/** Starts a relay on loopback serving the built app (run `npm run build` first). */
export async function startTestRelay(options: RelayOptions = {}): Promise<Relay> {
  return startRelay({ port: 0, staticDir: 'dist/web', logLevel: 'error', ...options } as RelayOptions);
}

/** What `openCall` puts in the page URL. */
export interface CallPageOptions {
  room: string;
  name: string;
  mode?: 'jpeg' | 'bgra' | 'webrtc';
  res?: string;
  fps?: number;
  q?: number;
  stats?: boolean;
  autostart?: boolean;
  /** With autostart, wait until connected before returning. Default true. */
  waitConnected?: boolean;
  /** Extra URL parameters. */
  params?: Record<string, string>;
  /** Viewport. Default 1280×800. */
  viewport?: { width: number; height: number };
}

/** A page of its own browser context (own camera, own storage). */
export interface CallPage {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Opens `relayUrl` with the call parameters in a new context; with autostart, waits until connected. */
export async function openCall(browser: Browser, relayUrl: string, options: CallPageOptions): Promise<CallPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${options.name}] pageerror`, error));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[${options.name}] console.error`, message.text());
  });
  const params = new URLSearchParams({
    room: options.room,
    name: options.name,
    mode: options.mode ?? 'jpeg',
    res: options.res ?? '640x480',
    fps: String(options.fps ?? 15),
    q: String(options.q ?? 70),
    ...(options.stats ? { stats: '1' } : {}),
    ...((options.autostart ?? true) ? { autostart: '1' } : {}),
    // No microphone unless a test asks for sound (params.audio): four worklets and two encoders
    // per call on 2 cores made the picture tests' congestion control back off.
    audio: '0',
    ...options.params,
  });
  await page.goto(`${relayUrl}/?${params.toString()}`);
  if ((options.autostart ?? true) && (options.waitConnected ?? true)) await waitForConnected(page);
  let closed = false;
  return {
    page,
    context,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
    },
  };
}

/** The call pages a test opened with `open`, closed together (in opening order) by `closeAll`. */
export class CallPages {
  #pages: CallPage[] = [];

  /** `openCall`, remembering the page for `closeAll`. */
  async open(browser: Browser, relayUrl: string, options: CallPageOptions): Promise<CallPage> {
    return this.add(await openCall(browser, relayUrl, options));
  }

  /** Remembers a page opened some other way, for `closeAll`; returns it. */
  add(page: CallPage): CallPage {
    this.#pages.push(page);
    return page;
  }

  /** Closes every page opened so far and forgets them. Safe to call twice. */
  async closeAll(): Promise<void> {
    for (const page of this.#pages.splice(0)) await page.close();
  }
}

/** What `useCallRig` sets up: one Chromium for the file, and a relay and pages per test. */
export interface CallRigOptions {
  /** How Chromium starts. Default `launchChromium()` (the fake camera's own picture). */
  launch?: () => Promise<LaunchedChromium>;
  /** Options of the relay started before each test, or `false` to start it in the test with `startRelay`. Default `{}`. */
  relay?: RelayOptions | false;
}

/** The browser, the current test's relay and its pages (`useCallRig`). */
export interface CallRig {
  readonly chrome: LaunchedChromium;
  /** The current test's relay; throws if none is running. */
  readonly relay: Relay;
  readonly pages: CallPages;
  /** Starts (or restarts, closing the previous one) the current test's relay. */
  startRelay(options?: RelayOptions): Promise<Relay>;
  /** Closes the current test's relay (e.g. to test a restart); safe when none runs. */
  stopRelay(): Promise<void>;
  /** Opens a call page against the current relay; closed after the test. */
  open(options: CallPageOptions): Promise<CallPage>;
}

/**
 * Registers the hooks every browser test file needs (call it in a `describe`): Chromium
 * launched once and closed at the end; after each test its pages closed, then its relay.
 */
export function useCallRig(options: CallRigOptions = {}): CallRig {
  let chrome: LaunchedChromium | undefined;
  let relay: Relay | undefined;
  const pages = new CallPages();
  const rig: CallRig = {
    get chrome() {
      if (chrome === undefined) throw new Error('Chromium is not launched (use the rig inside a test)');
      return chrome;
    },
    get relay() {
      if (relay === undefined) throw new Error('no relay is running in this test');
      return relay;
    },
    pages,
    async startRelay(relayOptions = {}) {
      await relay?.close();
      relay = await startTestRelay(relayOptions);
      return relay;
    },
    async stopRelay() {
      const running = relay;
      relay = undefined;
      await running?.close();
    },
    open: (callOptions) => pages.open(rig.chrome.browser, rig.relay.url, callOptions),
  };
  beforeAll(async () => {
    chrome = await (options.launch ?? launchChromium)();
  });
  afterAll(async () => {
    await chrome?.close();
  });
  if (options.relay !== false) {
    const relayOptions = options.relay ?? {};
    beforeEach(async () => {
      await rig.startRelay(relayOptions);
    });
  }
  afterEach(async () => {
    await pages.closeAll();
    await rig.stopRelay();
  });
  return rig;
}

/** Resolves when the page's connection is open and welcomed. */
export async function waitForConnected(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(() => window.framewire?.state().connection === 'open' && window.framewire.state().peerId > 0, null, { timeout });
}

export function stats(page: Page): Promise<StatsSnapshot> {
  return page.evaluate(() => window.framewire.stats());
}

/** Waits until `page` has painted at least `count` frames from a peer named `from`. */
export async function waitForPainted(page: Page, from: string, count: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    ([name, n]) => window.framewire.stats().peers.some((p) => p.name === name && p.framesPainted >= n),
    [from, count] as const,
    { timeout, polling: 100 },
  );
}

/** Saves a screenshot under test-results/; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}/${name}.png`;
  await page.screenshot({ path });
  return path;
}

/** A unique room name per test. */
export function roomName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/**
 * A colourful moving test picture (ffmpeg `testsrc2`, 640×480, 30 fps, MJPEG) for Chromium's
 * fake camera (`--use-file-for-fake-video-capture`): unlike the default green pattern its
 * red and blue differ, so a BGRA/RGBA mix-up shows in the pixel comparison. Made once.
 */
export async function testCameraFile(): Promise<string> {
  const path = resolve(RESULTS_DIR, 'camera-testsrc2.mjpeg');
  if (existsSync(path)) return path;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const { default: ffmpeg } = await import('@ffmpeg-installer/ffmpeg');
  const args = ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '6', '-q:v', '4', '-pix_fmt', 'yuvj420p', `${path}.tmp.mjpeg`];
  await new Promise<void>((done, fail) => {
    execFile(ffmpeg.path, args, (error) => (error ? fail(error) : done()));
  });
  renameSync(`${path}.tmp.mjpeg`, path);
  return path;
}

/** Launches Chromium (web-node/chromium.ts) with a fake camera playing `testCameraFile()`. */
export async function launchWithTestCamera(): Promise<LaunchedChromium> {
  const camera = await testCameraFile();
  return launchChromium({ args: [`--use-file-for-fake-video-capture=${camera}`] });
}

/** Side of the pixel samples compared between sender and receiver: 32×24 RGB. */
export const SAMPLE_WIDTH = 32;
export const SAMPLE_HEIGHT = 24;

/**
 * Records a 32×24 sample of every frame this page SENDS (the encode canvas, through the
 * `onSent` hook), keyed by seq.
 */
export async function recordSent(page: Page): Promise<void> {
  await page.evaluate(
    ([w, h]) => {
      const g = globalThis as unknown as { __fwSent: Map<number, number[]> };
      g.__fwSent = new Map();
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.imageSmoothingQuality = 'high';
      window.framewire.onSent((canvas, header) => {
        ctx.drawImage(canvas, 0, 0, w, h);
        g.__fwSent.set(header.seq, Array.from(ctx.getImageData(0, 0, w, h).data));
        if (g.__fwSent.size > 300) g.__fwSent.delete(g.__fwSent.keys().next().value!);
      });
    },
    [SAMPLE_WIDTH, SAMPLE_HEIGHT] as const,
  );
}

/** Records a 32×24 sample of the remote tile canvas right after each paint (the `onPaint` hook). */
export async function recordPainted(page: Page): Promise<void> {
  await page.evaluate(
    ([w, h]) => {
      const g = globalThis as unknown as { __fwPainted: { peerId: number; seq: number; pixels: number[] }[] };
      g.__fwPainted = [];
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.imageSmoothingQuality = 'high';
      window.framewire.onPaint((peerId, canvas, header) => {
        ctx.drawImage(canvas, 0, 0, w, h);
        g.__fwPainted.push({ peerId, seq: header.seq, pixels: Array.from(ctx.getImageData(0, 0, w, h).data) });
        if (g.__fwPainted.length > 30) g.__fwPainted.shift();
      });
    },
    [SAMPLE_WIDTH, SAMPLE_HEIGHT] as const,
  );
}

/** How a receiver's painted pictures compare with what the sender sent. */
export interface PictureComparison {
  /** Painted frames whose seq the sender still had a sample of. */
  compared: number;
  /** Mean absolute difference per RGB channel (0..255), median over the compared frames. */
  meanDiff: number;
  /** Same, against the sender's frame 15 seqs earlier (shows the picture moves: the check can fail). */
  shiftedDiff: number;
  /** Mean brightness of the last painted sample (0..255): 0 = black. */
  brightness: number;
  /** Standard deviation of its pixel values: ~0 = a flat, blank picture. */
  spread: number;
}

export async function comparePictures(sender: Page, receiver: Page, senderId: number): Promise<PictureComparison> {
  const painted = await receiver.evaluate(
    (id) => (globalThis as unknown as { __fwPainted: { peerId: number; seq: number; pixels: number[] }[] }).__fwPainted.filter((p) => p.peerId === id),
    senderId,
  );
  const seqs = painted.flatMap((p) => [p.seq, p.seq - 15]);
  const sent = new Map(
    await sender.evaluate(
      (wanted) => {
        const map = (globalThis as unknown as { __fwSent: Map<number, number[]> }).__fwSent;
        return wanted.filter((s) => map.has(s)).map((s) => [s, map.get(s)!] as [number, number[]]);
      },
      seqs,
    ),
  );
  const diffs: number[] = [];
  const shifted: number[] = [];
  for (const p of painted) {
    const same = sent.get(p.seq);
    if (same) diffs.push(meanAbsDiff(p.pixels, same));
    const earlier = sent.get(p.seq - 15);
    if (earlier) shifted.push(meanAbsDiff(p.pixels, earlier));
  }
  const last = painted.at(-1)?.pixels ?? [];
  const values = last.filter((_, i) => i % 4 !== 3);
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const spread = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length));
  return { compared: diffs.length, meanDiff: median(diffs), shiftedDiff: median(shifted), brightness: mean, spread };
}

function meanAbsDiff(a: number[], b: number[]): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    total += Math.abs(a[i]! - b[i]!);
    n++;
  }
  return total / n;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

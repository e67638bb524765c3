/**
 * `npm run bench:relay` — framewire's relay forwarding vs a bare `ws` baseline, side by side
 * in one run: 1:1 at max rate (50 KB JPEG-like and 1.2 MB 640×480 BGRA frames), 1→7 fan-out,
 * and N rooms × 2 peers at 30 fps stepped up until drops exceed 1% or p99 relay delay
 * exceeds 50 ms.
 *
 * Each relay runs alone in a child process (`relay-host.ts`, a fresh one for every case);
 * senders and receivers run in two worker threads of a load-generator child (`relay-load.ts`),
 * so nothing shares the relay's event loop.
 * Runs of framewire and the baseline alternate; per case the medians of the repeats are
 * reported. Every run checks its own output: frames received = frames sent × fanout − frames
 * the relay dropped (same for bytes), no invalid frame, and something was forwarded.
 *
 * Flags: `--quick` (≤ 60 s), `--smoke` (a few seconds, for the test suite), `--repeats N`,
 * `--only TEXT` (cases whose name contains TEXT), `--profile` (both relays under
 * `node --cpu-prof`, profiles in RESULTS/profiles/{framewire,baseline}), `--results-dir DIR` (default bench/results),
 * `--relay-options JSON` (extra `startRelay` options for framewire, e.g. '{"maxInFlight":2}'),
 * `--relay-module PATH` (measure another build of the relay, e.g. a patched copy: before/after),
 * `--rooms N` (the scaling case at N rooms only: a fixed load, to compare CPU).
 * Output: RESULTS/relay.json, RESULTS/relay.md, the table on stdout, progress on stderr.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HEADER_BYTES } from '../codec/index.ts';
import { benchEnv, describeEnv, DEFAULT_RESULTS_DIR, writeResults, type BenchEnv, benchMode, runIfMain, type BenchMode } from './env.ts';
import { ProgressLine } from './progress.ts';
import { markdownTable, fixed, failuresMarkdown } from './table.ts';
import { summarize } from '../web/stats/percentile.ts';
import { median } from './relay-stats.ts';
import {
  ChildLink,
  type ClientSpec,
  type HostReady,
  type HostRequest,
  type HostSample,
  type LoadCounters,
  type LoadProcessRequest,
  type LoadReport,
  type LoadRequest,
  type RelayKind,
} from './relay-ipc.ts';

/** How long each phase of a run lasts, and how much is repeated, per mode. */
export interface RelayBenchTiming {
  /** Sending before the measured window, ms. */
  warmupMs: number;
  /** The measured window, ms. */
  measureMs: number;
  /** Runs per relay per max-rate case (medians reported). */
  repeats: number;
  /** Room counts tried, in order, for the scaling case. */
  roomSteps: number[];
  /** Stop stepping rooms once this much time went into the scaling case, ms. */
  roomsBudgetMs: number;
}

/** Timings of `--smoke`, `--quick` and the default run. */
export const MODES: Record<BenchMode, RelayBenchTiming> = {
  smoke: { warmupMs: 150, measureMs: 400, repeats: 1, roomSteps: [1, 4], roomsBudgetMs: 5_000 },
  quick: { warmupMs: 300, measureMs: 1_000, repeats: 2, roomSteps: [4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256], roomsBudgetMs: 18_000 },
  full: {
    warmupMs: 500,
    measureMs: 2_000,
    repeats: 5,
    roomSteps: [1, 4, 16, 32, 64, 96, 128, 160, 192, 224, 256, 320, 384, 448, 512],
    roomsBudgetMs: 150_000,
  },
};

/** Scaling case: a step holds while drops stay at or under this fraction… */
export const ROOMS_MAX_DROP_RATE = 0.01;
/** …and p99 relay delay at or under this, ms. */
export const ROOMS_MAX_P99_MS = 50;
/** Attempts per scaling step before it counts as failed. */
export const ROOMS_ATTEMPTS = 2;
/** Ratio targets (framewire / baseline). */
export const TARGET_RATIO_1TO1 = 0.95;
export const TARGET_RATIO_FANOUT = 0.9;

/** JPEG-like frame: 50,000 bytes on the wire. */
const JPEG_FRAME = { codec: 'jpeg', width: 640, height: 480, frameBytes: 50_000 } as const;
/** 640×480 BGRA frame: 1,228,840 bytes on the wire. */
const BGRA_FRAME = { codec: 'bgra', width: 640, height: 480, frameBytes: HEADER_BYTES + 640 * 480 * 4 } as const;
/** Max rate: frames between a sender and its slowest receiver (the closed loop's window), by frame kind. */
const JPEG_WINDOW = 8;
const BGRA_WINDOW = 3;
const ROOMS_FPS = 30;
/** Pause after each run so the next one does not share the CPU with its clean-up, ms. */
const SETTLE_MS = 200;

type FrameShape = { codec: 'jpeg' | 'bgra'; width: number; height: number; frameBytes: number };

/** One case of the bench: who sends what to whom. */
interface CaseSpec {
  name: string;
  frame: FrameShape;
  /** Receivers per frame. */
  fanout: number;
  rooms: number;
  /** 0 = max rate. */
  fps: number;
  /** Max rate: closed-loop window, frames. */
  window: number;
  /** Ratio target, or null when the case has none (scaling steps). */
  target: number | null;
}

/** What one run of one relay measured. */
interface RunResult {
  relay: RelayKind;
  mbps: number;
  fps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  drops: number;
  skipped: number;
  dropRate: number;
  framesSent: number;
  framesReceived: number;
  cpuPct: number;
  /** Relay CPU time per frame delivered in the window, µs (robust to a noisy machine). */
  cpuUsPerFrame: number;
  peakRssMB: number;
  /** Output checks that failed (empty = passed). */
  failures: string[];
}

/** One row of relay.json's `cases`. */
export interface RelayCaseResult {
  case: string;
  frameBytes: number;
  fanout: number;
  rooms: number;
  /** Frames per second per sender; 0 = max rate. */
  fps: number;
  framewireMBps: number | null;
  baselineMBps: number | null;
  /** framewire / baseline MB/s: the median of the per-repeat ratios (each repeat runs both back to back). */
  ratio: number | null;
  framewireFps: number | null;
  baselineFps: number | null;
  /** framewire relay delay, send → receive, ms. */
  p50Ms: number | null;
  p99Ms: number | null;
  baselineP50Ms: number | null;
  baselineP99Ms: number | null;
  /** Frames framewire's relay dropped (latest-wins backpressure), median over repeats. */
  drops: number | null;
  /** (relay drops + frames the sender could not send on time) / frames due, framewire. */
  dropRate: number | null;
  baselineDropRate: number | null;
  relayCpuPct: number | null;
  /** Relay CPU time per delivered frame, µs: framewire and baseline. */
  relayCpuUsPerFrame: number | null;
  baselineCpuUsPerFrame: number | null;
  relayPeakRssMB: number | null;
  baselineCpuPct: number | null;
  baselinePeakRssMB: number | null;
  target: number | null;
  meetsTarget: boolean | null;
  repeats: number;
  runs: RunResult[];
  /** Scaling steps: attempts that failed and were tried again (not in the medians). */
  retried?: RunResult[];
}

/** relay.json. */
export interface RelayBenchResult {
  env: BenchEnv;
  mode: string;
  timing: RelayBenchTiming;
  cases: RelayCaseResult[];
  rooms: {
    criteria: string;
    /** Largest N (rooms × 2 peers at 30 fps, 50 KB) that held, per relay; null if even the first step failed. */
    framewire: number | null;
    baseline: number | null;
    /** The step budget ran out before a relay failed: its number is a lower bound. */
    framewireCapped: boolean;
    baselineCapped: boolean;
  };
  ok: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One worker thread of the load-generator process. */
class LoadWorker {
  readonly #link: ChildLink<LoadProcessRequest>;
  readonly #index: number;

  constructor(link: ChildLink<LoadProcessRequest>, index: number) {
    this.#link = link;
    this.#index = index;
  }

  call<T>(request: LoadRequest, timeoutMs?: number): Promise<T> {
    return this.#link.call<T>({ ...request, worker: this.#index }, timeoutMs);
  }
}

/** The two relays (fresh processes for every case) and the load generator (two worker threads, alive for the whole bench). */
type Hosts = Record<RelayKind, { link: ChildLink<HostRequest>; url: string }>;

/** Starts the two relay processes (framewire's and the baseline) and waits until both listen. */
async function startHosts(profileDir: string | undefined, relayOptions: string, relayModule: string | undefined): Promise<Hosts> {
  const prof = (kind: RelayKind) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, kind)}`] : []);
  const framewire = new ChildLink<HostRequest>('./relay-host.ts', ['framewire', relayOptions, ...(relayModule ? [relayModule] : [])], prof('framewire'));
  const baseline = new ChildLink<HostRequest>('./relay-host.ts', ['baseline'], prof('baseline'));
  const [fw, bl] = await Promise.all([framewire.waitFor<HostReady>('ready'), baseline.waitFor<HostReady>('ready')]);
  return { framewire: { link: framewire, url: fw.url }, baseline: { link: baseline, url: bl.url } };
}

class Rig {
  hosts: Hosts;
  readonly load: ChildLink<LoadProcessRequest>;
  readonly loads: [LoadWorker, LoadWorker];
  readonly #startHosts: () => Promise<Hosts>;

  private constructor(hosts: Hosts, load: ChildLink<LoadProcessRequest>, start: () => Promise<Hosts>) {
    this.hosts = hosts;
    this.load = load;
    this.loads = [new LoadWorker(load, 0), new LoadWorker(load, 1)];
    this.#startHosts = start;
  }

  static async start(profileDir: string | undefined, relayOptions: string, relayModule: string | undefined): Promise<Rig> {
    const load = new ChildLink<LoadProcessRequest>('./relay-load.ts', ['2']);
    const hosts = await startHosts(profileDir, relayOptions, relayModule);
    await load.waitFor('ready');
    return new Rig(hosts, load, () => startHosts(profileDir, relayOptions, relayModule));
  }

  /** Replaces both relay processes by fresh ones, so a case does not inherit the heap and JIT state of the previous one. */
  async restartRelays(): Promise<void> {
    await this.#closeHosts();
    this.hosts = await this.#startHosts();
  }

  async #closeHosts(): Promise<void> {
    await Promise.allSettled([this.hosts.framewire.link.call({ type: 'close' }, 5_000), this.hosts.baseline.link.call({ type: 'close' }, 5_000)]);
    await Promise.all([this.hosts.framewire.link.close(), this.hosts.baseline.link.close()]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.load.call({ type: 'exit' }, 5_000), this.#closeHosts()]);
    await this.load.close();
  }
}

/** Splits a case into the clients of load-generator threads A and B. */
function clientsOf(spec: CaseSpec): [ClientSpec[], ClientSpec[]] {
  const send = (fanout: number, phaseMs: number) => ({ ...spec.frame, fps: spec.fps, fanout, phaseMs });
  if (spec.rooms === 1 && spec.fps === 0) {
    // One closed-loop sender in A; its receivers in B report their last seq in cells 1..fanout.
    const loop = { firstSlot: 1, slots: spec.fanout, window: spec.window };
    const a: ClientSpec[] = [{ room: 'bench', name: 'sender', send: { ...send(spec.fanout, 0), loop } }];
    const b: ClientSpec[] = Array.from({ length: spec.fanout }, (_, i) => ({ room: 'bench', name: `receiver-${i}`, feedbackSlot: 1 + i }));
    return [a, b];
  }
  // N rooms × 2 peers, each sending at spec.fps to the other; peer 1 of every room in A, peer 2 in B.
  const period = spec.fps > 0 ? 1000 / spec.fps : 0;
  const a: ClientSpec[] = [];
  const b: ClientSpec[] = [];
  for (let i = 0; i < spec.rooms; i++) {
    const phase = (i / spec.rooms) * period;
    a.push({ room: `room-${i}`, name: `a-${i}`, send: send(1, phase) });
    b.push({ room: `room-${i}`, name: `b-${i}`, send: send(1, (phase + period / 2) % Math.max(period, 1)) });
  }
  return [a, b];
}

function sum(list: LoadCounters[], key: keyof LoadCounters): number {
  return list.reduce((total, c) => total + c[key], 0);
}

async function waitConnections(host: ChildLink<HostRequest>, want: (n: number) => boolean, timeoutMs: number): Promise<HostSample> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const sample = await host.call<HostSample>({ type: 'sample' });
    if (want(sample.stats.connections) || performance.now() > deadline) return sample;
    await sleep(20);
  }
}

/** One run of `spec` against one relay. */
async function runOnce(rig: Rig, kind: RelayKind, spec: CaseSpec, timing: RelayBenchTiming, progress: (s: string) => void): Promise<RunResult> {
  const host = rig.hosts[kind].link;
  const loads = rig.loads;
  const [clientsA, clientsB] = clientsOf(spec);
  const total = clientsA.length + clientsB.length;
  const failures: string[] = [];

  progress('connecting');
  await Promise.all([
    loads[0].call({ type: 'setup', url: rig.hosts[kind].url, clients: clientsA }),
    loads[1].call({ type: 'setup', url: rig.hosts[kind].url, clients: clientsB }),
  ]);
  const joined = await waitConnections(host, (n) => n >= total, 5_000);
  if (joined.stats.connections < total) failures.push(`relay saw ${joined.stats.connections} of ${total} connections`);
  await sleep(50);
  const before = await host.call<HostSample>({ type: 'sample', resetPeak: true });

  progress('warming up');
  await Promise.all(loads.map((l) => l.call({ type: 'start' })));
  await sleep(timing.warmupMs);
  const [open, hostOpen] = await Promise.all([
    Promise.all(loads.map((l) => l.call<LoadCounters>({ type: 'measure', on: true }))),
    host.call<HostSample>({ type: 'sample', resetPeak: true }),
  ]);
  progress('measuring');
  await sleep(timing.measureMs);
  const [shut, hostShut] = await Promise.all([
    Promise.all(loads.map((l) => l.call<LoadCounters>({ type: 'measure', on: false }))),
    host.call<HostSample>({ type: 'sample' }),
  ]);

  progress('draining');
  await Promise.all(loads.map((l) => l.call({ type: 'stop' })));
  // Wait until everything sent has arrived or been dropped, or nothing moves for a while.
  let last = -1;
  let still = 0;
  let hostEnd = hostShut;
  let finals: LoadCounters[] = shut;
  const drainDeadline = performance.now() + 20_000;
  for (;;) {
    [finals, hostEnd] = await Promise.all([
      Promise.all(loads.map((l) => l.call<LoadCounters>({ type: 'counters' }))),
      host.call<HostSample>({ type: 'sample' }),
    ]);
    const received = sum(finals, 'framesReceived');
    const drops = hostEnd.stats.drops - before.stats.drops;
    if (received + drops >= sum(finals, 'expectedFrames')) break;
    still = received === last ? still + 1 : 0;
    last = received;
    if (still >= 25 || performance.now() > drainDeadline) break;
    await sleep(20);
  }
  const reports = await Promise.all(loads.map((l) => l.call<LoadReport>({ type: 'report' })));
  await Promise.all(loads.map((l) => l.call({ type: 'teardown' })));
  await waitConnections(host, (n) => n === 0, 5_000);
  await sleep(SETTLE_MS);
  // The relay's count of frames in, once every connection is gone: a frame still on its way
  // to the relay when the drain loop stopped (nothing received for 500 ms on a loaded machine)
  // has arrived by now.
  const hostFinal = await host.call<HostSample>({ type: 'sample' });

  // Throughput over the measured window, each load generator on its own clock.
  let mbps = 0;
  let fps = 0;
  for (let i = 0; i < loads.length; i++) {
    const seconds = (shut[i]!.at - open[i]!.at) / 1000;
    mbps += (shut[i]!.bytesReceived - open[i]!.bytesReceived) / seconds / 1e6;
    fps += (shut[i]!.framesReceived - open[i]!.framesReceived) / seconds;
  }
  const final = reports.map((r) => r.counters);
  const delays = summarize(reports.flatMap((r) => r.delaysMs));
  const drops = hostEnd.stats.drops - before.stats.drops;
  const expectedFrames = sum(final, 'expectedFrames');
  const expectedBytes = sum(final, 'expectedBytes');
  const framesReceived = sum(final, 'framesReceived');
  const bytesReceived = sum(final, 'bytesReceived');
  const skipped = sum(final, 'skipped');
  const framesIn = hostFinal.stats.framesIn - before.stats.framesIn;

  // The run's own checks.
  if (framesReceived === 0 || fps === 0) failures.push('nothing was forwarded');
  if (framesIn !== sum(final, 'framesSent')) failures.push(`relay counted ${framesIn} frames in, senders sent ${sum(final, 'framesSent')}`);
  if (framesReceived !== expectedFrames - drops) {
    failures.push(`frames received ${framesReceived} ≠ expected ${expectedFrames} − drops ${drops}`);
  }
  if (bytesReceived !== expectedBytes - drops * spec.frame.frameBytes) {
    failures.push(`bytes received ${bytesReceived} ≠ expected ${expectedBytes} − drops ${drops} × ${spec.frame.frameBytes}`);
  }
  const invalid = sum(final, 'invalid');
  if (invalid > 0) failures.push(`${invalid} invalid frames received`);
  if (delays.count === 0) failures.push('no relay delay measured');

  const due = expectedFrames + skipped * spec.fanout;
  return {
    relay: kind,
    mbps,
    fps,
    p50Ms: delays.p50,
    p99Ms: delays.p99,
    maxMs: delays.max,
    drops,
    skipped,
    dropRate: due > 0 ? (drops + skipped * spec.fanout) / due : 0,
    framesSent: sum(final, 'framesSent'),
    framesReceived,
    cpuPct: ((hostShut.cpuMicros - hostOpen.cpuMicros) / 1000 / (hostShut.at - hostOpen.at)) * 100,
    cpuUsPerFrame: (hostShut.cpuMicros - hostOpen.cpuMicros) / Math.max(1, sum(shut, 'framesReceived') - sum(open, 'framesReceived')),
    peakRssMB: hostShut.peakRss / 1e6,
    failures,
  };
}

function summarizeCase(spec: CaseSpec, runs: RunResult[]): RelayCaseResult {
  const of = (kind: RelayKind) => runs.filter((r) => r.relay === kind);
  const med = (kind: RelayKind, key: keyof RunResult): number | null => {
    const list = of(kind);
    return list.length === 0 ? null : median(list.map((r) => r[key] as number));
  };
  const fw = med('framewire', 'mbps');
  const bl = med('baseline', 'mbps');
  // Pair the runs of each repeat (they ran back to back, so they saw the same machine load).
  const fwRuns = of('framewire');
  const blRuns = of('baseline');
  const pairs = fwRuns.map((r, i) => (blRuns[i] && blRuns[i].mbps > 0 ? r.mbps / blRuns[i].mbps : Number.NaN));
  const ratio = pairs.length > 0 && blRuns.length > 0 ? median(pairs) : null;
  return {
    case: spec.name,
    frameBytes: spec.frame.frameBytes,
    fanout: spec.fanout,
    rooms: spec.rooms,
    fps: spec.fps,
    framewireMBps: fixed(fw, 1),
    baselineMBps: fixed(bl, 1),
    ratio: fixed(ratio, 3),
    framewireFps: fixed(med('framewire', 'fps'), 0),
    baselineFps: fixed(med('baseline', 'fps'), 0),
    p50Ms: fixed(med('framewire', 'p50Ms'), 2),
    p99Ms: fixed(med('framewire', 'p99Ms'), 2),
    baselineP50Ms: fixed(med('baseline', 'p50Ms'), 2),
    baselineP99Ms: fixed(med('baseline', 'p99Ms'), 2),
    drops: fixed(med('framewire', 'drops'), 0),
    dropRate: fixed(med('framewire', 'dropRate'), 4),
    baselineDropRate: fixed(med('baseline', 'dropRate'), 4),
    relayCpuPct: fixed(med('framewire', 'cpuPct'), 0),
    relayCpuUsPerFrame: fixed(med('framewire', 'cpuUsPerFrame'), 1),
    baselineCpuUsPerFrame: fixed(med('baseline', 'cpuUsPerFrame'), 1),
    relayPeakRssMB: fixed(med('framewire', 'peakRssMB'), 0),
    baselineCpuPct: fixed(med('baseline', 'cpuPct'), 0),
    baselinePeakRssMB: fixed(med('baseline', 'peakRssMB'), 0),
    target: spec.target,
    meetsTarget: spec.target === null || ratio === null ? null : ratio >= spec.target,
    repeats: Math.max(of('framewire').length, of('baseline').length),
    runs: runs.map((r) => ({ ...r, mbps: fixed(r.mbps, 1)!, fps: fixed(r.fps, 0)!, p50Ms: fixed(r.p50Ms, 3)!, p99Ms: fixed(r.p99Ms, 3)!, maxMs: fixed(r.maxMs, 3)!, cpuPct: fixed(r.cpuPct, 0)!, cpuUsPerFrame: fixed(r.cpuUsPerFrame, 1)!, peakRssMB: fixed(r.peakRssMB, 0)! })),
  };
}

/** True if a scaling step held: drops ≤ 1% and p99 ≤ 50 ms, and its checks passed. */
function holds(run: RunResult): boolean {
  return run.failures.length === 0 && run.dropRate <= ROOMS_MAX_DROP_RATE && run.p99Ms <= ROOMS_MAX_P99_MS;
}

function fmtRun(r: RunResult): string {
  return `${r.relay} ${r.mbps.toFixed(0)} MB/s ${r.fps.toFixed(0)} f/s p99 ${r.p99Ms.toFixed(1)} ms drops ${(r.dropRate * 100).toFixed(2)}%`;
}

/** Runs the whole relay bench and returns its results (also written to `resultsDir`). */
export async function runRelayBench(options: {
  mode: keyof typeof MODES;
  repeats?: number;
  only?: string;
  profile?: boolean;
  resultsDir?: string;
  /** Extra `startRelay` options for framewire's relay (e.g. `{ maxInFlight: 2 }`). */
  relayOptions?: Record<string, unknown>;
  /** Measure another build of the relay: path of a module exporting `startRelay` (e.g. a patched copy). */
  relayModule?: string;
  /** Scaling case at this one room count instead of the scan (a fixed load, e.g. to compare CPU). */
  rooms?: number;
}): Promise<RelayBenchResult> {
  const timing = { ...MODES[options.mode] };
  if (options.repeats !== undefined) timing.repeats = options.repeats;
  if (options.rooms !== undefined) timing.roomSteps = [options.rooms];
  const resultsDir = options.resultsDir ?? DEFAULT_RESULTS_DIR;
  const line = new ProgressLine();
  const env = benchEnv();
  const maxCases: CaseSpec[] = [
    { name: '1:1 50 KB max rate', frame: JPEG_FRAME, fanout: 1, rooms: 1, fps: 0, window: JPEG_WINDOW, target: TARGET_RATIO_1TO1 },
    { name: '1:1 1.2 MB BGRA max rate', frame: BGRA_FRAME, fanout: 1, rooms: 1, fps: 0, window: BGRA_WINDOW, target: TARGET_RATIO_1TO1 },
    { name: '1→7 fan-out 50 KB max rate', frame: JPEG_FRAME, fanout: 7, rooms: 1, fps: 0, window: JPEG_WINDOW, target: TARGET_RATIO_FANOUT },
  ].filter((c) => options.only === undefined || c.name.includes(options.only));
  const doRooms = options.only === undefined || 'rooms'.includes(options.only) || options.only.includes('rooms');

  const rig = await Rig.start(options.profile ? join(resultsDir, 'profiles') : undefined, JSON.stringify(options.relayOptions ?? {}), options.relayModule);
  const cases: RelayCaseResult[] = [];
  const roomsSummary: RelayBenchResult['rooms'] = {
    criteria: `drops ≤ ${ROOMS_MAX_DROP_RATE * 100}% and p99 relay delay ≤ ${ROOMS_MAX_P99_MS} ms, ${ROOMS_FPS} fps, 50 KB frames`,
    framewire: null,
    baseline: null,
    framewireCapped: false,
    baselineCapped: false,
  };
  try {
    let index = 0;
    const totalCases = maxCases.length + (doRooms ? 1 : 0);
    for (const spec of maxCases) {
      index++;
      if (index > 1) await rig.restartRelays();
      const runs: RunResult[] = [];
      for (let r = 0; r < timing.repeats; r++) {
        // Strictly alternating (framewire, baseline, framewire, …): every run follows one run of
        // the other relay, so both see the same conditions (a relay that just went idle still
        // shrinks its heap for a while; an ABBA order would hand that cost to one side).
        for (const kind of ['framewire', 'baseline'] as const) {
          const tag = `relay [${index}/${totalCases}] ${spec.name} · ${kind} · run ${r + 1}/${timing.repeats}`;
          const run = await runOnce(rig, kind, spec, timing, (phase) => line.update(`${tag} · ${phase}…`, { transient: true }));
          line.update(`${tag} · ${fmtRun(run)}`);
          runs.push(run);
        }
      }
      cases.push(summarizeCase(spec, runs));
    }

    if (doRooms) {
      index++;
      if (index > 1) await rig.restartRelays();
      const started = performance.now();
      const alive: Record<RelayKind, boolean> = { framewire: true, baseline: true };
      for (const rooms of timing.roomSteps) {
        if (!alive.framewire && !alive.baseline) break;
        if (performance.now() - started > timing.roomsBudgetMs) {
          roomsSummary.framewireCapped = alive.framewire;
          roomsSummary.baselineCapped = alive.baseline;
          break;
        }
        const spec: CaseSpec = { name: `${rooms} room${rooms === 1 ? "" : "s"} × 2 @ ${ROOMS_FPS} fps 50 KB`, frame: JPEG_FRAME, fanout: 1, rooms, fps: ROOMS_FPS, window: 0, target: null };
        const runs: RunResult[] = [];
        const retried: RunResult[] = [];
        for (const kind of ['framewire', 'baseline'] as const) {
          if (!alive[kind]) continue;
          let run: RunResult | undefined;
          // A step that fails is tried once more: one spike of a shared machine should not end the scan.
          for (let attempt = 1; attempt <= ROOMS_ATTEMPTS; attempt++) {
            const tag = `relay [${index}/${totalCases}] ${spec.name} · ${kind}${attempt > 1 ? ` · retry ${attempt - 1}` : ''}`;
            if (run !== undefined) retried.push(run);
            run = await runOnce(rig, kind, spec, timing, (phase) => line.update(`${tag} · ${phase}…`, { transient: true }));
            line.update(`${tag} · ${fmtRun(run)}`);
            if (holds(run) || run.failures.length > 0) break;
          }
          runs.push(run!);
          if (holds(run!)) roomsSummary[kind] = rooms;
          else alive[kind] = false;
        }
        cases.push({ ...summarizeCase(spec, runs), ...(retried.length > 0 ? { retried } : {}) });
      }
      if (alive.framewire && roomsSummary.framewire === timing.roomSteps.at(-1)) roomsSummary.framewireCapped = true;
      if (alive.baseline && roomsSummary.baseline === timing.roomSteps.at(-1)) roomsSummary.baselineCapped = true;
    }
  } finally {
    line.done();
    await rig.close();
  }

  const failures = cases.flatMap((c) => [...c.runs, ...(c.retried ?? [])].flatMap((r) => r.failures.map((f) => `${c.case} · ${r.relay}: ${f}`)));
  const result: RelayBenchResult = { env, mode: options.mode, timing, cases, rooms: roomsSummary, ok: failures.length === 0 };
  await writeResults('relay', result, renderMarkdown(result, failures), resultsDir);
  if (failures.length > 0) throw new Error(`relay bench output checks failed:\n  ${failures.join('\n  ')}`);
  return result;
}

/** The result as Markdown: environment, the case table, the scaling verdict. */
export function renderMarkdown(result: RelayBenchResult, failures: string[] = []): string {
  const rows = result.cases.map((c) => [
    c.case,
    c.frameBytes,
    c.fanout,
    c.framewireMBps,
    c.baselineMBps,
    c.ratio,
    c.framewireFps,
    c.p50Ms,
    c.p99Ms,
    c.baselineP99Ms,
    c.drops,
    c.dropRate === null ? null : fixed(c.dropRate * 100, 2),
    c.relayCpuPct,
    c.baselineCpuPct,
    c.relayCpuUsPerFrame,
    c.baselineCpuUsPerFrame,
    c.relayPeakRssMB,
    c.target === null ? '' : `≥ ${c.target}: ${c.meetsTarget ? 'yes' : 'NO'}`,
  ]);
  const table = markdownTable(
    ['case', 'frame B', 'fanout', 'framewire MB/s', 'baseline MB/s', 'ratio', 'framewire f/s', 'p50 ms', 'p99 ms', 'baseline p99 ms', 'drops', 'drop %', 'relay CPU %', 'baseline CPU %', 'relay CPU µs/frame', 'baseline CPU µs/frame', 'relay RSS MB', 'target'],
    rows,
  );
  const cap = (n: number | null, capped: boolean) => (n === null ? 'none' : capped ? `≥ ${n} (step budget reached)` : String(n));
  return [
    `# Relay forwarding: framewire vs bare ws (${result.mode})`,
    '',
    describeEnv(result.env),
    '',
    table,
    '',
    `Rooms × 2 peers this machine holds (${result.rooms.criteria}): framewire **${cap(result.rooms.framewire, result.rooms.framewireCapped)}**, baseline **${cap(result.rooms.baseline, result.rooms.baselineCapped)}**.`,
    '',
    `MB/s = 10^6 bytes/s delivered to receivers in the measured window (${result.timing.measureMs} ms after ${result.timing.warmupMs} ms warm-up); medians of ${result.timing.repeats} run(s) per relay, alternating framewire/baseline, for the max-rate cases; ratio = median of the per-repeat framewire/baseline ratios.`,
    'Max rate is a closed loop: the sender keeps at most 8 frames (3 for BGRA) between itself and its slowest receiver, so it measures what the relay delivers end to end rather than what it can read and then drop or queue.',
    'Relay delay = receive time − captureTime (send), one clock. CPU % = relay process CPU time / wall time (100 = one core); CPU µs/frame = relay CPU time / frames delivered; RSS = peak during the window.',
    'drop % = (relay drops + frames a paced sender could not send on time) / frames due.',
    'Relay, senders and receivers are separate processes on loopback (fresh relay processes for every case); the load generator shares the same cores.',
    ...failuresMarkdown(failures),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      repeats: { type: 'string' },
      only: { type: 'string' },
      'results-dir': { type: 'string' },
      'relay-options': { type: 'string' },
      'relay-module': { type: 'string' },
      rooms: { type: 'string' },
    },
  });
  const mode = benchMode(values);
  const started = performance.now();
  const result = await runRelayBench({
    mode,
    ...(values.repeats !== undefined ? { repeats: Number(values.repeats) } : {}),
    ...(values.only !== undefined ? { only: values.only } : {}),
    profile: values.profile,
    ...(values['results-dir'] !== undefined ? { resultsDir: values['results-dir'] } : {}),
    ...(values['relay-options'] !== undefined ? { relayOptions: JSON.parse(values['relay-options']) as Record<string, unknown> } : {}),
    ...(values['relay-module'] !== undefined ? { relayModule: values['relay-module'] } : {}),
    ...(values.rooms !== undefined ? { rooms: Number(values.rooms) } : {}),
  });
  console.log(renderMarkdown(result));
  console.error(`relay bench (${mode}) done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runIfMain(import.meta.url, main);

/**
 * The latency bench's results: per-mode figures from the joined capture/paint logs, the
 * ratios of each raw mode to WebRTC, the JSON document and the Markdown report. Pure
 * functions, unit-tested (latency-report.test.ts).
 */
import { HOPS, hopDurations, type Hop, type HopMarks } from '../web/harness/hop-breakdown.ts';
import { summarize } from '../web/harness/percentiles.ts';
import type { BenchEnv } from './env.ts';
import { fixed, markdownTable } from './table.ts';

/** The target the issue sets: raw JPEG p50 ≤ 0.8 × WebRTC p50 on loopback. */
export const TARGET_RATIO = 0.8;

/** What one mode's run measured (inputs to `modeResult`). */
export interface ModeMeasurement {
  /** Capture→paint latencies of the frames the receiver painted, ms. */
  latencies: number[];
  /** Length of the measuring window, s. */
  seconds: number;
  /** Ids the sender drew during the window. */
  captured: number;
  /** Bytes and frames the sender put on the wire during the window. */
  bytesSent: number;
  framesSent: number;
  /** Strips the receiver could not read. */
  misses: number;
  /** Raw modes: joined hop marks. */
  hops?: HopMarks[];
  /** The app's medians over its stats window: encode (sender) and decode (receiver) ms. */
  appEncodeMs?: number | null;
  appDecodeMs?: number | null;
  /** WebRTC: getStats figures of the receiver (jitter buffer, decode, RTT), ms. */
  webrtc?: { jitterBufferDelayMs: number; decodeMs: number; encodeMs: number; rttMs: number; width: number; height: number } | null;
}

/** One mode's line in latency.json. */
export interface ModeResult {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** Frames painted (with a readable id matched to a capture). */
  frames: number;
  /** Frames painted per second. */
  fps: number;
  /** Wire bytes per frame sent (raw: whole frames; WebRTC: RTP payload bytes / frames encoded). */
  bytesPerFrame: number | null;
  /** Frames drawn by the sender that were never painted (skipped, dropped, or replaced), % of captured. */
  notPaintedPct: number | null;
  misses: number;
  /** Raw modes: p50 and p95 of each hop, ms. */
  hops?: Record<Hop, { p50: number | null; p95: number | null }>;
  appEncodeMs?: number | null;
  appDecodeMs?: number | null;
  webrtc?: ModeMeasurement['webrtc'];
}

/** The whole latency.json. */
export interface LatencyReport {
  env: BenchEnv & { chromium: string };
  settings: { seconds: number; modes: string[]; width: number; height: number; fps: number };
  modes: Record<string, ModeResult>;
  /** Each raw mode's p50 and p95 divided by WebRTC's. */
  ratios: Record<string, { p50: number | null; p95: number | null }>;
  target: { rule: string; ratio: number | null; met: boolean | null };
}

const round = (value: number, digits = 2): number | null => fixed(value, digits);

/** Figures of one mode from its measurement. */
export function modeResult(m: ModeMeasurement): ModeResult {
  const s = summarize(m.latencies);
  const result: ModeResult = {
    p50Ms: round(s.p50),
    p95Ms: round(s.p95),
    p99Ms: round(s.p99),
    meanMs: round(s.mean),
    minMs: round(s.min),
    maxMs: round(s.max),
    frames: s.count,
    fps: round(m.seconds > 0 ? s.count / m.seconds : Number.NaN, 1) ?? 0,
    bytesPerFrame: m.framesSent > 0 ? Math.round(m.bytesSent / m.framesSent) : null,
    notPaintedPct: m.captured > 0 ? round((100 * Math.max(0, m.captured - s.count)) / m.captured, 1) : null,
    misses: m.misses,
  };
  if (m.hops && m.hops.length > 0) {
    const durations = m.hops.map(hopDurations);
    result.hops = Object.fromEntries(
      HOPS.map((hop) => {
        const h = summarize(durations.map((d) => d[hop]));
        return [hop, { p50: round(h.p50), p95: round(h.p95) }];
      }),
    ) as Record<Hop, { p50: number | null; p95: number | null }>;
  }
  if (m.appEncodeMs !== undefined) result.appEncodeMs = m.appEncodeMs;
  if (m.appDecodeMs !== undefined) result.appDecodeMs = m.appDecodeMs;
  if (m.webrtc !== undefined) result.webrtc = m.webrtc;
  return result;
}

/** Ratios of every non-WebRTC mode's p50/p95 to WebRTC's (empty without a WebRTC result). */
export function ratiosToWebrtc(modes: Record<string, ModeResult>): LatencyReport['ratios'] {
  const base = modes['webrtc'];
  const ratios: LatencyReport['ratios'] = {};
  if (!base) return ratios;
  for (const [name, r] of Object.entries(modes)) {
    if (name === 'webrtc') continue;
    const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? round(a / b, 3) : null);
    ratios[name] = { p50: ratio(r.p50Ms, base.p50Ms), p95: ratio(r.p95Ms, base.p95Ms) };
  }
  return ratios;
}

/** Assembles latency.json. */
export function buildReport(env: LatencyReport['env'], settings: LatencyReport['settings'], modes: Record<string, ModeResult>): LatencyReport {
  const ratios = ratiosToWebrtc(modes);
  const ratio = ratios['jpeg']?.p50 ?? null;
  return {
    env,
    settings,
    modes,
    ratios,
    target: { rule: `jpeg p50 <= ${TARGET_RATIO} x webrtc p50`, ratio, met: ratio === null ? null : ratio <= TARGET_RATIO },
  };
}

/** The Markdown report: environment, the per-mode table, ratios, the hop table, the target. */
export function reportMarkdown(report: LatencyReport): string {
  const { env, settings } = report;
  const lines: string[] = [];
  lines.push('# Latency: raw frames vs WebRTC (capture → paint)', '');
  lines.push(
    `Chromium ${env.chromium} (headless) · Node ${env.node} · ${env.cpu} · ${env.cores} cores · ${env.os} · ${env.date}`,
    '',
    `${settings.width}×${settings.height} @ ${settings.fps} fps, ${settings.seconds} s per mode, sender and receiver pages in one browser, relay on loopback.`,
    '',
  );
  const names = Object.keys(report.modes);
  lines.push(
    markdownTable(
      ['mode', 'p50 ms', 'p95 ms', 'p99 ms', 'frames', 'fps', 'bytes/frame', 'not painted %', 'p50 / webrtc', 'p95 / webrtc'],
      names.map((name) => {
        const r = report.modes[name]!;
        const ratio = report.ratios[name];
        return [name, r.p50Ms, r.p95Ms, r.p99Ms, r.frames, r.fps, r.bytesPerFrame, r.notPaintedPct, ratio?.p50 ?? null, ratio?.p95 ?? null];
      }),
    ),
    '',
  );
  const raw = names.filter((name) => report.modes[name]!.hops);
  if (raw.length > 0) {
    lines.push('Raw path per hop, p50 (p95) ms — from header timestamps and page marks:', '');
    lines.push(
      markdownTable(
        ['mode', ...HOPS, 'app encode p50', 'app decode p50'],
        raw.map((name) => {
          const r = report.modes[name]!;
          return [name, ...HOPS.map((hop) => `${r.hops![hop].p50 ?? '–'} (${r.hops![hop].p95 ?? '–'})`), r.appEncodeMs ?? null, r.appDecodeMs ?? null];
        }),
      ),
      '',
    );
  }
  const webrtc = report.modes['webrtc']?.webrtc;
  if (webrtc) {
    lines.push(
      `WebRTC getStats (receiver, last second): jitter buffer ${fixed(webrtc.jitterBufferDelayMs, 1) ?? '–'} ms, decode ${fixed(webrtc.decodeMs, 1) ?? '–'} ms, ` +
        `sender encode ${fixed(webrtc.encodeMs, 1) ?? '–'} ms, RTT ${fixed(webrtc.rttMs, 1) ?? '–'} ms, received ${webrtc.width}×${webrtc.height}.`,
      '',
    );
  }
  const t = report.target;
  lines.push(`Target ${t.rule}: ${t.met === null ? 'not measured' : `${t.met ? 'met' : 'not met'} (ratio ${t.ratio})`}.`);
  return `${lines.join('\n')}\n`;
}

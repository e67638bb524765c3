/**
 * The latency bench's results: per-mode figures from the joined capture/paint logs, the
 * ratios of each raw mode to WebRTC, the JSON document and the Markdown report. Pure
 * functions, unit-tested (latency-report.test.ts).
 */
import { HOPS, hopDurations, VIDEO_STAGES, videoStageDurations, type HopMarks, type VideoStageMarks } from '../web/harness/hop-breakdown.ts';
import { summarize } from '../web/stats/percentile.ts';
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
  /** WebRTC: per-frame stage marks (requestVideoFrameCallback metadata). */
  videoStages?: VideoStageMarks[];
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
  /** p50 and p95 of each hop, ms: raw modes `HOPS`, WebRTC `VIDEO_STAGES` (web/harness/hop-breakdown.ts). */
  hops?: Record<string, { p50: number | null; p95: number | null }>;
  appEncodeMs?: number | null;
  appDecodeMs?: number | null;
  webrtc?: ModeMeasurement['webrtc'];
}

/** The whole latency.json. */
export interface LatencyReport {
  env: BenchEnv & { chromium: string };
  settings: { seconds: number; modes: string[]; width: number; height: number; fps: number; rounds: number; webrtcJitterBufferTargetMs?: number };
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
  const percentiles = <K extends string>(names: readonly K[], durations: Record<K, number>[]): Record<string, { p50: number | null; p95: number | null }> =>
    Object.fromEntries(
      names.map((name) => {
        const h = summarize(durations.map((d) => d[name]));
        return [name, { p50: round(h.p50), p95: round(h.p95) }];
      }),
    );
  if (m.hops && m.hops.length > 0) result.hops = percentiles(HOPS, m.hops.map(hopDurations));
  else if (m.videoStages && m.videoStages.length > 0) result.hops = percentiles(VIDEO_STAGES, m.videoStages.map(videoStageDurations));
  if (m.appEncodeMs !== undefined) result.appEncodeMs = m.appEncodeMs;
  if (m.appDecodeMs !== undefined) result.appDecodeMs = m.appDecodeMs;
  if (m.webrtc !== undefined) result.webrtc = m.webrtc;
  return result;
}

/** Pools two rounds of one mode: samples and counters add up; the app's and getStats figures are the latest round's. */
export function mergeMeasurements(a: ModeMeasurement | undefined, b: ModeMeasurement): ModeMeasurement {
  if (a === undefined) return b;
  const merged: ModeMeasurement = {
    ...b,
    latencies: [...a.latencies, ...b.latencies],
    seconds: a.seconds + b.seconds,
    captured: a.captured + b.captured,
    bytesSent: a.bytesSent + b.bytesSent,
    framesSent: a.framesSent + b.framesSent,
    misses: a.misses + b.misses,
  };
  if (a.hops || b.hops) merged.hops = [...(a.hops ?? []), ...(b.hops ?? [])];
  if (a.videoStages || b.videoStages) merged.videoStages = [...(a.videoStages ?? []), ...(b.videoStages ?? [])];
  return merged;
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
    `${settings.width}×${settings.height} @ ${settings.fps} fps, ${settings.seconds} s per mode${settings.rounds > 1 ? ` in ${settings.rounds} alternating rounds` : ''}, sender and receiver pages in one browser, relay on loopback${settings.webrtcJitterBufferTargetMs !== undefined ? `, WebRTC jitterBufferTarget ${settings.webrtcJitterBufferTargetMs} ms` : ''}.`,
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
  const raw = names.filter((name) => name !== 'webrtc' && report.modes[name]!.hops);
  if (raw.length > 0) {
    lines.push('Raw path per hop, p50 (p95) ms — from header timestamps and page marks:', '');
    lines.push(
      markdownTable(
        ['mode', ...HOPS, 'app encode p50', 'app decode p50'],
        raw.map((name) => {
          const r = report.modes[name]!;
          return [name, ...HOPS.map((hop) => `${r.hops![hop]?.p50 ?? '–'} (${r.hops![hop]?.p95 ?? '–'})`), r.appEncodeMs ?? null, r.appDecodeMs ?? null];
        }),
      ),
      '',
    );
  }
  const stages = report.modes['webrtc']?.hops;
  if (stages) {
    lines.push('WebRTC path per stage, p50 (p95) ms — from requestVideoFrameCallback metadata:', '');
    lines.push(markdownTable(['mode', ...VIDEO_STAGES], [['webrtc', ...VIDEO_STAGES.map((s) => `${stages[s]?.p50 ?? '–'} (${stages[s]?.p95 ?? '–'})`)]]), '');
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

/**
 * bench:audio's figures and report (pure: no browser, no network). One result per link
 * condition and mode: mouth-to-ear latency from tone-burst onsets (what the sender's
 * microphone captured vs what the receiver heard, web-node/tone-analysis.ts), the audio
 * packets delivered, the A/V offset the raw receiver reports, and the video alongside.
 *
 * Targets (issue 13): raw mouth-to-ear p50 ≤ 150 ms on loopback; under the cap raw p95 ≤
 * WebRTC's p95 + 50 ms (same run); audio delivery ≥ 98 % under the cap; |A/V offset| ≤ 45 ms.
 */
import { fixed, markdownTable, type Cell } from './table.ts';

export const AUDIO_CONDITIONS = ['loopback', 'cap'] as const;
export type AudioCondition = (typeof AUDIO_CONDITIONS)[number];
export const AUDIO_MODES = ['jpeg', 'webrtc'] as const;
export type AudioMode = (typeof AUDIO_MODES)[number];

/** Targets, for the report. */
export const TARGETS = { loopbackP50Ms: 150, capMarginMs: 50, delivery: 0.98, avOffsetMs: 45 } as const;

/** One condition × mode. */
export interface AudioResult {
  condition: AudioCondition;
  mode: AudioMode;
  /** Bursts heard in the window, and how many of them paired with a captured onset. */
  bursts: number;
  paired: number;
  /** Mouth-to-ear from onsets, ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Frequency heard, Hz (1000 sent). */
  frequencyHz: number | null;
  /** Audio packets: sent by the sender in the window, received by the receiver (raw: its jitter buffer's count; WebRTC: packetsReceived). */
  sent: number | null;
  received: number | null;
  /** received / sent, or null when either is unknown. */
  delivery: number | null;
  /** Raw mode: the receiver's A/V offset p50 (video paint − sound of the same instant), ms. */
  avOffsetMs: number | null;
  /** The receiver's own capture→ear estimate (raw: jitter buffer delay figure), ms. */
  reportedDelayMs: number | null;
  /** Video painted from the sender alongside, fps, and its capture→paint p50, ms. */
  videoFps: number | null;
  videoP50Ms: number | null;
  /** The raw sender's video resolution at the end (its rate controller's choice), e.g. 320×240. */
  videoSize: string | null;
}

export interface AudioReport {
  env: unknown;
  settings: { seconds: number; capMbit: number; clip: string; video: string };
  results: AudioResult[];
}

/** What the run measured against the targets; `met` null when a figure is missing. */
export interface AudioVerdict {
  what: string;
  value: number | null;
  target: string;
  met: boolean | null;
}

function find(report: AudioReport, condition: AudioCondition, mode: AudioMode): AudioResult | undefined {
  return report.results.find((r) => r.condition === condition && r.mode === mode);
}

/** The targets, judged. */
export function audioVerdicts(report: AudioReport): AudioVerdict[] {
  const out: AudioVerdict[] = [];
  const rawLoop = find(report, 'loopback', 'jpeg');
  if (rawLoop) out.push({ what: 'raw mouth-to-ear p50, loopback', value: rawLoop.p50Ms, target: `≤ ${TARGETS.loopbackP50Ms} ms`, met: rawLoop.p50Ms === null ? null : rawLoop.p50Ms <= TARGETS.loopbackP50Ms });
  const rawCap = find(report, 'cap', 'jpeg');
  const rtcCap = find(report, 'cap', 'webrtc');
  if (rawCap && rtcCap) {
    const bound = rtcCap.p95Ms === null ? null : rtcCap.p95Ms + TARGETS.capMarginMs;
    out.push({ what: `raw mouth-to-ear p95 under ${report.settings.capMbit} Mbit/s`, value: rawCap.p95Ms, target: bound === null ? 'WebRTC p95 + 50 ms (no WebRTC figure)' : `≤ WebRTC p95 + ${TARGETS.capMarginMs} = ${fixed(bound, 1)} ms`, met: rawCap.p95Ms === null || bound === null ? null : rawCap.p95Ms <= bound });
  }
  if (rawCap) out.push({ what: `raw audio delivered under ${report.settings.capMbit} Mbit/s`, value: rawCap.delivery, target: `≥ ${TARGETS.delivery * 100} %`, met: rawCap.delivery === null ? null : rawCap.delivery >= TARGETS.delivery });
  for (const r of report.results.filter((x) => x.mode === 'jpeg')) {
    out.push({ what: `raw A/V offset, ${r.condition}`, value: r.avOffsetMs, target: `|offset| ≤ ${TARGETS.avOffsetMs} ms`, met: r.avOffsetMs === null ? null : Math.abs(r.avOffsetMs) <= TARGETS.avOffsetMs });
  }
  return out;
}

/** Output checks: a result that heard nothing fails the run (a missed target does not). */
export function audioFailures(report: AudioReport): string[] {
  const failures: string[] = [];
  for (const r of report.results) {
    if (r.bursts === 0) failures.push(`${r.condition}/${r.mode}: no tone burst was heard`);
    else if (r.paired === 0) failures.push(`${r.condition}/${r.mode}: no heard burst matched a captured one`);
  }
  return failures;
}

/** The Markdown report. */
export function audioMarkdown(report: AudioReport): string {
  const rows: Cell[][] = report.results.map((r) => [
    r.condition === 'cap' ? `${report.settings.capMbit} Mbit/s` : 'loopback',
    r.mode === 'jpeg' ? 'raw (relay)' : 'WebRTC',
    r.p50Ms,
    r.p95Ms,
    `${r.paired}/${r.bursts}`,
    fixed(r.frequencyHz, 0),
    r.delivery === null ? null : `${fixed(r.delivery * 100, 1)} % (${r.received}/${r.sent})`,
    r.avOffsetMs,
    r.reportedDelayMs,
    r.videoFps,
    r.videoP50Ms,
    r.videoSize,
  ]);
  const verdicts = audioVerdicts(report).map((v): Cell[] => [v.what, v.value === null ? null : v.what.includes('delivered') ? `${fixed(v.value * 100, 1)} %` : `${fixed(v.value, 1)} ms`, v.target, v.met === null ? 'no figure' : v.met ? 'met' : 'MISSED']);
  return [
    '# bench:audio — mouth-to-ear, raw frames vs WebRTC',
    '',
    `Tone bursts (${report.settings.clip}) from the sender's fake microphone, recorded at the sender (microphone) and at the receiver (playout); latency from burst onsets on the shared wall clock. ${report.settings.seconds} s per condition and mode; video ${report.settings.video} alongside. Each browser in its own network namespace; "cap" = both homes at ${report.settings.capMbit} Mbit/s both ways (tbf).`,
    '',
    markdownTable(['link', 'mode', 'p50 ms', 'p95 ms', 'bursts paired', 'Hz', 'audio delivered', 'A/V offset ms', 'reported delay ms', 'video fps', 'video p50 ms', 'video size'], rows),
    '',
    markdownTable(['target', 'measured', 'goal', ''], verdicts),
    '',
  ].join('\n');
}

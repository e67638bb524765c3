/**
 * The reach bench's outputs: per scenario a table of every link mode (what carried it, p50 /
 * p95 / p99 glass-to-glass latency, delivered fps, receiver-link kbit/s); the ratios HTTP
 * stream / WebSocket and long-poll / WebSocket of p50 (and p95) against the 1.2× target;
 * on capped scenarios every raw transport's p95 against 250 ms; WebRTC relayed by TURN over
 * TCP beside WebRTC direct. Targets are reported met/missed; the output checks (nothing
 * painted, a mode that ran on another transport than it claims) are thin-link-report.ts's
 * and fail the run.
 */
import { describeEnv } from './env.ts';
import { describeObserved, LINK_MODES, RAW_LINK_MODES, type LinkModeId } from './link-modes.ts';
import { failuresMarkdown, fixed, markdownTable, type Cell } from './table.ts';
import { thinLinkFailures } from './thin-link-report.ts';
import type { ReceiverResult, ThinLinkReport } from './thin-link-run.ts';
import { isShaped, SCENARIOS, type ScenarioId } from './thin-link-scenarios.ts';

/** HTTP stream p50 ≤ this × WebSocket p50 (the issue's target; long-poll is shown against it too). */
export const HTTP_P50_TARGET = 1.2;
/** On a capped link every raw transport's p95 ≤ this, ms. */
export const CAPPED_P95_TARGET_MS = 250;
/** The transports compared with WebSocket. */
export const COMPARED_WITH_WS: readonly LinkModeId[] = ['http', 'poll'];

/** One transport's latency relative to WebSocket's, same scenario and receiver. */
export interface ReachRatio {
  scenario: ScenarioId;
  receiver: string;
  mode: LinkModeId;
  p50Ms: number | null;
  wsP50Ms: number | null;
  /** mode p50 / WebSocket p50. */
  p50: number | null;
  /** mode p95 / WebSocket p95. */
  p95: number | null;
  target: number;
  /** p50 ratio ≤ target; null when either side has no figure. */
  met: boolean | null;
}

/** A raw transport's p95 on a capped scenario against CAPPED_P95_TARGET_MS. */
export interface ReachP95Check {
  scenario: ScenarioId;
  receiver: string;
  mode: LinkModeId;
  p95Ms: number | null;
  targetMs: number;
  met: boolean | null;
}

/** WebRTC through TURN/TCP beside WebRTC direct (and WebSocket), same scenario and receiver. */
export interface ReachTurnComparison {
  scenario: ScenarioId;
  receiver: string;
  direct: ReceiverResult | null;
  turn: ReceiverResult;
  ws: ReceiverResult | null;
  /** turn / direct. */
  p50VsDirect: number | null;
  p95VsDirect: number | null;
  fpsVsDirect: number | null;
  /** turn / WebSocket. */
  p50VsWs: number | null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a != null && b != null && b > 0 ? fixed(a / b, 2) : null;
}

/** `fn` for every scenario and receiver, with a look-up of that receiver's result in a mode; the rows it returns, in order. */
function perReceiver<T>(report: ThinLinkReport, fn: (scenario: ScenarioId, receiver: string, find: (mode: LinkModeId) => ReceiverResult | null) => T[]): T[] {
  return report.scenarios.flatMap((s) =>
    receivers(s.results).flatMap((receiver) => fn(s.id, receiver, (mode) => s.results.find((r) => r.mode === mode && r.receiver === receiver) ?? null)),
  );
}

function receivers(results: readonly ReceiverResult[]): string[] {
  return [...new Set(results.map((r) => r.receiver))];
}

/** HTTP stream / WebSocket and long-poll / WebSocket per scenario and receiver (where both ran). */
export function reachRatios(report: ThinLinkReport): ReachRatio[] {
  return perReceiver(report, (scenario, receiver, find) => {
    const ws = find('ws');
    if (ws === null) return [];
    return COMPARED_WITH_WS.flatMap((mode) => {
      const r = find(mode);
      if (r === null) return [];
      const p50 = ratio(r.p50Ms, ws.p50Ms);
      return [{ scenario, receiver, mode, p50Ms: r.p50Ms, wsP50Ms: ws.p50Ms, p50, p95: ratio(r.p95Ms, ws.p95Ms), target: HTTP_P50_TARGET, met: p50 === null ? null : p50 <= HTTP_P50_TARGET }];
    });
  });
}

/** Every raw transport's p95 on each capped scenario, against 250 ms. */
export function reachP95Checks(report: ThinLinkReport): ReachP95Check[] {
  return report.scenarios
    .filter((s) => isShaped(SCENARIOS[s.id]))
    .flatMap((s) =>
      s.results
        .filter((r) => RAW_LINK_MODES.includes(r.mode))
        .map((r) => ({ scenario: s.id, receiver: r.receiver, mode: r.mode, p95Ms: r.p95Ms, targetMs: CAPPED_P95_TARGET_MS, met: r.p95Ms === null ? null : r.p95Ms <= CAPPED_P95_TARGET_MS })),
    );
}

/** WebRTC-via-TURN beside WebRTC direct and WebSocket, where webrtc-turn ran. */
export function reachTurnComparison(report: ThinLinkReport): ReachTurnComparison[] {
  return perReceiver(report, (scenario, receiver, find) => {
    const turn = find('webrtc-turn');
    if (turn === null) return [];
    const direct = find('webrtc');
    const ws = find('ws');
    return [
      {
        scenario,
        receiver,
        direct,
        turn,
        ws,
        p50VsDirect: ratio(turn.p50Ms, direct?.p50Ms),
        p95VsDirect: ratio(turn.p95Ms, direct?.p95Ms),
        fpsVsDirect: ratio(turn.fps, direct?.fps),
        p50VsWs: ratio(turn.p50Ms, ws?.p50Ms),
      },
    ];
  });
}

/** The run's failed output checks: thin-link's (nothing painted, no quality sample, a mode on another transport than it claims). */
export function reachFailures(report: ThinLinkReport): string[] {
  return thinLinkFailures(report);
}

/** The JSON fields beside the report. */
export function reachSummary(report: ThinLinkReport): { ratios: ReachRatio[]; cappedP95: ReachP95Check[]; turn: Array<Omit<ReachTurnComparison, 'direct' | 'turn' | 'ws'>> } {
  return {
    ratios: reachRatios(report),
    cappedP95: reachP95Checks(report),
    turn: reachTurnComparison(report).map(({ direct: _direct, turn: _turn, ws: _ws, ...rest }) => rest),
  };
}

/** A table, or a line saying this run had nothing for it. */
function tableOrNone(headers: readonly string[], rows: readonly (readonly Cell[])[], none: string): string {
  return rows.length > 0 ? markdownTable(headers, rows) : `_${none}_`;
}

function verdict(met: boolean | null): string {
  return met === null ? 'no figure' : met ? 'met' : '**missed**';
}

/** `2.1× (met)` for a summary line. */
function ratioText(value: number | null, met: boolean | null): string {
  return `${value ?? '–'}× (${verdict(met)})`;
}

/** The Markdown report (also the stdout output). */
export function reachMarkdown(report: ThinLinkReport, failures: readonly string[] = reachFailures(report)): string {
  const st = report.settings;
  const ratios = reachRatios(report);
  const capped = reachP95Checks(report);
  const turn = reachTurnComparison(report);
  const lines: string[] = [
    '# Reach bench: latency and delivered fps by transport',
    '',
    `${describeEnv(report.env)} · Chromium ${report.env.chromium}`,
    '',
    `${st.width}×${st.height} @ ${st.fps} fps requested, the same harness frames in every mode (${st.content === 'synthetic' ? 'synthetic content' : 'fake camera under the id strip'}), ${st.seconds} s per scenario and mode after ${st.warmupSeconds} s warm-up, one mode after the other; ${st.tbf}${st.turn ? `; ${st.turn}` : ''}. ` +
      'Latency = glass to glass (frame id drawn by the sender, read off what the receiver painted; the two browsers\' clock difference taken out). ' +
      'fps = frames captured in the window and painted; sent fps = frames the sender handed to its transport. wire kbit/s, B/frame = IP bytes on the receiver\'s link over the window, per painted frame. PSNR = median luma PSNR of sampled painted pictures against the sent ones. ' +
      'transport/route = what both pages reported after the window (`framewire.stats().transport.kind`; for WebRTC the receiver\'s selected ICE pair).',
    '',
  ];
  const summary: string[] = [];
  for (const s of report.scenarios) {
    lines.push(`## Scenario ${s.id}: ${s.title}`, '');
    const many = receivers(s.results).length > 1;
    const rows: Cell[][] = s.results.map((r) => [many ? `${r.mode} (${r.receiver})` : r.mode, describeObserved(r.observed), r.p50Ms, r.p95Ms, r.p99Ms, r.fps, r.sentFps ?? null, r.wireKbps, r.wireBytesPerFrame, r.psnrDb]);
    lines.push(markdownTable(['mode', 'transport/route', 'p50 ms', 'p95 ms', 'p99 ms', 'fps', 'sent fps', 'wire kbit/s', 'wire B/frame', 'PSNR dB'], rows), '');
    for (const r of ratios.filter((x) => x.scenario === s.id)) summary.push(`${s.id}: ${LINK_MODES[r.mode].title} p50 / WebSocket p50 = ${ratioText(r.p50, r.met)}`);
    for (const c of capped.filter((x) => x.scenario === s.id)) summary.push(`${s.id}: ${c.mode} p95 ${c.p95Ms ?? '–'} ms vs ${c.targetMs} ms (${verdict(c.met)})`);
  }
  lines.push(`## HTTP stream and long-poll vs WebSocket (p50, target ≤ ${HTTP_P50_TARGET}×)`, '');
  lines.push(
    tableOrNone(
      ['scenario', 'receiver', 'transport', 'p50 ms', 'WebSocket p50 ms', 'p50 ×', 'p95 ×', `≤ ${HTTP_P50_TARGET}×`],
      ratios.map((r) => [r.scenario, r.receiver, r.mode, r.p50Ms, r.wsP50Ms, r.p50, r.p95, verdict(r.met)]),
      'No scenario ran WebSocket and HTTP stream or long-poll.',
    ),
    '',
    `The target is HTTP stream's; long-poll is held against the same bar for comparison.`,
    '',
  );
  lines.push(`## Capped links: raw transports' p95 (target ≤ ${CAPPED_P95_TARGET_MS} ms)`, '');
  lines.push(tableOrNone(['scenario', 'receiver', 'mode', 'p95 ms', `≤ ${CAPPED_P95_TARGET_MS} ms`], capped.map((c) => [c.scenario, c.receiver, c.mode, c.p95Ms, verdict(c.met)]), 'No capped scenario with a raw transport in this run.'), '');
  lines.push('## WebRTC relayed by TURN over TCP beside WebRTC direct', '');
  lines.push(
    tableOrNone(
      ['scenario', 'receiver', 'direct route', 'direct p50 / p95 ms', 'direct fps', 'TURN route', 'TURN p50 / p95 ms', 'TURN fps', 'TURN wire kbit/s', 'p50 × direct', 'p95 × direct', 'fps × direct', 'p50 × WebSocket'],
      turn.map((t) => [
        t.scenario,
        t.receiver,
        describeObserved(t.direct?.observed),
        t.direct ? `${t.direct.p50Ms ?? '–'} / ${t.direct.p95Ms ?? '–'}` : null,
        t.direct?.fps ?? null,
        describeObserved(t.turn.observed),
        `${t.turn.p50Ms ?? '–'} / ${t.turn.p95Ms ?? '–'}`,
        t.turn.fps,
        t.turn.wireKbps,
        t.p50VsDirect,
        t.p95VsDirect,
        t.fpsVsDirect,
        t.p50VsWs,
      ]),
      'webrtc-turn did not run.',
    ),
  );
  if (summary.length > 0) lines.push('', '## Targets', '', ...summary.map((line) => `- ${line}`));
  lines.push('', 'Scenarios: ' + report.scenarios.map((s) => `**${s.id}** ${s.title}`).join('; ') + '.');
  lines.push(...failuresMarkdown(failures));
  return `${lines.join('\n')}\n`;
}

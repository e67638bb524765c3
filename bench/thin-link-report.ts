/**
 * The thin-link bench's outputs: the Markdown table (raw JPEG beside WebRTC per scenario and
 * receiver, with ratios jpeg/webrtc), the latency-over-time SVG (one panel per scenario and
 * receiver, log latency axis, one line per mode, cap steps marked), and the output checks
 * (a mode that painted nothing, or ran on another transport than it claims, fails the run).
 * The checks and the chart serve every bench on the thin-link driver (reach-report.ts too).
 */
import { describeEnv } from './env.ts';
import { niceStep, SERIES_COLOURS } from './latency-chart.ts';
import { linkModeMismatches } from './link-modes.ts';
import { failuresMarkdown, fixed, markdownTable } from './table.ts';
import type { ReceiverResult, ThinLinkReport } from './thin-link-run.ts';

/** raw / WebRTC for one receiver of one scenario (null where either side has no figure). */
export interface ThinLinkRatio {
  scenario: string;
  receiver: string;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  fps: number | null;
  wireBytesPerFrame: number | null;
  /** PSNR difference jpeg − webrtc, dB. */
  psnrDeltaDb: number | null;
}

/** The ratios jpeg/webrtc of every scenario and receiver measured in both modes. */
export function thinLinkRatios(report: ThinLinkReport): ThinLinkRatio[] {
  const out: ThinLinkRatio[] = [];
  for (const s of report.scenarios) {
    const receivers = [...new Set(s.results.map((r) => r.receiver))];
    for (const receiver of receivers) {
      const jpeg = s.results.find((r) => r.receiver === receiver && r.mode === 'jpeg');
      const webrtc = s.results.find((r) => r.receiver === receiver && r.mode === 'webrtc');
      if (!jpeg || !webrtc) continue;
      const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? fixed(a / b, 2) : null);
      out.push({
        scenario: s.id,
        receiver,
        p50: ratio(jpeg.p50Ms, webrtc.p50Ms),
        p95: ratio(jpeg.p95Ms, webrtc.p95Ms),
        p99: ratio(jpeg.p99Ms, webrtc.p99Ms),
        fps: ratio(jpeg.fps, webrtc.fps),
        wireBytesPerFrame: ratio(jpeg.wireBytesPerFrame, webrtc.wireBytesPerFrame),
        psnrDeltaDb: jpeg.psnrDb !== null && webrtc.psnrDb !== null ? fixed(jpeg.psnrDb - webrtc.psnrDb, 2) : null,
      });
    }
  }
  return out;
}

/** What is wrong with the run's own output (empty = fine). */
export function thinLinkFailures(report: ThinLinkReport): string[] {
  const failures: string[] = [];
  for (const s of report.scenarios) {
    for (const mode of report.settings.modes) {
      const results = s.results.filter((r) => r.mode === mode);
      if (results.length === 0) failures.push(`scenario ${s.id}: no result for ${mode}`);
      for (const r of results) {
        if (r.frames === 0) failures.push(`scenario ${s.id}/${mode}/${r.receiver}: no frame painted in the window`);
        if (r.qualitySamples === 0 && report.settings.content === 'synthetic') failures.push(`scenario ${s.id}/${mode}/${r.receiver}: no quality sample`);
        if (r.alignment.checked > 0 && r.alignment.best < Math.ceil(r.alignment.checked / 2)) {
          failures.push(`scenario ${s.id}/${mode}/${r.receiver}: quality references misaligned [best:${r.alignment.best}/${r.alignment.checked}]`);
        }
        for (const why of linkModeMismatches(mode, r.observed)) failures.push(`scenario ${s.id}/${mode}/${r.receiver}: ${why}`);
      }
    }
  }
  return failures;
}

/** The Markdown report (also the stdout table). */
export function thinLinkMarkdown(report: ThinLinkReport, failures: readonly string[] = thinLinkFailures(report)): string {
  const st = report.settings;
  const lines: string[] = [
    '# Thin-link bench',
    '',
    `${describeEnv(report.env)} · Chromium ${report.env.chromium}`,
    '',
    `${st.width}×${st.height} @ ${st.fps} fps requested, harness frames (${st.content === 'synthetic' ? 'synthetic content' : 'fake camera under the id strip: no quality figures'}), ${st.seconds} s per scenario and mode after ${st.warmupSeconds} s warm-up; ${st.tbf}. ` +
      'Latency = glass to glass (frame id drawn by the sender, read off what the receiver painted; the two browsers\' clock difference taken out). ' +
      'fps = frames captured in the window and painted. wire B/frame = IP bytes on the receiver\'s link per painted frame. ' +
      'PSNR/SSIM = median over pictures grabbed every 500 ms from the receiver\'s paint, scaled to the sender\'s size, against the sent picture with the same id (luma, below the id strip).',
    '',
  ];
  const rows = report.scenarios.flatMap((s) =>
    s.results.map((r) => [
      s.id,
      r.receiver,
      r.link,
      r.mode,
      r.p50Ms,
      r.p95Ms,
      r.p99Ms,
      r.maxMs,
      r.fps,
      r.wireBytesPerFrame,
      r.wireKbps,
      r.psnrDb,
      r.ssim,
      r.paintedSize,
    ]),
  );
  lines.push(markdownTable(['scenario', 'receiver', 'link', 'mode', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'fps', 'wire B/frame', 'wire kbit/s', 'PSNR dB', 'SSIM', 'painted'], rows));
  lines.push('', '## Ratios raw JPEG / WebRTC (same run, same caps)', '');
  lines.push(
    markdownTable(
      ['scenario', 'receiver', 'p50 ×', 'p95 ×', 'p99 ×', 'fps ×', 'wire B/frame ×', 'PSNR Δ dB'],
      thinLinkRatios(report).map((r) => [r.scenario, r.receiver, r.p50, r.p95, r.p99, r.fps, r.wireBytesPerFrame, r.psnrDeltaDb]),
    ),
  );
  const phased = report.scenarios.flatMap((s) => s.results.filter((r) => r.phases).map((r) => ({ s, r })));
  if (phased.length > 0) {
    lines.push('', '## Step phases', '');
    lines.push(
      markdownTable(
        ['scenario', 'mode', 'phase s', 'Mbit/s', 'frames', 'p50 ms', 'p95 ms', 'settled < 250 ms after s'],
        phased.flatMap(({ s, r }) => r.phases!.map((p) => [s.id, r.mode, `${p.fromS}–${p.toS}`, p.mbit === null ? 'unshaped' : p.mbit, p.frames, p.p50Ms, p.p95Ms, p.settleS])),
      ),
    );
  }
  lines.push('', 'Scenarios: ' + report.scenarios.map((s) => `**${s.id}** ${s.title}`).join('; ') + '.');
  lines.push(...failuresMarkdown(failures));
  return `${lines.join('\n')}\n`;
}

const PANEL = { width: 900, height: 260, left: 70, right: 150, top: 34, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Latency over time: one panel per scenario and receiver, log y axis (ms), x = capture time in the window (s); `compares` goes into the title. */
export function thinLinkSvg(report: ThinLinkReport, compares = 'raw JPEG vs WebRTC'): string {
  const panels: Array<{ title: string; results: ReceiverResult[]; steps: Array<{ at: number; label: string }> }> = [];
  for (const s of report.scenarios) {
    for (const receiver of [...new Set(s.results.map((r) => r.receiver))]) {
      const results = s.results.filter((r) => r.receiver === receiver);
      const steps = s.steps.filter((st) => st.home === receiver).map((st) => ({ at: st.at * report.settings.seconds, label: st.mbit === null ? 'unshaped' : `${st.mbit} Mbit/s` }));
      panels.push({ title: `${s.id}: ${s.title} — ${receiver} (${results[0]?.link ?? ''})`, results, steps });
    }
  }
  const width = PANEL.width;
  const height = Math.max(1, panels.length) * PANEL.height + 30;
  const plotW = width - PANEL.left - PANEL.right;
  const plotH = PANEL.height - PANEL.top - PANEL.bottom;
  const xMax = report.settings.seconds;
  const allMs = panels.flatMap((p) => p.results.flatMap((r) => r.series.map((pt) => pt[1])));
  const yMin = 10;
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(100, ...allMs)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Glass-to-glass latency over time, ${escapeXml(compares)} (${report.settings.width}×${report.settings.height} @ ${report.settings.fps} fps)</text>`,
  ];
  panels.forEach((panel, index) => {
    const top = 30 + index * PANEL.height;
    const x = (s: number): number => PANEL.left + (Math.min(Math.max(s, 0), xMax) / xMax) * plotW;
    const y = (ms: number): number => top + PANEL.top + (1 - (Math.log10(Math.min(Math.max(ms, yMin), yMax)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
    parts.push(`<text x="${PANEL.left}" y="${top + 22}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    const step = niceStep(xMax, 8);
    for (let s = 0; s <= xMax + 1e-9; s += step) {
      parts.push(`<line x1="${x(s).toFixed(1)}" y1="${top + PANEL.top}" x2="${x(s).toFixed(1)}" y2="${top + PANEL.top + plotH}" stroke="#eee"/>`);
      parts.push(`<text x="${x(s).toFixed(1)}" y="${top + PANEL.top + plotH + 16}" text-anchor="middle">${Number(s.toFixed(3))}</text>`);
    }
    for (let ms = yMin; ms <= yMax; ms *= 10) {
      for (const k of [1, 2, 5]) {
        const v = ms * k;
        if (v > yMax) break;
        parts.push(`<line x1="${PANEL.left}" y1="${y(v).toFixed(1)}" x2="${PANEL.left + plotW}" y2="${y(v).toFixed(1)}" stroke="${k === 1 ? '#ddd' : '#f3f3f3'}"/>`);
        if (k !== 5) parts.push(`<text x="${PANEL.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
      }
    }
    parts.push(`<line x1="${PANEL.left}" y1="${y(250).toFixed(1)}" x2="${PANEL.left + plotW}" y2="${y(250).toFixed(1)}" stroke="#c00" stroke-dasharray="5 4"/>`);
    parts.push(`<text x="${PANEL.left + plotW - 4}" y="${(y(250) - 4).toFixed(1)}" text-anchor="end" fill="#c00" font-size="10">250 ms target</text>`);
    for (const st of panel.steps) {
      parts.push(`<line x1="${x(st.at).toFixed(1)}" y1="${top + PANEL.top}" x2="${x(st.at).toFixed(1)}" y2="${top + PANEL.top + plotH}" stroke="#555" stroke-dasharray="3 3"/>`);
      parts.push(`<text x="${(x(st.at) + 4).toFixed(1)}" y="${top + PANEL.top + 12}" font-size="10">→ ${escapeXml(st.label)}</text>`);
    }
    parts.push(`<rect x="${PANEL.left}" y="${top + PANEL.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
    parts.push(`<text x="${PANEL.left + plotW / 2}" y="${top + PANEL.height - 6}" text-anchor="middle">capture time in the window, s</text>`);
    panel.results.forEach((r, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
      if (r.series.length > 0) {
        const d = r.series.map((pt, k) => `${k === 0 ? 'M' : 'L'}${x(pt[0]).toFixed(1)},${y(pt[1]).toFixed(1)}`).join('');
        parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.3"/>`);
      }
      const ly = top + PANEL.top + 14 + i * 30;
      parts.push(`<line x1="${PANEL.left + plotW + 12}" y1="${ly}" x2="${PANEL.left + plotW + 32}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
      parts.push(`<text x="${PANEL.left + plotW + 38}" y="${ly + 4}">${escapeXml(r.mode)}${r.series.length === 0 ? ' (no data)' : ''}</text>`);
      parts.push(`<text x="${PANEL.left + plotW + 38}" y="${ly + 18}" font-size="10" fill="#555">p95 ${r.p95Ms ?? '–'} ms, ${r.fps} fps</text>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * The latency bench's chart: the empirical CDF of capture→paint latency, one line per mode,
 * as a standalone SVG (no dependencies). X: latency in ms (0 to the largest p99 × 1.25,
 * so one outlier does not squash the plot; the lines run off the right edge); Y: fraction of
 * frames painted within that latency.
 */
import { cdfPoints, percentile } from '../web/stats/percentile.ts';

/** One line of the chart. */
export interface CdfSeries {
  /** Legend label, e.g. `jpeg`. */
  name: string;
  /** Latencies, ms. */
  values: readonly number[];
}

/** Options of `cdfSvg`. */
export interface CdfSvgOptions {
  /** Chart title. Default 'Capture → paint latency (CDF)'. */
  title?: string;
  /** Width and height of the SVG, px. Default 720 × 420. */
  width?: number;
  height?: number;
}

/** Line colours, in series order (colour-blind safe, Okabe–Ito). */
export const SERIES_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9'];

const MARGIN = { left: 60, right: 130, top: 40, bottom: 50 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" tick step (1, 2 or 5 × 10^n) giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 6): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/** The SVG text of a CDF chart of `series`. Series without values are listed in the legend as "no data". */
export function cdfSvg(series: readonly CdfSeries[], options: CdfSvgOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const title = options.title ?? 'Capture → paint latency (CDF)';
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const p99s = series.filter((s) => s.values.length > 0).map((s) => percentile(s.values, 99));
  const step = niceStep(Math.max(1, ...p99s) * 1.25);
  const xMax = Math.ceil((Math.max(1, ...p99s) * 1.25) / step) * step;
  const x = (ms: number): number => MARGIN.left + (Math.min(ms, xMax) / xMax) * plotW;
  const y = (fraction: number): number => MARGIN.top + (1 - fraction) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  for (let ms = 0; ms <= xMax + 1e-9; ms += step) {
    const px = x(ms).toFixed(1);
    parts.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${Number(ms.toFixed(6))}</text>`);
  }
  for (const f of [0, 0.25, 0.5, 0.75, 0.95, 1]) {
    const py = y(f).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" stroke="${f === 0.5 || f === 0.95 ? '#bbb' : '#e5e5e5'}"${f === 0.5 || f === 0.95 ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${(y(f) + 4).toFixed(1)}" text-anchor="end">${f}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">latency, ms</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">fraction of frames</text>`);
  series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    const points = cdfPoints(s.values, 600);
    if (points.length > 0) {
      // A step function: flat until the next value, then up.
      let d = `M${x(points[0]!.value).toFixed(1)},${y(0).toFixed(1)}`;
      let previous = 0;
      for (const p of points) {
        d += ` L${x(p.value).toFixed(1)},${y(previous).toFixed(1)} L${x(p.value).toFixed(1)},${y(p.fraction).toFixed(1)}`;
        previous = p.fraction;
      }
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2" data-series="${escapeXml(s.name)}"/>`);
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = MARGIN.left + plotW + 12;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 28}" y="${ly + 4}">${escapeXml(points.length ? s.name : `${s.name} (no data)`)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

import { describe, expect, it } from 'vitest';
import { cdfSvg, niceStep, SERIES_COLOURS } from './latency-chart.ts';

describe('cdfSvg', () => {
  const svg = cdfSvg([
    { name: 'jpeg', values: [10, 20, 30, 40] },
    { name: 'webrtc', values: [50, 60, 70, 80] },
    { name: 'bgra', values: [] },
  ]);

  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
  });

  it('draws one line per series with data, and lists every series in the legend', () => {
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain(`data-series="jpeg"`);
    expect(svg).toContain(`stroke="${SERIES_COLOURS[1]}"`);
    expect(svg).toContain('>bgra (no data)<');
  });

  it('scales x to 1.25 × the largest p99, rounded up to a tick', () => {
    // p99 of the webrtc series 50 60 70 80: rank 0.99·3 = 2.97 → 70 + 0.97·10 = 79.7; × 1.25 = 99.625
    // → ticks of 20, rounded up to 100.
    expect(svg).toContain('>100</text>');
    expect(svg).not.toContain('>120</text>');
  });

  it('escapes names', () => {
    expect(cdfSvg([{ name: 'a<b&c', values: [1] }])).toContain('a&lt;b&amp;c');
  });
});

describe('niceStep', () => {
  it('picks 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(100)).toBe(20);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(0.3)).toBe(0.05);
    expect(niceStep(0)).toBe(1);
  });
});

/**
 * CI smoke test of `npm run bench:latency --seconds 3`: every mode runs in headless Chromium
 * and paints frames, and the three result files are written. No timing is asserted (the
 * machine is shared); the figures only have to exist. Run `npm run build` first.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runLatencyBench } from './latency-run.ts';
import type { LatencyReport } from './latency-report.ts';

describe('bench:latency smoke', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures jpeg, bgra and webrtc for 3 s each and writes JSON, Markdown and SVG', async () => {
    dir = await mkdtemp(join(tmpdir(), 'framewire-latency-'));
    const report = await runLatencyBench({ seconds: 3, warmupSeconds: 1, resultsDir: dir });
    const written = JSON.parse(await readFile(join(dir, 'latency.json'), 'utf8')) as LatencyReport;
    expect(Object.keys(written.modes)).toEqual(['jpeg', 'bgra', 'webrtc']);
    for (const mode of ['jpeg', 'bgra', 'webrtc']) {
      const r = written.modes[mode]!;
      expect(r.frames, mode).toBeGreaterThan(0);
      expect(r.p50Ms, mode).toBeGreaterThan(0);
      expect(r.bytesPerFrame, mode).toBeGreaterThan(0);
    }
    // A BGRA frame is width×height×4 payload bytes plus the 40-byte header: 640×480 as set, or
    // a step down the ladder when congestion control shrank it (raw 640×480 @ 30 is ~295 Mbit/s
    // through one loaded 2-core machine), so the mean lies between the smallest step and 640×480.
    expect(written.modes['bgra']!.bytesPerFrame).toBeLessThanOrEqual(640 * 480 * 4 + 40);
    expect(written.modes['bgra']!.bytesPerFrame).toBeGreaterThanOrEqual(160 * 120 * 4 + 40);
    expect(written.modes['jpeg']!.hops?.encode.p50).not.toBeNull();
    expect(Object.keys(written.ratios)).toEqual(['jpeg', 'bgra']);
    expect(written.env.chromium).toMatch(/^\d+\./);
    expect(written).toEqual(JSON.parse(JSON.stringify(report)));
    const markdown = await readFile(join(dir, 'latency.md'), 'utf8');
    expect(markdown).toMatch(/\| webrtc +\|/);
    const svg = await readFile(join(dir, 'latency.svg'), 'utf8');
    expect(svg.match(/<path /g)).toHaveLength(3);
  });
});

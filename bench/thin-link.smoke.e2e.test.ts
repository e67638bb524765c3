/**
 * CI smoke test of `npm run bench:thin-link --smoke`: scenario b (receiver home 1 Mbit/s)
 * for a few seconds per mode, raw JPEG and WebRTC, each browser in its own network
 * namespace. Asserts that both modes produced latency and quality samples, that the three
 * result files were written, and that every namespace of the run is gone afterwards — also
 * when the run failed. No timing is asserted. Needs root (CI is root) and `npm run build`.
 *
 * Without root it fails and says so; `FRAMEWIRE_SKIP_NETNS=1` skips it explicitly (reported
 * as skipped, with the reason).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canCreateNamespaces, listNamespaces, removeStaleNamespaces } from './net/topology.ts';
import { thinLinkMain } from './thin-link.ts';
import type { ThinLinkReport } from './thin-link-run.ts';

/** The one switch that skips this test. */
const SKIP_SWITCH = 'FRAMEWIRE_SKIP_NETNS';

describe('bench:thin-link smoke', () => {
  let dir: string | undefined;
  const created: string[] = [];
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    // Whatever happened above, none of this run's namespaces may be left.
    const left = listNamespaces().filter((ns) => created.includes(ns));
    removeStaleNamespaces();
    expect(left, 'namespaces left behind by the run').toEqual([]);
  });

  it('measures raw JPEG and WebRTC behind a 1 Mbit/s receiver link and removes its namespaces', async (ctx) => {
    if (process.env[SKIP_SWITCH] === '1') ctx.skip(`${SKIP_SWITCH}=1: network-namespace tests skipped on request`);
    if (!canCreateNamespaces()) {
      throw new Error(`this test needs root (it creates network namespaces and tc caps) [uid:${process.getuid?.()}]: run it as root, or set ${SKIP_SWITCH}=1 to skip it`);
    }
    dir = await mkdtemp(join(tmpdir(), 'framewire-thin-link-'));
    await thinLinkMain({ smoke: true, seconds: 4, resultsDir: dir, onNamespaces: (names) => created.push(...names) });
    expect(created.length).toBe(3);
    expect(listNamespaces().filter((ns) => created.includes(ns))).toEqual([]);
    const written = JSON.parse(await readFile(join(dir, 'thin-link.json'), 'utf8')) as ThinLinkReport & { failures: string[] };
    const results = written.scenarios[0]!.results;
    expect(results.map((r) => r.mode)).toEqual(['jpeg', 'webrtc']);
    for (const r of results) {
      expect(r.frames, r.mode).toBeGreaterThan(0);
      expect(r.p50Ms, r.mode).toBeGreaterThan(0);
      expect(r.series.length, r.mode).toBeGreaterThan(0);
      expect(r.qualitySamples, r.mode).toBeGreaterThan(0);
      expect(r.psnrDb, r.mode).toBeGreaterThan(10);
      expect(r.wireBytesPerFrame, r.mode).toBeGreaterThan(0);
    }
    expect(written.failures).toEqual([]);
    expect(await readFile(join(dir, 'thin-link.md'), 'utf8')).toMatch(/\| b +\| recv +\| 1 Mbit\/s \| webrtc +\|/);
    expect((await readFile(join(dir, 'thin-link.svg'), 'utf8')).match(/<path /g)).toHaveLength(2);
  }, 240_000);
});

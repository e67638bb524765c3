/**
 * CI smoke test of `npm run bench:reach`: scenario o (unshaped homes) for a few seconds per
 * mode, raw JPEG forced onto WebSocket and onto an HTTP stream, each browser in its own
 * network namespace. Asserts that both modes produced latency samples, that each page
 * reported the transport its mode claims, that the report holds the HTTP/WebSocket ratio,
 * that the result files were written, and that every namespace of the run is gone
 * afterwards — also when the run failed. No timing is asserted. Needs root (CI is root) and
 * `npm run build`.
 *
 * Without root it fails and says so; `FRAMEWIRE_SKIP_NETNS=1` skips it explicitly (reported
 * as skipped, with the reason), as bench/thin-link.smoke does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canCreateNamespaces, listNamespaces, removeStaleNamespaces } from './net/topology.ts';
import type { reachSummary } from './reach-report.ts';
import { reachMain } from './reach.ts';
import { useTempDir } from './test-support/temp-dir.ts';
import type { ThinLinkReport } from './thin-link-run.ts';

/** The one switch that skips this test (the same as every network-namespace test's). */
const SKIP_SWITCH = 'FRAMEWIRE_SKIP_NETNS';

describe('bench:reach smoke', () => {
  const tempDir = useTempDir('framewire-reach-');

  it('measures raw JPEG over WebSocket and over an HTTP stream on unshaped homes, each on the transport it claims', async (ctx) => {
    if (process.env[SKIP_SWITCH] === '1') ctx.skip(`${SKIP_SWITCH}=1: network-namespace tests skipped on request`);
    if (!canCreateNamespaces()) throw new Error(`this test needs root (it creates network namespaces and tc caps) [uid:${process.getuid?.()}]: run it as root, or set ${SKIP_SWITCH}=1 to skip it`);
    const dir = await tempDir();
    const created: string[] = [];
    try {
      await reachMain({ smoke: true, seconds: 4, modes: ['ws', 'http'], resultsDir: dir, onNamespaces: (names) => created.push(...names) });
    } finally {
      // Whatever happened in the run, none of its namespaces may be left.
      const left = listNamespaces().filter((ns) => created.includes(ns));
      removeStaleNamespaces();
      expect(left, 'namespaces left behind by the run').toEqual([]);
    }
    expect(created.length).toBe(3);
    const written = JSON.parse(await readFile(join(dir, 'reach.json'), 'utf8')) as ThinLinkReport & ReturnType<typeof reachSummary> & { failures: string[] };
    expect(written.scenarios.map((s) => s.id)).toEqual(['o']);
    const results = written.scenarios[0]!.results;
    expect(results.map((r) => r.mode)).toEqual(['ws', 'http']);
    expect(results.map((r) => [r.observed?.senderTransport, r.observed?.receiverTransport])).toEqual([
      ['websocket', 'websocket'],
      ['http-stream', 'http-stream'],
    ]);
    for (const r of results) {
      expect(r.frames, r.mode).toBeGreaterThan(0);
      expect(r.p50Ms, r.mode).toBeGreaterThan(0);
      expect(r.wireBytesPerFrame, r.mode).toBeGreaterThan(0);
    }
    expect(written.failures).toEqual([]);
    expect(written.ratios.map((r) => [r.scenario, r.mode])).toEqual([['o', 'http']]);
    expect(written.ratios[0]!.p50).toBeGreaterThan(0);
    const md = await readFile(join(dir, 'reach.md'), 'utf8');
    expect(md).toMatch(/\| http +\| http-stream +\|/);
    expect(md).toMatch(/\| o +\| recv +\| http +\|/);
    expect((await readFile(join(dir, 'reach.svg'), 'utf8')).match(/<path /g)).toHaveLength(2);
  }, 240_000);
});

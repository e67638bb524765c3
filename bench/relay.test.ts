import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.ts';
import { runRelayBench, type RelayBenchResult } from './relay.ts';

describe('bench/relay.ts', () => {
  const tempDir = useTempDir('framewire-bench-relay-');

  // The shortest mode against the real relay and the bare-ws baseline, each in its own
  // process: every run must pass its own output checks (bytes received = bytes sent × fanout
  // − drops, something forwarded, valid frames). No timing or ratio is asserted.
  it('--smoke runs every case against both relays, passes its own checks and writes relay.json + relay.md', async () => {
    const dir = await tempDir();
    const result = await runRelayBench({ mode: 'smoke', resultsDir: dir });
    expect(result.ok).toBe(true);
    const names = result.cases.map((c) => c.case);
    expect(names.slice(0, 3)).toEqual(['1:1 50 KB max rate', '1:1 1.2 MB BGRA max rate', '1→7 fan-out 50 KB max rate']);
    expect(names.slice(3)).toEqual(['1 room × 2 @ 30 fps 50 KB', '4 rooms × 2 @ 30 fps 50 KB']);
    for (const c of result.cases) {
      for (const run of c.runs) {
        expect(run.failures).toEqual([]);
        expect(run.framesReceived).toBeGreaterThan(0);
      }
    }
    for (const c of result.cases.slice(0, 3)) {
      expect(c.framewireMBps).toBeGreaterThan(0);
      expect(c.baselineMBps).toBeGreaterThan(0);
      expect(c.ratio).toBeGreaterThan(0);
      expect(c.runs.map((r) => r.relay).sort()).toEqual(['baseline', 'framewire']);
    }
    expect(result.cases[2]!.fanout).toBe(7);
    expect(result.cases[1]!.frameBytes).toBe(40 + 640 * 480 * 4);

    const json = JSON.parse(await readFile(join(dir, 'relay.json'), 'utf8')) as RelayBenchResult;
    expect(json.env.node).toBe(process.version);
    expect(Object.keys(json.cases[0]!)).toEqual(
      expect.arrayContaining(['case', 'frameBytes', 'fanout', 'framewireMBps', 'baselineMBps', 'ratio', 'p50Ms', 'p99Ms', 'drops']),
    );
    const markdown = await readFile(join(dir, 'relay.md'), 'utf8');
    expect(markdown).toContain('| 1:1 50 KB max rate');
    expect(markdown).toContain('Rooms × 2 peers this machine holds');
  }, 120_000);
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.ts';
import { QUALITIES, runSharpBench, SIZES, syntheticFrame } from './sharp.ts';

describe('bench/sharp.ts', () => {
  const tempDir = useTempDir('framewire-bench-sharp-');

  describe('syntheticFrame', () => {
    it('is deterministic, opaque RGBA of the asked size', () => {
      const a = syntheticFrame(64, 48);
      expect(a.byteLength).toBe(64 * 48 * 4);
      expect(Buffer.compare(a, syntheticFrame(64, 48))).toBe(0);
      for (let i = 3; i < a.byteLength; i += 4) if (a[i] !== 255) throw new Error(`alpha ${a[i]} at ${i}`);
    });
  });

  // Shortest mode: every size × input × quality × mozjpeg combination is encoded and its own
  // checks pass (complete JPEG, right dimensions, BGRA path = RGBA path byte for byte). No timing asserted.
  it('--smoke encodes every combination, passes its own checks and writes sharp.json + sharp.md', async () => {
    const dir = await tempDir();
    const result = await runSharpBench({ mode: 'smoke', resultsDir: dir });
    expect(result.ok).toBe(true);
    expect(result.rows).toHaveLength(SIZES.length * 2 * QUALITIES.length * 2);
    expect(result.raw.map((r) => r.bytesPerFrame)).toEqual([40 + 640 * 480 * 4, 40 + 1280 * 720 * 4]);
    for (const row of result.rows) {
      expect(row.bytesPerFrame).toBeGreaterThan(40);
      expect(row.bytesPerFrame).toBeLessThan(40 + 1280 * 720 * 4);
    }
    // Higher quality never makes a smaller file of the same frame.
    const size = (q: number) => result.rows.find((r) => r.size === '640×480' && r.input === 'rgba' && !r.mozjpeg && r.quality === q)!.bytesPerFrame;
    expect(size(90)).toBeGreaterThan(size(50));
    const json = JSON.parse(await readFile(join(dir, 'sharp.json'), 'utf8')) as { env: { node: string } };
    expect(json.env.node).toBe(process.version);
    expect(await readFile(join(dir, 'sharp.md'), 'utf8')).toContain('## Raw BGRA (baseline)');
  }, 60_000);
});

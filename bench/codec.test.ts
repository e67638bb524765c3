import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.ts';
import { runCodecBench } from './codec.ts';

describe('bench/codec.ts', () => {
  const tempDir = useTempDir('framewire-bench-codec-');

  // Runs the bench in its shortest mode: its own output checks must pass and the results
  // must be written. No timing is asserted.
  it('--smoke measures every case, passes its own checks and writes codec.json + codec.md', async () => {
    const dir = await tempDir();
    const result = await runCodecBench({ mode: 'smoke', resultsDir: dir });
    expect(result.failures).toEqual([]);
    expect(result.header.encodeDecodeNs.median).toBeGreaterThan(0);
    expect(result.reader.map((r) => r.frames)).toEqual([3, 20]);
    expect(result.reader[0]!.framesCopied).toBe(3); // 1.2 MB frames always span 64 KiB chunks
    for (const r of result.reader) expect(r.readerMBps.median).toBeGreaterThan(0);
    expect(result.swizzle.map((s) => s.size)).toEqual(['640×480', '1280×720']);
    for (const s of result.swizzle) expect(Number.isFinite(s.alignedGBps.median) && s.alignedGBps.median > 0).toBe(true);
    const json = JSON.parse(await readFile(join(dir, 'codec.json'), 'utf8')) as { env: { node: string } };
    expect(json.env.node).toBe(process.version);
    expect(await readFile(join(dir, 'codec.md'), 'utf8')).toContain('swizzle RGBA→BGRA');
  });
});

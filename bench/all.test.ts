import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.ts';

describe('bench/all.ts', () => {
  const tempDir = useTempDir('framewire-bench-all-');

  // What CI runs, in its shortest mode: every bench completes and passes its own output
  // checks (exit 0), and the summary names each of them. No timing asserted.
  it('--smoke runs codec, relay and sharp and prints one summary table', async () => {
    const dir = await tempDir();
    const script = fileURLToPath(new URL('./all.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--smoke', '--results-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/\| bench \| case/);
    for (const bench of ['codec', 'relay', 'sharp']) expect(stdout).toMatch(new RegExp(`\\| ${bench} +\\| passed`));
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as { rows: unknown[][] };
    expect(new Set(summary.rows.map((r) => r[0]))).toEqual(new Set(['codec', 'relay', 'sharp']));
  }, 180_000);
});

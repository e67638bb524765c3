/** A fresh temporary directory per test for a bench's results, removed after the test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Registers the cleanup (call in a `describe`); the returned function makes the test's directory. */
export function useTempDir(prefix: string): () => Promise<string> {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return async () => (dir = await mkdtemp(join(tmpdir(), prefix)));
}

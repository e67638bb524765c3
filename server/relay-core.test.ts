import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every module `entry` loads at run time, transitively (relative imports; `import type` loads nothing), and the bare packages seen. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!));
      else packages.add(spec!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('RelayCore', () => {
  it('imports no ws and no HTTP: a transport is a PeerChannel, not a dependency of the core', () => {
    const { files, packages } = importGraph(fileURLToPath(new URL('./relay-core.ts', import.meta.url)));
    expect(files.size).toBeGreaterThan(10);
    expect([...packages].filter((p) => p === 'ws' || p.startsWith('ws/') || p === 'node:http' || p === 'node:https')).toEqual([]);
    expect([...files].filter((f) => f.includes('/channels/') && !f.endsWith('peer-channel.ts'))).toEqual([]);
  });
});

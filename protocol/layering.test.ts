/**
 * The folders' import rules, checked on the source text (the tsconfigs enforce the same
 * through types; this catches what a type-only path or a stray reference would let
 * through): codec/ and protocol/ import nothing but each other; browser code under web/
 * imports neither Node built-ins nor server/ nor the Node-side drivers in web-node/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/** Source files below `dir` (not tests), repo-relative. */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        // test-support/ holds test helpers (they import vitest), not shipped code.
        if (name !== 'node_modules' && name !== 'test-support') walk(path);
      } else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !/\.d\.ts$/.test(name)) {
        out.push(relative(root, path));
      }
    }
  };
  walk(join(root, dir));
  return out;
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)) {
    specs.push((m[1] ?? m[2] ?? m[3])!);
  }
  return specs;
}

/** Files of `dir` importing a specifier that `bad` matches, as `file → specifier`. */
function violations(dir: string, bad: (spec: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((file) => imports(file).filter((spec) => bad(spec, file)).map((spec) => `${file} → ${spec}`));
}

const isNode = (spec: string): boolean => spec.startsWith('node:') || ['fs', 'path', 'http', 'https', 'net', 'os', 'crypto', 'stream', 'child_process', 'ws', 'sharp', 'prom-client'].includes(spec);

describe('layering', () => {
  it('finds the source files it checks', () => {
    expect(sources('codec').length).toBeGreaterThan(3);
    expect(sources('protocol').length).toBeGreaterThan(3);
    expect(sources('web').length).toBeGreaterThan(30);
    expect(imports('protocol/index.ts')).toContain('./emitter.ts');
  });

  it('codec/ imports only codec/', () => {
    expect(violations('codec', (spec) => !spec.startsWith('./'))).toEqual([]);
  });

  it('protocol/ imports only protocol/ and codec/', () => {
    expect(violations('protocol', (spec) => !spec.startsWith('./') && !spec.startsWith('../codec/'))).toEqual([]);
  });

  it('web/ (browser code) imports no Node built-in, no server/, no web-node/', () => {
    expect(violations('web', (spec) => isNode(spec) || /(^|\/)server\//.test(spec) || spec.includes('web-node/'))).toEqual([]);
  });

  it('the rule can fail: a Node-side driver does import Node', () => {
    expect(violations('web-node', (spec) => isNode(spec)).length).toBeGreaterThan(0);
  });
});

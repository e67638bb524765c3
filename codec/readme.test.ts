import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const CODEC_INDEX = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
const TSX_CLI = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));

/** The ```ts blocks of the README. */
async function typescriptBlocks(): Promise<string[]> {
  const text = await readFile(README, 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** The `// prints: …` annotations of a block, in order: what it must write to stdout, line by line. */
function expectedOutput(block: string): string[] {
  return [...block.matchAll(/\/\/ prints: (.*)$/gm)].map((match) => match[1]!.trimEnd());
}

describe('README', () => {
  it('has TypeScript examples that print something to check', async () => {
    const blocks = await typescriptBlocks();
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(expectedOutput(block).length).toBeGreaterThan(0);
  });

  it('examples run as written and print what their comments say', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'framewire-readme-'));
    try {
      for (const [i, block] of (await typescriptBlocks()).entries()) {
        // The README imports the codec as a reader at the repository root would.
        const source = block.replaceAll("from './codec/index.ts'", `from '${CODEC_INDEX}'`);
        expect(source, 'example imports ./codec/index.ts').not.toBe(block);
        const file = join(dir, `example-${i}.mts`);
        await writeFile(file, source);
        const { stdout } = await promisify(execFile)(process.execPath, [TSX_CLI, file], { timeout: 30_000 });
        expect(stdout.trimEnd().split('\n'), `README example ${i}`).toEqual(expectedOutput(block));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

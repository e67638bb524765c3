import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from './test-client.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs `tsx server/main.ts ARGS` (node --import tsx: signals reach the relay itself, not a wrapper). */
function cli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const start = Date.now();
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match;
    if (Date.now() - start > timeoutMs) throw new Error(`output did not match ${pattern}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('relay CLI (server/main.ts)', () => {
  it('--help prints every option with its environment variable and default, and exits 0', async () => {
    const run = cli(['--help']);
    expect(await run.exited).toBe(0);
    const text = run.output();
    for (const s of ['--port N', 'FRAMEWIRE_PORT', 'default 8080', '--host', 'FRAMEWIRE_RECORD', '--transcode-quality', 'default 75', '--ice-servers', '--stun', '--turn-user', '--log-level', '[repeatable] add a STUN server']) {
      expect(text).toContain(s);
    }
  });

  it('refuses a bad option with status 2 and a message', async () => {
    const run = cli(['--port', 'eighty']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('--port must be an integer');
  });

  it('prints the URL to open, serves clients, and on SIGTERM closes them with 1001 and exits 0', async () => {
    // Port from the environment, to show FRAMEWIRE_* variables work.
    const run = cli(['--log-level', 'warn', '--static-dir', 'no-such-dir'], { FRAMEWIRE_PORT: '0' });
    const [, url] = await waitForOutput(run.output, /open (http:\/\/localhost:\d+\/) in a browser/);
    const health = await fetch(new URL('/healthz', url));
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const client = await connectClient(url!.replace('localhost', '127.0.0.1'), { room: 'cli', name: 'a' });
    run.child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: 1001, reason: 'shutting-down' });
    expect(await run.exited).toBe(0);
  });

  it('also shuts down gracefully on SIGINT', async () => {
    const run = cli(['--port', '0', '--log-level', 'silent']);
    await waitForOutput(run.output, /open http:\/\/localhost:\d+\//);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });
});

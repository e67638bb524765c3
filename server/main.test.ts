import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../bench/test-support/temp-dir.ts';
import { loadOrCreateSelfSignedCert } from './http/self-signed-cert.ts';
import { RedisServer } from '../web-node/redis-server.ts';
import { freePort } from '../web-node/free-port.ts';
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

/** GET `url` (https: any certificate accepted); the status, Location and the fingerprint of the certificate shown. */
function get(url: string): Promise<{ status: number | undefined; location: string | undefined; fingerprint: string | undefined }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      const fingerprint = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate().fingerprint256 : undefined;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, fingerprint }));
    };
    const req = url.startsWith('https:') ? httpsGet(url, { rejectUnauthorized: false, agent: false }, onResponse) : httpGet(url, { agent: false }, onResponse);
    req.on('error', reject);
  });
}

describe('relay CLI (server/main.ts)', () => {
  const tempDir = useTempDir('framewire-cli-');

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

  describe('TLS', () => {
    it('beyond loopback: https with a self-signed certificate kept in --data-dir, its fingerprint printed, http redirected', async () => {
      const dataDir = join(await tempDir(), 'data');
      const run = cli(['--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--static-dir', 'no-such-dir']);
      const [, url, port] = await waitForOutput(run.output, /open (https:\/\/localhost:(\d+)\/) in a browser/);
      const [, fingerprint] = await waitForOutput(run.output, /certificate SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n/);
      await waitForOutput(run.output, new RegExp(`self-signed, generated in ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: your browser will warn`));
      expect(existsSync(join(dataDir, 'cert.pem')) && existsSync(join(dataDir, 'key.pem'))).toBe(true);
      expect(await get(`https://127.0.0.1:${port}/healthz`)).toEqual({ status: 200, location: undefined, fingerprint });
      expect(await get(`${url!.replace('https:', 'http:')}healthz`)).toMatchObject({ status: 308, location: `https://localhost:${port}/healthz` });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    });

    it('with --tls-cert/--tls-key: serves them, and SIGHUP re-reads them (keeping the old pair if the new one is bad)', async () => {
      const dir = await tempDir();
      const [one, two] = await Promise.all([
        loadOrCreateSelfSignedCert({ dataDir: join(dir, 'one'), addresses: [] }),
        loadOrCreateSelfSignedCert({ dataDir: join(dir, 'two'), addresses: [] }),
      ]);
      const certFile = join(dir, 'cert.pem');
      const keyFile = join(dir, 'key.pem');
      await writeFile(certFile, one.cert);
      await writeFile(keyFile, one.key);
      const run = cli(['--port', '0', '--log-level', 'info', '--static-dir', 'no-such-dir'], { FRAMEWIRE_TLS_CERT: certFile, FRAMEWIRE_TLS_KEY: keyFile });
      const [, port] = await waitForOutput(run.output, /open https:\/\/localhost:(\d+)\/ in a browser/);
      // The lines after the first come in later writes: wait for them, do not just look.
      await waitForOutput(run.output, new RegExp(`certificate SHA-256 fingerprint: ${one.fingerprint}`));
      expect(run.output()).not.toContain('self-signed');
      expect((await get(`https://127.0.0.1:${port}/healthz`)).fingerprint).toBe(one.fingerprint);

      await writeFile(certFile, two.cert);
      await writeFile(keyFile, two.key);
      run.child.kill('SIGHUP');
      await waitForOutput(run.output, new RegExp(`"msg":"TLS certificate reloaded".*"fingerprint":"${two.fingerprint}"`));
      expect((await get(`https://127.0.0.1:${port}/healthz`)).fingerprint).toBe(two.fingerprint);

      await writeFile(keyFile, one.key); // the key of another certificate
      run.child.kill('SIGHUP');
      await waitForOutput(run.output, /"level":"error","msg":"TLS certificate reload failed: serving the previous one".*key-mismatch/);
      expect((await get(`https://127.0.0.1:${port}/healthz`)).fingerprint).toBe(two.fingerprint);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    });

    it('refuses a certificate without its key with status 2', async () => {
      const run = cli(['--tls-cert', 'cert.pem']);
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain('--tls-cert needs --tls-key');
    });

    it('fails to start, naming the file, when a certificate file cannot be read', async () => {
      const dir = await tempDir();
      const run = cli(['--port', '0', '--tls-cert', join(dir, 'missing.pem'), '--tls-key', join(dir, 'missing-key.pem')]);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`framewire: failed to start: cannot read TLS file [path:${join(dir, 'missing.pem')}]`);
    });
  });

  describe('cluster node (--redis)', () => {
    it('fails to start with status 1 and says so when Redis cannot be reached', async () => {
      const port = await freePort(); // nothing listens there
      const run = cli(['--port', '0', '--log-level', 'silent', '--redis', `redis://127.0.0.1:${port}`]);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`framewire: failed to start: cannot join the cluster: redis not reachable within 5000 ms [redis:redis://127.0.0.1:${port}]`);
    });

    it('joins the cluster and says which node it is', async () => {
      const redis = await RedisServer.start();
      try {
        const run = cli(['--port', '0', '--log-level', 'silent', '--redis', redis.url, '--node-id', 'cli-node', '--public-url', 'http://127.0.0.1:9/nodeA']);
        await waitForOutput(run.output, /cluster node cli-node: joins for rooms on other nodes are redirected; this node is reached at http:\/\/127\.0\.0\.1:9\/nodeA \(1 node live\)/);
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
      } finally {
        await redis.close();
      }
    });
  });
});


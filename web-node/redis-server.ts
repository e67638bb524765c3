/**
 * A real Redis — Debian's `redis-server` — for the cluster tests and bench: on 127.0.0.1 and
 * a free port, no persistence (`--save ''`, no AOF), its working directory a fresh temporary
 * one, nothing read from /etc. `stop` (SIGTERM, then SIGKILL) and `start` again on the SAME
 * port stand for an outage. When redis-server is missing, `start` throws and says how to
 * install it; tests that need it fail, they do not skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './find-binary.ts';
import { freePort } from './free-port.ts';

export const REDIS_INSTALL_HINT = 'apt-get install -y redis-server';
/** Longest wait for Redis to answer PING after start, ms. */
export const REDIS_START_TIMEOUT_MS = 10_000;

/** Path of `redis-server` on PATH (or /usr/bin, /usr/sbin, /usr/local/bin), or throws saying how to install it. */
export function findRedisServer(): string {
  return findBinary('redis-server', (dirs) => `redis-server not found [looked in: ${dirs}]: install it with \`${REDIS_INSTALL_HINT}\` (Debian/Ubuntu); a real Redis is needed, nothing skips.`);
}

export class RedisServer {
  readonly port: number;
  readonly #binary: string;
  readonly #dir: string;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(binary: string, port: number) {
    this.#binary = binary;
    this.port = port;
    this.#dir = mkdtempSync(join(tmpdir(), 'fw-redis-'));
  }

  /** Starts a Redis on a free port; resolves once it answers PING. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(findRedisServer(), await freePort());
    try {
      await server.restart();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts it again (after `stop`) on the same port, empty. */
  async restart(): Promise<void> {
    if (this.running) return;
    const child = spawn(this.#binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.#dir, '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = performance.now() + REDIS_START_TIMEOUT_MS;
    while (!(await ping(this.port))) {
      if (!this.running) throw new Error(`redis-server exited at start [code:${child.exitCode}]: ${this.#log.slice(-500)}`);
      if (performance.now() > deadline) throw new Error(`redis-server did not answer within ${REDIS_START_TIMEOUT_MS} ms: ${this.#log.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it (SIGTERM, SIGKILL after 3 s); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** True if a Redis on `port` answers PING. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

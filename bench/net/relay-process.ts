/**
 * The relay CLI (server/main.ts) as a child process inside a namespace:
 * `ip netns exec NS node --import tsx server/main.ts --host 0.0.0.0 --port P --static-dir DIR [ARGS…]`
 * (ARGS e.g. `--data-dir D`). By default it adds `--no-tls` — the benches open `http://IP:P/`
 * — while `tls: 'auto'` leaves it to the CLI, which on 0.0.0.0 serves HTTPS with a
 * self-signed certificate kept in `--data-dir`.
 * `start` resolves once it prints that it is listening (`banner` holds what it printed
 * until then, `scheme` the scheme of the first URL in it); `close()` sends SIGTERM, then
 * SIGKILL after a grace period, and is safe to call twice. (The topology's cleanup kills
 * whatever is left inside the namespace anyway.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { tailStderr } from '../../web-node/child-stderr.ts';

/** Repository root (where server/main.ts lives). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
/** Port the relay listens on inside its namespace (the namespace has its own port space). */
export const DEFAULT_RELAY_PORT = 8080;
/** Longest wait for the relay to listen, ms. */
export const RELAY_START_TIMEOUT_MS = 30_000;
/** Grace period between SIGTERM and SIGKILL, ms. */
export const RELAY_STOP_GRACE_MS = 3_000;

/** Options of `startRelayProcess`. */
export interface RelayProcessOptions {
  /** Namespace to run in. Required. */
  ns: string;
  /** The built web app. Required. */
  staticDir: string;
  /** Port inside the namespace. Default 8080. */
  port?: number;
  /** Relay log level. Default 'warn'. */
  logLevel?: string;
  /** Lines the relay prints to stderr. Default: dropped. */
  log?: (line: string) => void;
  /** 'plain': `--no-tls` (plain HTTP); 'auto': the CLI's own rule (self-signed HTTPS on 0.0.0.0). Default 'plain'. */
  tls?: 'plain' | 'auto';
  /** More CLI flags, after the others (e.g. `['--data-dir', dir]`). Default none. */
  args?: readonly string[];
}

/** A running relay child. */
export interface RelayProcess {
  readonly port: number;
  readonly pid: number | undefined;
  /** What the relay printed to stdout up to its "listening" line. */
  readonly banner: string;
  /** Scheme of the first URL in the banner ('http' if it printed none). */
  readonly scheme: 'http' | 'https';
  close(): Promise<void>;
}

/** Starts the relay in `ns` and waits until it listens; throws (and kills it) on exit or timeout. */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const port = options.port ?? DEFAULT_RELAY_PORT;
  const args = ['netns', 'exec', options.ns, process.execPath, '--import', 'tsx', 'server/main.ts', '--host', '0.0.0.0', '--port', String(port), '--static-dir', options.staticDir, '--log-level', options.logLevel ?? 'warn', ...((options.tls ?? 'plain') === 'plain' ? ['--no-tls'] : []), ...(options.args ?? [])];
  const child: ChildProcess = spawn('ip', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tailStderr(child, options.log);
  let exited = false;
  let banner = '';
  const exit = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  const close = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), RELAY_STOP_GRACE_MS);
    await exit;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`relay did not listen within ${RELAY_START_TIMEOUT_MS} ms [ns:${options.ns}] ${stderr()}`)), RELAY_START_TIMEOUT_MS);
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        out += chunk;
        if (/listening/.test(out)) {
          banner = out;
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`relay exited before listening [ns:${options.ns}, code:${code}, signal:${signal}]: ${stderr().trim()}`));
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  child.stdout?.resume();
  const scheme = /\b(https?):\/\//.exec(banner)?.[1] === 'https' ? 'https' : 'http';
  return { port, pid: child.pid, banner, scheme, close };
}

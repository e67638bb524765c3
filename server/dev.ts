/**
 * `npm run dev`: the relay and the web app with hot reload, one command.
 *
 * - the relay runs as a child under `tsx watch` (server/main.ts; restarted when a file it
 *   imports changes — open pages reconnect by themselves), on FRAMEWIRE_RELAY_PORT
 *   (default 8787); any other relay option can be given as FRAMEWIRE_* variables or after
 *   `--` (`npm run dev -- --record recordings`);
 * - vite's dev server (vite.config.ts: root web/) on FRAMEWIRE_DEV_PORT (default 5173) with
 *   hot module reload, proxying `/ws` and `/fw` to the relay, which therefore speaks plain
 *   HTTP (`--no-tls`) whatever `--host` it is given.
 * Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

/** Port of the relay in dev. */
export const DEFAULT_DEV_RELAY_PORT = 8787;
/** Port of vite's dev server. */
export const DEFAULT_DEV_PORT = 5173;

function port(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new TypeError(`${name} must be a port number [${name}:${text}]`);
  return value;
}

async function main(): Promise<void> {
  const relayPort = port('FRAMEWIRE_RELAY_PORT', DEFAULT_DEV_RELAY_PORT);
  const devPort = port('FRAMEWIRE_DEV_PORT', DEFAULT_DEV_PORT);
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  process.env['FRAMEWIRE_RELAY_URL'] = relayUrl; // read by vite.config.ts for the /ws proxy

  const relay: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.resolve('tsx/cli')), 'watch', '--clear-screen=false', 'server/main.ts', '--port', String(relayPort), ...process.argv.slice(2), '--no-tls'],
    { stdio: 'inherit', env: { ...process.env, FRAMEWIRE_LOG_LEVEL: process.env['FRAMEWIRE_LOG_LEVEL'] ?? 'info' } },
  );

  const vite = await createServer({ configFile: 'vite.config.ts', server: { port: devPort, strictPort: false } });
  await vite.listen();
  const local = vite.resolvedUrls?.local[0] ?? `http://localhost:${devPort}/`;
  process.stdout.write(`\nframewire dev — open ${local} (hot reload); relay on ${relayUrl}, /ws proxied\n\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    relay.kill('SIGTERM');
    void vite.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  relay.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`relay exited [code:${code}, signal:${signal}]\n`);
      stop();
    }
  });
}

void main();

/**
 * The relay CLI: `npm start -- --port 8080` (`npm start -- --help` lists every option).
 * Starts the relay serving the built web app, attaches server-side media, prints the URL
 * to open, and shuts down gracefully on SIGINT/SIGTERM (close 1001 to all, exit 0).
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { CliError, helpText, parseCli } from './cli-options.ts';
import { createLogger } from './logger.ts';
import { attachMedia } from './media/index.ts';
import { startRelay } from './relay.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`framewire: ${error.message}\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  const logger = createLogger({ level: config.relay.logLevel, base: { component: 'relay' } });
  const staticDir = resolve(config.relay.staticDir);
  if (!existsSync(resolve(staticDir, 'index.html'))) {
    logger.warn('web app not built: / shows nothing useful (run `npm run build`, or `npm start` which builds first)', { staticDir });
  }
  const relay = await startRelay({ ...config.relay, staticDir, logger });
  const media = attachMedia(relay, config.media);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    void (async () => {
      await media.close().catch((error: unknown) => logger.error('media close failed', { error }));
      await relay.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const urls = openUrls(config.relay.host, relay.port);
  process.stdout.write(`framewire relay listening — open ${urls[0]} in a browser\n`);
  for (const url of urls.slice(1)) process.stdout.write(`  also reachable at ${url}\n`);
  process.stdout.write(`  health: ${relay.url}/healthz   metrics: ${relay.url}/metrics   stop: Ctrl-C\n`);
}

/** URLs a person can open: localhost first (a secure context, so the camera works), then LAN addresses when listening on all interfaces. */
function openUrls(host: string, port: number): string[] {
  const local = `http://localhost:${port}/`;
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') return [local];
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return [`http://${host.includes(':') ? `[${host}]` : host}:${port}/`];
  const lan: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) lan.push(`http://${a.address}:${port}/`);
  }
  return [local, ...lan];
}

main().catch((error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  const hint = code === 'EADDRINUSE' ? ' (port in use: pick another with --port N, or --port 0 for any free port)' : code === 'EACCES' ? ' (ports below 1024 need privileges: use --port 8080)' : '';
  process.stderr.write(`framewire: failed to start: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
  process.exit(1);
});

/**
 * The relay CLI: `npm start -- --port 8080` (`npm start -- --help` lists every option).
 * Starts the relay serving the built web app — over HTTPS when http/tls-setup.ts says so —
 * attaches server-side media, prints the URLs to open (and the certificate's fingerprint),
 * re-reads `--tls-cert`/`--tls-key` on SIGHUP, and shuts down gracefully on SIGINT/SIGTERM
 * (close 1001 to all, exit 0).
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { CliError, helpText, parseCli } from './cli-options.ts';
import { prepareTls, tlsSummary } from './http/tls-setup.ts';
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
  const tls = await prepareTls(config.relay.host, config.tls);
  const relay = await startRelay({ ...config.relay, staticDir, logger, createServer: tls.createServer });
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
  if (tls.mode === 'files') {
    process.on('SIGHUP', () => {
      tls.reload().then(
        (c) => logger.info('TLS certificate reloaded', { certFile: tls.certFile, fingerprint: c.fingerprint, notAfter: c.notAfter.toISOString() }),
        (error: unknown) => logger.error('TLS certificate reload failed: serving the previous one', { error }),
      );
    });
  }

  const scheme = tls.mode === 'plain' ? 'http' : 'https';
  const urls = openUrls(scheme, config.relay.host, relay.port);
  process.stdout.write(`framewire relay listening — open ${urls[0]} in a browser\n`);
  for (const url of urls.slice(1)) process.stdout.write(`  also reachable at ${url}\n`);
  for (const line of tlsSummary(tls)) process.stdout.write(`  ${line}\n`);
  const cluster = relay.cluster;
  if (cluster !== undefined) {
    process.stdout.write(`  cluster node ${cluster.nodeId}: joins for rooms on other nodes are redirected; this node is reached at ${cluster.url} (${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'} live)\n`);
    if (config.relay.cluster?.publicUrl === undefined && !['127.0.0.1', 'localhost', '::1'].includes(config.relay.host)) {
      logger.warn('no --public-url: other nodes redirect clients to this node at its own address, which may not be reachable through your load balancer', { url: cluster.url });
    }
  }
  process.stdout.write(`  health: ${relay.url}/healthz   metrics: ${relay.url}/metrics   stop: Ctrl-C\n`);
}

/** URLs a person can open: localhost first (a secure context, so the camera works), then LAN addresses when listening on all interfaces. */
function openUrls(scheme: 'http' | 'https', host: string, port: number): string[] {
  const local = `${scheme}://localhost:${port}/`;
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') return [local];
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return [`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`];
  const lan: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) lan.push(`${scheme}://${a.address}:${port}/`);
  }
  return [local, ...lan];
}

main().catch((error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  const hint = code === 'EADDRINUSE' ? ' (port in use: pick another with --port N, or --port 0 for any free port)' : code === 'EACCES' ? ' (ports below 1024 need privileges: use --port 8080)' : '';
  process.stderr.write(`framewire: failed to start: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
  process.exit(1);
});

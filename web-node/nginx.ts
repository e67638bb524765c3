/**
 * A real nginx (Debian `nginx-light`) as a reverse proxy in front of a relay, for the
 * "Reach" tests: is the relay usable behind the proxy config people actually write?
 *
 * Two profiles of the site config (`nginxSiteConfig`, also what the deployment docs show):
 * - `'stock'`: `location / { proxy_pass http://UPSTREAM; }` and nothing else — nginx's
 *   defaults: HTTP/1.0 to the upstream, the `Upgrade`/`Connection` hop-by-hop headers
 *   dropped (so a WebSocket upgrade never reaches the relay: it answers the plain GET with
 *   426), responses buffered.
 * - `'websocket'`: the documented config — HTTP/1.1 to the upstream, `Upgrade` and
 *   `Connection` passed on (the usual `map $http_upgrade $connection_upgrade`), no response
 *   buffering, request bodies up to 16 MiB.
 *
 * And a third config for a cluster of relay nodes (`nginxClusterSiteConfig`, the shape
 * docs/deployment.md › Several nodes shows): one `location /nK/` per node (its
 * `--public-url` prefix, stripped) and `location /` to a sticky (`ip_hash`) upstream of all
 * nodes, the entry point; `startNginxCluster` runs it.
 *
 * `startNginx` writes a whole `nginx.conf` (`nginxConfig`: the site config inside a small
 * main/events/http frame, every log, pid and temp path inside a fresh prefix directory,
 * one worker, listening on a free 127.0.0.1 port) and runs
 * `nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off; pid DIR/nginx.pid;'`
 * in the foreground. `close()` stops it (SIGQUIT, then SIGKILL) and removes the directory;
 * safe to call twice. When nginx is missing it throws (tests fail, they do not skip).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailStderr } from './child-stderr.ts';
import { freePort } from './free-port.ts';

/** Where nginx is looked for, in order. `NGINX_PATH` overrides. */
export const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
/** How to get it on Debian/Ubuntu (in the error when it is missing). */
export const NGINX_INSTALL_HINT = 'apt-get install -y nginx-light';
/** Longest wait for nginx to accept connections, ms. */
export const NGINX_START_TIMEOUT_MS = 10_000;
/** Grace period between SIGQUIT (graceful stop) and SIGKILL, ms. */
export const NGINX_STOP_GRACE_MS = 2_000;
/** `client_max_body_size` of the 'websocket' profile. */
export const WEBSOCKET_PROFILE_MAX_BODY = '16m';
/** Times a start is retried when the free port was taken in between. */
const START_ATTEMPTS = 3;

/** Which proxy config (see the file comment). */
export type NginxProfile = 'stock' | 'websocket';

/** Why nginx could not be found or started. */
export class NginxError extends Error {
  override readonly name = 'NginxError';
  readonly code: 'not-installed' | 'start-failed' | 'bad-option';

  private constructor(code: NginxError['code'], message: string) {
    super(message);
    this.code = code;
  }

  static notInstalled(candidates: readonly string[]): NginxError {
    return new NginxError('not-installed', `nginx not found [looked in: ${candidates.join(', ')}]: install it with \`${NGINX_INSTALL_HINT}\` (Debian/Ubuntu), or set NGINX_PATH`);
  }

  static startFailed(detail: string, errorLog: string): NginxError {
    return new NginxError('start-failed', `nginx did not start [${detail}]${errorLog.trim() ? `: ${errorLog.trim().slice(-2000)}` : ''}`);
  }

  static badOption(name: string, value: unknown): NginxError {
    return new NginxError('bad-option', `bad nginx option [${name}:${String(value)}]`);
  }
}

/** Path of the nginx binary, or throws `NginxError.notInstalled` (its message says `apt-get install -y nginx-light`). */
export function findNginx(): string {
  const override = process.env['NGINX_PATH'];
  const candidates = override ? [override] : NGINX_CANDIDATES;
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw NginxError.notInstalled(candidates);
  return found;
}

/** Options of `nginxSiteConfig`. */
export interface NginxSiteOptions {
  /** Which config. Required. */
  profile: NginxProfile;
  /** Where the relay is: `host:port` (what follows `http://` in `proxy_pass`). Required. */
  upstream: string;
  /** The `listen` argument. Default `80`. */
  listen?: string;
  /** `server_name`. Default: none (the directive is left out). */
  serverName?: string;
}

/**
 * The part of an nginx config a user writes for the relay: for 'websocket' the `map` (which
 * belongs in the `http` block) and the `server` block; for 'stock' the `server` block only.
 */
export function nginxSiteConfig(options: NginxSiteOptions): string {
  const { profile, upstream } = options;
  if (!/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(upstream)) throw NginxError.badOption('upstream', upstream);
  const listen = options.listen ?? '80';
  const serverName = options.serverName === undefined ? [] : [`    server_name ${options.serverName};`];
  if (profile === 'stock') {
    return [
      'server {',
      `    listen ${listen};`,
      ...serverName,
      '',
      '    location / {',
      `        proxy_pass http://${upstream};`,
      '    }',
      '}',
      '',
    ].join('\n');
  }
  if (profile !== 'websocket') throw NginxError.badOption('profile', profile);
  return [
    '# WebSocket upgrade: pass the client\'s Upgrade on, and "Connection: upgrade" only with it.',
    'map $http_upgrade $connection_upgrade {',
    '    default upgrade;',
    "    ''      close;",
    '}',
    '',
    'server {',
    `    listen ${listen};`,
    ...serverName,
    '',
    '    location / {',
    `        proxy_pass http://${upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Upgrade $http_upgrade;',
    '        proxy_set_header Connection $connection_upgrade;',
    '        # The HTTP fallback streams frames: pass them on as they come.',
    '        proxy_buffering off;',
    '        # Frames are POSTed one per request; a raw 1280×720 BGRA frame is 3.7 MB.',
    `        client_max_body_size ${WEBSOCKET_PROFILE_MAX_BODY};`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/** Options of `nginxConfig`. */
export interface NginxConfigOptions extends Omit<NginxSiteOptions, 'listen'> {
  /** The prefix directory: logs and temp files go there. Required. */
  dir: string;
  /** Port on 127.0.0.1 to listen on. Required. */
  port: number;
}

/**
 * The whole `nginx.conf` of a test run: one worker, logs and temp paths in `dir`, the site
 * config of `nginxSiteConfig` listening on `127.0.0.1:port`. (`pid` and `daemon` come from `-g`.)
 */
export function nginxConfig(options: NginxConfigOptions): string {
  return testRunConfig(options, (listen) => nginxSiteConfig({ ...options, listen }));
}

/** The checked `dir` and `port` of a test run, and the site (given its `listen`) inside the main config. */
function testRunConfig({ dir, port }: { dir: string; port: number }, site: (listen: string) => string): string {
  checkPort(port);
  checkDir(dir);
  return mainConfig(dir, site(`127.0.0.1:${port}`));
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw NginxError.badOption('port', port);
}

function checkDir(dir: string): void {
  if (!/^[^\s;{}'"]+$/.test(dir)) throw NginxError.badOption('dir', dir);
}

/** `site` inside the main/events/http frame of a test run (see `nginxConfig`). */
function mainConfig(dir: string, site: string): string {
  const indented = site
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
  return [
    'worker_processes 1;',
    `error_log ${dir}/error.log info;`,
    '',
    'events {',
    '    worker_connections 256;',
    '}',
    '',
    'http {',
    `    access_log ${dir}/access.log;`,
    `    client_body_temp_path ${dir}/tmp/client_body;`,
    `    proxy_temp_path ${dir}/tmp/proxy;`,
    `    fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `    uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `    scgi_temp_path ${dir}/tmp/scgi;`,
    '',
    indented.trimEnd(),
    '}',
    '',
  ].join('\n');
}

/** A relay node behind the cluster config (`nginxClusterSiteConfig`). */
export interface NginxClusterNode {
  /** Its path prefix, without slashes: `n1` → `location /n1/` (the node's `--public-url` is `…/n1`). Required. */
  prefix: string;
  /** Where it listens: `host:port` or an `http://host:port` URL. Required. */
  upstream: string;
}

/** Options of `nginxClusterSiteConfig`. */
export interface NginxClusterSiteOptions {
  /** The nodes, each reached under its prefix and all of them behind the entry `location /`. Required, at least one. */
  nodes: readonly NginxClusterNode[];
  /** The `listen` argument. Default `80`. */
  listen?: string;
  /** `server_name`. Default: none (the directive is left out). */
  serverName?: string;
  /** Name of the entry point's `upstream` block. Default `framewire_entry`. */
  upstreamName?: string;
}

/**
 * The site config of a cluster behind one nginx (docs/deployment.md › Several nodes): the
 * upgrade `map`, an `upstream` of every node with `ip_hash`, and one `server` whose
 * `location /nK/` proxies to node K with the prefix stripped (`/n2/ws` → node 2's `/ws`) and
 * whose `location /` is the entry point. Every location passes the WebSocket upgrade on,
 * streams (`proxy_buffering off`, reads up to an hour: the HTTP fallback's `/fw/stream`) and
 * takes frame-sized bodies.
 *
 * NOTE: the entry point must be sticky. The HTTP channel's `POST /fw/session` makes a session
 * on the node that answers it, and the session's later requests (`/fw/stream`, `/fw/send`, …)
 * carry only its token: through a round-robin upstream they would reach nodes that do not
 * know it. `ip_hash` keeps one client address on one node. (On loopback every client is
 * 127.0.0.1, so all entry traffic goes to one node — which is fine: that node places rooms on
 * the least-loaded node and redirects the joins it does not keep.) Redirected connections go
 * to `/nK/` and are pinned by the path.
 */
export function nginxClusterSiteConfig(options: NginxClusterSiteOptions): string {
  const { nodes } = options;
  if (nodes.length === 0) throw NginxError.badOption('nodes', '(none)');
  const name = options.upstreamName ?? 'framewire_entry';
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw NginxError.badOption('upstreamName', name);
  const hosts = nodes.map((node) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(node.prefix)) throw NginxError.badOption('prefix', node.prefix);
    const host = upstreamOf(node.upstream);
    if (!/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(host)) throw NginxError.badOption('upstream', node.upstream);
    return host;
  });
  if (new Set(nodes.map((n) => n.prefix)).size !== nodes.length) throw NginxError.badOption('prefix', 'the same twice');
  const listen = options.listen ?? '80';
  const serverName = options.serverName === undefined ? [] : [`    server_name ${options.serverName};`];
  return [
    '# WebSocket upgrade: pass the client\'s Upgrade on, and "Connection: upgrade" only with it.',
    'map $http_upgrade $connection_upgrade {',
    '    default upgrade;',
    "    ''      close;",
    '}',
    '',
    '# The entry point: any node finds the room\'s node and redirects the join there.',
    '# Sticky by client address: an HTTP-channel session\'s requests after POST /fw/session',
    '# carry only its token, so they must reach the node that made it.',
    `upstream ${name} {`,
    '    ip_hash;',
    ...hosts.map((host) => `    server ${host};`),
    '}',
    '',
    'server {',
    `    listen ${listen};`,
    ...serverName,
    '',
    '    # Every location: WebSocket upgrade, no response buffering and long reads (the HTTP',
    '    # fallback streams frames on /fw/stream), one frame per POST.',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Connection $connection_upgrade;',
    '    proxy_set_header Host $host;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_buffering off;',
    '    proxy_read_timeout 1h;',
    '    proxy_send_timeout 1h;',
    '    proxy_connect_timeout 2s;',
    `    client_max_body_size ${WEBSOCKET_PROFILE_MAX_BODY};`,
    '',
    '    # Each node under its --public-url prefix, stripped: /n2/ws → node n2\'s /ws.',
    ...nodes.flatMap((node, i) => [`    location /${node.prefix}/ {`, `        proxy_pass http://${hosts[i]!}/;`, '    }']),
    '',
    '    location / {',
    `        proxy_pass http://${name};`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/** Options of `nginxClusterConfig`. */
export interface NginxClusterConfigOptions extends Omit<NginxClusterSiteOptions, 'listen'> {
  /** The prefix directory: logs and temp files go there. Required. */
  dir: string;
  /** Port on 127.0.0.1 to listen on. Required. */
  port: number;
}

/** The whole `nginx.conf` of a test run (as `nginxConfig`) with the cluster site config of `nginxClusterSiteConfig`. */
export function nginxClusterConfig(options: NginxClusterConfigOptions): string {
  return testRunConfig(options, (listen) => nginxClusterSiteConfig({ ...options, listen }));
}

/** Options of `startNginx`. */
export interface StartNginxOptions {
  /** Which config. Required. */
  profile: NginxProfile;
  /** The relay: its URL (`http://127.0.0.1:8080`) or `host:port`. Required. */
  upstream: string;
  /** Lines nginx prints to stderr. Default: dropped (the error log keeps them). */
  log?: (line: string) => void;
}

/** A running nginx of any config; `close()` stops it and removes its directory, safe to call twice. */
export interface NginxProcess {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The prefix directory (config, logs). */
  readonly dir: string;
  /** The config nginx runs with. */
  readonly config: string;
  readonly pid: number | undefined;
  /** The error log so far ('' once closed). */
  errorLog(): Promise<string>;
  /** The access log so far ('' once closed). */
  accessLog(): Promise<string>;
  close(): Promise<void>;
}

/** A running nginx in front of one relay (`startNginx`). */
export interface RunningNginx extends NginxProcess {
  readonly profile: NginxProfile;
}

/** Starts nginx in front of `upstream` and waits until it accepts connections. Throws `NginxError`. */
export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  const upstream = upstreamOf(options.upstream);
  const running = await startRetrying((dir, port) => nginxConfig({ dir, port, profile: options.profile, upstream }), undefined, options.log);
  return { ...running, profile: options.profile };
}

/** Options of `startNginxCluster`. */
export interface StartNginxClusterOptions {
  /** The relay nodes (see `nginxClusterSiteConfig`). Required. */
  nodes: readonly NginxClusterNode[];
  /**
   * Port on 127.0.0.1 to listen on — one the nodes' `--public-url` already names (pick it
   * with `freePort()` before starting them). Default: a free one.
   */
  port?: number;
  /** Lines nginx prints to stderr. Default: dropped (the error log keeps them). */
  log?: (line: string) => void;
}

/** A running nginx in front of a cluster (`startNginxCluster`). */
export interface RunningNginxCluster extends NginxProcess {
  readonly nodes: readonly NginxClusterNode[];
  /** The base URL of the node under `prefix` through this nginx: `http://127.0.0.1:PORT/n1`. */
  nodeUrl(prefix: string): string;
}

/** Starts nginx in front of a cluster (`nginxClusterSiteConfig`) and waits until it accepts connections. Throws `NginxError`. */
export async function startNginxCluster(options: StartNginxClusterOptions): Promise<RunningNginxCluster> {
  const nodes = options.nodes.map((node) => ({ ...node }));
  if (options.port !== undefined) checkPort(options.port);
  const running = await startRetrying((dir, port) => nginxClusterConfig({ dir, port, nodes }), options.port, options.log);
  return { ...running, nodes, nodeUrl: (prefix) => `${running.url}/${prefix}` };
}

/** `startOnce`, again while the free port it picked was taken in between (not for a port given: that would not change). */
async function startRetrying(makeConfig: (dir: string, port: number) => string, port: number | undefined, log: ((line: string) => void) | undefined): Promise<NginxProcess> {
  const binary = findNginx();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, makeConfig, port ?? (await freePort()), log);
    } catch (error) {
      // NOTE: the free port is found by binding port 0 and closing; another process may take
      // it before nginx binds. That (and only that) is worth another try.
      const inUse = error instanceof NginxError && /Address already in use/.test(error.message);
      if (!inUse || port !== undefined || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** `http://h:p/x` → `h:p`; `h:p` as is. */
function upstreamOf(value: string): string {
  if (/^https?:\/\//.test(value)) {
    const url = new URL(value);
    if (url.protocol !== 'http:') throw NginxError.badOption('upstream', value);
    return url.host;
  }
  return value;
}

async function startOnce(binary: string, makeConfig: (dir: string, port: number) => string, port: number, log: ((line: string) => void) | undefined): Promise<NginxProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'framewire-nginx-'));
  // NOTE: run as root, nginx's workers drop to `nobody`: they must reach the temp paths.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'tmp'), { mode: 0o777 });
  await chmod(join(dir, 'tmp'), 0o777);
  let config: string;
  try {
    config = makeConfig(dir, port);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await writeFile(join(dir, 'nginx.conf'), config);
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${dir}/nginx.pid;`];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = tailStderr(child, log);
  let exited = false;
  let exitDetail = '';
  const exit = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitDetail = `code:${code}, signal:${signal}`;
      done();
    }),
  );
  child.once('error', (error) => {
    exited = true;
    exitDetail = error.message;
  });
  const readLog = async (name: string): Promise<string> => readFile(join(dir, name), 'utf8').catch(() => '');
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (!exited) {
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), NGINX_STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + NGINX_START_TIMEOUT_MS;
  try {
    for (;;) {
      if (exited) throw NginxError.startFailed(`exited, ${exitDetail}`, `${stderr()}\n${await readLog('error.log')}`);
      // NOTE: nginx writes its pid file only once every listening socket is bound, so a
      // connection accepted before that could be another process's on a reused port.
      if (existsSync(join(dir, 'nginx.pid')) && (await accepts(port))) break;
      if (Date.now() > deadline) throw NginxError.startFailed(`not listening on 127.0.0.1:${port} within ${NGINX_START_TIMEOUT_MS} ms`, await readLog('error.log'));
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    config,
    pid: child.pid,
    errorLog: () => readLog('error.log'),
    accessLog: () => readLog('access.log'),
    close,
  };
}

/** True if something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

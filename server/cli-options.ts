/**
 * Options of the relay CLI (server/main.ts): every option is a flag (`--port 8080` or
 * `--port=8080`) and an environment variable (`FRAMEWIRE_PORT=8080`); flags win.
 * Repeatable flags (`--stun a --stun b`) keep every value; their environment variable holds
 * a comma- or whitespace-separated list. Switches (`--no-tls`) take no value; their
 * environment variable is `1`/`true`/`yes` or `0`/`false`/`no`. One table (`SPECS`) drives
 * parsing (`node:util` `parseArgs`), validation and `--help`.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { IceServerError, parseIceServers, type IceServer } from '../protocol/index.ts';
import type { TlsOptions } from './http/tls-setup.ts';
import type { MediaOptions } from './media/index.ts';
import { isLogLevel, LOG_LEVELS, withoutCredentials, type LogLevel } from './logger.ts';
import {
  DEFAULT_CONTROL_BURST,
  DEFAULT_CONTROL_RATE_PER_SECOND,
  DEFAULT_FEEDBACK_TARGET_DELAY_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_RESUME_GRACE_MS,
  DEFAULT_MAX_CHAT_CHARS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PEERS_PER_ROOM,
  type RelayOptions,
} from './relay.ts';
import { hasTurnServer } from '../protocol/index.ts';
import { AddressSet } from './http/client-address.ts';
import {
  DEFAULT_ADMISSION_BURST,
  DEFAULT_ADMISSION_WAIT_MS,
  DEFAULT_ADMISSIONS_PER_SECOND,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_JOIN_BURST_PER_IP,
  DEFAULT_JOINS_PER_IP_PER_MINUTE,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  defaultMaxMemoryBytes,
  DEFAULT_MESSAGE_TIMEOUT_MS,
} from './options.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/index.ts';

/** Port of the CLI (the library's default is 0 = any). */
export const DEFAULT_CLI_PORT = 8080;
/** Interface of the CLI: loopback only; `--host 0.0.0.0` to accept other machines. */
export const DEFAULT_CLI_HOST = '127.0.0.1';
/** Built web app served by the CLI (written by `npm run build`). */
export const DEFAULT_STATIC_DIR = 'dist/web';
export const DEFAULT_CLI_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_TRANSCODE_QUALITY = 75;

/** Where the relay keeps its self-signed certificate: `$XDG_DATA_HOME/framewire`, else `~/.local/share/framewire`. */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env['XDG_DATA_HOME'];
  // NOTE: the XDG base directory spec says a relative XDG_DATA_HOME is to be ignored.
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.local', 'share');
  return join(base, 'framewire');
}

/** Everything the CLI needs. */
export interface CliConfig {
  /** `--help` was given: print `helpText()` and exit. */
  help: boolean;
  relay: RelayOptions & { port: number; host: string; staticDir: string; logLevel: LogLevel };
  media: MediaOptions;
  /** Certificate files, `--no-tls`, data directory; tls-setup.ts decides from them and the host. */
  tls: TlsOptions & { noTls: boolean };
}

/** A bad flag or environment variable; the CLI prints the message and exits with status 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * How a repeatable option's environment variable lists several values: `'list'` comma- or
 * whitespace-separated, `'json'` one JSON value (an array) that holds them all.
 */
type EnvList = 'list' | 'json';

interface Spec {
  /** Flag name without `--`; also the `parseArgs` option name. */
  flag: string;
  env: string;
  /** What the value is, for `--help` (`N`, `FILE`); '' for a switch. */
  arg: string;
  help: string;
  default: string;
  /** Set if the flag may be given more than once (every value is kept, in order); unset: the last one wins. */
  repeat?: EnvList;
  /** Set for a switch: the flag takes no value (`apply` gets 'true'); its variable is 1/true/yes or 0/false/no (`apply` gets 'true' or 'false'). */
  switch?: true;
  /** Applies one value (called once per value of a repeatable option); `from` names the flag or variable. */
  apply(config: CliConfig, value: string, from: string): void;
}

const SPECS: Spec[] = [
  {
    flag: 'port', env: 'FRAMEWIRE_PORT', arg: 'N', default: String(DEFAULT_CLI_PORT), help: 'TCP port (0 = any free port)',
    apply: (c, v, from) => (c.relay.port = int(v, from, 0, 65535)),
  },
  {
    flag: 'host', env: 'FRAMEWIRE_HOST', arg: 'ADDR', default: DEFAULT_CLI_HOST, help: 'interface to listen on (0.0.0.0 = all)',
    apply: (c, v) => (c.relay.host = v),
  },
  {
    flag: 'static-dir', env: 'FRAMEWIRE_STATIC_DIR', arg: 'DIR', default: DEFAULT_STATIC_DIR, help: 'built web app to serve at /',
    apply: (c, v) => (c.relay.staticDir = v),
  },
  {
    flag: 'max-peers', env: 'FRAMEWIRE_MAX_PEERS', arg: 'N', default: String(DEFAULT_MAX_PEERS_PER_ROOM), help: 'peers per room',
    apply: (c, v, from) => (c.relay.maxPeersPerRoom = int(v, from, 1)),
  },
  {
    flag: 'max-payload', env: 'FRAMEWIRE_MAX_PAYLOAD', arg: 'BYTES', default: String(DEFAULT_MAX_FRAME_BYTES), help: 'largest WebSocket message / frame',
    apply: (c, v, from) => (c.relay.maxPayload = int(v, from, 64)),
  },
  {
    flag: 'max-connections', env: 'FRAMEWIRE_MAX_CONNECTIONS', arg: 'N', default: String(DEFAULT_MAX_CONNECTIONS), help: 'open WebSocket connections',
    apply: (c, v, from) => (c.relay.maxConnections = int(v, from, 1)),
  },
  {
    flag: 'heartbeat-ms', env: 'FRAMEWIRE_HEARTBEAT_MS', arg: 'MS', default: String(DEFAULT_HEARTBEAT_MS), help: 'ping period; silent peers are terminated (0 = off)',
    apply: (c, v, from) => (c.relay.heartbeatMs = int(v, from, 0)),
  },
  {
    flag: 'resume-grace-ms', env: 'FRAMEWIRE_RESUME_GRACE_MS', arg: 'MS', default: String(DEFAULT_RESUME_GRACE_MS),
    help: 'how long a peer whose connection was lost stays in its room for a resume (0 = leaves at once)',
    apply: (c, v, from) => (c.relay.resumeGraceMs = int(v, from, 0)),
  },
  {
    flag: 'origins', env: 'FRAMEWIRE_ORIGINS', arg: 'LIST', default: '(any)', help: 'allowed Origins, comma-separated, e.g. https://a.example,https://b.example',
    repeat: 'list',
    apply: (c, v) => (c.relay.origins = [...(c.relay.origins ?? []), ...splitList(v)]),
  },
  {
    flag: 'control-rate', env: 'FRAMEWIRE_CONTROL_RATE', arg: 'N', default: String(DEFAULT_CONTROL_RATE_PER_SECOND), help: 'control messages per second per connection',
    apply: (c, v, from) => (c.relay.controlRatePerSecond = num(v, from)),
  },
  {
    flag: 'control-burst', env: 'FRAMEWIRE_CONTROL_BURST', arg: 'N', default: String(DEFAULT_CONTROL_BURST), help: 'control-message burst per connection',
    apply: (c, v, from) => (c.relay.controlBurst = int(v, from, 1)),
  },
  {
    flag: 'feedback-target-ms', env: 'FRAMEWIRE_FEEDBACK_TARGET_MS', arg: 'MS', default: String(DEFAULT_FEEDBACK_TARGET_DELAY_MS),
    help: 'queue delay the ack window of an acking receiver aims at',
    apply: (c, v, from) => (c.relay.feedbackTargetDelayMs = num(v, from)),
  },
  {
    flag: 'max-chat-chars', env: 'FRAMEWIRE_MAX_CHAT_CHARS', arg: 'N', default: String(DEFAULT_MAX_CHAT_CHARS), help: 'longest chat message',
    apply: (c, v, from) => (c.relay.maxChatChars = int(v, from, 1)),
  },
  {
    flag: 'headers-timeout-ms', env: 'FRAMEWIRE_HEADERS_TIMEOUT_MS', arg: 'MS', default: String(DEFAULT_HEADERS_TIMEOUT_MS),
    help: 'a new connection must send its request headers (TLS handshake included) within this, else it is cut',
    apply: (c, v, from) => (c.relay.headersTimeoutMs = int(v, from, 100)),
  },
  {
    flag: 'message-timeout-ms', env: 'FRAMEWIRE_MESSAGE_TIMEOUT_MS', arg: 'MS', default: String(DEFAULT_MESSAGE_TIMEOUT_MS),
    help: 'a WebSocket message (or HTTP request body) must complete within this of its first byte (0 = no WebSocket check)',
    apply: (c, v, from) => (c.relay.messageTimeoutMs = int(v, from, 0)),
  },
  {
    flag: 'max-memory', env: 'FRAMEWIRE_MAX_MEMORY', arg: 'MIB', default: String(Math.round(defaultMaxMemoryBytes() / 1048576)),
    help: 'memory budget, MiB: bytes held for clients (partial messages, buffers, queues); over it the biggest holders are cut',
    apply: (c, v, from) => (c.relay.maxMemoryBytes = int(v, from, 1) * 1024 * 1024),
  },
  {
    flag: 'max-connections-per-ip', env: 'FRAMEWIRE_MAX_CONNECTIONS_PER_IP', arg: 'N', default: String(DEFAULT_MAX_CONNECTIONS_PER_IP),
    help: 'open connections per client address (IPv6: per /64; loopback exempt)',
    apply: (c, v, from) => (c.relay.maxConnectionsPerIp = int(v, from, 1)),
  },
  {
    flag: 'joins-per-ip-per-minute', env: 'FRAMEWIRE_JOINS_PER_IP_PER_MINUTE', arg: 'N', default: String(DEFAULT_JOINS_PER_IP_PER_MINUTE),
    help: 'joins (connects) per client address per minute',
    apply: (c, v, from) => (c.relay.joinsPerIpPerMinute = num(v, from)),
  },
  {
    flag: 'join-burst-per-ip', env: 'FRAMEWIRE_JOIN_BURST_PER_IP', arg: 'N', default: String(DEFAULT_JOIN_BURST_PER_IP),
    help: 'joins a client address may make at once',
    apply: (c, v, from) => (c.relay.joinBurstPerIp = int(v, from, 1)),
  },
  {
    flag: 'trusted-proxy', env: 'FRAMEWIRE_TRUSTED_PROXY', arg: 'ADDR', default: '(none)',
    help: 'a proxy (address or CIDR) whose X-Forwarded-For names the client, e.g. 127.0.0.1',
    repeat: 'list',
    apply: (c, v, from) => (c.relay.trustedProxies = [...(c.relay.trustedProxies ?? []), addressChecked(v, from)]),
  },
  {
    flag: 'limit-exempt', env: 'FRAMEWIRE_LIMIT_EXEMPT', arg: 'ADDR', default: '127.0.0.0/8, ::1',
    help: 'a client address (or CIDR) the per-address limits do not apply to; replaces the default (loopback) — give it again to keep loopback',
    repeat: 'list',
    apply: (c, v, from) => (c.relay.limitExempt = [...(c.relay.limitExempt ?? []), addressChecked(v, from)]),
  },
  {
    flag: 'admissions-per-second', env: 'FRAMEWIRE_ADMISSIONS_PER_SECOND', arg: 'N', default: String(DEFAULT_ADMISSIONS_PER_SECOND),
    help: 'new connections admitted per second, relay-wide (more wait, then server-busy)',
    apply: (c, v, from) => (c.relay.admissionsPerSecond = num(v, from)),
  },
  {
    flag: 'admission-burst', env: 'FRAMEWIRE_ADMISSION_BURST', arg: 'N', default: String(DEFAULT_ADMISSION_BURST),
    help: 'new connections admitted at once before --admissions-per-second applies',
    apply: (c, v, from) => (c.relay.admissionBurst = int(v, from, 1)),
  },
  {
    flag: 'admission-wait-ms', env: 'FRAMEWIRE_ADMISSION_WAIT_MS', arg: 'MS', default: String(DEFAULT_ADMISSION_WAIT_MS),
    help: 'longest wait for admission; a connection that would wait longer is refused server-busy',
    apply: (c, v, from) => (c.relay.admissionWaitMs = int(v, from, 0)),
  },
  {
    flag: 'redis', env: 'FRAMEWIRE_REDIS', arg: 'URL', default: '(none: one relay)', help: 'join a cluster of relay nodes coordinated through this Redis, e.g. redis://10.0.0.5:6379',
    apply: (c, v, from) => {
      if (!/^rediss?:\/\/\S+$/.test(v)) throw new CliError(`${from} must be a redis:// or rediss:// URL [got:${withoutCredentials(v)}]`);
      c.relay.cluster = { ...c.relay.cluster, redisUrl: v };
    },
  },
  {
    flag: 'public-url', env: 'FRAMEWIRE_PUBLIC_URL', arg: 'URL', default: "(this relay's own URL)", help: 'with --redis: the URL clients reach THIS node at, e.g. https://relay.example/n2 (joins elsewhere are redirected there)',
    apply: (c, v, from) => {
      if (!/^https?:\/\/\S+$/.test(v)) throw new CliError(`${from} must be an http:// or https:// URL [got:${v}]`);
      c.relay.cluster = { redisUrl: '', ...c.relay.cluster, publicUrl: v };
    },
  },
  {
    flag: 'node-id', env: 'FRAMEWIRE_NODE_ID', arg: 'ID', default: '(random)', help: "with --redis: this node's id in the cluster (letters, digits, _ . -)",
    apply: (c, v, from) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new CliError(`${from} must be 1..64 characters A-Z a-z 0-9 _ . - [got:${v}]`);
      c.relay.cluster = { redisUrl: '', ...c.relay.cluster, nodeId: v };
    },
  },
  {
    flag: 'admin-token', env: 'FRAMEWIRE_ADMIN_TOKEN', arg: 'TOKEN', default: '(off)', help: 'enables GET /admin/rooms (every room, its node and peers) for Authorization: Bearer TOKEN (16+ characters)',
    apply: (c, v, from) => {
      if (v.length < 16) throw new CliError(`${from} must be at least 16 characters`);
      c.relay.adminToken = v;
    },
  },
  {
    flag: 'log-level', env: 'FRAMEWIRE_LOG_LEVEL', arg: 'LEVEL', default: DEFAULT_CLI_LOG_LEVEL, help: LOG_LEVELS.join(' | '),
    apply: (c, v, from) => {
      if (!isLogLevel(v)) throw new CliError(`${from} must be one of ${LOG_LEVELS.join(', ')} [got:${v}]`);
      c.relay.logLevel = v;
    },
  },
  {
    flag: 'tls-cert', env: 'FRAMEWIRE_TLS_CERT', arg: 'FILE', default: '(none)', help: 'serve HTTPS with this PEM certificate (chain); SIGHUP re-reads it',
    apply: (c, v, from) => (c.tls.certFile = path(v, from, 'FILE')),
  },
  {
    flag: 'tls-key', env: 'FRAMEWIRE_TLS_KEY', arg: 'FILE', default: '(none)', help: 'PEM private key of --tls-cert',
    apply: (c, v, from) => (c.tls.keyFile = path(v, from, 'FILE')),
  },
  {
    flag: 'no-tls', env: 'FRAMEWIRE_NO_TLS', arg: '', default: 'off', help: 'plain HTTP on any --host (behind a TLS-terminating proxy)',
    switch: true,
    apply: (c, v) => (c.tls.noTls = v === 'true'),
  },
  {
    flag: 'data-dir', env: 'FRAMEWIRE_DATA_DIR', arg: 'DIR', default: '~/.local/share/framewire', help: 'where the self-signed certificate is kept',
    apply: (c, v, from) => (c.tls.dataDir = path(v, from, 'DIR')),
  },
  {
    flag: 'record', env: 'FRAMEWIRE_RECORD', arg: 'DIR', default: '(off)', help: 'record every room into DIR (frame log + MP4 per participant)',
    apply: (c, v) => (c.media.recordDir = v),
  },
  {
    flag: 'transcode-quality', env: 'FRAMEWIRE_TRANSCODE_QUALITY', arg: 'N', default: String(DEFAULT_TRANSCODE_QUALITY), help: 'JPEG quality of relay-side BGRA→JPEG transcoding, 1..100',
    apply: (c, v, from) => (c.media.transcodeQuality = int(v, from, 1, 100)),
  },
  {
    flag: 'ice-servers', env: 'FRAMEWIRE_ICE_SERVERS', arg: 'JSON', default: '[]', help: 'ICE servers for WebRTC mode, e.g. \'[{"urls":"stun:stun.l.google.com:19302"}]\'',
    repeat: 'json',
    apply: (c, v, from) => addIceServers(c, iceServersJson(v, from), from),
  },
  {
    flag: 'stun', env: 'FRAMEWIRE_STUN', arg: 'URL', default: '(none)', help: 'add a STUN server, e.g. stun:stun.l.google.com:19302',
    repeat: 'list',
    apply: (c, v, from) => addIceServers(c, [{ urls: schemeChecked(v, 'stun', from) }], from),
  },
  {
    flag: 'turn', env: 'FRAMEWIRE_TURN', arg: 'URL', default: '(none)', help: 'add a TURN server (with --turn-user and --turn-pass), e.g. turn:turn.example.org:3478',
    repeat: 'list',
    apply: (c, v, from) => turnPart(c, 'urls', from).push(schemeChecked(v, 'turn', from)),
  },
  {
    flag: 'turn-user', env: 'FRAMEWIRE_TURN_USER', arg: 'USER', default: '(none)', help: 'username of the matching --turn',
    repeat: 'list',
    apply: (c, v, from) => turnPart(c, 'usernames', from).push(v),
  },
  {
    flag: 'turn-pass', env: 'FRAMEWIRE_TURN_PASS', arg: 'PASS', default: '(none)', help: 'password of the matching --turn',
    repeat: 'list',
    apply: (c, v, from) => turnPart(c, 'credentials', from).push(v),
  },
  {
    flag: 'ice-relay-only', env: 'FRAMEWIRE_ICE_RELAY_ONLY', arg: '', default: 'off', help: 'WebRTC mode only through the TURN server (UDP-blocked networks; needs --turn)',
    switch: true,
    apply: (c, v) => (c.relay.iceTransportPolicy = v === 'true' ? 'relay' : 'all'),
  },
];

/** The TURN flags seen so far (paired by position once all are in), and where each came from. */
interface TurnParts {
  urls: string[];
  usernames: string[];
  credentials: string[];
  from: { urls: string; usernames: string; credentials: string };
}

const turnParts = new WeakMap<CliConfig, TurnParts>();
function turnPart(c: CliConfig, part: keyof TurnParts['from'], from: string): string[] {
  let t = turnParts.get(c);
  if (t === undefined) {
    t = { urls: [], usernames: [], credentials: [], from: { urls: '--turn', usernames: '--turn-user', credentials: '--turn-pass' } };
    turnParts.set(c, t);
  }
  t.from[part] = from;
  return t[part];
}

/** Parses `argv` (without node and script) and `env`. Throws `CliError`. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliConfig {
  const config: CliConfig = {
    help: false,
    relay: { port: DEFAULT_CLI_PORT, host: DEFAULT_CLI_HOST, staticDir: DEFAULT_STATIC_DIR, logLevel: DEFAULT_CLI_LOG_LEVEL },
    media: { transcodeQuality: DEFAULT_TRANSCODE_QUALITY },
    tls: { dataDir: defaultDataDir(env), noTls: false },
  };
  const fromFlags = flagValues(argv);
  if (fromFlags === 'help') return { ...config, help: true };
  /** Flag → where its value came from (`--tls-cert` or `FRAMEWIRE_TLS_CERT`), for the checks across options. */
  const sources = new Map<string, string>();
  for (const spec of SPECS) {
    const given = fromFlags.get(spec);
    const envValue = env[spec.env];
    if (given !== undefined) {
      sources.set(spec.flag, `--${spec.flag}`);
      for (const v of given) spec.apply(config, v, `--${spec.flag}`);
    } else if (envValue !== undefined && envValue !== '') {
      sources.set(spec.flag, spec.env);
      for (const v of envValues(spec, envValue)) spec.apply(config, v, spec.env);
    }
  }
  const turn = turnParts.get(config);
  if (turn !== undefined) addIceServers(config, pairTurn(turn), turn.from.urls);
  checkTls(config.tls, sources);
  checkIcePolicy(config.relay, sources);
  checkCluster(config.relay, sources);
  return config;
}

/** A certificate needs its key and the reverse; `--no-tls` contradicts both. Throws `CliError`. */
function checkTls(tls: CliConfig['tls'], sources: ReadonlyMap<string, string>): void {
  const cert = sources.get('tls-cert');
  const key = sources.get('tls-key');
  const noTls = sources.get('no-tls');
  if (tls.noTls && (cert ?? key) !== undefined) {
    throw new CliError(`${noTls} contradicts ${cert ?? key}: one asks for plain HTTP, the other for HTTPS with a certificate (drop one)`);
  }
  if (cert !== undefined && key === undefined) throw new CliError(`${cert} needs --tls-key FILE or FRAMEWIRE_TLS_KEY (the certificate's private key)`);
  if (key !== undefined && cert === undefined) throw new CliError(`${key} needs --tls-cert FILE or FRAMEWIRE_TLS_CERT (the key's certificate)`);
}

/** `--public-url` and `--node-id` only mean something with `--redis`. Throws `CliError`. */
function checkCluster(relay: CliConfig['relay'], sources: ReadonlyMap<string, string>): void {
  if (relay.cluster === undefined || relay.cluster.redisUrl !== '') return;
  const lonely = sources.get('public-url') ?? sources.get('node-id');
  throw new CliError(`${lonely} needs --redis URL or FRAMEWIRE_REDIS (it configures a cluster node)`);
}

/** `--ice-relay-only` needs a TURN server (else WebRTC could never connect). Throws `CliError`. */
function checkIcePolicy(relay: CliConfig['relay'], sources: ReadonlyMap<string, string>): void {
  if (relay.iceTransportPolicy !== 'relay' || hasTurnServer(relay.iceServers ?? [])) return;
  throw new CliError(
    `${sources.get('ice-relay-only') ?? '--ice-relay-only'} needs a TURN server: add --turn URL --turn-user U --turn-pass P (turn:HOST:PORT?transport=tcp or turns:HOST:PORT), or a turn: entry in --ice-servers`,
  );
}

/** The values of every flag in `argv`, in order, or 'help' for `--help`/`-h`. Throws `CliError`. */
function flagValues(argv: readonly string[]): Map<Spec, string[]> | 'help' {
  // NOTE: non-strict, so that unknown options and missing values get our messages (strict
  // parseArgs throws its own); `tokens` still tells how every value was written.
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(SPECS.map((s) => [s.flag, { type: s.switch ? 'boolean' : 'string', multiple: s.repeat !== undefined }])),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<Spec, string[]>();
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'positional') throw new CliError(`unexpected argument ${JSON.stringify(token.value)} (see --help)`);
    if (token.kind !== 'option') continue;
    if (token.name === 'help') {
      if (token.value !== undefined) throw new CliError(`${token.rawName} takes no value`);
      help = true;
      continue;
    }
    const spec = SPECS.find((s) => s.flag === token.name);
    if (spec === undefined) throw new CliError(`unknown option ${token.rawName} (see --help)`);
    if (spec.switch) {
      if (token.value !== undefined) throw new CliError(`${token.rawName} takes no value`);
      values.set(spec, ['true']);
      continue;
    }
    // `--port --host x`: parseArgs takes `--host` as the value; the user forgot one.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) throw new CliError(`${token.rawName} needs a value ${spec.arg}`);
    if (spec.repeat === undefined) values.set(spec, [token.value]);
    else values.set(spec, [...(values.get(spec) ?? []), token.value]);
  }
  return help ? 'help' : values;
}

/** The values an environment variable holds: one, or for a repeatable option a list; a switch's 'true' or 'false'. Throws `CliError`. */
function envValues(spec: Spec, value: string): string[] {
  if (spec.switch) return [switchValue(value, spec.env)];
  return spec.repeat === 'list' ? splitList(value) : [value];
}

/** `1`/`true`/`yes` → 'true', `0`/`false`/`no` → 'false' (any case). Throws `CliError`. */
function switchValue(value: string, from: string): 'true' | 'false' {
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes') return 'true';
  if (v === '0' || v === 'false' || v === 'no') return 'false';
  throw new CliError(`${from} must be 1, true, yes, 0, false or no [got:${value}]`);
}

/** `a, b c` → `['a', 'b', 'c']`. */
function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s.length > 0);
}

/** The i-th TURN URL with the i-th username and credential. Throws `CliError` if the counts differ. */
function pairTurn(t: TurnParts): IceServer[] {
  const counts = `[turn:${t.urls.length}, turn-user:${t.usernames.length}, turn-pass:${t.credentials.length}]`;
  if (t.usernames.length > t.urls.length || t.credentials.length > t.urls.length) {
    throw new CliError(`${t.from.usernames}/${t.from.credentials} need --turn URL: one ${t.from.urls} per username and password, paired by position ${counts}`);
  }
  if (t.usernames.length < t.urls.length || t.credentials.length < t.urls.length) {
    throw new CliError(`${t.from.urls} needs --turn-user and --turn-pass: the i-th ${t.from.urls} takes the i-th ${t.from.usernames} and ${t.from.credentials} ${counts}`);
  }
  return t.urls.map((urls, i) => ({ urls, username: t.usernames[i]!, credential: t.credentials[i]! }));
}

/** Appends `servers` to the relay's ICE servers after checking them with the protocol's validator. */
function addIceServers(c: CliConfig, servers: unknown[], from: string): void {
  let checked: IceServer[];
  try {
    checked = parseIceServers(servers);
  } catch (error) {
    if (!(error instanceof IceServerError)) throw error;
    throw new CliError(`${from}: ${error.message}`, { cause: error });
  }
  c.relay.iceServers = [...(c.relay.iceServers ?? []), ...checked];
}

/** `url`, if its scheme is `stun:`/`stuns:` (for `'stun'`) or `turn:`/`turns:` (for `'turn'`). */
function schemeChecked(url: string, kind: 'stun' | 'turn', from: string): string {
  if (!url.startsWith(kind)) throw new CliError(`${from} takes a ${kind}: or ${kind}s: URL [got:${url}]`);
  return url;
}

/** The `--help` text: every option with its environment variable and default; repeatable ones marked. */
export function helpText(): string {
  const rows = SPECS.map((s) => [`--${s.flag} ${s.arg}`.trimEnd(), s.env, s.default, s.repeat === undefined ? s.help : `[repeatable] ${s.help}`]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  default ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`);
  return [
    'framewire relay — video calls over one WebSocket',
    '',
    'Usage: npm start -- [options]      (or: tsx server/main.ts [options])',
    '',
    'Options (each also as an environment variable; flags win):',
    ...lines,
    `  ${'--help, -h'.padEnd(widths[0]! + widths[1]! + widths[2]! + 14)}print this help`,
    '',
    'Options marked [repeatable] may be given more than once; every value is kept. Their',
    'environment variable holds a comma- or space-separated list (FRAMEWIRE_ICE_SERVERS: one',
    'JSON array). The i-th --turn takes the i-th --turn-user and --turn-pass; for a password',
    'with a comma or space in FRAMEWIRE_TURN_PASS, use --ice-servers instead. A switch\'s',
    'variable (e.g. FRAMEWIRE_NO_TLS) is 1, true, yes or 0, false, no.',
    '',
    'TLS: with --tls-cert and --tls-key the relay serves HTTPS with them (kill -HUP re-reads',
    'both). Without them it serves plain HTTP on a loopback --host (http://localhost is a',
    'secure context: the camera works) and HTTPS on any other, with a self-signed certificate',
    'kept in --data-dir ($XDG_DATA_HOME/framewire if set): browsers warn, compare the',
    'fingerprint the relay prints. Plain http:// requests to an HTTPS port are redirected.',
    '',
    'Endpoints: / (web app), /ws (WebSocket), /healthz, /metrics (Prometheus).',
  ].join('\n');
}

/** One address or CIDR block (`10.0.0.0/8`, `::1`). Throws `CliError`. */
function addressChecked(value: string, from: string): string {
  try {
    AddressSet.parse([value]);
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(`${from} takes an IP address or CIDR block, e.g. 127.0.0.1 or 10.0.0.0/8 [got:${value}]`);
    throw error;
  }
  return value.trim();
}

function int(value: string, from: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${from} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '∞' : max} [got:${value}]`);
  }
  return n;
}

/** A file or directory path: anything but empty. */
function path(value: string, from: string, arg: string): string {
  if (value.trim() === '') throw new CliError(`${from} needs a value ${arg}`);
  return value;
}

function num(value: string, from: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`${from} must be a positive number [got:${value}]`);
  return n;
}

/** The ICE servers of one `--ice-servers` value: a JSON array, or one object. Checked by `addIceServers`. */
function iceServersJson(value: string, from: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new CliError(`${from} must be JSON, e.g. [{"urls":"stun:stun.l.google.com:19302"}]`);
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

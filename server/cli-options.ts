/**
 * Options of the relay CLI (server/main.ts): every option is a flag (`--port 8080` or
 * `--port=8080`) and an environment variable (`FRAMEWIRE_PORT=8080`); flags win.
 * One table drives parsing, validation and `--help`.
 */
import type { MediaOptions } from './media/index.ts';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger.ts';
import {
  DEFAULT_CONTROL_BURST,
  DEFAULT_CONTROL_RATE_PER_SECOND,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MAX_CHAT_CHARS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PEERS_PER_ROOM,
  type IceServer,
  type RelayOptions,
} from './relay.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/index.ts';

/** Port of the CLI (the library's default is 0 = any). */
export const DEFAULT_CLI_PORT = 8080;
/** Interface of the CLI: loopback only; `--host 0.0.0.0` to accept other machines. */
export const DEFAULT_CLI_HOST = '127.0.0.1';
/** Built web app served by the CLI (written by `npm run build`). */
export const DEFAULT_STATIC_DIR = 'dist/web';
export const DEFAULT_CLI_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_TRANSCODE_QUALITY = 75;

/** Everything the CLI needs. */
export interface CliConfig {
  /** `--help` was given: print `helpText()` and exit. */
  help: boolean;
  relay: RelayOptions & { port: number; host: string; staticDir: string; logLevel: LogLevel };
  media: MediaOptions;
}

/** A bad flag or environment variable; the CLI prints the message and exits with status 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

interface Spec {
  flag: string;
  env: string;
  arg: string;
  help: string;
  default: string;
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
    flag: 'origins', env: 'FRAMEWIRE_ORIGINS', arg: 'LIST', default: '(any)', help: 'comma-separated allowed Origins, e.g. https://a.example,https://b.example',
    apply: (c, v) => (c.relay.origins = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)),
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
    flag: 'max-chat-chars', env: 'FRAMEWIRE_MAX_CHAT_CHARS', arg: 'N', default: String(DEFAULT_MAX_CHAT_CHARS), help: 'longest chat message',
    apply: (c, v, from) => (c.relay.maxChatChars = int(v, from, 1)),
  },
  {
    flag: 'log-level', env: 'FRAMEWIRE_LOG_LEVEL', arg: 'LEVEL', default: DEFAULT_CLI_LOG_LEVEL, help: LOG_LEVELS.join(' | '),
    apply: (c, v, from) => {
      if (!isLogLevel(v)) throw new CliError(`${from} must be one of ${LOG_LEVELS.join(', ')} [got:${v}]`);
      c.relay.logLevel = v;
    },
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
    apply: (c, v, from) => (c.relay.iceServers = [...(c.relay.iceServers ?? []), ...iceServersJson(v, from)]),
  },
  {
    flag: 'stun', env: 'FRAMEWIRE_STUN', arg: 'URL', default: '(none)', help: 'add a STUN server, e.g. stun:stun.l.google.com:19302',
    apply: (c, v) => (c.relay.iceServers = [...(c.relay.iceServers ?? []), { urls: v }]),
  },
  {
    flag: 'turn', env: 'FRAMEWIRE_TURN', arg: 'URL', default: '(none)', help: 'add a TURN server (with --turn-user and --turn-pass), e.g. turn:turn.example.org:3478',
    apply: (c, v) => (turn(c).url = v),
  },
  {
    flag: 'turn-user', env: 'FRAMEWIRE_TURN_USER', arg: 'USER', default: '(none)', help: 'TURN username',
    apply: (c, v) => (turn(c).username = v),
  },
  {
    flag: 'turn-pass', env: 'FRAMEWIRE_TURN_PASS', arg: 'PASS', default: '(none)', help: 'TURN password',
    apply: (c, v) => (turn(c).credential = v),
  },
];

const turnParts = new WeakMap<CliConfig, { url?: string; username?: string; credential?: string }>();
function turn(c: CliConfig): { url?: string; username?: string; credential?: string } {
  let t = turnParts.get(c);
  if (t === undefined) turnParts.set(c, (t = {}));
  return t;
}

/** Parses `argv` (without node and script) and `env`. Throws `CliError`. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliConfig {
  const config: CliConfig = {
    help: false,
    relay: { port: DEFAULT_CLI_PORT, host: DEFAULT_CLI_HOST, staticDir: DEFAULT_STATIC_DIR, logLevel: DEFAULT_CLI_LOG_LEVEL },
    media: { transcodeQuality: DEFAULT_TRANSCODE_QUALITY },
  };
  const fromFlags = new Map<Spec, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      config.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = SPECS.find((s) => s.flag === name);
    if (spec === undefined) throw new CliError(`unknown option --${name} (see --help)`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value ${spec.arg}`);
    fromFlags.set(spec, value);
  }
  if (config.help) return config;
  for (const spec of SPECS) {
    const flagValue = fromFlags.get(spec);
    const envValue = env[spec.env];
    if (flagValue !== undefined) spec.apply(config, flagValue, `--${spec.flag}`);
    else if (envValue !== undefined && envValue !== '') spec.apply(config, envValue, spec.env);
  }
  const t = turnParts.get(config);
  if (t !== undefined) {
    if (t.url === undefined) throw new CliError('--turn-user/--turn-pass need --turn URL');
    if (t.username === undefined || t.credential === undefined) throw new CliError('--turn needs --turn-user and --turn-pass');
    config.relay.iceServers = [...(config.relay.iceServers ?? []), { urls: t.url, username: t.username, credential: t.credential }];
  }
  for (const s of config.relay.iceServers ?? []) {
    const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
    if (urls.length === 0 || urls.some((u) => typeof u !== 'string' || !/^(stuns?|turns?):/.test(u))) {
      throw new CliError(`ICE server URLs must start with stun:, stuns:, turn: or turns: [urls:${JSON.stringify(s.urls)}]`);
    }
  }
  return config;
}

/** The `--help` text: every option with its environment variable and default. */
export function helpText(): string {
  const rows = SPECS.map((s) => [`--${s.flag} ${s.arg}`, s.env, s.default, s.help]);
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
    'Endpoints: / (web app), /ws (WebSocket), /healthz, /metrics (Prometheus).',
  ].join('\n');
}

function int(value: string, from: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${from} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '∞' : max} [got:${value}]`);
  }
  return n;
}

function num(value: string, from: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`${from} must be a positive number [got:${value}]`);
  return n;
}

function iceServersJson(value: string, from: string): IceServer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new CliError(`${from} must be JSON, e.g. [{"urls":"stun:stun.l.google.com:19302"}]`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const s of list) {
    if (typeof s !== 'object' || s === null || !('urls' in s)) throw new CliError(`${from}: every ICE server needs "urls" [got:${JSON.stringify(s)}]`);
  }
  return list as IceServer[];
}

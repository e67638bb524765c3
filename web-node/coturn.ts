/**
 * A real TURN server — Debian's coturn (`turnserver`) — for WebRTC over TURN/TCP in tests and
 * benches: one plain-TCP listener (no UDP, no TLS, no DTLS listener: UDP blocked, as on the
 * networks this is for), long-term credentials, nothing read from or written under /etc or
 * /var (`-n`, pid file and user db in a fresh temporary directory), its `-v` log kept in
 * memory to count the allocations it granted.
 *
 * By default it runs in this process's network namespace on 127.0.0.1, on a free TCP port
 * with a free range of UDP relay ports. With `ns` it runs inside that namespace
 * (`ip netns exec NS turnserver …`, which execs, so the child is turnserver itself) on the
 * given listening and relay addresses — the namespace has its own port space, so the
 * default ports there are fixed ones. When coturn is missing `start` throws and says how to
 * install it (`apt-get install coturn`); tests that need it fail, they do not skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './find-binary.ts';
import { freePort } from './free-port.ts';

/** Default long-term credentials. */
export const DEFAULT_TURN_USER = 'fw';
export const DEFAULT_TURN_PASSWORD = 'secret';
/** coturn's realm. */
export const TURN_REALM = 'framewire';
/** UDP ports coturn may allocate relayed addresses on (one per allocation; a call of two needs ~2–4). */
export const RELAY_PORT_COUNT = 40;
/** In a namespace (own port space): the TCP listener port and first relay port. */
export const NAMESPACE_TURN_PORT = 3478;
export const NAMESPACE_MIN_RELAY_PORT = 49_152;
/** Longest wait for the TCP listener(s), ms. */
export const COTURN_START_TIMEOUT_MS = 10_000;
/** Grace period between SIGTERM and SIGKILL, ms. */
export const COTURN_STOP_GRACE_MS = 3_000;
/** How to get it on Debian/Ubuntu (in the error when it is missing). */
export const COTURN_INSTALL_HINT = 'apt-get install coturn';

/** A range of UDP ports, both ends included. */
export interface PortRange {
  min: number;
  max: number;
}

/** Options of `Coturn.start`. */
export interface CoturnOptions {
  /** Network namespace to run in (`ip netns exec NS turnserver …`). Default: this process's. */
  ns?: string;
  /** Addresses of the TCP listener; the first is the one `iceServer()` names. Default ['127.0.0.1']. */
  listeningIps?: readonly string[];
  /** Address of the relayed candidates (coturn's `--relay-ip`). Default the first listening IP. */
  relayIp?: string;
  /** TCP listener port. Default: a free one on 127.0.0.1; in a namespace 3478. */
  port?: number;
  /** UDP ports for relayed addresses. Default: 40 free ones on 127.0.0.1; in a namespace 49152–49191. */
  relayPorts?: PortRange;
  /** Long-term credentials. Default fw / secret. */
  user?: string;
  password?: string;
  /** Longest wait for the listener(s), ms. Default 10 000. */
  startTimeoutMs?: number;
}

/** What a relay hands out for a TURN server (`RTCIceServer`). */
export interface TurnIceServer {
  urls: string;
  username: string;
  credential: string;
}

/** Path of coturn's `turnserver` on PATH (or /usr/bin, /usr/sbin, /usr/local/bin), or throws saying how to install it. */
export function findTurnserver(): string {
  return findBinary('turnserver', (dirs) => `coturn's turnserver not found [looked in: ${dirs}]. Install it with \`${COTURN_INSTALL_HINT}\` (Debian/Ubuntu); a real TURN server is needed, nothing skips.`);
}

/** True if every UDP port in `[min, max]` can be bound on 127.0.0.1 now. */
async function udpRangeFree(min: number, max: number): Promise<boolean> {
  const sockets = [];
  let free = true;
  for (let port = min; port <= max && free; port++) {
    const socket = createSocket('udp4');
    sockets.push(socket);
    free = await new Promise<boolean>((done) => {
      socket.once('error', () => done(false));
      socket.bind(port, '127.0.0.1', () => done(true));
    });
  }
  await Promise.all(sockets.map((s) => new Promise<void>((done) => s.close(() => done())).catch(() => undefined)));
  return free;
}

/** A range of `count` UDP ports on 127.0.0.1 that are free now, in 20000..59999. */
export async function freeUdpRange(count: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const min = 20_000 + Math.floor(Math.random() * (40_000 - count));
    if (await udpRangeFree(min, min + count - 1)) return { min, max: min + count - 1 };
  }
  throw new Error(`no free range of ${count} UDP ports on 127.0.0.1`);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65_536;
}

/** coturn's `turnserver`, TCP listener only, its output kept in `log`. `stop()` is safe to call twice. */
export class Coturn {
  /** TCP listener port. */
  readonly port: number;
  /** Listening addresses; `host` is the first. */
  readonly listeningIps: readonly string[];
  readonly relayIp: string;
  readonly relayPorts: PortRange;
  readonly user: string;
  readonly password: string;
  /** Namespace it runs in, or undefined. */
  readonly ns: string | undefined;
  /** turnserver's arguments. */
  readonly args: readonly string[];
  #child: ChildProcess | undefined;
  #log = '';
  readonly #dir: string;

  private constructor(o: { ns: string | undefined; port: number; listeningIps: readonly string[]; relayIp: string; relayPorts: PortRange; user: string; password: string; dir: string }) {
    this.ns = o.ns;
    this.port = o.port;
    this.listeningIps = o.listeningIps;
    this.relayIp = o.relayIp;
    this.relayPorts = o.relayPorts;
    this.user = o.user;
    this.password = o.password;
    this.#dir = o.dir;
    // prettier-ignore
    this.args = [
      '-n',                                     // no configuration file: everything is here
      '--no-udp', '--no-dtls', '--no-tls',      // one listener: plain TCP (UDP blocked, as on the networks this is for)
      ...o.listeningIps.flatMap((ip) => ['--listening-ip', ip]), '--listening-port', String(o.port),
      '--relay-ip', o.relayIp, '--min-port', String(o.relayPorts.min), '--max-port', String(o.relayPorts.max),
      '--allow-loopback-peers',                 // on 127.0.0.1 the peers' relayed addresses are loopback too
      '--lt-cred-mech', '--user', `${o.user}:${o.password}`, '--realm', TURN_REALM,
      '--no-cli', '--log-file', 'stdout', '--simple-log', '-v',
      '--pidfile', join(o.dir, 'turnserver.pid'), '--userdb', join(o.dir, 'turndb'), // nothing under /var
    ];
  }

  /** Starts coturn and waits until every TCP listener is open. Throws (and stops it) with its log if not within the timeout. */
  static async start(options: CoturnOptions = {}): Promise<Coturn> {
    const { ns } = options;
    if (ns !== undefined && !/^[A-Za-z0-9_.-]+$/.test(ns)) throw new TypeError(`bad namespace name [ns:${ns}]`);
    const listeningIps = options.listeningIps ?? ['127.0.0.1'];
    if (listeningIps.length === 0) throw new TypeError('coturn needs at least one listening IP [listeningIps:]');
    const relayIp = options.relayIp ?? listeningIps[0]!;
    for (const ip of [...listeningIps, relayIp]) if (!IPV4.test(ip)) throw new TypeError(`coturn addresses must be IPv4 [ip:${ip}]`);
    if (options.port !== undefined && !validPort(options.port)) throw new TypeError(`bad coturn port [port:${options.port}]`);
    const range = options.relayPorts;
    if (range !== undefined && !(validPort(range.min) && validPort(range.max) && range.min <= range.max)) throw new TypeError(`bad coturn relay port range [min:${range.min}, max:${range.max}]`);
    const user = options.user ?? DEFAULT_TURN_USER;
    const password = options.password ?? DEFAULT_TURN_PASSWORD;
    if (!/^[A-Za-z0-9_.-]+$/.test(user) || !/^[^\s:]+$/.test(password)) throw new TypeError(`coturn credentials must be [A-Za-z0-9_.-] / no blank or colon [user:${user}]`);
    const binary = findTurnserver();
    const port = options.port ?? (ns === undefined ? await freePort() : NAMESPACE_TURN_PORT);
    const relayPorts = range ?? (ns === undefined ? await freeUdpRange(RELAY_PORT_COUNT) : { min: NAMESPACE_MIN_RELAY_PORT, max: NAMESPACE_MIN_RELAY_PORT + RELAY_PORT_COUNT - 1 });
    const dir = mkdtempSync(join(tmpdir(), 'framewire-coturn-'));
    const turn = new Coturn({ ns, port, listeningIps, relayIp, relayPorts, user, password, dir });
    const [command, args] = ns === undefined ? [binary, turn.args] : ['ip', ['netns', 'exec', ns, binary, ...turn.args]];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    turn.#child = child;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (turn.#log += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (turn.#log += chunk));
    const ready = listeningIps.map((ip) => `TCP listener opened on : ${ip}:${port}`);
    const timeoutMs = options.startTimeoutMs ?? COTURN_START_TIMEOUT_MS;
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`coturn did not open its TCP listener(s) within ${timeoutMs} ms [${ns ? `ns:${ns}, ` : ''}args: ${turn.args.join(' ')}]\n${turn.#log}`)), timeoutMs);
        const check = (): void => {
          if (ready.every((line) => turn.#log.includes(line))) {
            clearTimeout(timer);
            done();
          }
        };
        child.stdout!.on('data', check);
        child.once('error', (error) => {
          clearTimeout(timer);
          fail(new Error(`coturn failed to start: ${error.message}. Install it with \`${COTURN_INSTALL_HINT}\`.`));
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          fail(new Error(`coturn exited at start [code:${code}, signal:${signal}]\n${turn.#log}`));
        });
      });
    } catch (error) {
      await turn.stop();
      throw error;
    }
    return turn;
  }

  /** The address `iceServer()` names: the first listening IP. */
  get host(): string {
    return this.listeningIps[0]!;
  }

  /** Everything coturn printed so far. */
  get log(): string {
    return this.#log;
  }

  /** How many allocations coturn granted so far. */
  allocations(): number {
    return this.#log.split('\n').filter((line) => line.includes(`user <${this.user}>: incoming packet ALLOCATE processed, success`)).length;
  }

  /** What a relay hands out for it: `turn:HOST:PORT?transport=tcp` with the credentials. */
  iceServer(): TurnIceServer {
    return { urls: `turn:${this.host}:${this.port}?transport=tcp`, username: this.user, credential: this.password };
  }

  /** The relay CLI's flags that hand it out (`--turn URL --turn-user U --turn-pass P`). */
  relayCliArgs(): string[] {
    const server = this.iceServer();
    return ['--turn', server.urls, '--turn-user', server.username, '--turn-pass', server.credential];
  }

  /** SIGTERM, then SIGKILL after 3 s; removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), COTURN_STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

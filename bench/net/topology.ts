/**
 * A throw-away network for the thin-link bench: one "relay" namespace in the middle and one
 * "home" namespace per browser, each home joined to the relay by its own veth pair and
 * capped with `tc tbf` on both directions (egress of the home end = upload, egress of the
 * relay end = download). The relay namespace forwards between homes, so WebRTC's direct
 * path crosses the same caps as the relayed frames. (netem is not in this kernel: tbf only.)
 *
 * Addresses: home i is 10.213.(i+1).2/30, its relay end 10.213.(i+1).1/30. They exist only
 * inside these namespaces (the veth pairs are created inside them, nothing in the root
 * namespace), so two runs at once do not collide.
 *
 * Cleanup is guaranteed three ways: `close()` (safe to call twice); a synchronous `exit`
 * handler and SIGINT/SIGTERM/SIGHUP handlers that kill every process inside the namespaces
 * and delete them; and `removeStaleNamespaces()` at start, which deletes namespaces of the
 * same prefix left by a process that no longer exists.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Prefix of every namespace this module creates: `fwtl-<pid>-…`. */
export const NAMESPACE_PREFIX = 'fwtl-';
/** Default tbf bucket size, kbit (the measurement). */
export const DEFAULT_BURST_KBIT = 32;
/** Default tbf queue length as time, ms (the measurement). */
export const DEFAULT_QUEUE_MS = 200;
/** Longest a single `ip`/`tc` command may take, ms. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** A link rate in Mbit/s, or null for unshaped. */
export type Rate = number | null;

/** One home (browser) of the topology. */
export interface HomeSpec {
  /** Short label, [a-z0-9]{1,8}, e.g. `sender`. */
  name: string;
  /** Upload cap (home → relay), Mbit/s; null = unshaped. */
  upMbit: Rate;
  /** Download cap (relay → home), Mbit/s; null = unshaped. */
  downMbit: Rate;
}

/** Options of `createTopology`. */
export interface TopologyOptions {
  /** The homes, in order; at most 200. */
  homes: HomeSpec[];
  /** tbf bucket, kbit. Default 32. */
  burstKbit?: number;
  /** tbf queue as time, ms. Default 200. */
  queueMs?: number;
  /** Namespace tag after the prefix and pid; [a-z0-9]{0,6}. Default ''. */
  tag?: string;
}

/** A home as built: where it lives and how the relay is reached from it. */
export interface Home {
  readonly name: string;
  /** Namespace name. */
  readonly ns: string;
  /** This home's address. */
  readonly ip: string;
  /** The relay namespace's address on this home's link (what the browser opens). */
  readonly relayIp: string;
  /** Interface names: home end (inside `ns`) and relay end (inside the relay namespace). */
  readonly homeDev: string;
  readonly relayDev: string;
  upMbit: Rate;
  downMbit: Rate;
}

/** Byte counters of one home's link, as seen by the relay end. */
export interface LinkCounters {
  /** Bytes the relay end sent towards the home (the home's download). */
  toHome: number;
  /** Bytes the relay end received from the home (the home's upload). */
  fromHome: number;
}

/** Why a topology could not be built or changed. */
export class NetError extends Error {
  override readonly name = 'NetError';
  readonly code: 'not-root' | 'command-failed' | 'bad-option';

  private constructor(code: NetError['code'], message: string) {
    super(message);
    this.code = code;
  }

  static notRoot(): NetError {
    return new NetError('not-root', `network namespaces need root [uid:${process.getuid?.() ?? 'unknown'}]: run as root (ip netns, tc)`);
  }

  static commandFailed(args: readonly string[], detail: string): NetError {
    return new NetError('command-failed', `command failed [cmd:${args.join(' ')}]: ${detail.trim()}`);
  }

  static badOption(name: string, value: unknown): NetError {
    return new NetError('bad-option', `bad topology option [${name}:${String(value)}]`);
  }
}

/** True when this process can create namespaces (root). */
export function canCreateNamespaces(): boolean {
  return process.getuid?.() === 0;
}

/** Runs `ip …` / `tc …` with a timeout; throws `NetError.commandFailed` with its stderr. */
export async function sh(command: 'ip' | 'tc', args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, [...args], { timeout: COMMAND_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw NetError.commandFailed([command, ...args], e.stderr || e.message || String(error));
  }
}

/** Namespaces whose name starts with `prefix` (default `fwtl-`). */
export function listNamespaces(prefix = NAMESPACE_PREFIX): string[] {
  let text: string;
  try {
    text = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Kills every process inside `ns` (SIGKILL) and deletes it. Synchronous, never throws (for exit handlers). */
export function destroyNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { timeout: COMMAND_TIMEOUT_MS, stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Deletes `fwtl-<pid>-…` namespaces whose creating process is dead (a crashed earlier run).
 * Namespaces of live processes (another bench running now) are left alone. Returns the names deleted.
 */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const pid = Number(/^fwtl-(\d+)-/.exec(ns)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) continue;
    if (pid === process.pid && live.has(ns)) continue;
    destroyNamespaceSync(ns);
    removed.push(ns);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Namespaces created by this process and not yet deleted. */
const live = new Set<string>();
let handlersInstalled = false;

function destroyAllSync(): void {
  for (const ns of [...live]) {
    destroyNamespaceSync(ns);
    live.delete(ns);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAllSync();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

function removeHandlers(): void {
  if (!handlersInstalled || live.size > 0) return;
  handlersInstalled = false;
  process.off('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
}

let sequence = 0;

/** The relay namespace with its homes. `close()` kills what runs inside and deletes everything; safe to call twice. */
export class Topology {
  readonly relayNs: string;
  readonly homes: readonly Home[];
  readonly #burstKbit: number;
  readonly #queueMs: number;
  #closed = false;

  constructor(relayNs: string, homes: Home[], burstKbit: number, queueMs: number) {
    this.relayNs = relayNs;
    this.homes = homes;
    this.#burstKbit = burstKbit;
    this.#queueMs = queueMs;
  }

  /** Every namespace of this topology. */
  get namespaces(): string[] {
    return [this.relayNs, ...this.homes.map((h) => h.ns)];
  }

  /** The home called `name`; throws when there is none. */
  home(name: string): Home {
    const home = this.homes.find((h) => h.name === name);
    if (home === undefined) throw NetError.badOption('home', name);
    return home;
  }

  /** Sets (or removes, with null) the cap of one direction of `home`'s link, mid-run. */
  async setRate(home: Home, direction: 'up' | 'down', mbit: Rate): Promise<void> {
    const [ns, dev] = direction === 'up' ? [home.ns, home.homeDev] : [this.relayNs, home.relayDev];
    const before = direction === 'up' ? home.upMbit : home.downMbit;
    await applyRate(ns, dev, before, mbit, this.#burstKbit, this.#queueMs);
    if (direction === 'up') home.upMbit = mbit;
    else home.downMbit = mbit;
  }

  /** Byte counters of `home`'s link at the relay end (includes IP/TCP/UDP overhead). */
  async counters(home: Home): Promise<LinkCounters> {
    const text = await sh('ip', ['-n', this.relayNs, '-s', '-j', 'link', 'show', 'dev', home.relayDev]);
    const parsed = JSON.parse(text) as Array<{ stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } } }>;
    const stats = parsed[0]?.stats64;
    return { toHome: stats?.tx?.bytes ?? 0, fromHome: stats?.rx?.bytes ?? 0 };
  }

  /** Kills every process inside the namespaces and deletes them. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ns of this.namespaces) {
      destroyNamespaceSync(ns);
      live.delete(ns);
    }
    removeHandlers();
  }
}

/** Builds the namespaces, links, addresses, routes and caps. On any failure, removes what it made and throws. */
export async function createTopology(options: TopologyOptions): Promise<Topology> {
  if (!canCreateNamespaces()) throw NetError.notRoot();
  const homes = options.homes;
  if (homes.length === 0 || homes.length > 200) throw NetError.badOption('homes', homes.length);
  for (const h of homes) {
    if (!/^[a-z0-9]{1,8}$/.test(h.name)) throw NetError.badOption('home.name', h.name);
    for (const rate of [h.upMbit, h.downMbit]) if (rate !== null && !(rate > 0 && rate <= 10_000)) throw NetError.badOption(`${h.name}.rate`, rate);
  }
  if (new Set(homes.map((h) => h.name)).size !== homes.length) throw NetError.badOption('home.name', 'duplicate');
  const tag = options.tag ?? '';
  if (!/^[a-z0-9]{0,6}$/.test(tag)) throw NetError.badOption('tag', tag);
  const burstKbit = options.burstKbit ?? DEFAULT_BURST_KBIT;
  const queueMs = options.queueMs ?? DEFAULT_QUEUE_MS;
  if (!(burstKbit > 0) || !(queueMs > 0)) throw NetError.badOption('burstKbit/queueMs', `${burstKbit}/${queueMs}`);

  installHandlers();
  const base = `${NAMESPACE_PREFIX}${process.pid}-${tag}${(sequence++).toString(36)}-`;
  const relayNs = `${base}r`;
  const built: Home[] = homes.map((h, i) => ({
    name: h.name,
    ns: `${base}${h.name}`,
    ip: `10.213.${i + 1}.2`,
    relayIp: `10.213.${i + 1}.1`,
    homeDev: 'up0',
    relayDev: `h${i}`,
    upMbit: null,
    downMbit: null,
  }));
  const topology = new Topology(relayNs, built, burstKbit, queueMs);
  try {
    for (const ns of topology.namespaces) {
      await sh('ip', ['netns', 'add', ns]);
      live.add(ns);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await run('ip', ['netns', 'exec', relayNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { timeout: COMMAND_TIMEOUT_MS });
    for (const [i, home] of built.entries()) {
      const spec = homes[i]!;
      // Both ends are created directly inside their namespaces: nothing touches the root namespace.
      await sh('ip', ['link', 'add', home.homeDev, 'netns', home.ns, 'type', 'veth', 'peer', 'name', home.relayDev, 'netns', relayNs]);
      await sh('ip', ['-n', home.ns, 'addr', 'add', `${home.ip}/30`, 'dev', home.homeDev]);
      await sh('ip', ['-n', relayNs, 'addr', 'add', `${home.relayIp}/30`, 'dev', home.relayDev]);
      await sh('ip', ['-n', home.ns, 'link', 'set', home.homeDev, 'up']);
      await sh('ip', ['-n', relayNs, 'link', 'set', home.relayDev, 'up']);
      await sh('ip', ['-n', home.ns, 'route', 'add', 'default', 'via', home.relayIp]);
      await topology.setRate(home, 'up', spec.upMbit);
      await topology.setRate(home, 'down', spec.downMbit);
    }
    return topology;
  } catch (error) {
    topology.close();
    throw error;
  }
}

/** tbf parameters for `mbit`: the bucket grows with the rate so that it holds at least one 4 ms tick. */
export function tbfArgs(mbit: number, burstKbit: number, queueMs: number): string[] {
  const burst = Math.max(burstKbit, Math.ceil(mbit * 4));
  return ['tbf', 'rate', `${mbit}mbit`, 'burst', `${burst}kbit`, 'latency', `${queueMs}ms`];
}

async function applyRate(ns: string, dev: string, before: Rate, after: Rate, burstKbit: number, queueMs: number): Promise<void> {
  if (after === before) return;
  if (after === null) {
    await sh('tc', ['-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
    return;
  }
  await sh('tc', ['-n', ns, 'qdisc', before === null ? 'add' : 'change', 'dev', dev, 'root', ...tbfArgs(after, burstKbit, queueMs)]);
}

/**
 * A TCP proxy in front of a plain-HTTP relay that models hostile middleboxes, switchable at
 * run time (`set`), for the "Reach" tests:
 * - `killUpgradedAfterMs: N` — a connection whose upgrade got `101 Switching Protocols` from
 *   the relay is reset N ms later (a proxy or firewall that kills long WebSockets);
 * - `blackholeUpgrades` — a WebSocket upgrade is answered `101` by the proxy itself (with a
 *   valid `Sec-WebSocket-Accept`, so the browser's socket opens) and then nothing passes
 *   either way (a middlebox that "accepts" WebSockets and drops their traffic);
 * - `refuseUpgrades` — a WebSocket upgrade is answered `403 Forbidden`;
 * - none of them: plain passthrough.
 *
 * Each connection is decided once, from its FIRST request head: the proxy buffers what the
 * client sends until `\r\n\r\n` (at most `MAX_HEAD_BYTES`; a longer or head-less start is
 * passed through undecided), looks for `Upgrade: websocket`, then pipes. Later requests on
 * a kept-alive connection pass unexamined (browsers open a fresh connection per WebSocket).
 * Settings apply to connections decided after `set`, except that turning
 * `killUpgradedAfterMs` off (or changing it) also cancels the kills already scheduled.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Longest request head the proxy buffers before deciding, bytes. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** The WebSocket handshake GUID (RFC 6455 §1.3). */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');

/** What the proxy does to WebSocket upgrades (see the file comment). */
export interface HostileBehaviour {
  /** Reset an upgraded connection this many ms after its `101`; null = never. Default null. */
  killUpgradedAfterMs: number | null;
  /** Answer upgrades `101` itself, then pass nothing. Default false. */
  blackholeUpgrades: boolean;
  /** Answer upgrades `403`. Default false. */
  refuseUpgrades: boolean;
}

/** Plain passthrough. */
export const PASSTHROUGH: Readonly<HostileBehaviour> = Object.freeze({ killUpgradedAfterMs: null, blackholeUpgrades: false, refuseUpgrades: false });

/** Options of `startHostileProxy`. */
export interface HostileProxyOptions extends Partial<HostileBehaviour> {
  /** The relay: its URL (`http://127.0.0.1:8080`) or `host:port`. Required. */
  upstream: string;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
}

/** What happened so far, for assertions. */
export interface HostileCounters {
  /** Client connections accepted. */
  connections: number;
  /** Connections whose first request asked for a WebSocket upgrade. */
  upgradeRequests: number;
  /** Upgrades the relay answered `101` through the proxy. */
  upgraded: number;
  /** Upgraded connections reset by `killUpgradedAfterMs`. */
  upgradedKilled: number;
  /** Upgrades answered by the proxy itself and then swallowed. */
  blackholed: number;
  /** Upgrades answered `403`. */
  refused: number;
}

/** One thing the proxy did to an upgrade, with its time (`Date.now()`). */
export interface HostileEvent {
  at: number;
  event: 'upgraded' | 'killed' | 'blackholed' | 'refused';
  /** The request target of the connection's upgrade request (e.g. `/ws?room=r&name=Alice`). */
  target: string;
}

/** A running proxy; `close()` destroys every connection and stops listening, safe to call twice. */
export interface HostileProxy {
  /** `http://HOST:PORT` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The current behaviour. */
  readonly behaviour: Readonly<HostileBehaviour>;
  /** A copy of the counters. */
  counters(): HostileCounters;
  /** A copy of what happened to upgrades so far, in order (at most the last 1000). */
  history(): HostileEvent[];
  /** Changes the behaviour (fields not given keep their value). Throws TypeError on a bad combination. */
  set(change: Partial<HostileBehaviour>): void;
  /** `set(PASSTHROUGH)`. */
  passthrough(): void;
  /** Upgraded connections now open through the proxy (passed or blackholed). */
  openUpgraded(): number;
  close(): Promise<void>;
}

/** Starts the proxy and resolves once it listens. */
export async function startHostileProxy(options: HostileProxyOptions): Promise<HostileProxy> {
  const upstream = parseUpstream(options.upstream);
  let behaviour = checked({ ...PASSTHROUGH, ...pick(options) });
  const counters: HostileCounters = { connections: 0, upgradeRequests: 0, upgraded: 0, upgradedKilled: 0, blackholed: 0, refused: 0 };
  const events: HostileEvent[] = [];
  const record = (event: HostileEvent['event'], target: string): void => {
    events.push({ at: Date.now(), event, target });
    if (events.length > 1000) events.shift();
  };
  const sockets = new Set<Socket>();
  const upgradedOpen = new Set<Socket>();
  /** Kill timers of upgraded connections, by client socket. */
  const kills = new Map<Socket, NodeJS.Timeout>();

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      upgradedOpen.delete(socket);
      const timer = kills.get(socket);
      if (timer !== undefined) clearTimeout(timer);
      kills.delete(socket);
    });
  };

  const scheduleKill = (client: Socket, relay: Socket, afterMs: number, target: string): void => {
    kills.set(
      client,
      setTimeout(() => {
        kills.delete(client);
        if (client.destroyed) return;
        counters.upgradedKilled++;
        record('killed', target);
        client.resetAndDestroy();
        relay.resetAndDestroy();
      }, afterMs),
    );
  };

  const passThrough = (client: Socket, head: Buffer, upgrade: boolean, target: string): void => {
    const relay = connect({ host: upstream.host, port: upstream.port });
    track(relay);
    relay.setNoDelay(true);
    client.setNoDelay(true);
    relay.once('close', () => client.destroy());
    client.once('close', () => relay.destroy());
    if (upgrade) {
      // The decision needs the status line of the relay's answer: `HTTP/1.1 101 …`.
      let status = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        status = Buffer.concat([status, chunk]);
        const line = status.indexOf('\r\n');
        if (line < 0 && status.length < 64) return;
        relay.off('data', onData);
        if (/^HTTP\/1\.[01] 101 /.test(status.subarray(0, line < 0 ? status.length : line).toString('latin1'))) {
          counters.upgraded++;
          record('upgraded', target);
          upgradedOpen.add(client);
          const afterMs = behaviour.killUpgradedAfterMs;
          if (afterMs !== null) scheduleKill(client, relay, afterMs, target);
        }
      };
      relay.on('data', onData);
    }
    relay.write(head);
    client.pipe(relay);
    relay.pipe(client);
  };

  const decide = (client: Socket, head: Buffer, headEnd: number): void => {
    const headText = headEnd >= 0 ? head.subarray(0, headEnd).toString('latin1') : '';
    const upgrade = headEnd >= 0 && isWebSocketUpgrade(headText);
    const target = /^[A-Z]+ (\S+)/.exec(headText)?.[1] ?? '';
    if (upgrade) counters.upgradeRequests++;
    const now = behaviour;
    if (upgrade && now.refuseUpgrades) {
      counters.refused++;
      record('refused', target);
      const body = 'WebSocket refused by proxy\n';
      client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    if (upgrade && now.blackholeUpgrades) {
      counters.blackholed++;
      record('blackholed', target);
      upgradedOpen.add(client);
      const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(headText)?.[1] ?? '';
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
      client.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      // NOTE: read and drop whatever the client sends, so its socket never backs up; send nothing.
      client.resume();
      return;
    }
    passThrough(client, head, upgrade, target);
  };

  const server: Server = createServer((client) => {
    counters.connections++;
    track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      // Search only where the end can be: the last 3 bytes of before plus the new chunk.
      const end = head.indexOf(HEAD_END, Math.max(0, head.length - chunk.length - 3));
      if (end < 0 && head.length <= MAX_HEAD_BYTES) return;
      client.off('data', onData);
      client.pause();
      decide(client, head, end);
    };
    client.on('data', onData);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  let closed = false;
  const proxy: HostileProxy = {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    get behaviour() {
      return behaviour;
    },
    counters: () => ({ ...counters }),
    history: () => events.map((e) => ({ ...e })),
    set(change) {
      const next = checked({ ...behaviour, ...pick(change) });
      if (next.killUpgradedAfterMs !== behaviour.killUpgradedAfterMs) {
        for (const timer of kills.values()) clearTimeout(timer);
        kills.clear();
      }
      behaviour = next;
    },
    passthrough() {
      proxy.set(PASSTHROUGH);
    },
    openUpgraded: () => upgradedOpen.size,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of kills.values()) clearTimeout(timer);
      kills.clear();
      const stopped = new Promise((done) => server.close(done));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
  return proxy;
}

/** True if a request head asks for a WebSocket (`Upgrade: websocket`, any case, among other tokens). */
export function isWebSocketUpgrade(head: string): boolean {
  for (const line of head.split('\r\n').slice(1)) {
    const match = /^upgrade:[ \t]*(.*)$/i.exec(line);
    if (match && match[1]!.split(',').some((token) => token.trim().toLowerCase() === 'websocket')) return true;
  }
  return false;
}

function pick(change: Partial<HostileBehaviour>): Partial<HostileBehaviour> {
  const out: Partial<HostileBehaviour> = {};
  if (change.killUpgradedAfterMs !== undefined) out.killUpgradedAfterMs = change.killUpgradedAfterMs;
  if (change.blackholeUpgrades !== undefined) out.blackholeUpgrades = change.blackholeUpgrades;
  if (change.refuseUpgrades !== undefined) out.refuseUpgrades = change.refuseUpgrades;
  return out;
}

function checked(b: HostileBehaviour): HostileBehaviour {
  if (b.killUpgradedAfterMs !== null && !(Number.isFinite(b.killUpgradedAfterMs) && b.killUpgradedAfterMs >= 0)) {
    throw new TypeError(`killUpgradedAfterMs must be a number ≥ 0 or null [killUpgradedAfterMs:${b.killUpgradedAfterMs}]`);
  }
  if (b.blackholeUpgrades && b.refuseUpgrades) throw new TypeError('blackholeUpgrades and refuseUpgrades exclude each other [both:true]');
  return Object.freeze({ ...b });
}

function parseUpstream(value: string): { host: string; port: number } {
  const hostPort = /^https?:\/\//.test(value) ? new URL(value).host : value;
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hostPort);
  if (match === null) throw new TypeError(`upstream must be a URL or host:port [upstream:${value}]`);
  return { host: match[1]!, port: Number(match[2]) };
}

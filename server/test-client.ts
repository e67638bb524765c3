/**
 * A WebSocket client for tests and benches: connects to a relay, records every control
 * message and frame it receives, and waits for the ones a test expects.
 */
import WebSocket from 'ws';
import { decodeFrame } from '../codec/index.ts';
import type { AckEntry } from '../protocol/index.ts';
import { relayNow } from './clock.ts';

/** Options of `connectClient`. */
export interface TestClientOptions {
  /** Room to join. Required. */
  room: string;
  /** Display name. Default 'tester'. */
  name?: string;
  /** Room secret. Default none. */
  secret?: string;
  /** Streaming mode. Default none (the relay's default). */
  mode?: string;
  /** Extra ws client options (e.g. `{ autoPong: false }`, `{ headers: { origin } }`). */
  ws?: WebSocket.ClientOptions;
  /** Wait for `welcome` before resolving. Default true. */
  waitWelcome?: boolean;
  /** Keep received frames in `frames` (else only count them). Default true. */
  keepFrames?: boolean;
  /** More connect-query parameters (e.g. `{ resumable: '1', resume: token }`). */
  query?: Record<string, string | undefined>;
}

export interface ControlMsg {
  type: string;
  [field: string]: unknown;
}

export interface TestClient {
  socket: WebSocket;
  /** Our peer id (from `welcome`), 0 before. */
  peerId: number;
  /** Every control message received, in order. */
  control: ControlMsg[];
  /** Every binary message received, in order (copies not needed: ws gives fresh buffers). */
  frames: Buffer[];
  /** Binary messages received (also when `keepFrames` is false). */
  frameCount: number;
  /** The last binary message received. */
  lastFrame: Buffer | undefined;
  /** Close code and reason once closed. */
  closed: Promise<{ code: number; reason: string }>;
  send(msg: object): void;
  sendFrame(bytes: Uint8Array): void;
  /** Resolves with the first control message (already received or future) matching. */
  waitControl(match: (m: ControlMsg) => boolean, timeoutMs?: number): Promise<ControlMsg>;
  /** Resolves once at least `n` frames have been received. */
  waitFrames(n: number, timeoutMs?: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

/** `ws://…/ws?room=…` for a relay base URL like `http://127.0.0.1:PORT` (or a cluster node's `https://host/n2`: its path is kept). */
export function wsUrl(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${base.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export async function connectClient(base: string, options: TestClientOptions): Promise<TestClient> {
  const url = wsUrl(base, { room: options.room, name: options.name ?? 'tester', secret: options.secret, mode: options.mode, ...options.query });
  const socket = new WebSocket(url, { perMessageDeflate: false, ...options.ws });
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const client: TestClient = {
    socket,
    peerId: 0,
    control: [],
    frames: [],
    frameCount: 0,
    lastFrame: undefined,
    closed: new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    send: (msg) => socket.send(JSON.stringify(msg)),
    sendFrame: (bytes) => socket.send(bytes, { binary: true }),
    waitControl(match, timeoutMs = 5000) {
      return waitUntil(() => client.control.find(match), timeoutMs, () => `control message not received [seen:${client.control.map((m) => m.type).join(',')}]`);
    },
    waitFrames(n, timeoutMs = 5000) {
      return waitUntil(() => (client.frameCount >= n ? client.frames : undefined), timeoutMs, () => `frames not received [wanted:${n}, got:${client.frameCount}]`);
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await client.closed;
    },
  };
  function waitUntil<T>(get: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = get();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const onClose = (): void => {
        setImmediate(() => {
          const value = get();
          cleanup();
          if (value !== undefined) resolve(value);
          else reject(new Error(`${describe()}; socket closed`));
        });
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${describe()}; timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        socket.off('close', onClose);
      };
      waiters.add(check);
      socket.on('close', onClose);
      check();
    });
  }
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      client.frameCount++;
      client.lastFrame = data as Buffer;
      if (options.keepFrames ?? true) client.frames.push(data as Buffer);
    } else {
      const msg = JSON.parse(String(data)) as ControlMsg;
      if (msg.type === 'welcome') client.peerId = msg['peerId'] as number;
      client.control.push(msg);
    }
    wake();
  });
  socket.on('error', () => undefined);
  if (options.waitWelcome ?? true) {
    await client.waitControl((m) => m.type === 'welcome');
  } else {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
  }
  return client;
}

/** A client of a cluster that followed redirects: the node it ended on and how many hops it took. */
export interface ClusterClient extends TestClient {
  /** Base URL of the node that welcomed it. */
  node: string;
  redirects: number;
}

/**
 * Joins through any node of a cluster as the web app does: connects to `base`, follows
 * `redirect` messages (close 4302) to the owning node, at most `maxRedirects` times, and
 * resolves once welcomed. Rejects on a refusal, with its code.
 */
export async function joinCluster(base: string, options: TestClientOptions, maxRedirects = 3): Promise<ClusterClient> {
  let node = base;
  for (let redirects = 0; redirects <= maxRedirects; redirects++) {
    const client = await connectClient(node, { ...options, waitWelcome: false });
    const first = await client.waitControl((m) => m.type === 'welcome' || m.type === 'redirect' || m.type === 'error', 10_000);
    if (first.type === 'welcome') return Object.assign(client, { node, redirects });
    await client.closed;
    if (first.type === 'error') throw Object.assign(new Error(`refused by ${node}: ${String(first['code'])} (${String(first['message'])})`), { code: first['code'] });
    node = String(first['url']);
  }
  throw new Error(`more than ${maxRedirects} redirects [last:${node}]`);
}

/** Polls `condition` every 5 ms; throws if it is still false after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Makes `client` a receiver that acks every frame it gets, in one `ack` per `intervalMs`
 * (as a browser does; `receivedAt` on the relay clock: same process). Sends an empty `ack`
 * first, so it is feedback-aware from the start.
 */
export function ackEvery(client: TestClient, intervalMs = 20): { stop(): void } {
  let pending: AckEntry[] = [];
  client.socket.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const f = decodeFrame(data as Buffer);
    pending.push([f.sourceId, f.seq, relayNow()]);
  });
  const timer = setInterval(() => {
    if (pending.length === 0) return;
    client.send({ type: 'ack', frames: pending });
    pending = [];
  }, intervalMs);
  client.send({ type: 'ack', frames: [] });
  return { stop: () => clearInterval(timer) };
}

/**
 * Test support for the hardening tests (server/hardening-*.test.ts): an honest call — two
 * peers in their own room sending each other small JPEG frames at 30 fps and recording
 * every frame's latency — to run beside an attack, and raw-socket attack helpers. Latency is
 * measured from a frame's *scheduled* capture time (start + seq × period), so a stall of
 * the event loop that delays the sender's timer counts as latency too: the relay and both
 * peers share this process.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';
import type WebSocket from 'ws';
import { connectClient, type TestClient } from './test-client.ts';

/** Frame period of the honest call, ms (30 fps). */
export const HONEST_PERIOD_MS = 1000 / 30;

/** An honest call lasts at least this long, ms (so that it has frames to judge by). */
export const MIN_CALL_MS = 1000;

/** What an honest call saw. */
export interface HonestFigures {
  /** Frames sent, both directions. */
  sent: number;
  /** Frames received, both directions. */
  received: number;
  /** Latency percentiles and maximum, ms. */
  p50: number;
  p99: number;
  max: number;
}

export interface HonestCall {
  readonly a: TestClient;
  readonly b: TestClient;
  /** Frames received so far, both directions. */
  readonly received: number;
  /** Stops sending (once the call has lasted `MIN_CALL_MS` at least), waits (up to 3 s) for the frames in flight, closes both peers. */
  stop(): Promise<HonestFigures>;
}

/** Starts an honest call at relay `base` in `room`; resolves once both peers are in and frames flow. */
export async function startHonestCall(base: string, room = 'honest', options: { ws?: WebSocket.ClientOptions } = {}): Promise<HonestCall> {
  const a = await connectClient(base, { room, name: 'A', keepFrames: false, ws: options.ws });
  const b = await connectClient(base, { room, name: 'B', keepFrames: false, ws: options.ws });
  const latencies: number[] = [];
  let received = 0;
  for (const client of [a, b]) {
    client.socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      received++;
      latencies.push(performance.now() - decodeFrame(data as Buffer).captureTime);
    });
  }
  const payload = new Uint8Array(1000);
  payload[0] = 0xff;
  payload[1] = 0xd8;
  const start = performance.now();
  let seq = 0;
  let sent = 0;
  const sendDue = (): void => {
    // Every frame whose capture time has come (a late timer sends the ones it owes, as a camera would have them).
    while (start + seq * HONEST_PERIOD_MS <= performance.now()) {
      const frame = encodeFrame({ codec: Codec.jpeg, width: 32, height: 24, payload, seq, captureTime: start + seq * HONEST_PERIOD_MS });
      seq++;
      for (const client of [a, b]) {
        if (client.socket.readyState !== client.socket.OPEN) continue;
        client.sendFrame(frame);
        sent++;
      }
    }
  };
  const timer = setInterval(sendDue, HONEST_PERIOD_MS / 2);
  sendDue();
  await b.waitFrames(1);
  return {
    a,
    b,
    get received() {
      return received;
    },
    async stop() {
      const rest = start + MIN_CALL_MS - performance.now();
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      clearInterval(timer);
      const until = performance.now() + 3000;
      while (received < sent && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([a.close(), b.close()]);
      const sorted = [...latencies].sort((x, y) => x - y);
      const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { sent, received, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
    },
  };
}

/** A raw TCP socket to the relay at `base`, connected (optionally from `localAddress`, e.g. another loopback address). */
export function rawSocket(base: string, localAddress?: string): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: url.hostname, port: Number(url.port), localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when `socket` closes, with how long after `since` (ms) and what it received. */
export function closedAfter(socket: Socket, since: number): Promise<{ ms: number; received: string }> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: performance.now() - since, received })));
}

/** The request of a WebSocket upgrade to `/ws?query`, as a client would send it. */
export function upgradeRequest(query: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `GET /ws?${query} HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/** Writes `text` one byte every `intervalMs` until done or the socket closes. */
export function trickle(socket: Socket, text: string | Uint8Array, intervalMs: number): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text);
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) return clearInterval(timer);
    socket.write(bytes.subarray(i, i + 1));
    i++;
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}

/**
 * Attack clients for bench:abuse and the hardening tests — what a hostile client does on
 * the wire, written by hand (no `ws`), so it can do what a well-behaved library never would:
 * start a message and never finish it, send an upgrade a byte at a time, nest JSON 20,000
 * deep. And the honest peers measured meanwhile: pairs exchanging small frames at 30 fps,
 * counting every frame and its latency.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { Codec, decodeFrame, encodeFrame } from '../codec/index.ts';

/** Opens a WebSocket by hand: resolves with the socket once the relay answered 101 (rejects on anything else). */
export function openRawWebSocket(port: number, query: string, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let head = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('upgrade timed out'));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      socket.write(
        `GET /ws?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      clearTimeout(timer);
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${head.slice(0, head.indexOf('\r\n'))}`));
        return;
      }
      socket.on('data', () => undefined); // keep reading (welcome, pings) so nothing backs up on our side
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Starts a masked binary message declaring `declaredBytes` and sends only `sendBytes` of it
 * (then nothing): the relay has to hold what arrived until the message completes — or until
 * it decides it never will. Resolves once the bytes are written.
 */
export async function sendUnfinishedMessage(socket: Socket, declaredBytes: number, sendBytes: number): Promise<void> {
  const header = Buffer.alloc(14);
  header[0] = 0x82; // FIN + binary
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(declaredBytes), 2);
  randomBytes(4).copy(header, 10);
  if (!socket.write(header)) await drained(socket);
  for (let sent = 0; sent < sendBytes && !socket.destroyed; sent += ZEROS.byteLength) {
    const chunk = sendBytes - sent >= ZEROS.byteLength ? ZEROS : ZEROS.subarray(0, sendBytes - sent);
    if (!socket.write(chunk)) await drained(socket);
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** What the honest peers saw. */
export interface HonestFigures {
  /** Frames sent, received, and missing (sent but never received) over all pairs. */
  sent: number;
  received: number;
  lost: number;
  /** Latency send → receive, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Pairs of peers, each in its own room, one sending a 2 KB frame every 33 ms to the other. */
export class HonestPairs {
  readonly #pairs: { room: string; sender: WebSocket; receiver: WebSocket; sent: number; received: Set<number> }[] = [];
  readonly #latencies: number[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;

  static async open(url: string, pairs: number): Promise<HonestPairs> {
    const honest = new HonestPairs();
    for (let i = 0; i < pairs; i++) {
      const room = `honest-${i}-${Date.now().toString(36)}`;
      const sender = await openWs(`${url}?room=${room}&name=sender`);
      const receiver = await openWs(`${url}?room=${room}&name=receiver`);
      const pair = { room, sender, receiver, sent: 0, received: new Set<number>() };
      receiver.on('message', (data, isBinary) => {
        if (!isBinary) return;
        const frame = decodeFrame(new Uint8Array(data as Buffer));
        pair.received.add(frame.seq);
        honest.#latencies.push(performance.timeOrigin + performance.now() - frame.captureTime);
      });
      honest.#pairs.push(pair);
    }
    return honest;
  }

  /** The pairs' rooms. */
  get rooms(): string[] {
    return this.#pairs.map((p) => p.room);
  }

  /** Starts sending (30 fps per pair). */
  start(): void {
    const payload = new Uint8Array(2048);
    payload[0] = 0xff;
    payload[1] = 0xd8;
    this.#timer = setInterval(() => {
      for (const pair of this.#pairs) {
        if (pair.sender.readyState !== WebSocket.OPEN) continue;
        pair.sender.send(encodeFrame({ codec: Codec.jpeg, width: 64, height: 48, payload, seq: pair.sent++, captureTime: performance.timeOrigin + performance.now() }));
      }
    }, 33);
  }

  /** Stops sending, waits for what is in flight, and returns the figures. */
  async stop(graceMs = 2000): Promise<HonestFigures> {
    clearInterval(this.#timer);
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    let sent = 0;
    let received = 0;
    for (const pair of this.#pairs) {
      sent += pair.sent;
      received += pair.received.size;
    }
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const at = (p: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
    return { sent, received, lost: sent - received, p50Ms: round(at(50)), p99Ms: round(at(99)), maxMs: round(sorted.at(-1) ?? Number.NaN) };
  }

  close(): void {
    clearInterval(this.#timer);
    for (const { sender, receiver } of this.#pairs) {
      sender.terminate();
      receiver.terminate();
    }
  }
}

function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('message', () => resolve(ws)); // the welcome
    ws.once('error', reject);
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The baseline of the relay benchmark: a bare `ws` server that forwards every binary
 * message to the other sockets of the same room (the `room` query parameter) and does
 * nothing else — no validation, no stamping, no backpressure. It is the ceiling of any
 * Node relay built on `ws`; framewire's relay is measured against it in the same run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec/index.ts';

/** Options of `startBaselineRelay`. */
export interface BaselineRelayOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Largest message accepted, bytes (same meaning as framewire's `maxPayload`). Default `DEFAULT_MAX_FRAME_BYTES`. */
  maxPayload?: number;
}

/** A running baseline relay. */
export interface BaselineRelay {
  /** The port it listens on. */
  readonly port: number;
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** Messages received and sent (per receiving socket), for the bench's own checks. */
  readonly stats: { connections: number; framesIn: number; framesOut: number; bytesIn: number; bytesOut: number; drops: number };
  /** Closes every socket and the server; safe to call twice. */
  close(): Promise<void>;
}

/** Default host of the baseline relay. */
export const DEFAULT_BASELINE_HOST = '127.0.0.1';

/** Starts the baseline relay; resolves once it listens. */
export async function startBaselineRelay(options: BaselineRelayOptions = {}): Promise<BaselineRelay> {
  const host = options.host ?? DEFAULT_BASELINE_HOST;
  const server: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_FRAME_BYTES,
  });
  const rooms = new Map<string, Set<WebSocket>>();
  const stats = { connections: 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, drops: 0 };

  wss.on('connection', (socket, req) => {
    const room = new URL(req.url ?? '/', 'http://localhost').searchParams.get('room') ?? '';
    let members = rooms.get(room);
    if (members === undefined) rooms.set(room, (members = new Set()));
    members.add(socket);
    stats.connections++;
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = data as Buffer;
      stats.framesIn++;
      stats.bytesIn += bytes.byteLength;
      for (const other of members) {
        if (other === socket || other.readyState !== other.OPEN) continue;
        other.send(bytes, { binary: true });
        stats.framesOut++;
        stats.bytesOut += bytes.byteLength;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      stats.connections--;
      members.delete(socket);
      if (members.size === 0) rooms.delete(room);
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    stats,
    close() {
      closing ??= new Promise<void>((done) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => server.close(() => done()));
      });
      return closing;
    },
  };
}

/**
 * An HTTP channel client for tests (the counterpart of server/test-client.ts): opens a
 * session, fetches the downlink over a stream or by polling, records every control message,
 * frame and close record it receives, and sends records as a browser would — one frame per
 * request, control messages batched, requests one at a time (so they reach the relay in order).
 */
import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { encodeCloseRecord, encodeControlRecord, RecordReader, type StreamRecord } from '../../codec/index.ts';
import { HTTP_CLOSE_PATH, HTTP_POLL_PATH, HTTP_SEND_PATH, HTTP_SESSION_PATH, HTTP_STREAM_PATH, TOKEN_HEADER } from '../../protocol/index.ts';
import { waitFor, type ControlMsg } from '../test-client.ts';

/** An HTTP answer, body read whole. */
export interface HttpAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** One request to the relay at `base` (e.g. `http://127.0.0.1:PORT`); resolves with the whole answer. */
export function httpRequest(
  base: string,
  method: string,
  path: string,
  options: { headers?: OutgoingHttpHeaders; body?: Uint8Array; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers: options.headers, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Options of `openHttpClient`. */
export interface HttpTestClientOptions {
  /** Room to join. Required. */
  room: string;
  /** Display name. Default 'tester'. */
  name?: string;
  /** Room secret. Default none. */
  secret?: string;
  /** Streaming mode. Default none (the relay's default). */
  mode?: string;
  /** More connect-query parameters. */
  query?: Record<string, string | undefined>;
  /** How the downlink is fetched. Default 'stream'. */
  downlink?: 'stream' | 'poll';
  /** Headers of every request (e.g. `{ origin }`). */
  headers?: OutgoingHttpHeaders;
  /** Wait for `welcome` (or a close record) before resolving. Default true. */
  waitWelcome?: boolean;
  /** Keep received frames in `frames` (else only count them). Default true. */
  keepFrames?: boolean;
}

export interface HttpTestClient {
  readonly token: string;
  /** Our peer id (from `welcome`), 0 before. */
  peerId: number;
  /** Every control message received, in order. */
  control: ControlMsg[];
  /** Every frame record received, in order. */
  frames: Uint8Array[];
  frameCount: number;
  lastFrame: Uint8Array | undefined;
  /** Keepalive records received. */
  keepalives: number;
  /** Records of every kind received, in order (kinds only). */
  kinds: StreamRecord['kind'][];
  /** Statuses of this client's `/fw/send` requests, in order. */
  sendStatuses: number[];
  /** Statuses of downlink requests that were not 200 (e.g. 404 once the session is gone). */
  downlinkErrors: number[];
  /** The close record received (the downlink's last record). */
  closed: Promise<{ code: number; reason: string }>;
  /** True once the downlink's close record arrived. */
  readonly isClosed: boolean;
  send(msg: object): void;
  sendText(text: string): void;
  sendFrame(bytes: Uint8Array): void;
  /** Sends a close record (after what is queued). */
  leave(code?: number, reason?: string): void;
  /** Resolves once every queued send was answered. */
  flushed(): Promise<void>;
  /** `POST /fw/close`; resolves with the status. */
  closeSession(): Promise<number>;
  /** Fetches the downlink again over a new stream or poll loop (the relay ends the older one). */
  attach(downlink: 'stream' | 'poll'): void;
  /** Stops fetching the downlink and sending (a client that vanished without a word). */
  stop(): void;
  /** Stops reading the stream's socket (the relay's writes back up into the kernel, then Node). */
  pauseStream(): void;
  resumeStream(): void;
  waitControl(match: (m: ControlMsg) => boolean, timeoutMs?: number): Promise<ControlMsg>;
  waitFrames(n: number, timeoutMs?: number): Promise<Uint8Array[]>;
  /** Drops every connection of this client. Safe to call twice. */
  dispose(): void;
}

type Outgoing = { kind: 'frame'; bytes: Uint8Array } | { kind: 'record'; bytes: Uint8Array };

/** Opens a session at the relay `base` and starts fetching its downlink. */
export async function openHttpClient(base: string, options: HttpTestClientOptions): Promise<HttpTestClient> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ room: options.room, name: options.name ?? 'tester', secret: options.secret, mode: options.mode, ...options.query })) {
    if (v !== undefined) params.set(k, v);
  }
  const headers = options.headers ?? {};
  const opened = await httpRequest(base, 'POST', `${HTTP_SESSION_PATH}?${params}`, { headers });
  if (opened.status !== 200) throw new Error(`session refused [status:${opened.status}, body:${opened.body.toString()}]`);
  const { token } = JSON.parse(opened.body.toString()) as { token: string };
  const auth = { ...headers, [TOKEN_HEADER]: token };
  const decoder = new TextDecoder();
  const keepFrames = options.keepFrames ?? true;
  const outgoing: Outgoing[] = [];
  let sending = false;
  let stopped = false;
  let isClosed = false;
  let resolveClosed!: (close: { code: number; reason: string }) => void;
  let stream: { req: ReturnType<typeof request>; res: IncomingMessage | undefined } | undefined;
  let pollGeneration = 0;
  /** Aborts the requests in flight when the client stops. */
  const aborter = new AbortController();

  const onRecords = (records: StreamRecord[]): void => {
    for (const record of records) {
      client.kinds.push(record.kind);
      switch (record.kind) {
        case 'frame':
          client.frameCount++;
          client.lastFrame = record.bytes;
          if (keepFrames) client.frames.push(record.bytes);
          break;
        case 'control': {
          const msg = JSON.parse(decoder.decode(record.utf8)) as ControlMsg;
          if (msg.type === 'welcome') client.peerId = msg['peerId'] as number;
          client.control.push(msg);
          break;
        }
        case 'close':
          isClosed = true;
          resolveClosed({ code: record.code, reason: record.reason });
          break;
        case 'keepalive':
          client.keepalives++;
          break;
      }
    }
  };

  const openStream = (): void => {
    const reader = new RecordReader();
    const req = request(new URL(HTTP_STREAM_PATH, base), { method: 'GET', headers: auth, agent: false }, (res) => {
      if (stream?.req === req) stream.res = res;
      if (res.statusCode !== 200) {
        client.downlinkErrors.push(res.statusCode ?? 0);
        res.resume();
        return;
      }
      res.on('data', (chunk: Buffer) => onRecords(reader.push(chunk)));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
    stream = { req, res: undefined };
  };

  const pollLoop = async (generation: number): Promise<void> => {
    while (!stopped && !isClosed && generation === pollGeneration) {
      let answer: HttpAnswer;
      try {
        answer = await httpRequest(base, 'GET', HTTP_POLL_PATH, { headers: auth, signal: aborter.signal });
      } catch {
        return;
      }
      if (answer.status !== 200) {
        client.downlinkErrors.push(answer.status);
        return;
      }
      if (stopped) return;
      onRecords(new RecordReader().push(answer.body));
    }
  };

  const pump = async (): Promise<void> => {
    if (sending) return;
    sending = true;
    while (outgoing.length > 0 && !stopped) {
      // One frame per request; control (and close) records batched into one.
      let body: Uint8Array;
      if (outgoing[0]!.kind === 'frame') {
        body = outgoing.shift()!.bytes;
      } else {
        const batch: Uint8Array[] = [];
        while (outgoing.length > 0 && outgoing[0]!.kind === 'record') batch.push(outgoing.shift()!.bytes);
        body = Buffer.concat(batch);
      }
      try {
        const answer = await httpRequest(base, 'POST', HTTP_SEND_PATH, { headers: { ...auth, 'content-type': 'application/octet-stream' }, body });
        client.sendStatuses.push(answer.status);
      } catch {
        client.sendStatuses.push(0);
      }
    }
    sending = false;
  };
  const enqueue = (item: Outgoing): void => {
    outgoing.push(item);
    void pump();
  };

  const client: HttpTestClient = {
    token,
    peerId: 0,
    control: [],
    frames: [],
    frameCount: 0,
    lastFrame: undefined,
    keepalives: 0,
    kinds: [],
    sendStatuses: [],
    downlinkErrors: [],
    closed: new Promise((resolve) => (resolveClosed = resolve)),
    get isClosed() {
      return isClosed;
    },
    send: (msg) => client.sendText(JSON.stringify(msg)),
    sendText: (text) => enqueue({ kind: 'record', bytes: encodeControlRecord(text) }),
    sendFrame: (bytes) => enqueue({ kind: 'frame', bytes }),
    leave: (code = 1000, reason = '') => enqueue({ kind: 'record', bytes: encodeCloseRecord(code, reason) }),
    flushed: () => waitFor(() => outgoing.length === 0 && !sending),
    async closeSession() {
      return (await httpRequest(base, 'POST', HTTP_CLOSE_PATH, { headers: auth })).status;
    },
    attach(downlink) {
      pollGeneration++;
      if (downlink === 'stream') openStream();
      else void pollLoop(pollGeneration);
    },
    stop() {
      stopped = true;
      pollGeneration++;
      stream?.req.destroy();
      aborter.abort();
    },
    pauseStream() {
      stream?.res?.pause();
    },
    resumeStream() {
      stream?.res?.resume();
    },
    async waitControl(match, timeoutMs = 5000) {
      await waitFor(() => client.control.some(match), timeoutMs).catch(() => {
        throw new Error(`control message not received [seen:${client.control.map((m) => m.type).join(',')}]`);
      });
      return client.control.find(match)!;
    },
    async waitFrames(n, timeoutMs = 5000) {
      await waitFor(() => client.frameCount >= n, timeoutMs).catch(() => {
        throw new Error(`frames not received [wanted:${n}, got:${client.frameCount}]`);
      });
      return client.frames;
    },
    dispose() {
      client.stop();
    },
  };
  client.attach(options.downlink ?? 'stream');
  if (options.waitWelcome ?? true) await waitFor(() => client.peerId !== 0 || isClosed);
  return client;
}

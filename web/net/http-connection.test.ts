/**
 * `HttpConnection` with Node 20's fetch: against a scripted HTTP server (uplink rules,
 * refusals, a stream handing over to polls — the test decides when each answer goes), and
 * against a real relay (a whole session over a stream and over long-polls).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeCloseRecord, encodeControlRecord, encodeFrame, encodeKeepaliveRecord, RecordReader } from '../../codec/index.ts';
import { HTTP_CLOSE_PATH, HTTP_POLL_PATH, HTTP_SEND_PATH, HTTP_SESSION_PATH, HTTP_STREAM_PATH, SEQ_HEADER, TOKEN_HEADER } from '../../protocol/index.ts';
import { startRelay, type Relay } from '../../server/relay.ts';
import type { ConnectionHandlers } from './connection.ts';
import { HttpConnection, MAX_AUDIO_IN_FLIGHT, MAX_FRAMES_IN_FLIGHT, sessionRefusal, type HttpConnectionOptions } from './http-connection.ts';

/** What the handlers of a connection were told. */
interface Heard {
  opened: boolean;
  controls: Record<string, unknown>[];
  frames: Uint8Array[];
  closed: { code: number; reason: string } | undefined;
}

function listen(): { heard: Heard; handlers: ConnectionHandlers } {
  const heard: Heard = { opened: false, controls: [], frames: [], closed: undefined };
  return {
    heard,
    handlers: {
      open: () => (heard.opened = true),
      control: (text) => heard.controls.push(JSON.parse(text) as Record<string, unknown>),
      frame: (bytes) => heard.frames.push(bytes),
      close: (code, reason) => {
        expect(heard.closed).toBeUndefined(); // told once
        heard.closed = { code, reason };
      },
    },
  };
}

async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const jpeg = (seq: number, bytes = 5): Uint8Array => {
  const payload = new Uint8Array(bytes).fill(0x11);
  payload.set([0xff, 0xd8]); // SOI
  return encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload, seq, captureTime: 1 });
};

const opus = (seq: number): Uint8Array =>
  encodeFrame({ codec: Codec.opus, width: 48000, height: 1, samples: 960, payload: new Uint8Array(60).fill(seq), seq, captureTime: 1 });

// ── a scripted server ────────────────────────────────────────────────────────

/** One request the scripted server got. */
interface Got {
  method: string;
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  contentType: string | undefined;
  /** The `x-framewire-seq` header, if any. */
  seq: string | undefined;
  body: Buffer;
  res: ServerResponse;
}

/** An HTTP server that records requests and answers as the test says (`answer`, or by hand through `got[i].res`). */
class Script {
  readonly got: Got[] = [];
  server!: Server;
  base = '';
  /** Answers a request as it comes; return false to leave it to the test. */
  answer: (got: Got) => boolean = () => false;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const token = req.headers[TOKEN_HEADER];
        const seq = req.headers[SEQ_HEADER];
        const got: Got = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          token: typeof token === 'string' ? token : undefined,
          contentType: req.headers['content-type'],
          seq: typeof seq === 'string' ? seq : undefined,
          body: Buffer.concat(chunks),
          res,
        };
        this.got.push(got);
        if (!this.answer(got) && got.path === HTTP_SESSION_PATH) json(res, 200, { token: 'T', pollWaitMs: 20_000 });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests to `path`, in arrival order. */
  at(path: string): Got[] {
    return this.got.filter((g) => g.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function records(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

const scripts: Script[] = [];
const relays: Relay[] = [];
const connections: HttpConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.close();
  await Promise.all(scripts.splice(0).map((s) => s.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

async function script(): Promise<Script> {
  const s = await new Script().start();
  scripts.push(s);
  return s;
}

function connect(base: string, handlers: ConnectionHandlers, options: Partial<HttpConnectionOptions> = {}): HttpConnection {
  const c = new HttpConnection({ base, query: 'room=r&name=me&resumable=1', ...options }, handlers);
  connections.push(c);
  return c;
}

describe('HttpConnection', () => {
  describe('session', () => {
    it('creates the session with the connect query, then sends the token with every request', async () => {
      const s = await script();
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      expect(c.sendControl('{"type":"ping","t":1}')).toBe(false); // not before the session exists
      await until(() => heard.opened);
      const [session] = s.at(HTTP_SESSION_PATH);
      expect(session).toMatchObject({ method: 'POST', token: undefined });
      expect(session!.query.get('room')).toBe('r');
      expect(session!.query.get('resumable')).toBe('1');
      expect(c.token).toBe('T');
      await until(() => s.at(HTTP_STREAM_PATH).length === 1);
      expect(s.at(HTTP_STREAM_PATH)[0]).toMatchObject({ method: 'GET', token: 'T' });
      c.close();
      c.close();
      await until(() => s.at(HTTP_CLOSE_PATH).length === 1);
      expect(s.at(HTTP_CLOSE_PATH)[0]).toMatchObject({ method: 'POST', token: 'T' });
      expect(heard.closed).toBeUndefined(); // closed by us: no handler
    });

    it.each([
      [503, { error: { code: 'shutting-down', message: 'relay is shutting down' } }, 1001, 'shutting-down'],
      [403, { error: { code: 'bad-origin', message: 'origin not allowed' } }, 1008, 'bad-origin'],
      [404, 'not json', 1002, 'http-404'],
      [502, 'bad gateway', 1011, 'http-502'],
    ])('turns a %i answer to the session request into a close (%s)', async (status, body, code, reason) => {
      const s = await script();
      s.answer = (got) => (json(got.res, status, body), true);
      const { heard, handlers } = listen();
      connect(s.base, handlers);
      await until(() => heard.closed !== undefined);
      expect(heard).toMatchObject({ opened: false, closed: { code, reason } });
    });

    it('is lost (1006) when the relay cannot be reached', async () => {
      const s = await script();
      const base = s.base;
      await s.close();
      scripts.splice(0);
      const { heard, handlers } = listen();
      connect(base, handlers);
      await until(() => heard.closed !== undefined);
      expect(heard.closed).toEqual({ code: 1006, reason: '' });
    });

    it('rejects options that cannot work with a TypeError', () => {
      const { handlers } = listen();
      expect(() => new HttpConnection({ base: '', query: '', maxDownlinkFailures: 0 }, handlers)).toThrow(/maxDownlinkFailures/);
      expect(() => new HttpConnection({ base: '', query: '', requestTimeoutMs: 0 }, handlers)).toThrow(TypeError);
    });

    it('maps session answers as documented', () => {
      expect(sessionRefusal(429, undefined)).toEqual({ code: 1013, reason: 'http-429' });
      expect(sessionRefusal(503, undefined)).toEqual({ code: 1001, reason: 'shutting-down' });
    });
  });

  describe('downlink', () => {
    it('cuts the stream into control messages and frames (records split across chunks), skipping keepalives, until the close record', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_STREAM_PATH) return false;
        got.res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const all = records(encodeControlRecord('{"type":"welcome","peerId":3}'), encodeKeepaliveRecord(), jpeg(1, 3000), encodeControlRecord('{"type":"chat","text":"é"}'));
        // Cut at odd places: inside a prefix, inside a frame.
        got.res.write(all.subarray(0, 3));
        setTimeout(() => got.res.write(all.subarray(3, 60)), 10);
        setTimeout(() => got.res.write(all.subarray(60)), 20);
        setTimeout(() => got.res.end(encodeCloseRecord(1008, 'room-full')), 30);
        return true;
      };
      const { heard, handlers } = listen();
      connect(s.base, handlers);
      await until(() => heard.closed !== undefined);
      expect(heard.controls).toEqual([{ type: 'welcome', peerId: 3 }, { type: 'chat', text: 'é' }]);
      expect(heard.frames).toHaveLength(1);
      expect(decodeFrame(heard.frames[0]!).payload.byteLength).toBe(3000);
      expect(heard.closed).toEqual({ code: 1008, reason: 'room-full' });
      // The relay ended the session: nothing to close.
      connections[0]!.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(s.at(HTTP_CLOSE_PATH)).toHaveLength(0);
    });

    it('re-attaches a stream that ended without a close record', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_STREAM_PATH) return false;
        got.res.writeHead(200);
        got.res.end(encodeControlRecord(`{"type":"n","i":${s.at(HTTP_STREAM_PATH).length}}`));
        return true;
      };
      const { heard, handlers } = listen();
      connect(s.base, handlers);
      await until(() => heard.controls.length >= 3);
      expect(heard.controls.slice(0, 3)).toEqual([
        { type: 'n', i: 1 },
        { type: 'n', i: 2 },
        { type: 'n', i: 3 },
      ]);
      expect(heard.closed).toBeUndefined();
    });

    it('long-polls: every answer is read whole, and the next poll goes out at once', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_POLL_PATH) return false;
        const n = s.at(HTTP_POLL_PATH).length;
        const body = n < 4 ? records(encodeControlRecord(`{"type":"n","i":${n}}`), jpeg(n)) : encodeCloseRecord(1001, 'shutting-down');
        got.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength });
        got.res.end(body);
        return true;
      };
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers, { downlink: 'poll' });
      expect(c.kind).toBe('long-poll');
      await until(() => heard.closed !== undefined);
      expect(heard.controls.map((m) => m['i'])).toEqual([1, 2, 3]);
      expect(heard.frames.map((f) => decodeFrame(f).seq)).toEqual([1, 2, 3]);
      expect(heard.closed).toEqual({ code: 1001, reason: 'shutting-down' });
      expect(s.at(HTTP_STREAM_PATH)).toHaveLength(0);
    });

    it('moves from the stream to polls without losing or reordering a record', async () => {
      const s = await script();
      let stream: ServerResponse | undefined;
      s.answer = (got) => {
        if (got.path === HTTP_STREAM_PATH) {
          stream = got.res;
          got.res.writeHead(200);
          got.res.write(encodeControlRecord('{"type":"n","i":1}'));
          return true;
        }
        if (got.path === HTTP_POLL_PATH) {
          const n = s.at(HTTP_POLL_PATH).length;
          if (n === 1) {
            // The poll ends the stream — whose last record a buffering proxy lets out late.
            setTimeout(() => stream!.end(encodeControlRecord('{"type":"n","i":2}')), 100);
            got.res.end(encodeControlRecord('{"type":"n","i":3}'));
          } else {
            setTimeout(() => got.res.end(n === 2 ? encodeControlRecord('{"type":"n","i":4}') : encodeKeepaliveRecord()), 20);
          }
          return true;
        }
        return false;
      };
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.controls.length === 1);
      c.toLongPoll();
      expect(c.kind).toBe('long-poll');
      await until(() => heard.controls.length === 4);
      expect(heard.controls.map((m) => m['i'])).toEqual([1, 2, 3, 4]);
      expect(s.at(HTTP_STREAM_PATH)).toHaveLength(1);
    });

    it('is lost (1006 unknown-session) when the relay no longer knows the token', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_STREAM_PATH) return false;
        json(got.res, 404, { error: { code: 'unknown-session', message: 'no such session' } });
        return true;
      };
      const { heard, handlers } = listen();
      connect(s.base, handlers);
      await until(() => heard.closed !== undefined);
      expect(heard.closed).toEqual({ code: 1006, reason: 'unknown-session' });
    });

    it('ends with 1002 and the FrameError code when the body is not a record stream', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_STREAM_PATH) return false;
        got.res.writeHead(200);
        got.res.end('<html>proxy error</html>');
        return true;
      };
      const { heard, handlers } = listen();
      connect(s.base, handlers);
      await until(() => heard.closed !== undefined);
      expect(heard.closed!.code).toBe(1002);
      expect(['too-large', 'bad-magic', 'too-short']).toContain(heard.closed!.reason);
    });
  });

  describe('uplink', () => {
    it('sends one frame per request as application/octet-stream, two in flight at most: busy until one is answered', async () => {
      expect(MAX_FRAMES_IN_FLIGHT).toBe(2);
      const s = await script();
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.opened);
      const first = jpeg(1, 1000);
      const second = jpeg(2, 500);
      expect(c.sendFrame(first)).toBe(true);
      expect(c.busy).toBe(false);
      expect(c.bufferedAmount).toBe(first.byteLength);
      expect(c.sendFrame(second)).toBe(true);
      expect(c.busy).toBe(true);
      expect(c.bufferedAmount).toBe(first.byteLength + second.byteLength);
      expect(c.sendFrame(jpeg(3))).toBe(false); // a third is refused
      await until(() => s.at(HTTP_SEND_PATH).length === 2);
      const sends = s.at(HTTP_SEND_PATH);
      for (const send of sends) expect(send).toMatchObject({ method: 'POST', token: 'T', contentType: 'application/octet-stream' });
      // Both requests are in flight at once (they may arrive in either order); each is numbered in send order.
      const byBody = new Map(sends.map((g) => [g.body.byteLength, g]));
      expect(new Uint8Array(byBody.get(first.byteLength)!.body)).toEqual(first);
      expect(byBody.get(first.byteLength)!.seq).toBe('0');
      expect(byBody.get(second.byteLength)!.seq).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(c.busy).toBe(true); // neither answered yet
      byBody.get(second.byteLength)!.res.writeHead(204).end();
      await until(() => !c.busy);
      expect(c.bufferedAmount).toBe(first.byteLength);
      expect(c.sendFrame(jpeg(3))).toBe(true);
      expect(c.busy).toBe(true);
      await until(() => s.at(HTTP_SEND_PATH).length === 3);
      expect(s.at(HTTP_SEND_PATH)[2]!.seq).toBe('2');
    });

    it('sends audio frames while video is busy, up to MAX_AUDIO_IN_FLIGHT requests in all, numbered in the same order', async () => {
      expect(MAX_AUDIO_IN_FLIGHT).toBe(4);
      const s = await script();
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.opened);
      expect(c.sendFrame(jpeg(1, 1000))).toBe(true);
      expect(c.sendFrame(jpeg(2, 900))).toBe(true);
      expect(c.busy).toBe(true); // video is latest-wins: a third video frame would be refused…
      expect(c.sendAudio(opus(3))).toBe(true); // …audio is not
      expect(c.sendAudio(opus(4))).toBe(true);
      expect(c.sendAudio(opus(5))).toBe(false); // past the audio budget: 4 requests in flight
      await until(() => s.at(HTTP_SEND_PATH).length === 4);
      expect(s.at(HTTP_SEND_PATH).map((g) => Number(g.seq)).sort()).toEqual([0, 1, 2, 3]);
      for (const send of s.at(HTTP_SEND_PATH)) send.res.writeHead(204).end();
      await until(() => c.bufferedAmount === 0);
      expect(c.sendAudio(opus(6))).toBe(true);
    });

    it('numbers every send, frames and control batches alike, from one counter in send order', async () => {
      const s = await script();
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.opened);
      c.sendControl('{"type":"chat","text":"1"}'); // seq 0
      expect(c.sendFrame(jpeg(1, 300))).toBe(true); // seq 1
      await until(() => s.at(HTTP_SEND_PATH).length === 2);
      c.sendControl('{"type":"chat","text":"2"}'); // waits for the batch in flight
      expect(c.sendFrame(jpeg(2, 400))).toBe(true); // seq 2
      await until(() => s.at(HTTP_SEND_PATH).length === 3);
      const control = s.at(HTTP_SEND_PATH).find((g) => g.seq === '0')!;
      expect(control.body.equals(encodeControlRecord('{"type":"chat","text":"1"}'))).toBe(true);
      control.res.writeHead(204).end(); // the next batch goes: seq 3
      await until(() => s.at(HTTP_SEND_PATH).length === 4);
      const seqOf = (body: Uint8Array): string | undefined => s.at(HTTP_SEND_PATH).find((g) => g.body.equals(body))?.seq;
      expect(seqOf(jpeg(1, 300))).toBe('1');
      expect(seqOf(jpeg(2, 400))).toBe('2');
      expect(seqOf(encodeControlRecord('{"type":"chat","text":"2"}'))).toBe('3');
      expect(s.at(HTTP_SEND_PATH).map((g) => Number(g.seq)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    });

    it('batches control messages while one request is in flight, in order', async () => {
      const s = await script();
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.opened);
      c.sendControl('{"type":"chat","text":"1"}');
      await until(() => s.at(HTTP_SEND_PATH).length === 1);
      c.sendControl('{"type":"chat","text":"2"}');
      c.sendControl('{"type":"chat","text":"3"}');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(s.at(HTTP_SEND_PATH)).toHaveLength(1); // one at a time
      s.at(HTTP_SEND_PATH)[0]!.res.writeHead(204).end();
      await until(() => s.at(HTTP_SEND_PATH).length === 2);
      const texts = s.at(HTTP_SEND_PATH).map((g) => new RecordReader().push(new Uint8Array(g.body)).map((r) => (r.kind === 'control' ? JSON.parse(new TextDecoder().decode(r.utf8)).text : r.kind)));
      expect(texts).toEqual([['1'], ['2', '3']]);
    });

    it('is lost when a send gets no answer, and 404 on a send is a lost session', async () => {
      const s = await script();
      s.answer = (got) => {
        if (got.path !== HTTP_SEND_PATH) return false;
        got.res.destroy();
        return true;
      };
      const { heard, handlers } = listen();
      const c = connect(s.base, handlers);
      await until(() => heard.opened);
      c.sendControl('{"type":"ping","t":1}');
      await until(() => heard.closed !== undefined);
      expect(heard.closed).toEqual({ code: 1006, reason: '' });
      expect(s.at(HTTP_CLOSE_PATH)).toHaveLength(0); // a lost session is left for a resume
    });
  });

  describe('against the relay', () => {
    async function relay(): Promise<Relay> {
      const r = await startRelay({ port: 0, logLevel: 'error' } as Parameters<typeof startRelay>[0]);
      relays.push(r);
      return r;
    }

    for (const downlink of ['stream', 'poll'] as const) {
      it(`carries a session over ${downlink === 'stream' ? 'a stream' : 'long-polls'}: welcome, pong, chat, frames both ways, leave`, async () => {
        const r = await relay();
        const a = listen();
        const b = listen();
        const alice = connect(r.url, a.handlers, { query: 'room=h1&name=Alice&resumable=1', downlink });
        await until(() => a.heard.controls.some((m) => m['type'] === 'welcome'));
        const bob = connect(r.url, b.handlers, { query: 'room=h1&name=Bob', downlink });
        await until(() => b.heard.controls.some((m) => m['type'] === 'welcome'));
        const welcome = a.heard.controls[0]!;
        expect(welcome).toMatchObject({ type: 'welcome', name: 'Alice' });
        expect(typeof welcome['resume']).toBe('string');
        const aliceId = Number(welcome['peerId']);

        alice.sendControl(JSON.stringify({ type: 'ping', t: 5 }));
        await until(() => a.heard.controls.some((m) => m['type'] === 'pong'));
        expect(a.heard.controls.find((m) => m['type'] === 'pong')).toMatchObject({ t: 5 });

        alice.sendControl(JSON.stringify({ type: 'chat', text: 'one' }));
        alice.sendControl(JSON.stringify({ type: 'chat', text: 'two' }));
        await until(() => b.heard.controls.filter((m) => m['type'] === 'chat').length === 2);
        expect(b.heard.controls.filter((m) => m['type'] === 'chat').map((m) => m['text'])).toEqual(['one', 'two']);

        expect(alice.sendFrame(jpeg(9, 20_000))).toBe(true);
        await until(() => b.heard.frames.length === 1);
        expect(decodeFrame(b.heard.frames[0]!)).toMatchObject({ seq: 9, sourceId: aliceId });
        await until(() => !alice.busy);
        expect(bob.sendFrame(jpeg(4))).toBe(true);
        await until(() => a.heard.frames.length === 1);

        alice.close();
        await until(() => b.heard.controls.some((m) => m['type'] === 'peer-left'));
        expect(r.peers('h1').map((p) => p.name)).toEqual(['Bob']);
      });
    }

    it('hears the relay shutting down as a close record', async () => {
      const r = await relay();
      const a = listen();
      connect(r.url, a.handlers, { query: 'room=h2&name=Ann' });
      await until(() => a.heard.controls.some((m) => m['type'] === 'welcome'));
      await r.close();
      relays.splice(0);
      await until(() => a.heard.closed !== undefined);
      expect(a.heard.closed).toEqual({ code: 1001, reason: 'shutting-down' });
    });
  });
});

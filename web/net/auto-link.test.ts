/**
 * `AutoLink`'s policy on a fake clock (vitest's fake timers, `performance` included) with
 * fake connections: the test plays the network and the relay on each connection the link
 * dials (`open`, `welcome`, `end`, records, a cluster's `redirect`), and watches what the link
 * dials next, to which node, when, and what it tells the app (state, transport, welcome).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Codec, encodeFrame } from '../../codec/index.ts';
import type { WelcomeMessage } from '../../protocol/index.ts';
import { AutoLink, type AutoLinkOptions } from './auto-link.ts';
import { localNow } from './clock-offset.ts';
import type { Connection, ConnectionHandlers } from './connection.ts';
import type { RelayNode } from './redirect.ts';
import type { ControlMessage, LinkState, StateInfo, TransportInfo, TransportKind } from './relay-link.ts';
import { DRAIN_MS, MAX_REDIRECTS } from './session-link.ts';

/** A connection the test drives. */
class FakeConnection implements Connection {
  kind: TransportKind;
  readonly query: URLSearchParams;
  /** The node it was dialed to. */
  readonly node: RelayNode;
  readonly sent: unknown[] = [];
  busy = false;
  bufferedAmount = 0;
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  /** True: the relay end stops answering (no pongs) — a stalled path. Else, once welcomed, every ping gets its pong at once. */
  silent = false;
  #welcomed = false;
  toLongPoll?: () => void;
  readonly #handlers: ConnectionHandlers;

  constructor(kind: TransportKind, query: string, handlers: ConnectionHandlers, node: RelayNode) {
    this.kind = kind;
    this.query = new URLSearchParams(query);
    this.node = node;
    this.#handlers = handlers;
    if (kind === 'http-stream') this.toLongPoll = () => (this.kind = 'long-poll');
  }

  /** The transport came up. */
  open(): void {
    this.#handlers.open();
  }

  /** The relay welcomes us (as peer 7, with resume token `token`). */
  welcome(token: string, extra: Partial<WelcomeMessage> = {}): void {
    this.#welcomed = true;
    this.control({ type: 'welcome', peerId: 7, room: 'r', name: 'me', mode: 'jpeg', peers: [], serverTime: 0, iceServers: [], resume: token, ...extra });
  }

  control(message: object): void {
    this.#handlers.control(JSON.stringify(message));
  }

  frame(bytes: Uint8Array): void {
    this.#handlers.frame(bytes);
  }

  /** The connection ends from the far side. */
  end(code: number, reason = ''): void {
    this.#handlers.close(code, reason);
  }

  /** A cluster node that does not own the room: `redirect` to `url` instead of a welcome, then the close 4302. */
  redirect(url: unknown): void {
    this.open();
    this.control({ type: 'redirect', url, room: 'r' });
    this.end(4302, 'redirect');
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  sendControl(text: string): boolean {
    if (this.closed) return false;
    const message = JSON.parse(text) as { type: string; t?: number };
    this.sent.push(message);
    if (message.type === 'ping' && this.#welcomed && !this.silent) this.control({ type: 'pong', t: message.t, serverTime: message.t });
    return true;
  }

  sendFrame(): boolean {
    return !this.closed;
  }

  sendAudio(): boolean {
    return !this.closed;
  }

  close(code?: number, reason?: string): void {
    this.closedWith ??= { code, reason };
  }
}

interface Rig {
  link: AutoLink;
  dials: FakeConnection[];
  states: [LinkState, StateInfo][];
  transports: TransportInfo[];
  welcomes: WelcomeMessage[];
  /** The last connection dialed. */
  last(): FakeConnection;
}

const links: AutoLink[] = [];

function rig(options: Partial<AutoLinkOptions> = {}): Rig {
  const dials: FakeConnection[] = [];
  const link = new AutoLink({
    wsUrl: 'ws://relay.test/ws',
    httpBase: '',
    query: 'room=r&name=me',
    backoff: { baseMs: 1000, maxMs: 1000, random: () => 0.5 },
    dial: (kind, query, handlers, node) => {
      const connection = new FakeConnection(kind, query, handlers, node);
      dials.push(connection);
      return connection;
    },
    ...options,
  });
  links.push(link);
  const r: Rig = { link, dials, states: [], transports: [], welcomes: [], last: () => dials[dials.length - 1]! };
  link.on('state', (state, info) => r.states.push([state, info]));
  link.on('transport', (info) => r.transports.push(info));
  link.on('welcome', (welcome) => r.welcomes.push(welcome));
  link.open();
  return r;
}

const kinds = (r: Rig): TransportKind[] => r.dials.map((d) => d.kind);

/** A link whose WebSocket could not connect, welcomed on an HTTP stream (resume token 't1'). */
function onHttp(options: Partial<AutoLinkOptions> = {}): Rig & { http: FakeConnection } {
  const r = rig(options);
  r.dials[0]!.end(1006);
  const http = r.last();
  http.open();
  http.welcome('t1');
  return { ...r, http };
}

/** A proxy letting out a second of frames at a time: 15 frames sent over 1 s arrive together, up to 6 times (until the link polls). */
function burstyProxy(http: FakeConnection): void {
  for (let burst = 0; burst < 6 && http.kind === 'http-stream'; burst++) {
    vi.advanceTimersByTime(1000);
    const now = localNow();
    for (let i = 0; i < 15; i++) http.frame(frameAt(now - 1000 + i * 66));
  }
}

/** A frame that left the relay at `relayTime` (relay clock). */
const frameAt = (relayTime: number): Uint8Array =>
  encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload: new Uint8Array([0xff, 0xd8, 1]), seq: 1, sourceId: 3, relayTime });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
});

afterEach(() => {
  for (const link of links.splice(0)) link.close();
  vi.useRealTimers();
});

describe('AutoLink', () => {
  describe('connecting', () => {
    it('tries WebSocket first, asking for a resume token', () => {
      const r = rig();
      expect(kinds(r)).toEqual(['websocket']);
      expect(r.last().query.get('room')).toBe('r');
      expect(r.last().query.get('resumable')).toBe('1');
      expect(r.last().query.has('resume')).toBe(false);
      expect(r.link.transport).toEqual({ kind: 'websocket' });
    });

    it('goes to an HTTP stream at once when the WebSocket cannot open', () => {
      const r = rig();
      r.dials[0]!.end(1006);
      expect(kinds(r)).toEqual(['websocket', 'http-stream']);
      expect(r.states.map(([s]) => s)).toEqual(['connecting', 'connecting']);
      r.last().open();
      r.last().welcome('t1');
      expect(r.link.ready).toBe(true);
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket could not connect' });
      expect(r.transports).toEqual([{ kind: 'http-stream', reason: 'WebSocket could not connect' }]);
    });

    it('goes to an HTTP stream when the WebSocket opens but no welcome comes within 3 s', () => {
      const r = rig();
      r.dials[0]!.open();
      vi.advanceTimersByTime(2999);
      expect(kinds(r)).toEqual(['websocket']);
      vi.advanceTimersByTime(1);
      expect(r.dials[0]!.closed).toBe(true);
      expect(kinds(r)).toEqual(['websocket', 'http-stream']);
      r.last().open();
      r.last().welcome('t1');
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket blocked (no welcome within 3 s)' });
    });

    it('stays on WebSocket (with backoff) when the relay itself answered on it', () => {
      const r = rig();
      const ws = r.dials[0]!;
      ws.open();
      ws.control({ type: 'error', code: 'server-full', message: 'server is full', limit: 10 });
      ws.end(1013, 'server-full');
      expect(kinds(r)).toEqual(['websocket']);
      expect(r.link.state).toBe('reconnecting');
      expect(r.states.at(-1)![1]).toMatchObject({ code: 1013, delayMs: 750, refusal: { code: 'server-full', limit: 10 } });
      vi.advanceTimersByTime(750);
      expect(kinds(r)).toEqual(['websocket', 'websocket']);
    });

    it('polls the same session when its stream brings no welcome within 3 s', () => {
      const r = rig();
      r.dials[0]!.end(1006);
      const http = r.last();
      http.open();
      vi.advanceTimersByTime(3000);
      expect(http.kind).toBe('long-poll');
      expect(http.closed).toBe(false);
      expect(r.dials).toHaveLength(2);
      http.welcome('t1');
      expect(r.link.transport).toEqual({ kind: 'long-poll', reason: 'WebSocket could not connect; the stream is held back (no welcome within 3 s)' });
    });

    it('starts over from WebSocket after the backoff when HTTP got nowhere either', () => {
      const r = rig();
      r.dials[0]!.end(1006);
      r.last().end(1006);
      expect(r.link.state).toBe('reconnecting');
      expect(kinds(r)).toEqual(['websocket', 'http-stream']);
      vi.advanceTimersByTime(750);
      expect(kinds(r)).toEqual(['websocket', 'http-stream', 'websocket']);
      r.last().end(1006);
      expect(kinds(r)).toEqual(['websocket', 'http-stream', 'websocket', 'http-stream']);
    });
  });

  describe('a buffered stream', () => {
    it('moves to long-poll when records come in bursts against their relay times', () => {
      const { http, ...r } = onHttp();
      const frames: Uint8Array[] = [];
      r.link.on('frame', (bytes) => frames.push(bytes));
      burstyProxy(http);
      expect(http.kind).toBe('long-poll');
      expect(r.dials).toHaveLength(2); // the same session, no new connection
      expect(frames.length).toBeGreaterThanOrEqual(45);
      expect(r.link.transport).toEqual({ kind: 'long-poll', reason: 'WebSocket could not connect; proxy buffers the stream' });
      expect(r.transports.at(-1)).toEqual(r.link.transport);
    });

    it('stays on the stream while frames arrive as they left', () => {
      const { http } = onHttp();
      for (let i = 0; i < 300; i++) {
        vi.advanceTimersByTime(66);
        http.frame(frameAt(localNow() - 20));
      }
      expect(http.kind).toBe('http-stream');
    });

    it('goes to long-poll at once for the next session of the link', () => {
      const { http, ...r } = onHttp({ probeDelayMs: 60_000 });
      burstyProxy(http);
      http.end(1006);
      expect(r.last().kind).toBe('long-poll');
      expect(r.last().query.get('resume')).toBe('t1');
    });
  });

  describe('probing WebSocket from HTTP', () => {
    it('probes with resume=<token> after 5 s and moves to WebSocket when the probe is welcomed', () => {
      const r = onHttp();
      vi.advanceTimersByTime(4999);
      expect(r.dials).toHaveLength(2);
      vi.advanceTimersByTime(1);
      const probe = r.last();
      expect(probe.kind).toBe('websocket');
      expect(probe.query.get('resume')).toBe('t1');
      expect(probe.query.get('resumable')).toBe('1');
      probe.open();
      expect(probe.sent).toEqual([]); // a probe does not speak for the session
      const controls: string[] = [];
      r.link.on('control', (m) => controls.push(m.type));
      probe.welcome('t2', { resumed: true });
      expect(r.link.transport).toEqual({ kind: 'websocket' });
      expect(r.transports.at(-1)).toEqual({ kind: 'websocket' });
      expect(r.welcomes.at(-1)).toMatchObject({ resumed: true, peerId: 7 });
      expect(r.link.ready).toBe(true);
      expect(r.link.sendControl({ type: 'chat', text: 'hi' })).toBe(true);
      expect(probe.sent).toContainEqual({ type: 'chat', text: 'hi' });
      // The old session's last records still count; its close ('resumed') changes nothing.
      r.http.control({ type: 'chat', from: 2, name: 'x', text: 'late', ts: 1 });
      expect(controls).toEqual(['chat']);
      const states = r.states.length;
      r.http.end(1000, 'resumed');
      expect(r.states).toHaveLength(states);
      expect(r.link.state).toBe('open');
      // The next connection resumes with the newest token.
      probe.end(1006);
      expect(r.last().query.get('resume')).toBe('t2');
    });

    it('drops the old connection after DRAIN_MS if it does not end by itself', () => {
      const r = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      probe.open();
      probe.welcome('t2', { resumed: true });
      expect(r.http.closed).toBe(false);
      vi.advanceTimersByTime(DRAIN_MS);
      expect(r.http.closedWith).toEqual({ code: 1000, reason: 'resumed' });
    });

    it('waits for the probe when the relay closes the HTTP session as resumed before the probe hears its welcome', () => {
      const r = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      probe.open();
      r.http.end(1000, 'resumed');
      expect(r.dials).toHaveLength(3);
      expect(r.states.at(-1)![0]).toBe('open');
      probe.welcome('t2', { resumed: true });
      expect(r.link.ready).toBe(true);
      expect(r.link.transport.kind).toBe('websocket');
    });

    it('stops probing when a probe reached the relay (HTTP closed as resumed) but its welcome never came', () => {
      const r = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      probe.open();
      r.http.end(1000, 'resumed');
      vi.advanceTimersByTime(3000);
      expect(probe.closed).toBe(true);
      const http = r.last();
      expect(http.kind).toBe('http-stream'); // at once, back on HTTP
      http.open();
      http.welcome('t9');
      const dials = r.dials.length;
      vi.advanceTimersByTime(600_000);
      expect(r.dials).toHaveLength(dials);
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket blocked (no welcome within 3 s)' });
    });

    it('probes again 10, 20, 40, 60, 60 s after failed probes, and not once on WebSocket', () => {
      const r = onHttp();
      const probeTimes: number[] = [];
      let t = 0;
      for (let i = 0; i < 6; i++) {
        const before = r.dials.length;
        while (r.dials.length === before) {
          vi.advanceTimersByTime(1000);
          t += 1000;
        }
        probeTimes.push(t);
        r.last().end(1006); // blocked again
      }
      expect(probeTimes).toEqual([5000, 15_000, 35_000, 75_000, 135_000, 195_000]);
      expect(r.link.transport.kind).toBe('http-stream');
      expect(r.link.ready).toBe(true);
      // A probe that got through: no probes any more.
      vi.advanceTimersByTime(60_000);
      r.last().open();
      r.last().welcome('t3', { resumed: true });
      const dials = r.dials.length;
      vi.advanceTimersByTime(300_000);
      expect(r.dials).toHaveLength(dials);
    });

    it('a probe WebSocket that does not get its welcome within 3 s is a failed probe, the session goes on', () => {
      const r = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      probe.open();
      vi.advanceTimersByTime(3000);
      expect(probe.closed).toBe(true);
      expect(r.link.ready).toBe(true);
      expect(r.link.transport.kind).toBe('http-stream');
    });

    it('a probe refused for good ends only the probe', () => {
      const r = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      probe.open();
      probe.control({ type: 'error', code: 'bad-secret', message: 'wrong secret' });
      probe.end(1008, 'bad-secret');
      expect(r.link.state).toBe('open');
      expect(r.link.ready).toBe(true);
    });

    it('does not probe in a forced mode', () => {
      for (const transport of ['http', 'poll'] as const) {
        const r = rig({ transport });
        expect(kinds(r)).toEqual([transport === 'http' ? 'http-stream' : 'long-poll']);
        r.last().open();
        r.last().welcome('t1');
        vi.advanceTimersByTime(300_000);
        expect(r.dials).toHaveLength(1);
        expect(r.link.transport).toEqual({ kind: r.last().kind, reason: `set by the page (transport=${transport})` });
      }
    });
  });

  describe('losing the connection mid-call', () => {
    it('goes from a dead WebSocket straight to HTTP with resume=<token>, without a backoff delay', () => {
      const r = rig();
      const ws = r.dials[0]!;
      ws.open();
      ws.welcome('t1');
      expect(r.link.transport).toEqual({ kind: 'websocket' });
      ws.end(1006);
      const http = r.last();
      expect(http.kind).toBe('http-stream');
      expect(http.query.get('resume')).toBe('t1');
      const [state, info] = r.states.at(-1)!;
      expect(state).toBe('reconnecting');
      expect(info.delayMs).toBeUndefined(); // no 'lost' session: the call goes on
      http.open();
      http.welcome('t2', { resumed: true });
      expect(r.link.state).toBe('open');
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket connection lost' });
      expect(r.welcomes.at(-1)).toMatchObject({ resumed: true });
    });

    it('gives up a WebSocket that stalls (no pong, no frame for 8 s) without closing it, and resumes over HTTP', () => {
      const r = rig();
      const ws = r.dials[0]!;
      ws.silent = true;
      ws.open();
      ws.welcome('t1');
      vi.advanceTimersByTime(7000);
      ws.control({ type: 'pong', t: localNow(), serverTime: localNow() }); // still alive at 7 s
      vi.advanceTimersByTime(7000);
      expect(r.dials).toHaveLength(1);
      vi.advanceTimersByTime(2000); // 9 s of silence: given up at the next ping tick
      expect(kinds(r)).toEqual(['websocket', 'http-stream']);
      expect(r.last().query.get('resume')).toBe('t1');
      expect(ws.closed).toBe(false); // a close could reach the relay before the resume and end the peer
      r.last().open();
      r.last().welcome('t2', { resumed: true });
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket stalled (nothing arrived)' });
      vi.advanceTimersByTime(10_000);
      expect(ws.closedWith).toEqual({ code: 1000, reason: 'resumed' });
    });

    it('retries a WebSocket the relay closed (1001 shutting down) on WebSocket after the backoff', () => {
      const r = rig();
      r.dials[0]!.open();
      r.dials[0]!.welcome('t1');
      r.dials[0]!.end(1001, 'shutting-down');
      expect(r.states.at(-1)![1]).toMatchObject({ code: 1001, delayMs: 750 });
      vi.advanceTimersByTime(750);
      expect(kinds(r)).toEqual(['websocket', 'websocket']);
      expect(r.last().query.get('resume')).toBe('t1');
    });

    it('resumes a lost HTTP session at once on HTTP', () => {
      const r = rig({ transport: 'http' });
      r.last().open();
      r.last().welcome('t1');
      r.last().end(1006);
      expect(kinds(r)).toEqual(['http-stream', 'http-stream']);
      expect(r.last().query.get('resume')).toBe('t1');
    });

    it('stays on WebSocket with backoff when forced to (transport=ws)', () => {
      const r = rig({ transport: 'ws' });
      r.dials[0]!.end(1006);
      expect(kinds(r)).toEqual(['websocket']);
      vi.advanceTimersByTime(750);
      expect(kinds(r)).toEqual(['websocket', 'websocket']);
      r.last().open();
      vi.advanceTimersByTime(10_000);
      expect(r.dials).toHaveLength(2); // no 3 s welcome limit either
    });
  });

  describe('redirects (a cluster)', () => {
    const home: RelayNode = { wsUrl: 'ws://relay.test/ws', httpBase: '' };
    const node2: RelayNode = { wsUrl: 'wss://node-2.test:8443/n2/ws', httpBase: 'https://node-2.test:8443/n2' };
    const node3: RelayNode = { wsUrl: 'ws://node-3.test/ws', httpBase: 'http://node-3.test' };
    const failure = (r: Rig): StateInfo | undefined => r.states.find(([state]) => state === 'failed')?.[1];

    it('reconnects at once to the node named, with the same query, and is welcomed there as the first session', () => {
      const r = rig();
      const controls: ControlMessage[] = [];
      r.link.on('control', (m) => controls.push(m));
      const entry = r.dials[0]!;
      expect(entry.node).toEqual(home);
      entry.redirect('https://node-2.test:8443/n2');
      expect(r.dials).toHaveLength(2); // no timer ran: at once
      const there = r.last();
      expect(there.kind).toBe('websocket');
      expect(there.node).toEqual(node2);
      expect([...there.query]).toEqual([...entry.query]);
      expect(r.states.map(([s]) => s)).toEqual(['connecting', 'connecting']);
      expect(r.link.nodeBase).toBe(node2.httpBase);
      expect(r.link.redirects).toBe(1);
      there.open();
      there.welcome('t1');
      expect(r.link.state).toBe('open');
      expect(r.welcomes).toHaveLength(1);
      expect(controls).toEqual([]); // the redirect is the link's, not the app's
      expect(failure(r)).toBeUndefined();
    });

    it('follows a redirect that comes over the HTTP fallback to the HTTP channel of the node named, then probes WebSocket there', () => {
      const r = rig();
      r.dials[0]!.end(1006); // WebSocket blocked on the way to the entry point
      const entry = r.last();
      expect(entry).toMatchObject({ kind: 'http-stream', node: home });
      entry.redirect('https://node-2.test:8443/n2/');
      const there = r.last();
      expect(there).toMatchObject({ kind: 'http-stream', node: node2 });
      there.open();
      there.welcome('t1');
      expect(r.link.transport).toEqual({ kind: 'http-stream', reason: 'WebSocket could not connect' });
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      expect(probe).toMatchObject({ kind: 'websocket', node: node2 }); // its token is for that node
      expect(probe.query.get('resume')).toBe('t1');
      probe.open();
      probe.welcome('t2', { resumed: true });
      expect(r.link.transport).toEqual({ kind: 'websocket' });
      expect(r.link.nodeBase).toBe(node2.httpBase);
    });

    it('goes home with the resume token when the connection to the node is lost, and home redirects it back', () => {
      const r = rig();
      r.dials[0]!.redirect('https://node-2.test:8443/n2');
      r.last().open();
      r.last().welcome('t1');
      r.last().end(1006);
      const back = r.last();
      expect(back).toMatchObject({ kind: 'http-stream', node: home });
      expect(back.query.get('resume')).toBe('t1');
      expect(r.link.nodeBase).toBe('');
      back.redirect('https://node-2.test:8443/n2');
      const there = r.last();
      expect(there).toMatchObject({ kind: 'http-stream', node: node2 });
      expect(there.query.get('resume')).toBe('t1');
      there.open();
      there.welcome('t2', { resumed: true });
      expect(r.link.ready).toBe(true);
      expect(r.link.redirects).toBe(2);
      expect(r.states.some(([, info]) => info.delayMs !== undefined)).toBe(false); // never a lost session
      expect(failure(r)).toBeUndefined();
    });

    it('goes home after the backoff when the node shuts down (1001)', () => {
      const r = rig();
      r.dials[0]!.redirect('https://node-2.test:8443/n2');
      r.last().open();
      r.last().welcome('t1');
      r.last().end(1001, 'shutting-down');
      vi.advanceTimersByTime(750);
      expect(r.last()).toMatchObject({ kind: 'websocket', node: home });
      expect(r.last().query.get('resume')).toBe('t1');
    });

    it('tries the node over HTTP when its WebSocket cannot connect, and goes home after the backoff when that fails too', () => {
      const r = rig();
      r.dials[0]!.redirect('https://node-2.test:8443/n2');
      r.last().end(1006);
      expect(r.last()).toMatchObject({ kind: 'http-stream', node: node2 });
      r.last().end(1006);
      expect(r.dials).toHaveLength(3);
      vi.advanceTimersByTime(750);
      expect(r.last()).toMatchObject({ kind: 'websocket', node: home });
    });

    it(`fails with "redirect loop" on redirect ${MAX_REDIRECTS + 1} in a row without a welcome`, () => {
      const r = rig();
      for (let i = 0; i < MAX_REDIRECTS; i++) r.last().redirect(i % 2 === 0 ? 'http://node-3.test' : 'https://node-2.test:8443/n2');
      expect(r.dials).toHaveLength(MAX_REDIRECTS + 1);
      expect(r.link.state).toBe('connecting');
      r.last().redirect('https://node-2.test:8443/n2');
      expect(r.link.state).toBe('failed');
      expect(failure(r)).toMatchObject({ code: 4302, reason: 'redirect', refusal: { code: 'redirect' } });
      expect(failure(r)!.refusal!.message).toMatch(/^redirect loop: 4 redirects in a row without a welcome \[max:3, /);
      vi.advanceTimersByTime(600_000);
      expect(r.dials).toHaveLength(MAX_REDIRECTS + 1);
      expect(r.link.redirects).toBe(MAX_REDIRECTS);
    });

    it('counts the redirects in a row again after a welcome, and after a retry that waited the backoff', () => {
      const r = rig();
      for (let i = 0; i < MAX_REDIRECTS; i++) r.last().redirect('http://node-3.test');
      r.last().open();
      r.last().welcome('t1');
      r.last().end(1006); // lost: home over HTTP
      for (let i = 0; i < MAX_REDIRECTS; i++) r.last().redirect('http://node-3.test');
      expect(r.last().node).toEqual(node3);
      r.last().end(1013, 'server-full'); // the relay answered: home again after the backoff
      vi.advanceTimersByTime(750);
      expect(r.last().node).toEqual(home);
      r.last().redirect('http://node-3.test');
      expect(r.last().node).toEqual(node3);
      expect(r.link.redirects).toBe(2 * MAX_REDIRECTS + 1);
      expect(failure(r)).toBeUndefined();
    });

    it('refuses a redirect that is not an http(s) base URL, with the reason', () => {
      const cases: [unknown, RegExp][] = [
        ['ws://node-2.test', /^bad redirect: only http: and https: nodes can be reached \[url:ws:\/\/node-2\.test\/\]$/],
        ['javascript:alert(1)', /only http: and https:/],
        ['node-2.test:8443', /only http: and https:/],
        ['/n2', /^bad redirect: not a URL \[url:\/n2\]$/],
        [42, /not a URL \[url:42\]/],
        [undefined, /not a URL/],
        ['https://node-2.test/n2?room=other', /a node's base URL has no query or fragment/],
        ['https://node-2.test/n2#x', /no query or fragment/],
      ];
      for (const [url, message] of cases) {
        const r = rig();
        r.last().redirect(url);
        expect(r.dials, String(url)).toHaveLength(1);
        expect(r.link.state).toBe('failed');
        expect(failure(r)?.refusal?.message, String(url)).toMatch(message);
      }
    });

    it('refuses a redirect with credentials in its URL, without showing them', () => {
      const r = rig();
      r.last().redirect('https://admin:hunter2@node-2.test/n2');
      expect(r.link.state).toBe('failed');
      const message = failure(r)!.refusal!.message!;
      expect(message).toBe('bad redirect: the URL carries credentials [url:https://node-2.test/n2]');
      expect(message).not.toContain('hunter2');
    });

    it('refuses to go from TLS to plain http, and allows the other way', () => {
      const secure = rig({ wsUrl: 'wss://relay.test/ws' });
      secure.last().redirect('http://node-3.test');
      expect(secure.dials).toHaveLength(1);
      expect(failure(secure)?.refusal?.message).toBe('bad redirect: from an https page or entry point to plain http [url:http://node-3.test/]');
      const plain = rig();
      plain.last().redirect('https://node-2.test:8443/n2');
      expect(plain.last().node).toEqual(node2);
    });

    it('fails clearly on a close 4302 without a redirect before it', () => {
      const r = rig();
      r.last().open();
      r.last().end(4302, 'redirect');
      expect(failure(r)?.refusal?.message).toBe('bad redirect: the relay closed with 4302 without naming a node');
    });
  });

  describe('stopping', () => {
    it('stops everything on a fatal refusal, probes included', () => {
      const { http, ...r } = onHttp();
      http.control({ type: 'error', code: 'abuse', message: 'too many refused messages' });
      http.end(1008, 'abuse');
      expect(r.link.state).toBe('failed');
      expect(r.states.at(-1)![1]).toMatchObject({ code: 1008, refusal: { code: 'abuse' } });
      vi.advanceTimersByTime(600_000);
      expect(r.dials).toHaveLength(2);
    });

    it('close() closes the connections and stops every timer', () => {
      const { http, ...r } = onHttp();
      vi.advanceTimersByTime(5000);
      const probe = r.last();
      expect(probe.kind).toBe('websocket');
      r.link.close();
      r.link.close();
      expect(http.closed && probe.closed).toBe(true);
      expect(r.link.state).toBe('closed');
      expect(vi.getTimerCount()).toBe(0);
      expect(r.link.sendControl({ type: 'ping', t: 1 })).toBe(false);
    });

    it('close() while waiting to retry cancels the retry', () => {
      const r = rig({ transport: 'ws' });
      r.dials[0]!.end(1006);
      r.link.close();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('the session', () => {
    it('pings on the session connection and takes the clock from its pongs', () => {
      const r = rig();
      const ws = r.dials[0]!;
      ws.open();
      ws.welcome('t1');
      vi.advanceTimersByTime(400);
      const pings = ws.sent.filter((m) => (m as { type: string }).type === 'ping') as { t: number }[];
      expect(pings).toHaveLength(5);
      ws.control({ type: 'pong', t: pings[0]!.t, serverTime: pings[0]!.t + 1000 });
      expect(r.link.clock.synced).toBe(true);
    });

    it('answers busy while the connection holds the previous frame, offline before the welcome', () => {
      const r = rig();
      const ws = r.dials[0]!;
      ws.open();
      expect(r.link.sendFrame(frameAt(1))).toBe('offline');
      ws.welcome('t1');
      expect(r.link.sendFrame(frameAt(1))).toBe('sent');
      ws.busy = true;
      expect(r.link.busy).toBe(true);
      expect(r.link.sendFrame(frameAt(1))).toBe('busy');
    });

    it('rejects options that cannot work with a TypeError', () => {
      const base = { wsUrl: 'ws://x/ws', httpBase: '', query: 'room=r&name=n' };
      expect(() => new AutoLink({ ...base, transport: 'smoke' as never })).toThrow(/transport must be one of/);
      expect(() => new AutoLink({ ...base, wsUrl: 'http://x/ws' })).toThrow(TypeError);
      expect(() => new AutoLink({ ...base, probeDelayMs: 10, probeMaxDelayMs: 5 })).toThrow(TypeError);
      expect(() => new AutoLink({ ...base, welcomeTimeoutMs: 0 })).toThrow(TypeError);
    });
  });
});

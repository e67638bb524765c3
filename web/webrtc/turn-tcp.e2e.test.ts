/**
 * WebRTC mode forced through a real TURN server over TCP — the comparison for networks that
 * block UDP. Debian's coturn (`turnserver`) runs on loopback with a TCP listener only (no UDP,
 * no TLS, no DTLS listener), long-term credentials, loopback peers allowed; the relay hands it
 * out in `welcome.iceServers` as `turn:127.0.0.1:PORT?transport=tcp`. Relay-only ICE comes from
 * the relay (`iceTransportPolicy: 'relay'`, the CLI's `--ice-relay-only`) or from the page
 * (`ice=relay`). Two Chromium pages paint each other, `framewire.stats()` says the selected
 * pair is `relay/tcp`, and coturn's log shows the allocations. Without coturn the file FAILS
 * (install it with `apt-get install coturn`); it never skips. Run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomName, useCallRig, waitForConnected, waitForPainted, type CallPage } from '../../web-node/call-page.ts';

const TURN_USER = 'fw';
const TURN_PASS = 'secret';
/** UDP ports coturn may allocate relayed addresses on (one per allocation; a call of two needs ~2–4). */
const RELAY_PORT_COUNT = 40;

/** Records the configuration of every RTCPeerConnection the page creates (a plain script: no bundler helpers). */
const RECORD_PC_CONFIG = `
  const Native = RTCPeerConnection;
  window.__pcConfigs = [];
  window.RTCPeerConnection = function (config) { window.__pcConfigs.push(config); return new Native(config); };
  window.RTCPeerConnection.prototype = Native.prototype;
`;

/** Path of coturn's `turnserver` on PATH (or /usr/bin, /usr/sbin), or throws saying how to install it. */
function findTurnserver(): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'].filter((d) => d !== '');
  for (const dir of dirs) {
    const path = join(dir, 'turnserver');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error(`coturn's turnserver not found [looked in: ${[...new Set(dirs)].join(', ')}]. Install it with \`apt-get install coturn\` (Debian/Ubuntu); this test needs a real TURN server and does not skip.`);
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
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
async function freeUdpRange(count: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const min = 20_000 + Math.floor(Math.random() * (40_000 - count));
    if (await udpRangeFree(min, min + count - 1)) return { min, max: min + count - 1 };
  }
  throw new Error(`no free range of ${count} UDP ports on 127.0.0.1`);
}

/** coturn's `turnserver` on 127.0.0.1, TCP listener only, its stdout kept in `log`. */
class Coturn {
  readonly port: number;
  readonly args: string[];
  #child: ChildProcess | undefined;
  #log = '';
  readonly #dir: string;

  private constructor(port: number, relayPorts: { min: number; max: number }, dir: string) {
    this.port = port;
    this.#dir = dir;
    // prettier-ignore
    this.args = [
      '-n',                                     // no configuration file: everything is here
      '--no-udp', '--no-dtls', '--no-tls',      // one listener: plain TCP (UDP blocked, as on the networks this is for)
      '--listening-ip', '127.0.0.1', '--listening-port', String(port),
      '--relay-ip', '127.0.0.1', '--min-port', String(relayPorts.min), '--max-port', String(relayPorts.max),
      '--allow-loopback-peers',                 // the peers' relayed addresses are on 127.0.0.1 too
      '--lt-cred-mech', '--user', `${TURN_USER}:${TURN_PASS}`, '--realm', 'framewire',
      '--no-cli', '--log-file', 'stdout', '--simple-log', '-v',
      '--pidfile', join(dir, 'turnserver.pid'), '--userdb', join(dir, 'turndb'), // nothing under /var
    ];
  }

  /** Starts coturn and waits until its TCP listener is open. Throws with its log if it is not within 10 s. */
  static async start(): Promise<Coturn> {
    const binary = findTurnserver();
    const turn = new Coturn(await freeTcpPort(), await freeUdpRange(RELAY_PORT_COUNT), mkdtempSync(join(tmpdir(), 'framewire-coturn-')));
    const child = spawn(binary, turn.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    turn.#child = child;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (turn.#log += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (turn.#log += chunk));
    const ready = `TCP listener opened on : 127.0.0.1:${turn.port}`;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`coturn did not open its TCP listener within 10 s [args: ${turn.args.join(' ')}]\n${turn.#log}`)), 10_000);
      const check = (): void => {
        if (turn.#log.includes(ready)) {
          clearTimeout(timer);
          done();
        }
      };
      child.stdout!.on('data', check);
      child.once('error', (error) => {
        clearTimeout(timer);
        fail(new Error(`coturn failed to start: ${error.message}. Install it with \`apt-get install coturn\`.`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`coturn exited at start [code:${code}, signal:${signal}]\n${turn.#log}`));
      });
    });
    return turn;
  }

  /** Everything coturn printed so far. */
  get log(): string {
    return this.#log;
  }

  /** How many allocations coturn granted so far. */
  allocations(): number {
    return this.#log.split('\n').filter((line) => line.includes(`user <${TURN_USER}>: incoming packet ALLOCATE processed, success`)).length;
  }

  /** What the relay hands out for it. */
  iceServer(): { urls: string; username: string; credential: string } {
    return { urls: `turn:127.0.0.1:${this.port}?transport=tcp`, username: TURN_USER, credential: TURN_PASS };
  }

  /** SIGTERM, then SIGKILL after 3 s; removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

describe('WebRTC through TURN over TCP (coturn)', () => {
  let coturn: Coturn | undefined;
  let startError: unknown;
  /** The running coturn; a test that needs it FAILS with the start error (e.g. `apt-get install coturn`). */
  const turn = (): Coturn => {
    if (coturn === undefined) throw startError instanceof Error ? startError : new Error('coturn is not running');
    return coturn;
  };
  beforeAll(async () => {
    try {
      coturn = await Coturn.start();
    } catch (error) {
      startError = error; // NOTE: thrown by each test (a failing hook would report the tests as skipped)
    }
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  const rig = useCallRig({ relay: false });

  /** A WebRTC call page recording its RTCPeerConnection configs and console errors. */
  const open = async (room: string, name: string, params: Record<string, string> = {}): Promise<CallPage & { errors: string[] }> => {
    const context = await rig.chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(RECORD_PC_CONFIG);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    const query = new URLSearchParams({ room, name, mode: 'webrtc', res: '640x480', fps: '15', autostart: '1', ...params });
    await page.goto(`${rig.relay.url}/?${query.toString()}`);
    await waitForConnected(page);
    const callPage = rig.pages.add({ page, context, close: () => context.close().catch(() => undefined) });
    return Object.assign(callPage, { errors });
  };
  /** The route `viewer` reports for its connection to the peer named `from`, once known. */
  const routeTo = async (viewer: CallPage, from: string): Promise<string> => {
    const handle = await viewer.page.waitForFunction(
      (name) => window.framewire.stats().peers.find((p) => p.name === name)?.webrtc?.route ?? false,
      from,
      { timeout: 20_000, polling: 250 },
    );
    return (await handle.jsonValue()) as string;
  };
  const pcPolicies = async (page: CallPage): Promise<(string | undefined)[]> =>
    ((await page.page.evaluate('window.__pcConfigs')) as RTCConfiguration[]).map((c) => c.iceTransportPolicy);

  it('relays both directions through coturn over TCP when the relay is relay-only (--ice-relay-only)', async () => {
    await rig.startRelay({ iceServers: [turn().iceServer()], iceTransportPolicy: 'relay' });
    const before = turn().allocations();
    const room = roomName('turn-tcp');
    const ann = await open(room, 'ann', { stats: '1' });
    const bob = await open(room, 'bob');
    await waitForPainted(ann.page, 'bob', 20, 45_000);
    await waitForPainted(bob.page, 'ann', 20, 45_000);
    // The relay's policy (welcome.iceTransportPolicy) reached every RTCPeerConnection.
    for (const page of [ann, bob]) {
      const policies = await pcPolicies(page);
      expect(policies.length).toBeGreaterThan(0);
      expect(new Set(policies)).toEqual(new Set(['relay']));
    }
    // Each side's selected pair is a relayed candidate reached over TCP, shown in stats and overlay.
    expect(await routeTo(ann, 'bob')).toBe('relay/tcp');
    expect(await routeTo(bob, 'ann')).toBe('relay/tcp');
    const overlay = await ann.page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid="tile-remote"] [data-testid="tile-stats"]')?.textContent ?? '';
        return text.includes('route') ? text : false;
      },
      undefined,
      { timeout: 10_000, polling: 200 },
    );
    expect(await overlay.jsonValue()).toContain('routerelay/tcp');
    // coturn granted the allocations (at least one per page), and the relay carried no frame.
    expect(turn().allocations() - before, turn().log).toBeGreaterThanOrEqual(2);
    expect(rig.relay.stats.framesIn).toBe(0);
    expect([...ann.errors, ...bob.errors]).toEqual([]);
  });

  it('relays through coturn over TCP when the page asks (ice=relay) and the relay allows all; without it, host', async () => {
    await rig.startRelay({ iceServers: [turn().iceServer()] });
    const forced = roomName('turn-page');
    const ann = await open(forced, 'ann', { ice: 'relay' });
    const bob = await open(forced, 'bob', { ice: 'relay' });
    await waitForPainted(ann.page, 'bob', 10, 45_000);
    await waitForPainted(bob.page, 'ann', 10, 45_000);
    expect(new Set(await pcPolicies(ann))).toEqual(new Set(['relay']));
    expect(await routeTo(ann, 'bob')).toBe('relay/tcp');
    expect(await routeTo(bob, 'ann')).toBe('relay/tcp');
    await rig.pages.closeAll();

    // Same relay, same TURN server, no ice=relay: ICE picks the direct route.
    const direct = roomName('turn-direct');
    const cid = await open(direct, 'cid');
    const dee = await open(direct, 'dee');
    await waitForPainted(cid.page, 'dee', 10, 45_000);
    expect(new Set(await pcPolicies(cid))).toEqual(new Set(['all']));
    expect(await routeTo(cid, 'dee')).toBe('host');
    await waitForPainted(dee.page, 'cid', 10, 45_000);
  });

  it('refuses ice=relay without a TURN server: the page says why instead of never connecting', async () => {
    await rig.startRelay({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
    const page = await open(roomName('turn-none'), 'eve', { ice: 'relay' });
    const toast = await page.page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="toast"]')].map((t) => t.textContent ?? '').find((t) => t.includes('relay-only')) ?? false,
      undefined,
      { timeout: 15_000, polling: 100 },
    );
    expect(await toast.jsonValue()).toMatch(/^Could not start webrtc: WebRTC relay-only \(ice=relay\) needs a TURN server, but the relay's 1 ICE server\(s\) are STUN only: start the relay with --turn URL/);
    expect(page.errors.some((e) => e.includes('[framewire] WebRTC relay-only (ice=relay) needs a TURN server'))).toBe(true);
    // No RTCPeerConnection was made that could never connect.
    expect(await pcPolicies(page)).toEqual([]);
  });
});

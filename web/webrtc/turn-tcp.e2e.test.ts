/**
 * WebRTC mode forced through a real TURN server over TCP — the comparison for networks that
 * block UDP. Debian's coturn (`turnserver`, started by web-node/coturn.ts) runs on loopback with a TCP listener only (no UDP,
 * no TLS, no DTLS listener), long-term credentials, loopback peers allowed; the relay hands it
 * out in `welcome.iceServers` as `turn:127.0.0.1:PORT?transport=tcp`. Relay-only ICE comes from
 * the relay (`iceTransportPolicy: 'relay'`, the CLI's `--ice-relay-only`) or from the page
 * (`ice=relay`). Two Chromium pages paint each other, `framewire.stats()` says the selected
 * pair is `relay/tcp`, and coturn's log shows the allocations. Without coturn the file FAILS
 * (install it with `apt-get install coturn`); it never skips. Run `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomName, useCallRig, waitForConnected, waitForPainted, type CallPage } from '../../web-node/call-page.ts';
import { Coturn } from '../../web-node/coturn.ts';

/** Records the configuration of every RTCPeerConnection the page creates (a plain script: no bundler helpers). */
const RECORD_PC_CONFIG = `
  const Native = RTCPeerConnection;
  window.__pcConfigs = [];
  window.RTCPeerConnection = function (config) { window.__pcConfigs.push(config); return new Native(config); };
  window.RTCPeerConnection.prototype = Native.prototype;
`;

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

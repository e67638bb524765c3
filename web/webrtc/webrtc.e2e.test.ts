/**
 * WebRTC mode in real Chromium against a real relay on loopback: two pages negotiate through
 * the relay's `signal` messages (perfect negotiation) and paint each other — proven by the
 * frame ids each page reads back from its <video> matching what the other page drew — the
 * overlay figures come from getStats(), and a raw-mode peer sees a clear message instead of a
 * black tile. Run `npm run build` first (the relay serves dist/web).
 */
import { describe, expect, it } from 'vitest';
import { roomName, stats, useCallRig, waitForConnected, waitForPainted, type CallPage, type CallPageOptions } from '../../web-node/call-page.ts';
import type { HarnessApi } from '../harness/latency-harness.ts';
import { joinLatency, type CaptureMark, type PaintMark } from '../harness/latency-recorder.ts';

const ICE_SERVERS = [
  { urls: 'stun:127.0.0.1:3478' },
  { urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:127.0.0.1:5349'], username: 'u', credential: 'p' },
];

/** Records the configuration of every RTCPeerConnection the page creates (a plain script: no bundler helpers). */
const RECORD_PC_CONFIG = `
  const Native = RTCPeerConnection;
  window.__pcConfigs = [];
  window.RTCPeerConnection = function (config) { window.__pcConfigs.push(config); return new Native(config); };
  window.RTCPeerConnection.prototype = Native.prototype;
`;

describe('WebRTC mode', () => {
  // Unreachable STUN/TURN servers: the pages must get them, and still connect on host candidates.
  const rig = useCallRig({ relay: { iceServers: ICE_SERVERS } });
  const open = rig.open;
  /** Like `open`, with RECORD_PC_CONFIG injected before the app's scripts run. */
  const openRecordingConfig = async (options: CallPageOptions): Promise<CallPage> => {
    const context = await rig.chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(RECORD_PC_CONFIG);
    const page = await context.newPage();
    const query = new URLSearchParams({ room: options.room, name: options.name, mode: options.mode ?? 'webrtc', fps: String(options.fps ?? 15), autostart: '1', ...options.params });
    await page.goto(`${rig.relay.url}/?${query.toString()}`);
    await waitForConnected(page);
    return rig.pages.add({ page, context, close: () => context.close().catch(() => undefined) });
  };
  const harness = async (page: CallPage): Promise<{ captures: CaptureMark[]; paints: PaintMark[]; misses: number }> =>
    page.page.evaluate(() => {
      const h = window.framewire['harness'] as HarnessApi;
      return { captures: h.captures(), paints: h.paints(), misses: h.misses() };
    });

  it('connects two pages through the relay signaling and each paints the other', async () => {
    const room = roomName('webrtc');
    const params = { source: 'harness', harness: 'synthetic' };
    const ann = await openRecordingConfig({ room, name: 'ann', mode: 'webrtc', fps: 30, params });
    const bob = await open({ room, name: 'bob', mode: 'webrtc', fps: 30, params });
    await waitForPainted(ann.page, 'bob', 20, 30_000);
    // The relay's ICE servers (STUN, TURN over UDP and TCP, TURNS) reached the RTCPeerConnection.
    const configs = (await ann.page.evaluate('window.__pcConfigs')) as RTCConfiguration[];
    expect(configs.length).toBeGreaterThan(0);
    expect(configs[0]!.iceServers).toEqual(ICE_SERVERS);
    await waitForPainted(bob.page, 'ann', 20, 30_000);

    for (const [viewer, other] of [
      [ann, bob],
      [bob, ann],
    ] as const) {
      // The picture in the viewer's <video> is the other page's canvas: its frame ids were drawn there.
      const seen = await harness(viewer);
      const drawn = await harness(other);
      const matched = joinLatency(drawn.captures, seen.paints);
      expect(matched.length).toBeGreaterThan(10);
      const tile = await viewer.page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="tile-remote"] video');
        return video ? { width: video.videoWidth, height: video.videoHeight, srcObject: video.srcObject !== null } : null;
      });
      expect(tile).toEqual({ width: 640, height: 480, srcObject: true });
    }
    // Media went peer to peer: the relay carried signaling only, not a single frame.
    expect(rig.relay.stats.framesIn).toBe(0);
  });

  it('fills the stats overlay from getStats(): fps, kbps, jitter buffer, decode time, RTT', async () => {
    const room = roomName('webrtc-stats');
    const ann = await open({ room, name: 'ann', mode: 'webrtc', stats: true });
    await open({ room, name: 'bob', mode: 'webrtc' });
    await waitForPainted(ann.page, 'bob', 10, 30_000);
    await ann.page.waitForFunction(
      () => {
        const w = window.framewire.stats().peers[0]?.webrtc;
        return w != null && w.fps !== null && w.kbps !== null && w.jitterBufferDelayMs !== null && w.decodeMs !== null && w.rttMs !== null;
      },
      undefined,
      { timeout: 20_000, polling: 250 },
    );
    const snapshot = await stats(ann.page);
    const peer = snapshot.peers[0]!;
    expect(peer.mode).toBe('webrtc');
    expect(peer.webrtc!.fps).toBeGreaterThan(0);
    expect(peer.webrtc!.kbps).toBeGreaterThan(0);
    expect(peer.framesReceived).toBeGreaterThan(0);
    expect(snapshot.self.framesSent).toBeGreaterThan(0);
    expect(snapshot.self.bytesSent).toBeGreaterThan(0);
    // The remote tile's overlay shows the getStats() rows.
    const overlay = await ann.page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid="tile-remote"] [data-testid="tile-stats"]')?.textContent ?? '';
        return text.includes('jitter buffer') && text.includes('rtt') && text.includes('webrtc 640×480') ? text : false;
      },
      undefined,
      { timeout: 10_000, polling: 200 },
    );
    expect(await overlay.jsonValue()).toMatch(/jitter buffer[\d.]+ ms/);
  });

  it('reconnects the video when a peer switches to raw mode and back to WebRTC mid-call', async () => {
    const room = roomName('switch');
    const ann = await open({ room, name: 'ann', mode: 'webrtc' });
    const bob = await open({ room, name: 'bob', mode: 'webrtc' });
    await waitForPainted(ann.page, 'bob', 5, 30_000);
    await bob.page.evaluate(() => window.framewire.setSettings({ mode: 'jpeg' }));
    await ann.page.waitForFunction(() => window.framewire.stats().peers.some((p) => p.name === 'bob' && p.mode === 'jpeg'), undefined, { timeout: 15_000 });
    await bob.page.evaluate(() => window.framewire.setSettings({ mode: 'webrtc' }));
    // Bob rejoined with a new peer id: ann must paint the new bob's video from scratch.
    await ann.page.waitForFunction(
      () => window.framewire.stats().peers.some((p) => p.name === 'bob' && p.mode === 'webrtc' && p.framesPainted >= 5),
      undefined,
      { timeout: 30_000, polling: 200 },
    );
    await waitForPainted(bob.page, 'ann', 5, 30_000);
  });

  it('tells a raw-mode peer and a WebRTC-mode peer why they see no video', async () => {
    const room = roomName('mixed');
    const raw = await open({ room, name: 'rita', mode: 'jpeg' });
    const rtc = await open({ room, name: 'walt', mode: 'webrtc' });
    const noteOf = (page: CallPage): Promise<string | null> =>
      page.page
        .waitForFunction(
          () => {
            const note = document.querySelector('[data-testid="tile-remote"] .tile-avatar em');
            const text = note?.textContent ?? '';
            return text.includes('mode') ? text : false;
          },
          undefined,
          { timeout: 15_000, polling: 200 },
        )
        .then((handle) => handle.jsonValue() as Promise<string>);
    expect(await noteOf(raw)).toBe(
      'walt is in WebRTC mode and you are in raw jpeg mode: no video between these modes (switch to webrtc to see each other).',
    );
    expect(await noteOf(rtc)).toBe(
      'rita is in raw jpeg mode and you are in WebRTC mode: no video between these modes (switch to jpeg or bgra to see each other).',
    );
    const avatarShown = await rtc.page.evaluate(() => !document.querySelector<HTMLElement>('[data-testid="tile-remote"] .tile-avatar')!.hidden);
    expect(avatarShown).toBe(true);
  });
});

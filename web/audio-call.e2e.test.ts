/**
 * Sound in a call, in real Chromium against a real relay on loopback. Chromium's fake
 * microphone plays a clip of 1 kHz tone bursts (200 ms every second, made by the test with
 * the bundled ffmpeg); the receiving page's playout and the sending page's microphone are
 * recorded (`framewire.startAudioTap`) and analysed in Node: the tone's frequency, the bursts
 * in order one second apart, and mouth-to-ear latency from burst onsets (both pages share the
 * machine's wall clock). Then: mute stops the packets and the muted badge shows; a peer sending
 * a bad audio frame is closed without anyone else hearing anything odd; a denied microphone
 * leaves a call with pictures and a clear message. Figures are printed, not asserted tight:
 * the targets are bench:audio's.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Codec, encodeFrame, Offset } from '../codec/index.ts';
import { connectClient } from '../server/test-client.ts';
import { RESULTS_DIR, roomName, stats, useCallRig, waitForPainted } from '../web-node/call-page.ts';
import { launchChromium } from '../web-node/chromium.ts';
import { burstOnsets, decodeTap, DEFAULT_BURSTS, median, pairOnsets, toneBurstWav, toneFrequency, type Recording } from '../web-node/tone-analysis.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The tone clip, made once per run. */
async function toneFile(): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resolve(RESULTS_DIR, 'tone-bursts.wav');
  await toneBurstWav(path, DEFAULT_BURSTS);
  return path;
}

async function peerId(page: Page): Promise<number> {
  return page.evaluate(() => window.framewire.state().peerId);
}

/** Audio packets `page` has received from peer `from` (0 before any). */
async function packetsFrom(page: Page, from: number): Promise<number> {
  return (await stats(page)).peers.find((p) => p.id === from)?.audio?.packets ?? 0;
}

async function waitForAudio(page: Page, from: number, packets: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction(([id, n]) => (window.framewire.stats().peers.find((p) => p.id === id)?.audio?.packets ?? 0) >= n, [from, packets] as const, { timeout, polling: 100 });
}

/** Records `seconds` of what `page` hears from `from` (0: its microphone). */
async function startTap(page: Page, from: number, seconds: number): Promise<void> {
  expect(await page.evaluate(([id, s]) => window.framewire.startAudioTap(id, s), [from, seconds] as const), `tap of ${from}`).toBe(true);
}

async function readTap(page: Page, from: number): Promise<Recording> {
  const tap = await page.evaluate((id) => window.framewire.readAudioTap(id), from);
  expect(tap, `tap of ${from}`).not.toBeNull();
  return decodeTap(tap!);
}

describe('browser client: sound', () => {
  const rig = useCallRig({ launch: async () => launchChromium({ args: [`--use-file-for-fake-audio-capture=${await toneFile()}`] }) });

  describe.each([
    { audio: 'auto', codec: 'opus' },
    { audio: 'pcm', codec: 'pcm' },
  ])('$codec', ({ audio, codec }) => {
    it('the receiver hears the sender’s tone bursts at the right frequency, in order, and with a mouth-to-ear latency', async () => {
      const room = roomName(`audio-${codec}`);
      const alice = await rig.open({ room, name: 'Alice', res: '320x240', params: { audio } });
      const bob = await rig.open({ room, name: 'Bob', res: '320x240', params: { audio } });
      const aliceId = await peerId(alice.page);
      await waitForPainted(bob.page, 'Alice', 5);
      await waitForAudio(bob.page, aliceId, 25);
      await sleep(3000); // the jitter buffer settles on the call's jitter (the page start is bursty)
      const seconds = 6;
      await Promise.all([startTap(alice.page, 0, seconds + 1), startTap(bob.page, aliceId, seconds + 1)]);
      await sleep(seconds * 1000);
      const [captured, heard] = await Promise.all([readTap(alice.page, 0), readTap(bob.page, aliceId)]);
      const capturedOnsets = burstOnsets(captured);
      const heardOnsets = burstOnsets(heard);
      const frequency = toneFrequency(heard);
      const latencies = pairOnsets(capturedOnsets, heardOnsets, 900);
      const s = await stats(bob.page);
      const fromAlice = s.peers.find((p) => p.id === aliceId)!;
      const self = (await stats(alice.page)).self.audio;
      console.log(
        `[${codec}] heard ${heardOnsets.length} bursts at ${frequency?.toFixed(1)} Hz (captured ${capturedOnsets.length} at ${toneFrequency(captured)?.toFixed(1)} Hz); ` +
          `mouth-to-ear p50 ${median(latencies).toFixed(1)} ms [${latencies.map((l) => l.toFixed(0)).join(' ')}]; ` +
          `receiver: ${JSON.stringify(fromAlice.audio)}, A/V offset ${fromAlice.avOffsetMs} ms; sender: ${JSON.stringify(self)}`,
      );
      expect(self).toMatchObject({ codec, muted: false });
      expect(fromAlice.audio).toMatchObject({ codec });
      // The tone: right pitch, every burst (≥ 80 % of those in the window), in order a second apart.
      expect(frequency).not.toBeNull();
      expect(Math.abs(frequency! - DEFAULT_BURSTS.frequency)).toBeLessThan(DEFAULT_BURSTS.frequency * 0.03);
      // (the last burst captured may be heard after the window: one fewer, and one more to spare)
      expect(capturedOnsets.length).toBeGreaterThanOrEqual(seconds - 1);
      expect(heardOnsets.length).toBeGreaterThanOrEqual(capturedOnsets.length - 2);
      // In order and a second apart: every gap within ±300 ms of a whole number of periods (the
      // jitter buffer may stretch or skip to converge; a loaded 2-core machine may drop one
      // burst's playout, never reorder), at most one burst missing, most gaps within ±60 ms.
      const period = DEFAULT_BURSTS.periodMs;
      const gaps = heardOnsets.slice(1).map((t, i) => t - heardOnsets[i]!);
      const shown = `[${gaps.map((g) => g.toFixed(0))}]`;
      for (const [i, gap] of gaps.entries()) {
        const periods = Math.max(1, Math.round(gap / period));
        expect(Math.abs(gap - periods * period), `gap ${i}: ${gap.toFixed(0)} ms of ${shown}`).toBeLessThan(300);
      }
      expect(gaps.reduce((missing, g) => missing + Math.max(0, Math.round(g / period) - 1), 0), `bursts missing in ${shown}`).toBeLessThanOrEqual(1);
      expect(gaps.filter((g) => Math.abs(g - period) < 60).length, `gaps ${shown}`).toBeGreaterThanOrEqual(Math.ceil(gaps.length * 0.6));
      // Mouth to ear: every heard burst pairs with a captured one, and the latency makes sense on loopback.
      expect(latencies.length).toBeGreaterThanOrEqual(heardOnsets.length - 1);
      expect(median(latencies)).toBeGreaterThan(0);
      expect(median(latencies)).toBeLessThan(1000); // generous: a loaded CI machine; bench:audio judges the figure
      // Lip sync is measured (the figure is bench:audio's to judge).
      expect(fromAlice.avOffsetMs).not.toBeNull();
    });
  });

  it('mute stops the packets and shows the muted badge to the others; unmute brings them back', async () => {
    const room = roomName('mute');
    const alice = await rig.open({ room, name: 'Alice', res: '320x240', params: { audio: 'auto' } });
    const bob = await rig.open({ room, name: 'Bob', res: '320x240', params: { audio: 'auto' } });
    const aliceId = await peerId(alice.page);
    await waitForAudio(bob.page, aliceId, 25);
    await alice.page.keyboard.press('m'); // the M key toggles mute
    await bob.page.waitForFunction((id) => window.framewire.peers().some((p) => p.id === id && (p as { muted?: boolean }).muted === true) || document.querySelector(`[data-peer-id="${id}"][data-muted="1"]`) !== null, aliceId, { timeout: 5000 });
    expect(await bob.page.locator('[data-muted="1"]').count()).toBeGreaterThan(0);
    expect((await stats(alice.page)).self.audio).toMatchObject({ muted: true });
    await sleep(500); // what was in flight
    const before = await packetsFrom(bob.page, aliceId);
    await sleep(1500);
    const after = await packetsFrom(bob.page, aliceId);
    console.log(`[mute] packets from Alice while muted: ${before} → ${after}`);
    expect(after - before).toBeLessThanOrEqual(1);
    await alice.page.keyboard.press('m');
    await waitForAudio(bob.page, aliceId, after + 25);
    expect(await bob.page.locator('[data-muted="1"]').count()).toBe(0);
  });

  it('a peer sending a bad audio frame is closed (1007) and the others go on hearing each other', async () => {
    const room = roomName('bad-audio');
    const alice = await rig.open({ room, name: 'Alice', res: '320x240', params: { audio: 'auto' } });
    const bob = await rig.open({ room, name: 'Bob', res: '320x240', params: { audio: 'auto' } });
    const aliceId = await peerId(alice.page);
    await waitForAudio(bob.page, aliceId, 25);
    const mallory = await connectClient(rig.relay.url, { room, name: 'Mallory' });
    const bad = encodeFrame({ codec: Codec.pcm, width: 16000, height: 1, samples: 320, payload: new Uint8Array(640).fill(0x7f), seq: 1 });
    bad.set([0x03, 0x3f], Offset.samples); // 831 samples: the payload no longer matches
    mallory.sendFrame(bad);
    expect(await mallory.closed).toMatchObject({ code: 1007, reason: 'bad-payload-size' });
    const before = await packetsFrom(bob.page, aliceId);
    await startTap(bob.page, aliceId, 4);
    await sleep(3000);
    const heard = await readTap(bob.page, aliceId);
    expect(await packetsFrom(bob.page, aliceId)).toBeGreaterThan(before + 50);
    expect(Math.abs(toneFrequency(heard)! - DEFAULT_BURSTS.frequency)).toBeLessThan(30);
    expect((await stats(bob.page)).peers.map((p) => p.name)).toEqual(['Alice']);
  });

  it('with the microphone denied the call goes on with pictures and says why there is no sound', async () => {
    const room = roomName('mic-denied');
    // Prompts denied, the camera granted: this browser refuses only the microphone.
    const denying = await launchChromium({ denyCamera: true });
    try {
      const context = await denying.browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['camera'] });
      const dana = await context.newPage();
      await dana.goto(`${rig.relay.url}/?${new URLSearchParams({ room, name: 'Dana', res: '320x240', autostart: '1' })}`);
      await dana.waitForFunction(() => window.framewire?.state().connection === 'open', null, { timeout: 15_000 });
      const bob = await rig.open({ room, name: 'Bob', res: '320x240', params: { audio: 'auto' } });
      await waitForPainted(bob.page, 'Dana', 5);
      const state = await dana.evaluate(() => window.framewire.state());
      console.log(`[mic denied] state: ${JSON.stringify(state)}`);
      expect(state.micError).toBe('denied');
      expect(await dana.getByText(/Microphone blocked/).count()).toBeGreaterThan(0);
      expect(await dana.locator('[data-mic="none"]').count()).toBeGreaterThan(0);
    } finally {
      await denying.close();
    }
  });
});

/**
 * WebRTC mode's sound in real Chromium: two pages in a call, each with a fake microphone
 * playing a 1 kHz tone in 200 ms bursts once a second (`--use-file-for-fake-audio-capture`, a
 * WAV made here with ffmpeg). The receiver gets audio packets (getStats), its level of the
 * sender rises and falls with the bursts — both the RTP level (`audioLevel`) and the Web Audio
 * tap (`audioOutput`, which Chromium keeps silent unless a media element plays the stream) —
 * and muting stops the packets. Run `npm run build` first (the relay serves dist/web).
 *
 * NOTE: the transport is reached as `window.framewire.webrtc` (web/webrtc/index.ts). Where the
 * app does not hand the transport a microphone and an AudioContext (`MediaContext.microphone`
 * / `.audioContext` null), the test opens the fake microphone in the page itself and gives both
 * to the transport (`setMicrophone`, `setAudioContext`): the same send, mute, playout and
 * meter code runs; only the app's own getUserMedia is left out.
 *
 * A second part drives `PeerLink` alone (bundled by vite into a blank page, like
 * peer-link.e2e.test.ts): two links that both start MUTED with a microphone each, negotiating
 * in glare — one shared audio m-line, not a packet before unmute, and unmute without a new offer.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../web-node/chromium.ts';
import { RESULTS_DIR, roomName, useCallRig, waitForPainted, type CallPage } from '../../web-node/call-page.ts';
import type { WebRtcMedia } from './webrtc-media.ts';

/** 10 s of a 1 kHz tone at half scale, on for the first 200 ms of every second; 48 kHz mono 16-bit WAV. Made once. */
async function toneFile(): Promise<string> {
  const path = resolve(RESULTS_DIR, 'mic-1khz-bursts.wav');
  if (existsSync(path)) return path;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const { default: ffmpeg } = await import('@ffmpeg-installer/ffmpeg');
  const tone = "aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t,1),0.2)':s=48000:d=10";
  const args = ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', tone, '-ac', '1', '-ar', '48000', '-c:a', 'pcm_s16le', `${path}.tmp.wav`];
  await new Promise<void>((done, fail) => {
    execFile(ffmpeg.path, args, (error) => (error ? fail(error) : done()));
  });
  renameSync(`${path}.tmp.wav`, path);
  return path;
}

/** Whether the app gave the transport its microphone; if not, gives it the fake one and an AudioContext. */
async function ensureMicrophone(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const transport = window.framewire['webrtc'] as WebRtcMedia;
    const byApp = transport.microphone !== null;
    if (!byApp) {
      // NOTE: no voice processing: the tone must reach the encoder as it is in the file.
      const microphone = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      await transport.setMicrophone(microphone);
    }
    if (transport.audioOutput(0) === null) transport.setAudioContext(new AudioContext({ sampleRate: 48_000 }));
    return byApp;
  });
}

/** The id of the peer called `name` as `page` sees it. */
async function peerId(page: Page, name: string): Promise<number> {
  return page.evaluate((who) => window.framewire.stats().peers.find((p) => p.name === who)!.id, name);
}

/** `audioLevel(peer)` sampled every 20 ms for `ms`. */
async function sampleLevel(page: Page, peer: number, ms: number): Promise<number[]> {
  return page.evaluate(
    ([id, duration]) =>
      new Promise<number[]>((done) => {
        const transport = window.framewire['webrtc'] as WebRtcMedia;
        const levels: number[] = [];
        const timer = setInterval(() => levels.push(transport.audioLevel(id) ?? -1), 20);
        setTimeout(() => {
          clearInterval(timer);
          done(levels);
        }, duration);
      }),
    [peer, ms] as const,
  );
}

/** RMS of what an AnalyserNode on `audioOutput(peer)` hears, every 20 ms for `ms` (null: no node). */
async function sampleTap(page: Page, peer: number, ms: number): Promise<number[] | null> {
  return page.evaluate(
    ([id, duration]) => {
      const node = (window.framewire['webrtc'] as WebRtcMedia).audioOutput(id);
      if (node === null) return null;
      const analyser = node.context.createAnalyser();
      analyser.fftSize = 1024;
      node.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      return new Promise<number[]>((done) => {
        const levels: number[] = [];
        const timer = setInterval(() => {
          analyser.getFloatTimeDomainData(samples);
          let sum = 0;
          for (const s of samples) sum += s * s;
          levels.push(Math.sqrt(sum / samples.length));
        }, 20);
        setTimeout(() => {
          clearInterval(timer);
          node.disconnect(analyser);
          done(levels);
        }, duration);
      });
    },
    [peer, ms] as const,
  );
}

/** Audio packets `page` has received from `peer` (the last getStats poll). */
async function packetsFrom(page: Page, peer: number): Promise<number> {
  return page.evaluate((id) => (window.framewire['webrtc'] as WebRtcMedia).audioFigures(id)?.packetsReceived ?? 0, peer);
}

const share = (levels: number[], test: (level: number) => boolean): number => levels.filter(test).length / levels.length;

describe('WebRTC mode audio', () => {
  const rig = useCallRig({ launch: async () => launchChromium({ args: [`--use-file-for-fake-audio-capture=${await toneFile()}`] }) });

  it('sends the microphone, plays and meters it at the other end, and mute stops the packets', async () => {
    const room = roomName('webrtc-audio');
    const ann: CallPage = await rig.open({ room, name: 'ann', mode: 'webrtc', params: { audio: 'auto' } });
    const bob: CallPage = await rig.open({ room, name: 'bob', mode: 'webrtc', params: { audio: 'auto' } });
    await waitForPainted(bob.page, 'ann', 5, 30_000);
    await waitForPainted(ann.page, 'bob', 5, 30_000);
    const wired = [await ensureMicrophone(ann.page), await ensureMicrophone(bob.page)];
    console.info(`[webrtc-audio] microphone from the app: ${wired.every(Boolean) ? 'yes' : 'no — the test gave the transport one (setMicrophone)'}`);
    const annId = await peerId(bob.page, 'ann');
    const bobId = await peerId(ann.page, 'bob');

    // Audio packets arrive both ways.
    await bob.page.waitForFunction((id) => ((window.framewire['webrtc'] as WebRtcMedia).audioFigures(id)?.packetsReceived ?? 0) > 50, annId, { timeout: 20_000, polling: 250 });
    await ann.page.waitForFunction((id) => ((window.framewire['webrtc'] as WebRtcMedia).audioFigures(id)?.packetsReceived ?? 0) > 50, bobId, { timeout: 20_000, polling: 250 });
    // The receiver's figures: jitter, jitter-buffer delay and concealment come with the packets.
    const figures = (await bob.page.evaluate((id) => (window.framewire['webrtc'] as WebRtcMedia).audioFigures(id), annId))!;
    expect(figures.jitterMs).not.toBeNull();
    expect(figures.jitterBufferDelayMs).toBeGreaterThan(0);
    expect(figures.concealedSamples).toBeGreaterThanOrEqual(0);
    expect(figures.packetsLost).toBeGreaterThanOrEqual(0);
    expect(figures.packetsSent).toBeGreaterThan(0); // bob's microphone towards ann (polled separately: no exact count)

    // Voice settings: 32 kbit/s cap on ann's sender; the description bob applied asks for mono, FEC and DTX.
    const send = await ann.page.evaluate((id) => {
      const link = (window.framewire['webrtc'] as WebRtcMedia).session!.link(id)!;
      return { maxBitrate: link.audioSender?.getParameters().encodings[0]?.maxBitrate, remoteSdp: link.pc.remoteDescription?.sdp ?? '' };
    }, bobId);
    expect(send.maxBitrate).toBe(32_000);
    const opusFmtp = send.remoteSdp.split('\r\n').find((line) => /^a=fmtp:111 /.test(line)) ?? '';
    expect(opusFmtp).toMatch(/stereo=0/);
    expect(opusFmtp).toMatch(/useinbandfec=1/);
    expect(opusFmtp).toMatch(/usedtx=1/);

    // Bob plays ann's sound from the tile's element, unmuted; the element keeps its stream.
    const element = await bob.page.evaluate(() => {
      const video = document.querySelector<HTMLVideoElement>('[data-testid="tile-remote"] video')!;
      return { muted: video.muted, audioTracks: (video.srcObject as MediaStream).getAudioTracks().length, paused: video.paused };
    });
    expect(element).toEqual({ muted: false, audioTracks: 1, paused: false });

    // The level bob hears from ann follows the bursts: loud for a fifth of the time, silent between.
    const heard = await sampleLevel(bob.page, annId, 3000);
    expect(Math.max(...heard)).toBeGreaterThan(0.1);
    expect(share(heard, (l) => l > 0.05)).toBeGreaterThan(0.05);
    expect(share(heard, (l) => l >= 0 && l < 0.02)).toBeGreaterThan(0.3);
    // The Web Audio tap carries the same bursts (not silent: the element plays the stream).
    const tap = await sampleTap(bob.page, annId, 3000);
    expect(tap).not.toBeNull();
    expect(Math.max(...tap!)).toBeGreaterThan(0.05);
    expect(share(tap!, (l) => l < 0.01)).toBeGreaterThan(0.3);
    // Ann's own meter sees her microphone.
    expect(Math.max(...(await sampleLevel(ann.page, 0, 2000)))).toBeGreaterThan(0.1);

    // Mute: ann's sender stops, bob's packet count stands still and his level of ann is 0.
    await ann.page.evaluate(() => window.framewire.setSettings({ micOn: false }));
    await ann.page.waitForFunction((id) => (window.framewire['webrtc'] as WebRtcMedia).session!.link(id)!.audioSender?.track === null, bobId, { timeout: 5000 });
    await new Promise((wait) => setTimeout(wait, 2500)); // the last packets land; a stats poll follows
    const mutedFrom = await packetsFrom(bob.page, annId);
    const mutedLevels = await sampleLevel(bob.page, annId, 3000);
    expect(await packetsFrom(bob.page, annId)).toBe(mutedFrom);
    expect(Math.max(...mutedLevels)).toBeLessThan(0.01);
    expect(Math.max(...(await sampleLevel(ann.page, 0, 500)))).toBe(0);
    // Bob's microphone was not muted: ann still receives him.
    const fromBob = await packetsFrom(ann.page, bobId);
    await ann.page.waitForFunction(([id, n]) => ((window.framewire['webrtc'] as WebRtcMedia).audioFigures(id)?.packetsReceived ?? 0) > n, [bobId, fromBob] as const, { timeout: 5000, polling: 250 });

    // Unmute: the packets flow again, without a new negotiation.
    const sdpBefore = await bob.page.evaluate((id) => (window.framewire['webrtc'] as WebRtcMedia).session!.link(id)!.pc.remoteDescription?.sdp, annId);
    await ann.page.evaluate(() => window.framewire.setSettings({ micOn: true }));
    await bob.page.waitForFunction(([id, n]) => ((window.framewire['webrtc'] as WebRtcMedia).audioFigures(id)?.packetsReceived ?? 0) > n + 20, [annId, mutedFrom] as const, { timeout: 10_000, polling: 250 });
    expect(Math.max(...(await sampleLevel(bob.page, annId, 2000)))).toBeGreaterThan(0.1);
    expect(await bob.page.evaluate((id) => (window.framewire['webrtc'] as WebRtcMedia).session!.link(id)!.pc.remoteDescription?.sdp, annId)).toBe(sdpBefore);
  });
});

/** In-page helpers (a plain script string: no bundler helpers inside page code). */
const LINK_HELPERS = `
  window.tone = () => {
    const audio = new AudioContext();
    const oscillator = audio.createOscillator();
    const out = audio.createMediaStreamDestination();
    oscillator.connect(out);
    oscillator.start();
    return out.stream.getAudioTracks()[0];
  };
  window.audioStats = async (pc) => {
    let sent = 0, received = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.kind !== 'audio') return;
      if (s.type === 'outbound-rtp') sent += s.packetsSent;
      if (s.type === 'inbound-rtp') received += s.packetsReceived;
    });
    return { sent, received };
  };
  // Two links, each with a tone as microphone and muted from the start; their offers cross.
  window.mutedPair = async () => {
    const links = {};
    const offers = { a: 0, b: 0 };
    const wire = (from, to) => (data) => {
      if (data.description && data.description.type === 'offer') offers[from]++;
      setTimeout(() => links[to].handleSignal(data), 3);
    };
    const tracks = { a: window.tone(), b: window.tone() };
    links.a = new fwPeerLink.PeerLink({ polite: false, signal: wire('a', 'b'), audio: { track: tracks.a, sending: false } });
    links.b = new fwPeerLink.PeerLink({ polite: true, signal: wire('b', 'a'), audio: { track: tracks.b, sending: false } });
    const until = async (test, what) => {
      for (const started = Date.now(); !test(); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() - started > 20000) throw new Error('timed out: ' + what);
      }
    };
    await until(() => links.a.pc.connectionState === 'connected' && links.b.pc.connectionState === 'connected', 'connected');
    await new Promise((r) => setTimeout(r, 1500));
    const audioLines = (pc) => pc.getTransceivers().filter((t) => t.receiver.track.kind === 'audio').map((t) => t.currentDirection);
    const muted = { a: await window.audioStats(links.a.pc), b: await window.audioStats(links.b.pc), lines: [audioLines(links.a.pc), audioLines(links.b.pc)] };
    const offersBefore = offers.a + offers.b;
    await links.a.setAudio(tracks.a, true);
    let unmuted;
    await until(() => { window.audioStats(links.b.pc).then((s) => (unmuted = s)); return unmuted && unmuted.received > 20; }, 'packets after unmute');
    const result = { muted, unmuted, newOffers: offers.a + offers.b - offersBefore, bSent: (await window.audioStats(links.b.pc)).sent, glare: offers.a > 0 && offers.b > 0 };
    links.a.close(); links.b.close();
    return result;
  };
`;

describe('PeerLink audio', () => {
  let chrome: LaunchedChromium;
  let page: Page;

  beforeAll(async () => {
    const bundle = await build({
      configFile: false,
      logLevel: 'silent',
      build: { write: false, minify: false, lib: { entry: new URL('./peer-link.ts', import.meta.url).pathname, formats: ['iife'], name: 'fwPeerLink' } },
    });
    const output = (Array.isArray(bundle) ? bundle[0] : bundle) as { output: { code?: string }[] };
    chrome = await launchChromium({ fakeCamera: false });
    page = await chrome.browser.newPage();
    page.on('pageerror', (error) => console.error('pageerror', error));
    await page.setContent('<!doctype html><title>peer-link audio</title>');
    await page.addScriptTag({ content: output.output[0]!.code! });
    await page.addScriptTag({ content: LINK_HELPERS });
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('starts muted without sending a packet, on one shared audio m-line, and unmutes without renegotiating', async () => {
    const result = (await page.evaluate('window.mutedPair()')) as {
      muted: { a: { sent: number; received: number }; b: { sent: number; received: number }; lines: string[][] };
      unmuted: { received: number };
      newOffers: number;
      bSent: number;
      glare: boolean;
    };
    // Both offered at once: the polite side answered from a fresh connection (muted from the start too).
    expect(result.glare).toBe(true);
    // Both microphones took up the same m-line (addTrack), which is negotiated both ways.
    expect(result.muted.lines).toEqual([['sendrecv'], ['sendrecv']]);
    expect([result.muted.a.sent, result.muted.b.sent, result.muted.a.received, result.muted.b.received]).toEqual([0, 0, 0, 0]);
    expect(result.unmuted.received).toBeGreaterThan(20);
    expect(result.newOffers).toBe(0);
    expect(result.bSent).toBe(0); // b is still muted
  });
});

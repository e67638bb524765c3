/**
 * `PeerLink`'s perfect negotiation in real Chromium, two links in one page wired to each
 * other by an in-page signaling channel (ordered, a few ms late, like the relay): both sides
 * offer at once (glare, forced by holding both directions until each has offered) and must
 * still connect; a lost offer must be recovered by the offer
 * watchdog. The module is bundled by vite for the page (no app, no relay needed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '../../web-node/chromium.ts';

/** In-page helpers (a plain script string: no bundler helpers inside page code). */
const PAGE_HELPERS = `
  window.makeStream = (hue) => {
    const canvas = document.createElement('canvas');
    canvas.width = 160; canvas.height = 120;
    const ctx = canvas.getContext('2d');
    let t = 0;
    setInterval(() => { ctx.fillStyle = 'hsl(' + ((hue + t++) % 360) + ' 60% 50%)'; ctx.fillRect(0, 0, 160, 120); }, 33);
    return canvas.captureStream(30);
  };
  // Ordered, delayed delivery per direction, held until open(); the dropDescription-th
  // description sent (1-based) is lost.
  window.channel = (deliver, delayMs, dropDescription) => {
    let open;
    const opened = new Promise((r) => (open = r));
    let chain = opened;
    let descriptions = 0;
    const log = [];
    const send = (data) => {
      log.push(data.description ? data.description.type : 'candidate');
      if (data.description && ++descriptions === dropDescription) return;
      chain = chain.then(() => new Promise((r) => setTimeout(r, delayMs))).then(() => deliver(data));
    };
    return { send, log, open };
  };
  // options.glare: hold both directions until each side has sent its offer (or 5 s), so the
  // two offers cross on the wire every time instead of when timing happens to allow it.
  window.pair = (options) => {
    const links = {};
    const ab = window.channel((d) => links.b.handleSignal(d), 3, options.dropFirstOfferAtoB ? 1 : 0);
    const ba = window.channel((d) => links.a.handleSignal(d), 3, 0);
    links.a = new fwPeerLink.PeerLink({ polite: false, signal: ab.send, stream: window.makeStream(0), offerTimeoutMs: options.offerTimeoutMs });
    links.b = new fwPeerLink.PeerLink({ polite: true, signal: ba.send, stream: window.makeStream(180), offerTimeoutMs: options.offerTimeoutMs });
    const started = Date.now();
    const release = () => {
      const bothOffered = ab.log.includes('offer') && ba.log.includes('offer');
      if (!options.glare || bothOffered || Date.now() - started > 5000) { ab.open(); ba.open(); }
      else setTimeout(release, 5);
    };
    release();
    const done = new Promise((resolve, reject) => {
      const check = () => {
        if (links.a.pc.connectionState === 'connected' && links.b.pc.connectionState === 'connected' && links.a.remoteStream && links.b.remoteStream) {
          resolve({ a: ab.log, b: ba.log, states: [links.a.pc.signalingState, links.b.pc.signalingState] });
          links.a.close(); links.b.close();
        } else setTimeout(check, 50);
      };
      check();
      setTimeout(() => reject(new Error('not connected: a=' + links.a.pc.connectionState + '/' + links.a.pc.signalingState + ' b=' + links.b.pc.connectionState + '/' + links.b.pc.signalingState)), 20000);
    });
    return done;
  };
`;

interface PairResult {
  a: string[];
  b: string[];
  states: string[];
}

describe('PeerLink perfect negotiation', () => {
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
    await page.setContent('<!doctype html><title>peer-link</title>');
    await page.addScriptTag({ content: output.output[0]!.code! });
    await page.addScriptTag({ content: PAGE_HELPERS });
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('connects when both sides offer at the same moment (glare), every time', async () => {
    for (let round = 0; round < 5; round++) {
      const result = (await page.evaluate('window.pair({ glare: true })')) as PairResult;
      // Both sides really made an offer: this was glare, and it resolved.
      expect(result.a).toContain('offer');
      expect(result.b).toContain('offer');
      expect(result.states).toEqual(['stable', 'stable']);
    }
  });

  it('recovers when the impolite side\'s offer is lost (the offer watchdog offers again)', async () => {
    const result = (await page.evaluate('window.pair({ dropFirstOfferAtoB: true, offerTimeoutMs: 500 })')) as PairResult;
    expect(result.a.filter((type) => type === 'offer').length).toBeGreaterThanOrEqual(2);
    expect(result.states).toEqual(['stable', 'stable']);
  });
});

/**
 * Reach › behind proxies: two call pages reach the relay (in-process, plain HTTP on
 * loopback) only through a proxy, opened as `http://127.0.0.1:PROXY_PORT/` (a secure
 * context, so the camera works):
 * (a) a real nginx with the stock reverse-proxy config (no upgrade headers: the WebSocket
 *     upgrade never reaches the relay) — the call runs over the HTTP channel;
 * (b) a real nginx with the documented WebSocket config — the call runs over WebSocket;
 * (c) a proxy that kills upgraded connections 4 s after their 101 — the call goes on over
 *     HTTP within 3 s of each cut (the longest gap between painted frames is measured),
 *     keeps its peer ids (session resume), and once the proxy lets WebSockets live, the
 *     client's probe takes it back to WebSocket;
 * (d) a proxy that answers upgrades 101 itself and then passes nothing — no welcome, so
 *     the call runs over HTTP; failed probes do not disturb it; once upgrades pass, a probe
 *     takes over with `resumed: true` and the same peer ids.
 * Needs nginx (`apt-get install -y nginx-light`; the test fails without it) and `npm run build`.
 */
import type { Page } from 'playwright-core';
import type { TransportInfo } from './net/relay-link.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { WelcomeMessage } from '../protocol/index.ts';
import { startHostileProxy, type HostileProxy } from '../web-node/hostile-proxy.ts';
import { startNginx, type NginxProfile, type RunningNginx } from '../web-node/nginx.ts';
import { roomName, useCallRig, waitForConnected, waitForPainted, type CallPage } from '../web-node/call-page.ts';

const HTTP_KINDS = ['http-stream', 'long-poll'];
/** The spec: a WebSocket that dies mid-call → the call continues over HTTP in < 3 s. */
const MAX_CUT_GAP_MS = 3_000;
/** Longest wait for a page to be welcomed (a failed WebSocket first, on a shared 2-core machine), ms. */
const CONNECT_TIMEOUT_MS = 30_000;
/** Longest wait for a probe to bring WebSocket back (the spec's probes back off 5 s → 60 s). */
const PROBE_RETURN_TIMEOUT_MS = 70_000;

function transportOf(page: Page): Promise<TransportInfo | null> {
  return page.evaluate(() => window.framewire.stats().transport);
}

/**
 * Starts recording in the page: the time (Date.now(), same clock as the test's) of every
 * painted remote frame and every frame sent, and every change of `stats().transport`
 * (checked each 50 ms).
 */
async function recordPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { __reach: Recording };
    g.__reach = { paints: [], sent: [], kinds: [], samples: [] };
    window.framewire.onPaint(() => void g.__reach.paints.push(Date.now()));
    window.framewire.onSent(() => void g.__reach.sent.push(Date.now()));
    const check = (): void => {
      const stats = window.framewire.stats();
      const t = stats.transport;
      g.__reach.samples.push([Date.now(), stats.self.framesSent, stats.self.skipped, stats.self.rate?.skipped ?? -1, stats.self.rate?.reason ?? '']);
      if (g.__reach.samples.length > 3000) g.__reach.samples.shift();
      const kind = t?.kind ?? '(none)';
      if (g.__reach.kinds.at(-1)?.kind !== kind) g.__reach.kinds.push({ at: Date.now(), kind, ...(t?.reason ? { reason: t.reason } : {}) });
    };
    check();
    setInterval(check, 50);
  });
}

interface Recording {
  paints: number[];
  sent: number[];
  /** Every 50 ms: [time, self.framesSent, self.skipped (link busy), self.rate.skipped (controller), self.rate.reason]. */
  samples: [number, number, number, number, string][];
  kinds: { at: number; kind: string; reason?: string }[];
}

function recording(page: Page): Promise<Recording> {
  return page.evaluate(() => (globalThis as unknown as { __reach: Recording }).__reach);
}

/** A failure report line of the page: its URL, `state()` and `stats().transport`. */
function pageReport(name: string, page: Page): () => Promise<string> {
  return async () => `[${name}] ${await page.evaluate(() => JSON.stringify({ url: location.href, state: window.framewire?.state(), transport: window.framewire?.stats().transport }))}`;
}

/** Longest interval between consecutive paints from `from` ms on (and from `from` to the first paint). */
function longestGap(paints: number[], from: number, to = Number.POSITIVE_INFINITY): { gapMs: number; at: number } {
  let last = from;
  let worst = { gapMs: 0, at: from };
  for (const t of paints) {
    if (t < from) continue;
    if (t > to) break;
    if (t - last > worst.gapMs) worst = { gapMs: t - last, at: last };
    last = t;
  }
  return worst;
}

/** Longest interval between consecutive `times` (ascending) that ends after `cut` and starts before `cut + 3 s`; Infinity if none ends after it. */
function gapAcross(times: number[], cut: number): number {
  let worst = Number.POSITIVE_INFINITY;
  let found = false;
  for (let i = 1; i < times.length; i++) {
    const [a, b] = [times[i - 1]!, times[i]!];
    if (b <= cut || a >= cut + MAX_CUT_GAP_MS) continue;
    worst = found ? Math.max(worst, b - a) : b - a;
    found = true;
  }
  return worst;
}

/** The `welcome` messages the page receives over WebSockets from now on. */
function recordWelcomes(page: Page): WelcomeMessage[] {
  const welcomes: WelcomeMessage[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('"welcome"')) return;
      const message = JSON.parse(payload) as WelcomeMessage;
      if (message.type === 'welcome') welcomes.push(message);
    }),
  );
  return welcomes;
}

/** Who is who: each page's own peer id, and the id each sees the other under. */
async function peerIds(alice: CallPage, bob: CallPage): Promise<{ alice: number; bob: number; aliceSeenByBob: number[]; bobSeenByAlice: number[] }> {
  const [a, b] = await Promise.all([alice, bob].map((p) => p.page.evaluate(() => ({ self: window.framewire.state().peerId, others: window.framewire.stats().peers.map((x) => x.id) }))));
  return { alice: a!.self, bob: b!.self, aliceSeenByBob: b!.others, bobSeenByAlice: a!.others };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('reach', () => {
  describe('behind proxies', () => {
    const rig = useCallRig();
    let nginx: RunningNginx | undefined;
    let proxy: HostileProxy | undefined;
    /** What to print when the test failed, gathered before anything is closed. */
    const reports: (() => Promise<string>)[] = [];
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') for (const report of reports) console.error(await report().catch((error: unknown) => `(report failed: ${String(error)})`));
      reports.length = 0;
      await rig.pages.closeAll();
      await nginx?.close();
      nginx = undefined;
      await proxy?.close();
      proxy = undefined;
    });

    async function callThroughNginx(profile: NginxProfile): Promise<{ alice: CallPage; bob: CallPage; nginx: RunningNginx }> {
      const running = await startNginx({ profile, upstream: rig.relay.url });
      nginx = running;
      reports.push(async () => `nginx error log:\n${await running.errorLog()}\naccess log:\n${await running.accessLog()}`);
      const room = roomName(`reach-${profile}`);
      const alice = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Alice', fps: 15, waitConnected: false });
      const bob = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Bob', fps: 15, waitConnected: false });
      reports.push(pageReport('Alice', alice.page), pageReport('Bob', bob.page));
      await waitForConnected(alice.page, CONNECT_TIMEOUT_MS);
      await waitForConnected(bob.page, CONNECT_TIMEOUT_MS);
      await waitForPainted(bob.page, 'Alice', 15);
      await waitForPainted(alice.page, 'Bob', 15);
      return { alice, bob, nginx: running };
    }

    it("(a) through nginx's stock config (no upgrade) the call runs over HTTP: frames both ways, chat, and the reason names WebSocket", async () => {
      const { alice, bob, nginx: running } = await callThroughNginx('stock');
      await alice.page.evaluate(() => window.framewire.chat('hello through nginx'));
      await expect.poll(() => bob.page.evaluate(() => window.framewire.messages().map((m) => `${m.name}: ${m.text}`))).toEqual(['Alice: hello through nginx']);
      for (const p of [alice, bob]) {
        const transport = await transportOf(p.page);
        console.info(`[reach-proxy a] stock nginx: transport ${JSON.stringify(transport)}`);
        expect(HTTP_KINDS, `transport ${JSON.stringify(transport)}`).toContain(transport?.kind);
        expect(transport?.reason ?? '').toMatch(/WebSocket/i);
      }
      const access = await running.accessLog();
      // Everything went through nginx: the upgrade attempt (answered as a plain GET) and the HTTP channel.
      expect(access).toMatch(/"GET \/ws\?[^"]*" (?!101)\d{3}/);
      expect(access).toMatch(/"POST \/fw\/session\?[^"]*" 200/);
      expect(access).toMatch(/"POST \/fw\/send[^"]*" 204/);
    });

    it("(b) through nginx's WebSocket config the call runs over WebSocket", async () => {
      const { alice, bob, nginx: running } = await callThroughNginx('websocket');
      for (const p of [alice, bob]) expect(await transportOf(p.page), 'framewire.stats().transport').toMatchObject({ kind: 'websocket' });
      // NOTE: nginx logs a request when it ends: an upgraded one once its socket closes.
      await rig.pages.closeAll();
      await expect.poll(() => running.accessLog()).toMatch(/"GET \/ws\?[^"]*" 101/);
      expect(await running.accessLog()).not.toContain('/fw/');
    });

    it('(c) a proxy that kills WebSockets after 4 s: the call goes on over HTTP within 3 s of each cut, same peers, and returns to WebSocket once they live', async () => {
      const running = await startHostileProxy({ upstream: rig.relay.url, killUpgradedAfterMs: 4_000 });
      proxy = running;
      const room = roomName('reach-kill');
      const alice = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Alice', fps: 15, waitConnected: false });
      await waitForConnected(alice.page, CONNECT_TIMEOUT_MS);
      await recordPage(alice.page);
      const bob = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Bob', fps: 15, waitConnected: false });
      await waitForConnected(bob.page, CONNECT_TIMEOUT_MS);
      await recordPage(bob.page);
      reports.push(async () => `proxy history ${JSON.stringify(running.history())}`);
      reports.push(pageReport('Alice', alice.page), pageReport('Bob', bob.page));
      for (const p of [alice, bob]) reports.push(async () => `transport changes ${JSON.stringify((await recording(p.page)).kinds)}`);
      await waitForPainted(bob.page, 'Alice', 10);
      await waitForPainted(alice.page, 'Bob', 10);
      const before = await peerIds(alice, bob);
      expect(before.aliceSeenByBob).toEqual([before.alice]);
      expect(before.bobSeenByAlice).toEqual([before.bob]);
      const firstPaint = Math.min(...(await Promise.all([alice, bob].map(async (p) => (await recording(p.page)).paints[0] ?? Date.now()))));

      // Both pages' first WebSockets are cut; each page reaches HTTP; frames keep coming.
      await expect.poll(() => running.counters().upgradedKilled, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const firstCut = running.history().find((e) => e.event === 'killed')!.at;
      for (const p of [alice, bob]) {
        await p.page.waitForFunction((kinds) => kinds.includes(window.framewire.stats().transport?.kind ?? ''), HTTP_KINDS, { timeout: 10_000 });
      }
      // Keep the call going through more cycles of probe → WebSocket → cut, ~20 s.
      await sleep(20_000);
      const measuredUntil = Date.now();
      const records = { Alice: await recording(alice.page), Bob: await recording(bob.page) };
      const gaps = [records.Bob, records.Alice].map((r) => ({
        ...longestGap(r.paints, Math.max(firstPaint, firstCut - 1_000), measuredUntil),
        paintsAfterCut: r.paints.filter((t) => t > firstCut).length,
        kinds: r.kinds,
      }));
      // Per cut: how long until the cut page was on HTTP, the gap in what it sent, in its
      // frames painted at the other page, and in the other's frames painted at it.
      // (Cuts in the last 3 s are left out: what follows them was not recorded.)
      const cuts = running.history().filter((e) => e.event === 'killed' && e.at < measuredUntil - MAX_CUT_GAP_MS);
      const rows = cuts.map((cut) => {
        const who = /[?&]name=(Alice|Bob)\b/.exec(cut.target)?.[1] === 'Bob' ? 'Bob' : 'Alice';
        const here = records[who];
        const there = records[who === 'Alice' ? 'Bob' : 'Alice'];
        const toHttp = here.kinds.find((k) => k.at >= cut.at && HTTP_KINDS.includes(k.kind));
        const sentGap = gapAcross(here.sent, cut.at);
        // While the sender sent nothing: which skip counter grew (link busy or rate controller), and why.
        const during = here.samples.filter(([t]) => t >= cut.at && t <= cut.at + sentGap);
        const first = during[0];
        const last = during.at(-1);
        const why = first && last ? ` [link-busy skips +${last[2] - first[2]}, rate skips +${last[3] - first[3]}, rate: ${last[4]}]` : '';
        return `${who} cut at +${cut.at - firstCut} ms: on HTTP after ${toHttp ? toHttp.at - cut.at : '–'} ms; gap sent ${sentGap} ms${why}, its frames at the peer ${gapAcross(there.paints, cut.at)} ms, the peer's at it ${gapAcross(here.paints, cut.at)} ms`;
      });
      console.info(`[reach-proxy c] painted after the first cut: Bob ${gaps[0]!.paintsAfterCut}, Alice ${gaps[1]!.paintsAfterCut} in ${measuredUntil - firstCut} ms`);
      console.info(`[reach-proxy c] longest paint gap at Bob ${gaps[0]!.gapMs} ms (+${gaps[0]!.at - firstCut}), at Alice ${gaps[1]!.gapMs} ms (+${gaps[1]!.at - firstCut})\n  ${rows.join('\n  ')}`);
      for (const g of gaps) {
        // Frames keep coming (15 fps set; the rate adaptation cuts it after each cut): ≥ 3 fps over the ~20 s.
        expect(g.paintsAfterCut).toBeGreaterThan(60);
        expect(g.gapMs, `longest gap between painted frames after the first cut`).toBeLessThan(MAX_CUT_GAP_MS);
        expect(g.kinds.some((k) => HTTP_KINDS.includes(k.kind))).toBe(true);
      }
      // Session resume: nobody left or joined, nobody got a new id.
      expect(await peerIds(alice, bob)).toEqual(before);

      // Let WebSockets live, once both pages are on HTTP: a probe brings each back.
      for (const p of [alice, bob]) {
        await p.page.waitForFunction((kinds) => kinds.includes(window.framewire.stats().transport?.kind ?? ''), HTTP_KINDS, { timeout: 15_000, polling: 50 });
      }
      running.passthrough();
      const freedAt = Date.now();
      const killedBeforeFreeing = running.counters().upgradedKilled;
      const returned = await Promise.all(
        [alice, bob].map(async (p) => {
          await p.page.waitForFunction(() => window.framewire.stats().transport?.kind === 'websocket', null, { timeout: PROBE_RETURN_TIMEOUT_MS, polling: 100 });
          return Date.now() - freedAt;
        }),
      );
      console.info(`[reach-proxy c] back on WebSocket after the proxy let them live: Alice ${returned[0]} ms, Bob ${returned[1]} ms`);
      const painted = (await bob.page.evaluate(() => window.framewire.stats().peers[0]?.framesPainted)) ?? 0;
      await waitForPainted(bob.page, 'Alice', painted + 15);
      await sleep(5_000);
      for (const p of [alice, bob]) expect(await transportOf(p.page)).toMatchObject({ kind: 'websocket' });
      expect(await peerIds(alice, bob)).toEqual(before);
      expect(running.counters().upgradedKilled).toBe(killedBeforeFreeing);
    }, 240_000);

    it('(d) a proxy that blackholes upgrades: no welcome, so the call runs over HTTP; once upgrades pass, a probe resumes the same peers over WebSocket', async () => {
      const running = await startHostileProxy({ upstream: rig.relay.url, blackholeUpgrades: true });
      proxy = running;
      const room = roomName('reach-blackhole');
      const alice = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Alice', fps: 15, waitConnected: false });
      await waitForConnected(alice.page, CONNECT_TIMEOUT_MS);
      const bob = await rig.pages.open(rig.chrome.browser, running.url, { room, name: 'Bob', fps: 15, waitConnected: false });
      await waitForConnected(bob.page, CONNECT_TIMEOUT_MS);
      await Promise.all([alice, bob].map((p) => recordPage(p.page)));
      const welcomes = { alice: recordWelcomes(alice.page), bob: recordWelcomes(bob.page) };
      reports.push(async () => `proxy history ${JSON.stringify(running.history())}`);
      reports.push(pageReport('Alice', alice.page), pageReport('Bob', bob.page));
      for (const p of [alice, bob]) reports.push(async () => `transport changes ${JSON.stringify((await recording(p.page)).kinds)}`);
      await waitForPainted(bob.page, 'Alice', 15);
      await waitForPainted(alice.page, 'Bob', 15);
      for (const p of [alice, bob]) {
        const transport = await transportOf(p.page);
        expect(HTTP_KINDS, `transport ${JSON.stringify(transport)}`).toContain(transport?.kind);
        console.info(`[reach-proxy d] blackholed upgrades: transport ${JSON.stringify(transport)}`);
        expect(transport?.reason ?? '').toMatch(/welcome/i);
      }
      const before = await peerIds(alice, bob);
      expect(before.aliceSeenByBob).toEqual([before.alice]);

      // At least one probe per page is blackholed too; the HTTP call is not disturbed by it.
      const probesFrom = Date.now();
      await expect.poll(() => running.counters().blackholed, { timeout: 40_000, interval: 250 }).toBeGreaterThanOrEqual(4);
      await sleep(4_000);
      for (const p of [alice, bob]) {
        expect(HTTP_KINDS).toContain((await transportOf(p.page))?.kind);
        const gap = longestGap((await recording(p.page)).paints, probesFrom, Date.now());
        expect(gap.gapMs, 'longest gap between painted frames while probes were blackholed').toBeLessThan(MAX_CUT_GAP_MS);
      }
      expect(await peerIds(alice, bob)).toEqual(before);

      running.passthrough();
      const freedAt = Date.now();
      const returned = await Promise.all(
        [alice, bob].map(async (p) => {
          await p.page.waitForFunction(() => window.framewire.stats().transport?.kind === 'websocket', null, { timeout: PROBE_RETURN_TIMEOUT_MS, polling: 100 });
          return Date.now() - freedAt;
        }),
      );
      console.info(`[reach-proxy d] blackholed upgrades: ${running.counters().blackholed}; back on WebSocket after upgrades passed: Alice ${returned[0]} ms, Bob ${returned[1]} ms`);
      const painted = (await alice.page.evaluate(() => window.framewire.stats().peers[0]?.framesPainted)) ?? 0;
      await waitForPainted(alice.page, 'Bob', painted + 15);
      expect(await peerIds(alice, bob)).toEqual(before);
      expect(welcomes.alice.at(-1)).toMatchObject({ type: 'welcome', resumed: true, peerId: before.alice });
      expect(welcomes.bob.at(-1)).toMatchObject({ type: 'welcome', resumed: true, peerId: before.bob });
    }, 180_000);
  });
});

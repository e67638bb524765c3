/**
 * Cluster › in the browser: one real Redis, three relay nodes (CLI processes, `--redis`), and
 * one real nginx in front on one port — `location /nK/` to node K (each node's
 * `--public-url` is `http://127.0.0.1:NGINX/nK`) and `location /` to a sticky (`ip_hash`)
 * upstream of all nodes, the entry point (web-node/nginx.ts › nginxClusterSiteConfig, the
 * shape docs/deployment.md › Several nodes shows). On loopback every client is 127.0.0.1, so
 * all entry traffic reaches one node ("the entry node", named by `/healthz`); it places rooms
 * on the least-loaded node and redirects the joins it does not keep.
 * (a) two pages open `http://127.0.0.1:NGINX/?room=…&autostart=1` and end in one call painting
 *     each other, on one node; a second room lands on another node; whichever of them is not
 *     on the entry node was reached by a redirect (`state().redirects`, `state().node`);
 * (b) kill -9 of the node holding a call: both pages come back through the entry point into
 *     one call on a live node and paint each other again within 25 s;
 * (c) over the HTTP fallback (`transport=http`): a join at the entry node for a room on
 *     another node is redirected to `/nK/fw/*` and the call paints.
 * Needs nginx (`apt-get install -y nginx-light`), redis-server (`apt-get install -y
 * redis-server`) and the built app (`npx vite build`): the test fails without them.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNodes, type NodeProcess } from '../server/fixtures/cluster-nodes.ts';
import { joinCluster, type ClusterClient } from '../server/test-client.ts';
import { roomName, useCallRig, waitForConnected, waitForPainted, type CallPage, type CallPageOptions } from '../web-node/call-page.ts';
import { freePort } from '../web-node/free-port.ts';
import { findNginx, startNginxCluster, type RunningNginxCluster } from '../web-node/nginx.ts';
import { RedisServer } from '../web-node/redis-server.ts';

const NODE_IDS = ['n1', 'n2', 'n3'];
/** `--admin-token` of every node (16+ characters), for `GET /admin/rooms`. */
const ADMIN_TOKEN = 'cluster-e2e-admin-token';
/** Longest wait for a page to be welcomed (a redirect on the way, a shared 2-core machine), ms. */
const CONNECT_TIMEOUT_MS = 30_000;
/** The spec: after the node holding a call dies, the call paints again within this, ms. */
const FAILOVER_LIMIT_MS = 25_000;
/** The call pages: small pictures, no sound (three pages, three nodes, nginx and Redis on 2 cores). */
const CALL: Omit<CallPageOptions, 'room' | 'name'> = { res: '320x240', fps: 15, waitConnected: false };

/** The cluster of one test. */
interface Cluster {
  /** `http://127.0.0.1:NGINX` — the entry point. */
  url: string;
  nginx: RunningNginxCluster;
  nodes: NodeProcess[];
  /** The node nginx sends entry traffic to (all of it, on loopback). */
  entry: string;
}

/** What `GET /admin/rooms` says. */
interface AdminListing {
  node: string;
  redis: 'up' | 'down';
  nodes: { id: string; url: string; connections: number }[];
  rooms: { room: string; node: string; peers: number }[];
}

/** The part of `window.framewire.state()` this test reads. */
interface PageState {
  connection: string;
  peerId: number;
  sessions: number;
  node: string;
  redirects: number;
}

function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const s = window.framewire.state();
    return { connection: s.connection, peerId: s.peerId, sessions: s.sessions, node: s.node, redirects: s.redirects };
  });
}

async function adminRooms(base: string): Promise<AdminListing> {
  const res = await fetch(`${base}/admin/rooms`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`GET ${base}/admin/rooms → ${res.status}`);
  return (await res.json()) as AdminListing;
}

/** The one node `room` is on with `peers` peers, as node `via`'s listing says it (refreshed every heartbeat: polled). */
async function roomNode(cluster: Cluster, via: string, room: string, peers: number): Promise<string> {
  let node = '';
  await expect
    .poll(
      async () => {
        const entries = (await adminRooms(cluster.nginx.nodeUrl(via))).rooms.filter((r) => r.room === room);
        node = entries.length === 1 ? entries[0]!.node : '';
        return entries.length === 1 ? entries[0]!.peers : `${entries.length} entries: ${JSON.stringify(entries)}`;
      },
      { timeout: 10_000, interval: 250, message: `room ${room} with ${peers} peers in ${via}'s /admin/rooms` },
    )
    .toBe(peers);
  return node;
}

/** The node id a page's `state().node` names: '' (the page's origin) is the entry node. */
function nodeOfState(cluster: Cluster, state: PageState): string {
  if (state.node === '') return cluster.entry;
  const prefix = state.node.startsWith(`${cluster.url}/`) ? state.node.slice(cluster.url.length + 1) : '';
  if (!NODE_IDS.includes(prefix)) throw new Error(`state().node is not a node behind this nginx [node:${state.node}, entry point:${cluster.url}]`);
  return prefix;
}

/** A failure report line of the page: its URL, `state()` and `stats().transport`. */
function pageReport(name: string, page: Page): () => Promise<string> {
  return async () => `[${name}] ${await page.evaluate(() => JSON.stringify({ url: location.href, state: window.framewire?.state(), transport: window.framewire?.stats().transport }))}`;
}

/**
 * Starts recording in the page: every painted remote frame as [Date.now(), state().sessions],
 * and the first time (Date.now()) the link was open with more welcomes than `sessions`.
 */
async function recordPaints(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { __cluster: PaintRecord };
    const sessions = window.framewire.state().sessions;
    g.__cluster = { sessions, paints: [], rejoinedAt: 0 };
    window.framewire.onPaint(() => void g.__cluster.paints.push([Date.now(), window.framewire.state().sessions]));
    const timer = setInterval(() => {
      const s = window.framewire.state();
      if (s.connection === 'open' && s.sessions > sessions) {
        g.__cluster.rejoinedAt = Date.now();
        clearInterval(timer);
      }
    }, 20);
  });
}

interface PaintRecord {
  /** `state().sessions` when recording began. */
  sessions: number;
  paints: [at: number, sessions: number][];
  /** When the link was open again on a new session (0: not yet). */
  rejoinedAt: number;
}

/** Waits until the page has painted `count` frames on a session after the one recording began on; resolves with its record. */
async function waitForPaintsAfterRejoin(page: Page, count: number, timeout: number): Promise<PaintRecord> {
  await page.waitForFunction(
    (n) => {
      const r = (globalThis as unknown as { __cluster: PaintRecord }).__cluster;
      return r.paints.filter(([, s]) => s > r.sessions).length >= n;
    },
    count,
    { timeout, polling: 100 },
  );
  return page.evaluate(() => (globalThis as unknown as { __cluster: PaintRecord }).__cluster);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('cluster', () => {
  describe('three nodes behind one nginx', () => {
    const rig = useCallRig({ relay: false });
    let redis: RedisServer | undefined;
    let nodes: ClusterNodes | undefined;
    let nginx: RunningNginxCluster | undefined;
    const anchors: ClusterClient[] = [];
    const nodeLog: string[] = [];
    /** What to print when the test failed, gathered before anything is closed. */
    const reports: (() => Promise<string>)[] = [];

    beforeAll(() => {
      // The nodes serve the built app (the CLI's default static dir, dist/web).
      if (!existsSync(resolve('dist/web/index.html'))) throw new Error('dist/web/index.html is missing: build the web app first (`npx vite build`, or `npm run build`)');
    });

    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        for (const report of reports) console.error(await report().catch((error: unknown) => `(report failed: ${String(error)})`));
        console.error(`node stderr (last lines):\n${nodeLog.slice(-40).join('\n')}`);
      }
      reports.length = 0;
      nodeLog.length = 0;
      await rig.pages.closeAll();
      await Promise.all(anchors.splice(0).map((anchor) => anchor.close()));
      await nginx?.close();
      nginx = undefined;
      await nodes?.close();
      nodes = undefined;
      await redis?.close();
      redis = undefined;
    });

    /** Redis, the nodes (in parallel) with their public URLs under nginx's port, then nginx. */
    async function startCluster(): Promise<Cluster> {
      const startedAt = performance.now();
      findNginx(); // before the nodes: without nginx, fail at once (it says how to install it)
      redis = await RedisServer.start();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const cluster = new ClusterNodes({ redisUrl: redis.url, args: ['--admin-token', ADMIN_TOKEN], log: (line) => void nodeLog.push(line) });
      nodes = cluster;
      const started = await Promise.all(NODE_IDS.map((id) => cluster.start(id, { args: ['--public-url', `${url}/${id}`] })));
      const running = await startNginxCluster({ nodes: started.map((n) => ({ prefix: n.id, upstream: n.url })), port });
      nginx = running;
      reports.push(async () => `nginx error log:\n${(await running.errorLog()).slice(-3000)}\naccess log:\n${(await running.accessLog()).slice(-6000)}`);
      const health = (await (await fetch(`${url}/healthz`)).json()) as { cluster?: { node: string; nodes: number } };
      const entry = health.cluster?.node ?? '';
      expect(NODE_IDS, '/healthz through the entry point names a node').toContain(entry);
      console.info(`[cluster] Redis, ${NODE_IDS.length} nodes and nginx up in ${Math.round(performance.now() - startedAt)} ms; entry node ${entry}`);
      return { url, nginx: running, nodes: started, entry };
    }

    /** Opens a call page through the entry point. */
    async function open(cluster: Cluster, room: string, name: string, params: Record<string, string> = {}): Promise<CallPage> {
      const page = await rig.pages.open(rig.chrome.browser, cluster.url, { ...CALL, room, name, params });
      reports.push(pageReport(name, page.page));
      return page;
    }

    /** Two pages in `room`, opened together; resolves once each painted 15 frames of the other, with the time to each one's first paint. */
    async function call(cluster: Cluster, room: string, params: Record<string, string> = {}): Promise<{ alice: CallPage; bob: CallPage; firstPaintMs: number[] }> {
      const openedAt = Date.now();
      const [alice, bob] = await Promise.all([open(cluster, room, 'Alice', params), open(cluster, room, 'Bob', params)]);
      await Promise.all([alice, bob].map((p) => waitForConnected(p.page, CONNECT_TIMEOUT_MS)));
      const firstPaint = async (page: Page, from: string): Promise<number> => {
        await waitForPainted(page, from, 1, CONNECT_TIMEOUT_MS);
        return Date.now() - openedAt;
      };
      const firstPaintMs = await Promise.all([firstPaint(alice.page, 'Bob'), firstPaint(bob.page, 'Alice')]);
      await waitForPainted(bob.page, 'Alice', 15);
      await waitForPainted(alice.page, 'Bob', 15);
      return { alice, bob, firstPaintMs };
    }

    /** Checks a page's `state()` against the node its room is on: the node's path and ≥ 1 redirect, or '' and none on the entry node. */
    function expectOnNode(cluster: Cluster, name: string, state: PageState, node: string): void {
      if (node === cluster.entry) {
        expect(state, `${name} is on the entry node ${node}`).toMatchObject({ node: '', redirects: 0 });
      } else {
        expect(state.node, `${name}'s room is on ${node}, not the entry node ${cluster.entry}`).toBe(cluster.nginx.nodeUrl(node));
        expect(state.redirects, `${name} was redirected to ${node}`).toBeGreaterThanOrEqual(1);
      }
    }

    it('(a) two pages through the entry point end in one call on one node; a second room lands on another node, and joins for rooms elsewhere are redirected', async () => {
      const c = await startCluster();
      const room1 = roomName('cluster-a1');
      const { alice, bob, firstPaintMs } = await call(c, room1);
      const [a, b] = await Promise.all([pageState(alice.page), pageState(bob.page)]);
      expect(a.node, 'both pages on one node').toBe(b.node);
      const node1 = nodeOfState(c, a);
      expect(await roomNode(c, c.entry, room1, 2), `/admin/rooms: ${room1}'s node`).toBe(node1);
      expectOnNode(c, 'Alice', a, node1);
      expectOnNode(c, 'Bob', b, node1);

      // A second room goes to a node with fewer connections than the first room's.
      const room2 = roomName('cluster-a2');
      const carol = await open(c, room2, 'Carol');
      await waitForConnected(carol.page, CONNECT_TIMEOUT_MS);
      const s = await pageState(carol.page);
      const node2 = nodeOfState(c, s);
      expect(node2, 'the second room is on another node than the first').not.toBe(node1);
      expect(await roomNode(c, node2, room2, 1), `/admin/rooms: ${room2}'s node`).toBe(node2);
      expectOnNode(c, 'Carol', s, node2);
      // At most one of the two rooms is on the entry node: someone was redirected.
      expect(Math.max(a.redirects, b.redirects, s.redirects), 'redirects of the pages off the entry node').toBeGreaterThanOrEqual(1);

      const listing = await adminRooms(c.nginx.nodeUrl(node1));
      console.info(
        `[cluster a] entry node ${c.entry}; room 1 on ${node1} (redirects: Alice ${a.redirects}, Bob ${b.redirects}), first paint ${firstPaintMs.join(' / ')} ms after opening (median ${median(firstPaintMs)} ms); ` +
          `room 2 on ${node2} (redirects: Carol ${s.redirects}); nodes ${listing.nodes.map((n) => `${n.id}:${n.connections}`).join(' ')} connections`,
      );
    });

    it('(b) kill -9 of the node holding the call: both pages come back through the entry point into one call on a live node and paint each other within 25 s', async () => {
      const c = await startCluster();
      const room = roomName('cluster-b');
      const { alice, bob } = await call(c, room);
      const before = await pageState(alice.page);
      const holder = nodeOfState(c, before);
      expect(await roomNode(c, c.entry, room, 2)).toBe(holder);
      await Promise.all([alice, bob].map((p) => recordPaints(p.page)));
      // The other node's view after the kill: ask one that lives.
      const witness = NODE_IDS.find((id) => id !== holder)!;

      const killedAt = Date.now();
      await c.nodes.find((n) => n.id === holder)!.kill();
      const records = await Promise.all(
        (
          [
            ['Alice', alice],
            ['Bob', bob],
          ] as const
        ).map(([name, p]) =>
          waitForPaintsAfterRejoin(p.page, 10, FAILOVER_LIMIT_MS + 5_000).catch((error: unknown) => {
            throw new Error(`${name} did not paint 10 frames on a new session within ${FAILOVER_LIMIT_MS + 5_000} ms of the kill of ${holder}`, { cause: error });
          }),
        ),
      );
      const back = records.map((r) => ({ welcomed: r.rejoinedAt - killedAt, painted: r.paints.find(([, s]) => s > r.sessions)![0] - killedAt }));

      // If the entry node was the one killed, nginx now sends entry traffic to another node.
      const entryNow = ((await (await fetch(`${c.url}/healthz`)).json()) as { cluster?: { node: string } }).cluster?.node ?? '';
      expect(entryNow, 'the entry point reaches a live node').not.toBe(holder);
      const [a, b] = await Promise.all([pageState(alice.page), pageState(bob.page)]);
      expect(a.node, 'both pages on one node again').toBe(b.node);
      const node = nodeOfState({ ...c, entry: entryNow }, a);
      expect(node, 'the call is on a live node').not.toBe(holder);
      expect(await roomNode(c, witness, room, 2), `/admin/rooms at ${witness}: ${room}'s node`).toBe(node);
      console.info(
        `[cluster b] call on ${holder} (entry ${c.entry}) killed; back on ${node} (entry now ${entryNow}): ` +
          `Alice welcomed after ${back[0]!.welcomed} ms, painting after ${back[0]!.painted} ms; Bob ${back[1]!.welcomed} ms, ${back[1]!.painted} ms (redirects so far: Alice ${a.redirects}, Bob ${b.redirects})`,
      );
      for (const [i, name] of ['Alice', 'Bob'].entries()) expect(back[i]!.painted, `${name} painting again after the kill, ms`).toBeLessThan(FAILOVER_LIMIT_MS);
      // And the call goes on.
      const painted = (await bob.page.evaluate(() => window.framewire.stats().peers.find((p) => p.name === 'Alice')?.framesPainted)) ?? 0;
      await waitForPainted(bob.page, 'Alice', painted + 15);
    });

    it('(c) the HTTP fallback through the same nginx: the join at the entry node is redirected to the node holding the room (/nK/fw/*) and the call paints', async () => {
      const c = await startCluster();
      // Pin the room to a node other than the entry node: a silent peer (no frames) joins
      // through the entry point until one lands elsewhere (placement picks the least-loaded node).
      let room = '';
      let anchor: ClusterClient | undefined;
      for (let attempt = 0; attempt < 12 && anchor === undefined; attempt++) {
        room = roomName('cluster-c');
        const client = await joinCluster(c.url, { room, name: 'anchor', keepFrames: false });
        if (client.redirects >= 1) anchor = client;
        else await client.close();
      }
      if (anchor === undefined) throw new Error('no room was placed off the entry node in 12 joins');
      anchors.push(anchor);
      const holder = await roomNode(c, c.entry, room, 1);
      expect(holder).not.toBe(c.entry);
      expect(anchor.node).toBe(c.nginx.nodeUrl(holder));

      const { alice, bob, firstPaintMs } = await call(c, room, { transport: 'http' });
      for (const [name, p] of [['Alice', alice], ['Bob', bob]] as const) {
        expect(await p.page.evaluate(() => window.framewire.stats().transport?.kind), `${name}'s transport`).toBe('http-stream');
        expectOnNode(c, name, await pageState(p.page), holder);
      }
      expect(await roomNode(c, holder, room, 3)).toBe(holder);
      const access = await c.nginx.accessLog();
      // The session asked at the entry point (answered, then redirected on its downlink), then at the node.
      expect(access).toMatch(/"POST \/fw\/session\?[^"]*" 200/);
      expect(access).toMatch(new RegExp(`"POST /${holder}/fw/session\\?[^"]*" 200`));
      expect(access).toMatch(new RegExp(`"POST /${holder}/fw/send[^"]*" 204`));
      console.info(`[cluster c] HTTP fallback: entry node ${c.entry}, room on ${holder}; first paint ${firstPaintMs.join(' / ')} ms after opening (median ${median(firstPaintMs)} ms)`);
    });
  });
  describe('nodes on their own hosts (no proxy): another origin than the page', () => {
    const rig = useCallRig({ relay: false });
    let redis: RedisServer | undefined;
    let nodes: ClusterNodes | undefined;
    const anchors: ClusterClient[] = [];

    afterEach(async () => {
      await rig.pages.closeAll();
      await Promise.all(anchors.splice(0).map((anchor) => anchor.close()));
      await nodes?.close();
      nodes = undefined;
      await redis?.close();
      redis = undefined;
    });

    it('(d) the HTTP fallback follows a redirect to a node of another origin (CORS) and the call paints', async () => {
      redis = await RedisServer.start();
      const cluster = new ClusterNodes({ redisUrl: redis.url });
      nodes = cluster;
      const [first, second] = await Promise.all([cluster.start('h1'), cluster.start('h2')]);
      await new Promise((r) => setTimeout(r, 2500)); // a heartbeat: each node lists the other
      // A room held on h2 (each node's public URL is its own http://127.0.0.1:PORT: another origin).
      let room = '';
      for (let attempt = 0; attempt < 12 && anchors.length === 0; attempt++) {
        room = roomName('cluster-d');
        const client = await joinCluster(second!.url, { room, name: 'anchor', keepFrames: false });
        if (client.node === second!.url) anchors.push(client);
        else await client.close();
      }
      expect(anchors, 'a room placed on h2').toHaveLength(1);
      // Pages served by h1 join that room over HTTP only: h1 redirects them to h2's origin.
      const pages = await Promise.all(['Alice', 'Bob'].map((name) => rig.pages.open(rig.chrome.browser, first!.url, { ...CALL, room, name, params: { transport: 'http' } })));
      await Promise.all(pages.map((p) => waitForConnected(p.page, CONNECT_TIMEOUT_MS)));
      await waitForPainted(pages[1]!.page, 'Alice', 10, CONNECT_TIMEOUT_MS);
      await waitForPainted(pages[0]!.page, 'Bob', 10, CONNECT_TIMEOUT_MS);
      for (const p of pages) {
        const state = await pageState(p.page);
        expect(state.node).toBe(second!.url);
        expect(state.redirects).toBeGreaterThanOrEqual(1);
        expect(await p.page.evaluate(() => window.framewire.stats().transport?.kind)).toBe('http-stream');
      }
    });
  });
});

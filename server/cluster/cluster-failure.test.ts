/**
 * The cluster when things break, with real processes: three nodes of the CLI (`--redis`) and
 * one real Redis (Debian's redis-server). Peers are `ClusterPeer`s: they join through any
 * node, follow redirects, send frames at 30 fps and rejoin through the entry points when
 * their connection is lost — as the web app does. Default timings (heartbeat 2 s, node record
 * 6 s, room claim 15 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../../web-node/redis-server.ts';
import { ClusterNodes } from '../fixtures/cluster-nodes.ts';
import { joinCluster } from '../test-client.ts';
import { ClusterPeer } from './cluster-peer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster failures (real node processes, real Redis)', () => {
  let redis: RedisServer | undefined;
  let cluster: ClusterNodes | undefined;
  const peers: ClusterPeer[] = [];

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.stop()));
    await cluster?.close();
    await redis?.close();
  });

  async function startCluster(n: number): Promise<ClusterNodes> {
    redis = await RedisServer.start();
    cluster = new ClusterNodes({ redisUrl: redis.url });
    for (let i = 1; i <= n; i++) await cluster.start(`n${i}`);
    await sleep(2500); // a heartbeat: every node has listed the others
    return cluster;
  }

  async function peer(entries: string[], room: string, name: string): Promise<ClusterPeer> {
    const p = new ClusterPeer({ entries, room, name });
    peers.push(p);
    await p.start();
    return p;
  }

  /** Joins through `entry` as a client retrying every 250 ms would, for up to 15 s. */
  async function joinRetrying(entry: string, room: string, name: string): Promise<Awaited<ReturnType<typeof joinCluster>> & { at: number }> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      try {
        return Object.assign(await joinCluster(entry, { room, name }), { at: performance.now() });
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(250);
      }
    }
  }

  it('kill -9 the node that owns a busy room: its peers are back in a call on another node within 20 s; the other room is untouched', async () => {
    const c = await startCluster(3);
    const entries = c.nodes.map((n) => n.url);
    const alice = await peer(entries, 'busy', 'alice');
    const bob = await peer([...entries].reverse(), 'busy', 'bob');
    expect(bob.node).toBe(alice.node);
    const victim = c.nodes.find((n) => n.url === alice.node)!;
    // another room, on a node that survives
    const survivors = entries.filter((u) => u !== victim.url);
    let carol: ClusterPeer | undefined;
    let dave: ClusterPeer | undefined;
    for (let i = 0; i < 5 && (carol === undefined || carol.node === victim.url); i++) {
      await carol?.stop();
      await dave?.stop();
      carol = await peer(survivors, `quiet${i}`, 'carol');
      dave = await peer(survivors, `quiet${i}`, 'dave');
    }
    expect(carol!.node).not.toBe(victim.url);
    await sleep(1000);
    const quietBefore = dave!.received;
    expect(alice.received).toBeGreaterThan(10);

    const killedAt = performance.now();
    await victim.kill();
    const [a, b] = await Promise.all([alice.welcomedAfter(killedAt, 20_000), bob.welcomedAfter(killedAt, 20_000)]);
    expect(a.node).toBe(b.node);
    expect(a.node).not.toBe(victim.url);
    // In a call again: each hears the other after the failover.
    const heardA = alice.received;
    const heardB = bob.received;
    const deadline = performance.now() + 5000;
    while ((alice.received <= heardA + 10 || bob.received <= heardB + 10) && performance.now() < deadline) await sleep(50);
    const backMs = performance.now() - killedAt;
    console.log(`[failover] node ${victim.id} killed: alice on ${a.node} after ${(a.at - killedAt).toFixed(0)} ms, bob after ${(b.at - killedAt).toFixed(0)} ms; frames flowing again ${backMs.toFixed(0)} ms after the kill; join errors meanwhile: ${[...alice.errors, ...bob.errors].length}`);
    expect(alice.received).toBeGreaterThan(heardA + 10);
    expect(bob.received).toBeGreaterThan(heardB + 10);
    expect(backMs).toBeLessThan(20_000);
    // Nothing crossed rooms: every frame each peer heard came from its own room, and the quiet
    // call went on through it all.
    for (const p of [alice, bob]) expect([...p.roomsHeard]).toEqual(['busy']);
    for (const p of [carol!, dave!]) expect([...p.roomsHeard]).toEqual([carol!.room]);
    expect(carol!.welcomes).toHaveLength(1);
    expect(dave!.received - quietBefore).toBeGreaterThan(100);
  });

  it('Redis stopped for 10 s: running calls go on, joins that need the directory get a clear error, and all recovers when Redis returns', async () => {
    const c = await startCluster(3);
    const entries = c.nodes.map((n) => n.url);
    const alice = await peer(entries, 'steady', 'alice');
    const bob = await peer([...entries].reverse(), 'steady', 'bob');
    const owner = alice.node;
    const elsewhere = entries.find((u) => u !== owner)!;
    await sleep(500);

    await redis!.stop();
    const stoppedAt = performance.now();
    const before = bob.received;
    await sleep(1000);
    // A new room needs the directory: refused, clearly, with a code that says try again.
    const refusal = await joinCluster(elsewhere, { room: 'newroom', name: 'eve' }).then(
      () => undefined,
      (error: { code?: string; message: string }) => error,
    );
    expect(refusal?.code).toBe('directory-unavailable');
    expect(refusal?.message).toMatch(/Redis\) is unreachable/);
    // The running room's own node still admits to it (it is here: no directory needed).
    const frank = await joinCluster(owner, { room: 'steady', name: 'frank' });
    expect(frank.node).toBe(owner);
    await frank.close();
    const health = (await (await fetch(`${owner}/healthz`)).json()) as { cluster: { redis: string } };
    expect(health.cluster.redis).toBe('down');
    await sleep(10_000 - (performance.now() - stoppedAt));
    const duringOutage = bob.received - before;
    console.log(`[redis outage] frames bob received from alice during 10 s without Redis: ${duringOutage}; welcomes: alice ${alice.welcomes.length}, bob ${bob.welcomes.length}`);
    expect(duringOutage).toBeGreaterThan(250); // 30 fps for 10 s = 300
    expect(alice.welcomes).toHaveLength(1);
    expect(bob.welcomes).toHaveLength(1);

    // Redis back (empty: no persistence): nodes re-register and re-claim their rooms.
    await redis!.restart();
    const backAt = performance.now();
    const newcomer = await joinRetrying(elsewhere, 'steady', 'grace');
    // The room's claim was re-established by its node: the join elsewhere was redirected to it.
    expect(newcomer.node).toBe(owner);
    expect(newcomer.redirects).toBe(1);
    await newcomer.close();
    // New rooms too, once the nodes have re-claimed theirs (two heartbeats; clients retry meanwhile).
    const fresh = await joinRetrying(elsewhere, 'afterwards', 'heidi');
    console.log(`[redis outage] after Redis returned: a join to the running room in ${(newcomer.at - backAt).toFixed(0)} ms, a new room in ${(fresh.at - backAt).toFixed(0)} ms`);
    expect(fresh.peerId).toBeGreaterThan(0);
    // Peer ids stay unique although Redis lost its counter.
    expect(new Set([alice.peerId, bob.peerId, fresh.peerId]).size).toBe(3);
    await fresh.close();
  });
});

/**
 * Three relay nodes and one real Redis (Debian's redis-server, started here on a free port),
 * in this process, over real sockets: joins through any node end on the room's one node and
 * the peers see each other; new rooms spread; peer ids are unique across the cluster; the
 * cluster shows in /healthz, /metrics and the admin listing; a clean shutdown hands rooms on.
 * Failover (a killed node) and Redis outages: cluster-failure.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Codec, encodeFrame } from '../../codec/index.ts';
import { RedisServer } from '../../web-node/redis-server.ts';
import { startRelay, type Relay } from '../relay.ts';
import { openHttpClient } from '../channels/http-test-client.ts';
import { joinCluster, waitFor, type ClusterClient } from '../test-client.ts';

const ADMIN_TOKEN = 'cluster-test-admin-token';

describe('cluster: N relay nodes through one Redis', () => {
  let redis: RedisServer;
  let nodes: Relay[] = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  async function startNodes(n: number, prefix: string): Promise<Relay[]> {
    for (let i = 1; i <= n; i++) {
      nodes.push(await startRelay({ logLevel: 'silent', adminToken: ADMIN_TOKEN, cluster: { redisUrl: redis.url, nodeId: `n${i}`, keyPrefix: prefix, heartbeatMs: 200, nodeTtlMs: 1000, claimTtlMs: 2000 } }));
    }
    // every node has listed the others
    await waitFor(() => nodes.every((node) => node.cluster!.nodes.length === n), 3000);
    return nodes;
  }

  async function join(node: Relay, room: string, name: string): Promise<ClusterClient> {
    const client = await joinCluster(node.url, { room, name });
    clients.push(client);
    return client;
  }

  it('joins through any node for one room end on one node, and the peers see each other', async () => {
    const [a, b, c] = await startNodes(3, 'same-room:');
    const alice = await join(a!, 'r1', 'alice');
    const bob = await join(b!, 'r1', 'bob');
    const carol = await join(c!, 'r1', 'carol');
    expect(new Set([alice.node, bob.node, carol.node]).size).toBe(1);
    // Two of the three came in elsewhere and were redirected (the room was claimed by one node).
    expect([alice, bob, carol].filter((x) => x.redirects > 0).length).toBeGreaterThanOrEqual(1);
    const owner = nodes.find((n) => n.url === alice.node)!;
    expect(owner.peers('r1').map((p) => p.name)).toEqual(['alice', 'bob', 'carol']);
    for (const other of nodes.filter((n) => n !== owner)) expect(other.rooms()).toEqual([]);
    // They are in one call: carol saw the two before her, a frame reaches both others.
    const welcome = carol.control.find((m) => m.type === 'welcome')!;
    expect((welcome['peers'] as Array<{ name: string }>).map((p) => p.name)).toEqual(['alice', 'bob']);
    alice.sendFrame(encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), seq: 1 }));
    await bob.waitFrames(1);
    await carol.waitFrames(1);
  });

  it('redirects an HTTP-channel session as it does a WebSocket: the redirect record, then the close record 4302', async () => {
    await startNodes(2, 'http:');
    const first = await join(nodes[0]!, 'over-http', 'ws-peer');
    const other = nodes.find((n) => n.url !== first.node)!;
    const session = await openHttpClient(other.url, { room: 'over-http', name: 'http-peer' });
    try {
      expect(await session.closed).toEqual({ code: 4302, reason: 'redirect' });
      expect(session.control).toEqual([{ type: 'redirect', url: first.node, room: 'over-http' }]);
      // …and at the owner the same session query is welcomed into the room.
      const there = await openHttpClient(first.node, { room: 'over-http', name: 'http-peer' });
      expect(there.peerId).toBeGreaterThan(0);
      await first.waitControl((m) => m.type === 'peer-joined');
      there.dispose();
    } finally {
      session.dispose();
    }
  });

  it('a resume through another node is redirected to the room’s node, which resumes the same peer', async () => {
    await startNodes(2, 'resume:');
    const first = await join(nodes[0]!, 'resuming', 'r1');
    const resumable = await joinCluster(first.node, { room: 'resuming', name: 'r2', query: { resumable: '1' } });
    const token = String(resumable.control.find((m) => m.type === 'welcome')!['resume']);
    const peerId = resumable.peerId;
    resumable.socket.terminate(); // a cut connection: the node holds the peer for a resume
    await resumable.closed;
    const other = nodes.find((n) => n.url !== first.node)!;
    const back = await joinCluster(other.url, { room: 'resuming', name: 'r2', query: { resumable: '1', resume: token } });
    clients.push(back);
    expect(back.redirects).toBe(1);
    expect(back.node).toBe(first.node);
    const welcome = back.control.find((m) => m.type === 'welcome')!;
    expect(welcome).toMatchObject({ resumed: true, peerId });
    expect(first.control.some((m) => m.type === 'peer-left')).toBe(false); // the room saw nothing
  });

  it('spreads new rooms over the nodes, and peer ids are unique across the cluster', async () => {
    await startNodes(3, 'spread:');
    const joined: ClusterClient[] = [];
    // Every join goes in through the first node, as through a load balancer that always picks it.
    for (let r = 0; r < 9; r++) joined.push(await join(nodes[0]!, `room${r}`, 'p'));
    await waitFor(() => nodes.every((n) => n.cluster!.rooms.length === 9), 3000);
    const perNode = nodes.map((n) => n.rooms().length);
    expect(perNode.reduce((a, b) => a + b)).toBe(9);
    // least-loaded placement: 3 each (a node counts a redirect it sent until the next heartbeat)
    expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
    expect(new Set(joined.map((c) => c.peerId)).size).toBe(9);
  });

  it('shows the cluster in /healthz, /metrics and the admin listing', async () => {
    await startNodes(2, 'status:');
    await join(nodes[0]!, 'visible', 'v1');
    await join(nodes[1]!, 'visible', 'v2');
    await waitFor(() => nodes.every((n) => n.cluster!.rooms.some((r) => r.room === 'visible' && r.peers === 2)), 3000);
    const health = (await (await fetch(`${nodes[1]!.url}/healthz`)).json()) as { cluster: { nodes: number; rooms: number; peers: number; redis: string } };
    expect(health.cluster).toMatchObject({ nodes: 2, rooms: 1, peers: 2, redis: 'up' });
    const metrics = await (await fetch(`${nodes[0]!.url}/metrics`)).text();
    expect(metrics).toMatch(/^framewire_cluster_nodes 2$/m);
    expect(metrics).toMatch(/^framewire_cluster_peers 2$/m);
    expect(metrics).toMatch(/^framewire_cluster_redirects_total \d+$/m);
    expect((await fetch(`${nodes[0]!.url}/admin/rooms`)).status).toBe(401);
    const listing = (await (await fetch(`${nodes[0]!.url}/admin/rooms`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { rooms: Array<{ room: string; node: string; peers: number }> };
    expect(listing.rooms).toEqual([{ room: 'visible', node: expect.stringMatching(/^n[12]$/), peers: 2 }]);
  });

  it('a node shut down cleanly gives its rooms up at once: rejoins land on a live node', async () => {
    await startNodes(2, 'shutdown:');
    const first = await join(nodes[0]!, 'moving', 'm1');
    const owner = nodes.find((n) => n.url === first.node)!;
    const other = nodes.find((n) => n !== owner)!;
    await owner.close();
    expect(await first.closed).toMatchObject({ code: 1001 });
    const again = await join(other, 'moving', 'm1');
    expect(again.node).toBe(other.url);
    expect(again.redirects).toBe(0);
  });
});

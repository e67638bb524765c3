/**
 * This relay as a node of a cluster (`--redis URL`): it publishes itself in the directory
 * every `heartbeatMs` (public URL, load, its rooms), keeps its rooms' claims alive, releases a
 * room's claim when its last peer leaves, and decides where each join goes:
 *
 *   room already here ─────────────────────────────▶ admit (no Redis: works through an outage)
 *   Redis away ────────────────────────────────────▶ refuse `directory-unavailable` (1013)
 *   owner = this node ─────────────────────────────▶ admit
 *   owner = a live node ───────────────────────────▶ redirect there
 *   no owner, or its owner is dead ─▶ claim it for the least-loaded live node (this one
 *                                     included) ─▶ admit here, or redirect there
 *
 * A dead node's claims are taken over as soon as its record has expired (`nodeTtlMs`), and
 * expire on their own after `claimTtlMs` anyway.
 */
import { cpuUsage } from 'node:process';
import { RelayError } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { PeerIdBlocks } from './peer-id-blocks.ts';
import { judgeOwner, leastLoaded, type NodeLoad } from './placement.ts';
import { RedisDirectory, type NodeRecord } from './redis-directory.ts';

/** Where a join goes. */
export type Placement = { kind: 'local' } | { kind: 'redirect'; url: string } | { kind: 'refuse'; error: RelayError };

export const DEFAULT_CLUSTER_HEARTBEAT_MS = 2000;
export const DEFAULT_NODE_TTL_MS = 6000;
export const DEFAULT_ROOM_CLAIM_TTL_MS = 15_000;
export const DEFAULT_PEER_ID_BLOCK = 1024;
export const DEFAULT_KEY_PREFIX = 'framewire:';

/** Cluster options (`RelayOptions.cluster`). */
export interface ClusterOptions {
  /** Redis URL, e.g. `redis://10.0.0.5:6379`. */
  redisUrl: string;
  /** The base URL clients reach THIS node at, e.g. `https://relay.example/n2`. Default: the relay's own URL. */
  publicUrl?: string;
  /** This node's id in the directory. Default: random. */
  nodeId?: string;
  /** How often the node publishes itself and renews its claims, ms. Default 2000. */
  heartbeatMs?: number;
  /** A node missing its renewals this long is gone, ms. Default 6000. */
  nodeTtlMs?: number;
  /** A room's claim lives this long without renewal, ms. Default 15000. */
  claimTtlMs?: number;
  /** Redis key prefix (several clusters can share one Redis). Default 'framewire:'. */
  keyPrefix?: string;
}

/** Options after defaults and validation. */
export type ResolvedClusterOptions = Required<Omit<ClusterOptions, 'publicUrl'>> & { publicUrl: string | undefined };

/** What the node reads from its relay. */
export interface LocalState {
  connections(): number;
  /** Rooms on this relay with their peer counts. */
  rooms(): Array<[room: string, peers: number]>;
  hasRoom(room: string): boolean;
}

/** The cluster as this node sees it (healthz, metrics, the admin listing). */
export interface ClusterStatus {
  nodeId: string;
  url: string;
  redis: 'up' | 'down';
  nodes: Array<Pick<NodeRecord, 'id' | 'url' | 'connections' | 'peers' | 'cpu'> & { rooms: number }>;
  rooms: Array<{ room: string; node: string; peers: number }>;
}

export class ClusterNode {
  readonly id: string;
  readonly url: string;
  readonly #options: ResolvedClusterOptions;
  readonly #dir: RedisDirectory;
  readonly #local: LocalState;
  readonly #log: Logger;
  readonly #ids: PeerIdBlocks;
  /** Live nodes at the last listing (this one included), by id. */
  #live = new Map<string, NodeRecord>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #startedAt = Date.now();
  #cpu = { usage: cpuUsage(), at: performance.now(), share: 0 };
  /**
   * Joins this node redirected to each node lately (their times, ms): the target's record shows
   * them only after its next heartbeat, and until then they count on it, so that a burst of
   * new rooms spreads over the nodes instead of all going to the one that looked idle.
   */
  #sent = new Map<string, number[]>();
  /** Rooms whose claim another node holds (logged once each). */
  #contested = new Set<string>();
  /** Until then (performance.now()) after Redis came back, rooms without an owner are not claimed (`#reconnected`). */
  #settlingUntil = 0;
  /** The highest peer-id counter value seen in the cluster (ours and the other nodes' records). */
  #idsSeen = 0;

  private constructor(options: ResolvedClusterOptions, url: string, local: LocalState, log: Logger) {
    this.#options = options;
    this.id = options.nodeId;
    this.url = url;
    this.#local = local;
    this.#log = log;
    this.#dir = new RedisDirectory({ url: options.redisUrl, prefix: options.keyPrefix, log, onReady: (up) => up && this.#reconnected() });
    this.#ids = new PeerIdBlocks(DEFAULT_PEER_ID_BLOCK, async (n) => {
      const first = await this.#dir.reservePeerIds(n, this.#idsSeen);
      this.#idsSeen = Math.max(this.#idsSeen, first + n - 1);
      return first;
    });
  }

  /** Joins the cluster: connects to Redis, takes a block of peer ids, publishes this node. Rejects if Redis cannot be reached. */
  static async start(options: ResolvedClusterOptions, url: string, local: LocalState, log: Logger): Promise<ClusterNode> {
    const node = new ClusterNode(options, url, local, log);
    await node.#dir.connect();
    await node.#ids.fill();
    await node.#heartbeat();
    node.#schedule();
    log.info('cluster node up', { nodeId: node.id, url, nodes: node.#live.size });
    return node;
  }

  /** True while Redis is reachable. */
  get directoryUp(): boolean {
    return this.#dir.ready;
  }

  /** A peer id unique in the cluster, or undefined if none is in hand (Redis away too long). */
  nextPeerId(): number | undefined {
    return this.#ids.take();
  }

  /** Where a join for `room` goes. Never rejects. */
  async place(room: string): Promise<Placement> {
    if (this.#local.hasRoom(room)) return { kind: 'local' };
    if (!this.#dir.ready) return this.#unavailable(room);
    try {
      const owner = await this.#dir.owner(room);
      let verdict = judgeOwner(owner, this.id, this.#live);
      if (verdict.kind === 'claim') {
        // A room to place: on the nodes alive NOW (a node that left a moment ago must not get
        // it; an owner missing from our listing may have started since), one more round trip.
        await this.#refreshNodes();
        verdict = judgeOwner(owner, this.id, this.#live);
      }
      if (verdict.kind === 'here') return { kind: 'local' };
      if (verdict.kind === 'there') return { kind: 'redirect', url: verdict.node.url };
      if (performance.now() < this.#settlingUntil) return this.#unavailable(room);
      const others = [...this.#live.values()].filter((n) => n.id !== this.id).map((n) => ({ ...n, connections: n.connections + this.#sentTo(n.id) }));
      const target = leastLoaded<NodeLoad>([...others, this.#selfRecord()])!;
      const after = await this.#dir.claim(room, target.id, this.#options.claimTtlMs, verdict.deadOwner);
      if (verdict.deadOwner !== '' && after === target.id) this.#log.info('room taken over from a dead node', { room, deadNode: verdict.deadOwner, node: target.id });
      if (after === this.id) return { kind: 'local' };
      let node = this.#live.get(after);
      if (node === undefined) {
        await this.#refreshNodes();
        node = this.#live.get(after);
      }
      if (node === undefined) return this.#unavailable(room);
      this.#countSent(node.id);
      return { kind: 'redirect', url: node.url };
    } catch (error) {
      this.#log.warn('cluster directory failed during a join', { room, error: error instanceof Error ? error.message : String(error) });
      return this.#unavailable(room);
    }
  }

  /** A room of this node lost its last peer: its claim is given up (the next join picks a node afresh). */
  roomEmptied(room: string): void {
    this.#contested.delete(room);
    if (!this.#dir.ready) return; // it expires on its own
    this.#dir.release(room, this.id).catch(() => undefined);
  }

  /** The cluster at the last heartbeat. */
  status(): ClusterStatus {
    const nodes = [...this.#live.values()].map((n) => (n.id === this.id ? this.#selfRecord() : n));
    if (!this.#live.has(this.id)) nodes.push(this.#selfRecord());
    nodes.sort((a, b) => (a.id < b.id ? -1 : 1));
    return {
      nodeId: this.id,
      url: this.url,
      redis: this.#dir.ready ? 'up' : 'down',
      nodes: nodes.map((n) => ({ id: n.id, url: n.url, connections: n.connections, peers: n.peers, cpu: n.cpu, rooms: n.rooms.length })),
      rooms: nodes.flatMap((n) => n.rooms.map(([room, peers]) => ({ room, node: n.id, peers }))).sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0)),
    };
  }

  /** Leaves the cluster: its record and its rooms' claims go at once (its peers reconnect elsewhere). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#dir.ready) {
      await Promise.allSettled([this.#dir.removeNode(this.id), ...this.#local.rooms().map(([room]) => this.#dir.release(room, this.id))]);
    }
    await this.#dir.close();
  }

  #countSent(node: string): void {
    const times = this.#sent.get(node) ?? [];
    times.push(performance.now());
    this.#sent.set(node, times);
  }

  /** Redirects to `node` its record may not show yet (within two heartbeats). */
  #sentTo(node: string): number {
    const times = this.#sent.get(node);
    if (times === undefined) return 0;
    const since = performance.now() - 2 * this.#options.heartbeatMs;
    while (times.length > 0 && times[0]! < since) times.shift();
    if (times.length === 0) this.#sent.delete(node);
    return times.length;
  }

  #unavailable(room: string): Placement {
    return { kind: 'refuse', error: RelayError.directoryUnavailable(room) };
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#heartbeat().finally(() => this.#schedule());
    }, this.#options.heartbeatMs);
    this.#timer.unref();
  }

  /**
   * Redis is back (maybe empty: restarted without its data): publish and re-claim our rooms at
   * once, and for two heartbeats claim no room we do not hold — the other nodes are
   * re-claiming theirs, and a join must not split a running room by claiming it first.
   */
  #reconnected(): void {
    if (this.#closed || this.#timer === undefined) return; // the first connect: start() does it
    this.#settlingUntil = performance.now() + 2 * this.#options.heartbeatMs;
    void this.#heartbeat();
  }

  /** Publishes this node, renews (or re-claims) its rooms, lists the live nodes. */
  async #heartbeat(): Promise<void> {
    if (!this.#dir.ready) return;
    try {
      const self = this.#selfRecord();
      await this.#dir.heartbeat(self, this.#options.nodeTtlMs);
      const rooms = self.rooms.map(([room]) => room);
      const outcomes = await this.#dir.renew(rooms, this.id, this.#options.claimTtlMs);
      outcomes.forEach((outcome, i) => {
        const room = rooms[i]!;
        if (outcome === 'lost' && !this.#contested.has(room)) {
          this.#contested.add(room);
          // NOTE: only after a split (e.g. Redis lost its data while the room ran here and a
          // join elsewhere claimed it). The room goes on here; the other node's peers are apart.
          this.#log.warn('another node claims a room that runs here', { room, node: this.id });
        } else if (outcome !== 'lost') this.#contested.delete(room);
      });
      await this.#refreshNodes();
    } catch (error) {
      this.#log.debug('cluster heartbeat failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async #refreshNodes(): Promise<void> {
    const nodes = await this.#dir.liveNodes();
    this.#live = new Map(nodes.map((n) => [n.id, n]));
    for (const n of nodes) if (Number.isSafeInteger(n.idsSeen)) this.#idsSeen = Math.max(this.#idsSeen, n.idsSeen);
  }

  #selfRecord(): NodeRecord {
    const rooms = this.#local.rooms();
    return {
      id: this.id,
      url: this.url,
      connections: this.#local.connections(),
      peers: rooms.reduce((sum, [, peers]) => sum + peers, 0),
      rooms,
      cpu: this.#cpuShare(),
      startedAt: this.#startedAt,
      idsSeen: this.#idsSeen,
    };
  }

  /** Process CPU over the last call, per core (0..n). */
  #cpuShare(): number {
    const now = performance.now();
    const elapsedMs = now - this.#cpu.at;
    if (elapsedMs >= 500) {
      const used = cpuUsage(this.#cpu.usage);
      this.#cpu = { usage: cpuUsage(), at: now, share: Math.round(((used.user + used.system) / 1000 / elapsedMs) * 100) / 100 };
    }
    return this.#cpu.share;
  }
}

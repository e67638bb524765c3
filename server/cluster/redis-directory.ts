/**
 * The cluster's directory in Redis — the control plane only, media never passes through it.
 * Three kinds of keys under one prefix (default `framewire:`):
 *
 *   node:<id>   JSON `NodeRecord` (public URL, load, its rooms), PX `nodeTtlMs`, renewed by its node
 *   nodes       sorted set: node id → expiry (Redis time, ms), so live nodes list without SCAN
 *   room:<name> the id of the node that owns the room, PX `claimTtlMs`, renewed by its owner
 *   peer-ids    a counter handing out blocks of peer ids (unique cluster-wide)
 *
 * Every multi-step change is one Lua script (atomic in Redis) and reads Redis's own clock,
 * so nodes need no synchronised clocks. The client is the official `redis` package; its
 * offline queue is off, so while Redis is away a command fails at once (the caller refuses
 * what needs the directory) instead of queueing, and it reconnects with capped backoff.
 */
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../logger.ts';

/** What a node publishes about itself. */
export interface NodeRecord {
  id: string;
  /** Base URL clients are redirected to (`http(s)://host[:port][/path]`). */
  url: string;
  connections: number;
  peers: number;
  /** Rooms on the node with their peer counts. */
  rooms: Array<[room: string, peers: number]>;
  /** Process CPU use over the last heartbeat, 0..1 per core. */
  cpu: number;
  startedAt: number;
  /** The highest peer-id counter value this node has seen (the floor the counter is put back to if Redis loses it). */
  idsSeen: number;
}

/** Options of `RedisDirectory`. */
export interface RedisDirectoryOptions {
  url: string;
  /** Key prefix. Default 'framewire:'. */
  prefix?: string;
  log: Logger;
  /** Called when the connection to Redis is up (true) or lost (false). */
  onReady?: (ready: boolean) => void;
}

/** Longest wait between reconnect attempts to Redis, ms. */
export const MAX_RECONNECT_DELAY_MS = 2000;
/** A command that gets no answer in this long fails (Redis frozen, a half-dead socket), ms. */
export const COMMAND_TIMEOUT_MS = 1000;

// KEYS[1] node key, KEYS[2] nodes set; ARGV[1] id, ARGV[2] record JSON, ARGV[3] ttl ms.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return now`;

// KEYS[1] nodes set; ARGV[1] node key prefix. The records of live nodes.
const LIVE_NODES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then out[#out + 1] = v end
end
return out`;

// KEYS[1] room key; ARGV[1] claimant, ARGV[2] ttl ms, ARGV[3] an owner known dead ('' none).
// Claims a free room (or one whose owner is dead) for the claimant; returns the owner after.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if (not v) or (ARGV[3] ~= '' and v == ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return v`;

// KEYS = room keys; ARGV[1] owner, ARGV[2] ttl ms. Per room: 1 extended, 2 re-claimed (it had
// gone, e.g. Redis restarted empty), 0 owned by another node.
const RENEW = `
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2]); out[i] = 1
  elseif not v then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2]); out[i] = 2
  else
    out[i] = 0
  end
end
return out`;

// KEYS[1] room key; ARGV[1] owner. Deletes the claim only if it is still the owner's.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS[1] counter; ARGV[1] block size, ARGV[2] floor. A block after max(counter, floor): if
// Redis lost the counter (restarted empty), ids already handed out are not handed out again.
const RESERVE = `
local size = tonumber(ARGV[1])
local v = redis.call('INCRBY', KEYS[1], size)
local least = tonumber(ARGV[2]) + size
if v < least then redis.call('SET', KEYS[1], least); v = least end
return v`;

/** The outcome of renewing one room's claim. */
export type RenewOutcome = 'extended' | 'reclaimed' | 'lost';

export class RedisDirectory {
  readonly prefix: string;
  readonly #client: RedisClientType;
  readonly #log: Logger;
  #ready = false;
  #closed = false;
  /** Logged once per outage, not per reconnect attempt. */
  #outageLogged = false;

  constructor(options: RedisDirectoryOptions) {
    this.prefix = options.prefix ?? 'framewire:';
    this.#log = options.log;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: COMMAND_TIMEOUT_MS,
        // Capped exponential backoff with jitter; never gives up (Redis comes back).
        reconnectStrategy: (retries) => Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(retries, 6)) * (0.75 + Math.random() * 0.5),
      },
    }) as RedisClientType;
    this.#client.on('error', (error: Error) => {
      if (this.#outageLogged || this.#closed) return;
      this.#outageLogged = true;
      this.#log.warn('redis unreachable: rooms on this node go on, joins that need the directory are refused until it is back', { error: error.message });
    });
    this.#client.on('ready', () => {
      this.#ready = true;
      if (this.#outageLogged) this.#log.warn('redis reachable again');
      this.#outageLogged = false;
      options.onReady?.(true);
    });
    this.#client.on('end', () => this.#setDown(options));
    this.#client.on('reconnecting', () => this.#setDown(options));
  }

  #setDown(options: RedisDirectoryOptions): void {
    if (!this.#ready) return;
    this.#ready = false;
    options.onReady?.(false);
  }

  /** True while connected to Redis. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Connects; rejects if Redis cannot be reached within a few seconds (a node does not start without its directory). */
  async connect(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis not reachable within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.#client.connect(), timeout]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    try {
      if (this.#client.isOpen) await this.#client.close();
      else this.#client.destroy();
    } catch {
      this.#client.destroy();
    }
  }

  /** Publishes `record` for `ttlMs`; returns Redis's time, ms. */
  async heartbeat(record: NodeRecord, ttlMs: number): Promise<number> {
    const reply = await this.#run(HEARTBEAT, [this.#nodeKey(record.id), this.#key('nodes')], [record.id, JSON.stringify(record), String(ttlMs)]);
    return Number(reply);
  }

  /** Removes a node's record at once (a clean shutdown). */
  async removeNode(id: string): Promise<void> {
    await this.#timed(this.#client.multi().del(this.#nodeKey(id)).zRem(this.#key('nodes'), id).exec());
  }

  /** The records of every live node. */
  async liveNodes(): Promise<NodeRecord[]> {
    const reply = (await this.#run(LIVE_NODES, [this.#key('nodes')], [this.#key('node:')])) as string[];
    const nodes: NodeRecord[] = [];
    for (const json of reply) {
      try {
        nodes.push(JSON.parse(json) as NodeRecord);
      } catch {
        // a record we cannot read is a node we cannot redirect to
      }
    }
    return nodes;
  }

  /** The node that owns `room`, or null. */
  async owner(room: string): Promise<string | null> {
    return this.#timed(this.#client.get(this.#roomKey(room)));
  }

  /** Claims `room` for `claimant` if free (or held by `deadOwner`); returns the owner after. */
  async claim(room: string, claimant: string, ttlMs: number, deadOwner = ''): Promise<string> {
    return String(await this.#run(CLAIM, [this.#roomKey(room)], [claimant, String(ttlMs), deadOwner]));
  }

  /** Extends `owner`'s claims on `rooms` (re-claims the ones that vanished), one round trip. */
  async renew(rooms: readonly string[], owner: string, ttlMs: number): Promise<RenewOutcome[]> {
    if (rooms.length === 0) return [];
    const reply = (await this.#run(RENEW, rooms.map((r) => this.#roomKey(r)), [owner, String(ttlMs)])) as number[];
    return reply.map((v) => (v === 1 ? 'extended' : v === 2 ? 'reclaimed' : 'lost'));
  }

  /** Gives up `owner`'s claim on `room` (its last peer left). */
  async release(room: string, owner: string): Promise<void> {
    await this.#run(RELEASE, [this.#roomKey(room)], [owner]);
  }

  /**
   * Reserves `size` peer ids above `floor` (the highest counter value known in the cluster);
   * returns the first (ids are `first .. first + size - 1`, before wrapping at 2³²).
   */
  async reservePeerIds(size: number, floor: number): Promise<number> {
    const last = await this.#run(RESERVE, [this.#key('peer-ids')], [String(size), String(floor)]);
    return Number(last) - size + 1;
  }

  #run(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.#timed(this.#client.eval(script, { keys, arguments: args }));
  }

  /** A command that fails after `COMMAND_TIMEOUT_MS` instead of hanging on a frozen Redis. */
  async #timed<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([command, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #key(name: string): string {
    return this.prefix + name;
  }

  #nodeKey(id: string): string {
    return `${this.prefix}node:${id}`;
  }

  #roomKey(room: string): string {
    return `${this.prefix}room:${room}`;
  }
}

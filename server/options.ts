/**
 * Options of the relay (`startRelay`), their defaults and their validation: every invalid
 * value or combination is rejected here with a TypeError, before anything listens.
 */
import { DEFAULT_MAX_DIMENSION, DEFAULT_MAX_FRAME_BYTES, HEADER_BYTES } from '../codec/index.ts';
import { hasTurnServer, IceServerError, parseIceServers, type IceServer } from '../protocol/index.ts';
import { DEFAULT_FEEDBACK_EXPIRE_MS, DEFAULT_FEEDBACK_TARGET_DELAY_MS } from './session/ack-window.ts';
import { DEFAULT_FEEDBACK_INTERVAL_MS } from './session/delivery-reporter.ts';
import { DEFAULT_MAX_IN_FLIGHT } from './session/frame-outbox.ts';
import { AddressSet } from './http/client-address.ts';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MESSAGE_TIMEOUT_MS } from './http/connection-gate.ts';
import type { ServerFactory } from './http/server-factory.ts';
import { DEFAULT_JOIN_BURST_PER_IP, DEFAULT_JOINS_PER_IP_PER_MINUTE, DEFAULT_MAX_CONNECTIONS_PER_IP } from './session/address-limits.ts';
import { DEFAULT_ADMISSION_BURST, DEFAULT_ADMISSION_WAIT_MS, DEFAULT_ADMISSIONS_PER_SECOND } from './session/admission-pacer.ts';
import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import { DEFAULT_CLUSTER_HEARTBEAT_MS, DEFAULT_KEY_PREFIX, DEFAULT_NODE_TTL_MS, DEFAULT_ROOM_CLAIM_TTL_MS, type ClusterOptions, type ResolvedClusterOptions } from './cluster/cluster-node.ts';
import { isLogLevel, withoutCredentials, type Logger, type LogLevel } from './logger.ts';

export type { IceServer } from '../protocol/index.ts';

export const DEFAULT_PORT = 0;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_PEERS_PER_ROOM = 8;
export const DEFAULT_HEARTBEAT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_CONTROL_RATE_PER_SECOND = 50;
export const DEFAULT_CONTROL_BURST = 100;
export const DEFAULT_MAX_CONTROL_ERRORS = 10;
export const DEFAULT_CONTROL_ERROR_REFILL_MS = 6_000;
export const DEFAULT_MAX_CONTROL_BYTES = 64 * 1024;
export const DEFAULT_MAX_CHAT_CHARS = 2000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2_000;
/** How long a resumable peer whose connection was lost is held for a resume, ms. */
export const DEFAULT_RESUME_GRACE_MS = 10_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
/** The memory budget's ceiling, bytes: with the process's own ~100 MB and what ws and the heap add around held messages, RSS stays under 512 MiB. */
export const MAX_DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024;

/** `maxMemoryBytes` by default: 256 MiB, or an eighth of this machine's memory if that is less. */
export function defaultMaxMemoryBytes(): number {
  return Math.min(MAX_DEFAULT_MEMORY_BYTES, Math.floor(totalmem() / 8));
}
export const DEFAULT_RELAY_LOG_LEVEL: LogLevel = 'warn';
/** `RelayOptions.iceTransportPolicy` by default: any candidate (host, STUN, TURN). */
export const DEFAULT_ICE_TRANSPORT_POLICY = 'all';
export { DEFAULT_FEEDBACK_EXPIRE_MS, DEFAULT_FEEDBACK_INTERVAL_MS, DEFAULT_FEEDBACK_TARGET_DELAY_MS };
export { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MESSAGE_TIMEOUT_MS, DEFAULT_JOIN_BURST_PER_IP, DEFAULT_JOINS_PER_IP_PER_MINUTE, DEFAULT_MAX_CONNECTIONS_PER_IP };
export { DEFAULT_ADMISSION_BURST, DEFAULT_ADMISSION_WAIT_MS, DEFAULT_ADMISSIONS_PER_SECOND };
/** Client addresses the per-address limits do not apply to by default: loopback (the relay's own host: bots, benches, tests). */
export const DEFAULT_LIMIT_EXEMPT: readonly string[] = ['127.0.0.0/8', '::1'];

/** Options of `startRelay`. */
export interface RelayOptions {
  /** TCP port; 0 picks a free one (see `Relay.port`). Default 0. */
  port?: number;
  /** Interface to listen on. Default '127.0.0.1' (use '0.0.0.0' to accept other machines). */
  host?: string;
  /** Directory of the built web app (normally dist/web), served at `/`. Default: none (a placeholder page). */
  staticDir?: string;
  /**
   * Creates the HTTP server the relay listens with, given its request handler (e.g.
   * `(handler) => https.createServer({ key, cert }, handler)` for TLS). The relay adds its
   * own `upgrade`, `clientError` and `error` listeners and calls `listen`. Default
   * `createPlainServer` (node:http).
   */
  createServer?: ServerFactory;
  /** Peers per room; the next joiner is refused with `room-full`. Default 8. */
  maxPeersPerRoom?: number;
  /** Largest WebSocket message in bytes (ws `maxPayload`, close 1009) and largest frame. Default `DEFAULT_MAX_FRAME_BYTES` (8 MiB). */
  maxPayload?: number;
  /** Largest frame width or height, pixels. Default 4096. */
  maxDimension?: number;
  /** Heartbeat period in ms: a peer that has not answered the previous ping is terminated. 0 disables. Default 30000. */
  heartbeatMs?: number;
  /** Allowed `Origin` headers (e.g. 'https://example.com'); empty = any. Requests without Origin (non-browsers) are allowed. Default []. */
  origins?: string[];
  /** Open connections (all transports); the next one is closed with 1013 `server-full`. Default 1000. */
  maxConnections?: number;
  /** ICE servers handed to clients in `welcome` (WebRTC mode), checked with protocol's `parseIceServers`. Default []. */
  iceServers?: IceServer[];
  /**
   * ICE transport policy handed to clients in `welcome` (WebRTC mode): 'relay' makes them use
   * only TURN-relayed candidates (e.g. TURN over TCP/TLS for UDP-blocked networks) and needs a
   * `turn:`/`turns:` server among `iceServers`. Default 'all'.
   */
  iceTransportPolicy?: 'all' | 'relay';
  /** Control messages per second per connection (token bucket). Default 50. */
  controlRatePerSecond?: number;
  /** Control-message burst per connection. Default 100. */
  controlBurst?: number;
  /** Refused control messages tolerated in a burst before closing with 1008 `abuse` (one more allowed every 6 s). Default 10. */
  maxControlErrors?: number;
  /** Largest control message, bytes of JSON. Default 65536. */
  maxControlBytes?: number;
  /** Longest chat text, characters. Default 2000. */
  maxChatChars?: number;
  /** Frames per stream (source × kind) per receiver handed to the channel and not yet flushed before the stream's queue applies. Default 1. */
  maxInFlight?: number;
  /** A receiver whose channel holds more unsent bytes than this (control messages are never dropped, so a frozen receiver could pile them up) is terminated. Default 128 MiB. */
  maxBufferedBytes?: number;
  /**
   * Ack mode (a receiver that sends `ack`): the queue delay its window aims at, ms — the
   * window is goodput × (base round trip + this), at least one frame. Default 100.
   */
  feedbackTargetDelayMs?: number;
  /** Ack mode: a frame unacknowledged this long is released as lost, ms; above `feedbackTargetDelayMs`. Default 1500. */
  feedbackExpireMs?: number;
  /** Period of the relay's feedback tick (`delivery` messages to senders, expiry), ms. Default 50. */
  feedbackIntervalMs?: number;
  /** How long `close()` waits for clients to finish the close handshake before terminating them, ms. Default 2000. */
  shutdownTimeoutMs?: number;
  /**
   * How long a peer that connected with `resumable=1` and lost its connection (1006) stays in
   * its room for a resume (`resume=TOKEN` on any transport), ms; 0 = it leaves at once. Default 10000.
   */
  resumeGraceMs?: number;
  /**
   * How long a new connection may take to send its first request's headers (a WebSocket
   * upgrade, an HTTP request; the TLS handshake included), ms — then its socket is
   * destroyed. Also Node's `headersTimeout` for later requests of a kept-alive connection. Default 5000.
   */
  headersTimeoutMs?: number;
  /**
   * How long one WebSocket message may take from its first byte to its last, ms: then the
   * socket is closed 1008 `message-timeout`. An HTTP request (a `POST /fw/send` body) must be
   * received within it too (then 408). 0 disables the WebSocket check (HTTP requests then get Node's 300 s). Default 10000.
   */
  messageTimeoutMs?: number;
  /**
   * The relay's memory budget, bytes: what it holds for clients — partly received messages,
   * channel buffers, outbox queues — summed over every connection. Over it the biggest holders
   * are cut (1013 `memory-budget`) and new messages over 64 KiB refused. Default
   * `defaultMaxMemoryBytes()`: 256 MiB, or an eighth of the machine's memory if less.
   */
  maxMemoryBytes?: number;
  /** Open connections per client address (IPv6: per /64), half-open sockets included; the next is refused `too-many-connections` (1013 / HTTP 429). Default 20. */
  maxConnectionsPerIp?: number;
  /** Joins (WebSocket connects, HTTP sessions) per client address per minute (token bucket); over it `rate-limited` (1013 / HTTP 429). Default 60. */
  joinsPerIpPerMinute?: number;
  /** Joins a client address may make at once before `joinsPerIpPerMinute` applies. Default 10. */
  joinBurstPerIp?: number;
  /**
   * Proxies (exact addresses or CIDR blocks) whose `X-Forwarded-For` names the client: the
   * right-most address in it that is not a trusted proxy is the client's. From any other
   * peer the header is ignored. Default [] (the socket's address is the client's).
   */
  trustedProxies?: string[];
  /** Client addresses (exact or CIDR) the per-address limits do not apply to. Default loopback: ['127.0.0.0/8', '::1']. */
  limitExempt?: string[];
  /** Admissions (WebSocket upgrades, HTTP sessions) per second, relay-wide (token bucket); over it a connection waits or is refused `server-busy`. Default 200. */
  admissionsPerSecond?: number;
  /** Admissions at once before `admissionsPerSecond` applies. Default 20. */
  admissionBurst?: number;
  /** Longest wait for an admission, ms; a connection that would wait longer is refused `server-busy` (1013 / HTTP 503) at once. Default 2000. */
  admissionWaitMs?: number;
  /**
   * Makes this relay a node of a cluster coordinated through Redis (server/cluster/): rooms
   * are pinned to one node, joins elsewhere are redirected there. Default: none (one relay).
   */
  cluster?: ClusterOptions;
  /**
   * Bearer token for the admin listing (`GET /admin/rooms`: every room of the cluster, or of
   * this relay, with its node and peer count). Default '' (the listing is off: 404).
   */
  adminToken?: string;
  /** Level of the default logger. Default 'warn'. */
  logLevel?: LogLevel;
  /** Where logs go. Default: JSON lines on stdout at `logLevel`. */
  logger?: Logger;
}

/** Options after defaults and validation. */
export type ResolvedOptions = Required<Omit<RelayOptions, 'staticDir' | 'logger' | 'logLevel' | 'createServer' | 'cluster'>> & {
  staticDir: string | undefined;
  cluster: ResolvedClusterOptions | undefined;
};

/** Lower-cases an origin and strips trailing slashes, so allowlist entries and headers compare equal. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Applies defaults and checks every option. Throws TypeError naming the option. */
export function resolveOptions(o: RelayOptions): ResolvedOptions {
  const int = (name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) throw new TypeError(`relay option ${name} must be an integer in ${min}..${max} [${name}:${String(v)}]`);
    return v;
  };
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new TypeError(`relay option ${name} must be a positive number [${name}:${String(v)}]`);
    return v;
  };
  if (o.logLevel !== undefined && !isLogLevel(o.logLevel)) throw new TypeError(`relay option logLevel unknown [logLevel:${String(o.logLevel)}]`);
  if (o.createServer !== undefined && typeof o.createServer !== 'function') throw new TypeError('relay option createServer must be a function');
  const maxPayload = int('maxPayload', o.maxPayload, DEFAULT_MAX_FRAME_BYTES, HEADER_BYTES, 2 ** 31 - 1);
  const maxControlBytes = int('maxControlBytes', o.maxControlBytes, DEFAULT_MAX_CONTROL_BYTES, 64);
  const feedbackTargetDelayMs = positive('feedbackTargetDelayMs', o.feedbackTargetDelayMs, DEFAULT_FEEDBACK_TARGET_DELAY_MS);
  const feedbackExpireMs = positive('feedbackExpireMs', o.feedbackExpireMs, DEFAULT_FEEDBACK_EXPIRE_MS);
  if (feedbackExpireMs <= feedbackTargetDelayMs) {
    throw new TypeError(`relay option feedbackExpireMs must exceed feedbackTargetDelayMs [feedbackExpireMs:${feedbackExpireMs}, feedbackTargetDelayMs:${feedbackTargetDelayMs}]`);
  }
  const iceServers = iceServersOption(o.iceServers);
  const iceTransportPolicy = o.iceTransportPolicy ?? DEFAULT_ICE_TRANSPORT_POLICY;
  if (iceTransportPolicy !== 'all' && iceTransportPolicy !== 'relay') {
    throw new TypeError(`relay option iceTransportPolicy must be 'all' or 'relay' [iceTransportPolicy:${String(iceTransportPolicy)}]`);
  }
  if (iceTransportPolicy === 'relay' && !hasTurnServer(iceServers)) {
    throw new TypeError(`relay option iceTransportPolicy 'relay' needs a turn: or turns: server in iceServers [iceServers:${iceServers.length}]`);
  }
  if (maxControlBytes > maxPayload) throw new TypeError(`relay option maxControlBytes exceeds maxPayload [maxControlBytes:${maxControlBytes}, maxPayload:${maxPayload}]`);
  return {
    port: int('port', o.port, DEFAULT_PORT, 0, 65535),
    host: o.host ?? DEFAULT_HOST,
    staticDir: o.staticDir,
    maxPeersPerRoom: int('maxPeersPerRoom', o.maxPeersPerRoom, DEFAULT_MAX_PEERS_PER_ROOM, 1),
    maxPayload,
    maxDimension: int('maxDimension', o.maxDimension, DEFAULT_MAX_DIMENSION, 1, 65535),
    heartbeatMs: int('heartbeatMs', o.heartbeatMs, DEFAULT_HEARTBEAT_MS, 0),
    origins: (o.origins ?? []).map(normalizeOrigin).filter((s) => s.length > 0),
    maxConnections: int('maxConnections', o.maxConnections, DEFAULT_MAX_CONNECTIONS, 1),
    iceServers,
    iceTransportPolicy,
    controlRatePerSecond: positive('controlRatePerSecond', o.controlRatePerSecond, DEFAULT_CONTROL_RATE_PER_SECOND),
    controlBurst: int('controlBurst', o.controlBurst, DEFAULT_CONTROL_BURST, 1),
    maxControlErrors: int('maxControlErrors', o.maxControlErrors, DEFAULT_MAX_CONTROL_ERRORS, 1),
    maxControlBytes,
    maxChatChars: int('maxChatChars', o.maxChatChars, DEFAULT_MAX_CHAT_CHARS, 1),
    maxInFlight: int('maxInFlight', o.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 1),
    maxBufferedBytes: int('maxBufferedBytes', o.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, 1),
    feedbackTargetDelayMs,
    feedbackExpireMs,
    feedbackIntervalMs: positive('feedbackIntervalMs', o.feedbackIntervalMs, DEFAULT_FEEDBACK_INTERVAL_MS),
    shutdownTimeoutMs: int('shutdownTimeoutMs', o.shutdownTimeoutMs, DEFAULT_SHUTDOWN_TIMEOUT_MS, 0),
    resumeGraceMs: int('resumeGraceMs', o.resumeGraceMs, DEFAULT_RESUME_GRACE_MS, 0),
    headersTimeoutMs: int('headersTimeoutMs', o.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 100),
    messageTimeoutMs: int('messageTimeoutMs', o.messageTimeoutMs, DEFAULT_MESSAGE_TIMEOUT_MS, 0),
    maxConnectionsPerIp: int('maxConnectionsPerIp', o.maxConnectionsPerIp, DEFAULT_MAX_CONNECTIONS_PER_IP, 1),
    maxMemoryBytes: int('maxMemoryBytes', o.maxMemoryBytes, defaultMaxMemoryBytes(), 1024 * 1024),
    joinsPerIpPerMinute: positive('joinsPerIpPerMinute', o.joinsPerIpPerMinute, DEFAULT_JOINS_PER_IP_PER_MINUTE),
    joinBurstPerIp: int('joinBurstPerIp', o.joinBurstPerIp, DEFAULT_JOIN_BURST_PER_IP, 1),
    trustedProxies: addressesOption('trustedProxies', o.trustedProxies ?? []),
    limitExempt: addressesOption('limitExempt', o.limitExempt ?? [...DEFAULT_LIMIT_EXEMPT]),
    admissionsPerSecond: positive('admissionsPerSecond', o.admissionsPerSecond, DEFAULT_ADMISSIONS_PER_SECOND),
    admissionBurst: int('admissionBurst', o.admissionBurst, DEFAULT_ADMISSION_BURST, 1),
    admissionWaitMs: int('admissionWaitMs', o.admissionWaitMs, DEFAULT_ADMISSION_WAIT_MS, 0),
    cluster: o.cluster === undefined ? undefined : clusterOption(o.cluster, int),
    adminToken: adminTokenOption(o.adminToken),
  };
}

/** The cluster options, checked: a redis: URL, an http(s) public URL, timings that make sense together. */
function clusterOption(c: ClusterOptions, int: (name: string, value: number | undefined, fallback: number, min: number, max?: number) => number): ResolvedClusterOptions {
  if (typeof c !== 'object' || c === null) throw new TypeError('relay option cluster must be an object');
  if (typeof c.redisUrl !== 'string' || !/^rediss?:\/\/[^\s]+$/.test(c.redisUrl)) throw new TypeError(`relay option cluster.redisUrl must be a redis:// or rediss:// URL [redisUrl:${withoutCredentials(String(c.redisUrl))}]`);
  let publicUrl: string | undefined;
  if (c.publicUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(c.publicUrl);
    } catch {
      throw new TypeError(`relay option cluster.publicUrl must be an http(s) URL [publicUrl:${String(c.publicUrl)}]`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      throw new TypeError(`relay option cluster.publicUrl must be an http(s) URL without credentials, query or fragment [publicUrl:${c.publicUrl}]`);
    }
    publicUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  }
  const nodeId = c.nodeId ?? randomBytes(4).toString('hex');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(nodeId)) throw new TypeError(`relay option cluster.nodeId must be 1..64 characters A-Z a-z 0-9 _ . - [nodeId:${nodeId}]`);
  const heartbeatMs = int('cluster.heartbeatMs', c.heartbeatMs, DEFAULT_CLUSTER_HEARTBEAT_MS, 50);
  const nodeTtlMs = int('cluster.nodeTtlMs', c.nodeTtlMs, DEFAULT_NODE_TTL_MS, 100);
  const claimTtlMs = int('cluster.claimTtlMs', c.claimTtlMs, DEFAULT_ROOM_CLAIM_TTL_MS, 100);
  if (nodeTtlMs < 2 * heartbeatMs || claimTtlMs < 2 * heartbeatMs) {
    throw new TypeError(`relay options cluster.nodeTtlMs and cluster.claimTtlMs must be at least twice cluster.heartbeatMs (a missed renewal must not end a live node) [heartbeatMs:${heartbeatMs}, nodeTtlMs:${nodeTtlMs}, claimTtlMs:${claimTtlMs}]`);
  }
  const keyPrefix = c.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 64) throw new TypeError(`relay option cluster.keyPrefix must be a string of at most 64 characters`);
  return { redisUrl: c.redisUrl, publicUrl, nodeId, heartbeatMs, nodeTtlMs, claimTtlMs, keyPrefix };
}

function adminTokenOption(token: unknown): string {
  if (token === undefined || token === '') return '';
  if (typeof token !== 'string' || token.length < 16) throw new TypeError('relay option adminToken must be a string of at least 16 characters');
  return token;
}

/** A list of addresses / CIDR blocks, checked (`AddressSet.parse`); the entries as given, trimmed. */
function addressesOption(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new TypeError(`relay option ${name} must be an array of strings`);
  try {
    return [...AddressSet.parse(value).entries];
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(`relay option ${name}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The ICE servers through the one validator (protocol's), its error rethrown as the options' TypeError. */
function iceServersOption(value: unknown): IceServer[] {
  try {
    return parseIceServers(value);
  } catch (error) {
    if (error instanceof IceServerError) throw new TypeError(`relay option iceServers: ${error.message}`, { cause: error });
    throw error;
  }
}


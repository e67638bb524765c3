/**
 * The relay core, transport-free (no `ws`, no HTTP): connections come in as `PeerChannel`s
 * through `admit`, become peers of rooms, and their frames are validated (codec/), stamped
 * with the sender's id and the relay time IN PLACE, and forwarded as the SAME bytes to the
 * other peers of the room through each receiver's outbox. Text messages go to the control
 * dispatcher. Peers that send `ack` are feedback-aware: their outbox runs in ack mode and
 * the delivery reporter (one timer) acknowledges their frames. The facade (relay.ts) wires
 * it to HTTP and WebSocket.
 */
import { randomBytes } from 'node:crypto';
import { decodeFrame, FrameError, Offset, setRelayTime, setSourceId, type Frame } from '../codec/index.ts';
import { CloseCode, RelayError, type Emitter, type QueryLike, type WelcomeMessage } from '../protocol/index.ts';
import type { ConnectionInfo, PeerChannel } from './channels/peer-channel.ts';
import { relayNow } from './clock.ts';
import { registerBuiltins } from './control/builtins.ts';
import { ControlDispatcher, type ControlHandler } from './control/dispatcher.ts';
import type { Logger } from './logger.ts';
import { throttleLog } from './log-throttle.ts';
import { DEFAULT_CONTROL_ERROR_REFILL_MS, type ResolvedOptions } from './options.ts';
import type { RelayMetrics } from './relay-metrics.ts';
import { Room } from './rooms/room.ts';
import { admit } from './session/admission.ts';
import { DeliveryReporter } from './session/delivery-reporter.ts';
import { MemoryBudget } from './session/memory-budget.ts';
import { Peer, type PeerInfo } from './session/peer.ts';
import { ResumableChannel } from './session/resumable-channel.ts';

/** Random bytes of a resume token (43 base64url characters). */
const RESUME_TOKEN_BYTES = 32;

/** The `frame` event: a validated, stamped frame. `frame.bytes` is the exact buffer forwarded — do not mutate it. */
export interface FrameEvent {
  room: string;
  peerId: number;
  frame: Frame;
}

/** Events of `Relay`. */
export type RelayEvents = {
  frame: [FrameEvent];
  'peer-joined': [{ peer: PeerInfo }];
  'peer-left': [{ peer: PeerInfo }];
};

/** Options of `RelayCore`. */
export interface RelayCoreOptions {
  options: ResolvedOptions;
  log: Logger;
  metrics: RelayMetrics;
  events: Emitter<RelayEvents>;
  /**
   * Where peer ids come from: the relay's own counter by default; a cluster node's ids are
   * unique cluster-wide (cluster/peer-id-blocks.ts). Undefined from it = none in hand: the
   * join is refused `directory-unavailable`.
   */
  nextPeerId?: () => number | undefined;
}

const ignore = (): void => undefined;

/** How often the memory budget is checked, ms (a hoarder on loopback adds ~100 MB in that time). */
export const BUDGET_CHECK_MS = 100;

export class RelayCore {
  #options: ResolvedOptions;
  #log: Logger;
  /** For refusals: a client can cause them at will, so their lines are rate-limited. */
  #refusalLog: Logger;
  #metrics: RelayMetrics;
  #events: Emitter<RelayEvents>;
  #control: ControlDispatcher;
  #reporter: DeliveryReporter;
  #rooms = new Map<string, Room<Peer>>();
  #peers = new Map<number, Peer>();
  /** Open channels (peers, and ones being refused), with their peer once joined. */
  #channels = new Map<PeerChannel, Peer | undefined>();
  /** Resume tokens of resumable peers (resumable-channel.ts), both ways. */
  #resumeTokens = new Map<string, { peer: Peer; channel: ResumableChannel }>();
  #tokenOf = new Map<Peer, string>();
  #nextPeerId = 1;
  #closing = false;
  /** Called when the last open channel closes (during shutdown). */
  #onDrained: (() => void) | undefined;
  /** The relay-wide memory budget (session/memory-budget.ts), checked every `BUDGET_CHECK_MS`. */
  readonly #budget: MemoryBudget<Peer>;
  readonly #budgetTimer: ReturnType<typeof setInterval>;
  /** Evictions not yet logged (one warn line a second at most). */
  #unloggedEvictions = 0;
  #evictionLoggedAt = -Infinity;

  readonly #takePeerId: () => number | undefined;

  constructor({ options, log, metrics, events, nextPeerId }: RelayCoreOptions) {
    this.#options = options;
    this.#takePeerId = nextPeerId ?? (() => this.#countPeerId());
    this.#log = log;
    this.#refusalLog = throttleLog(log);
    this.#metrics = metrics;
    this.#events = events;
    this.#control = new ControlDispatcher({
      maxControlBytes: options.maxControlBytes,
      controlRatePerSecond: options.controlRatePerSecond,
      maxControlErrors: options.maxControlErrors,
      roomOf: (peer) => this.#rooms.get(peer.room),
      closePeer: (peer, code, reason) => this.#closePeer(peer, code, reason),
      metrics,
      log,
    });
    registerBuiltins(this.#control, { maxChatChars: options.maxChatChars });
    this.#reporter = new DeliveryReporter({
      intervalMs: options.feedbackIntervalMs,
      roomOf: (peer) => this.#rooms.get(peer.room),
      onUplinkAcked: (room, frames) => metrics.room(room).uplinkAcked(frames),
    });
    this.#budget = new MemoryBudget<Peer>({ budgetBytes: options.maxMemoryBytes, onEvict: (peer, held) => this.#evict(peer, held) });
    // A collection, not an iterator: the check goes over it twice when over the budget.
    const peers: Iterable<Peer> = { [Symbol.iterator]: () => this.#peers.values() };
    this.#budgetTimer = setInterval(() => this.#budget.check(peers), BUDGET_CHECK_MS);
    this.#budgetTimer.unref();
  }

  /** May a client start a message of `bytes` now? Not a large one while over the memory budget (transports ask as its header arrives). */
  admitsMessage(bytes: number): boolean {
    return this.#budget.admitsMessage(bytes);
  }

  /** Bytes held for clients at the last budget check. */
  get heldBytes(): number {
    return this.#budget.heldBytes;
  }

  /** Over the memory budget, this peer held the most: it is cut, and said why. */
  #evict(peer: Peer, heldBytes: number): void {
    this.#metrics.refused('memory-budget');
    this.#unloggedEvictions++;
    const now = performance.now();
    if (now - this.#evictionLoggedAt >= 1000) {
      this.#log.warn('over the memory budget: cutting the biggest holders', { evicted: this.#unloggedEvictions, peerId: peer.id, room: peer.room, heldBytes, budgetBytes: this.#budget.budgetBytes });
      this.#evictionLoggedAt = now;
      this.#unloggedEvictions = 0;
    }
    peer.sendControl(RelayError.memoryBudget(heldBytes, this.#budget.budgetBytes).toMessage());
    this.#leave(peer);
    // NOTE: terminate, not close: a close handshake would keep what it holds for closeTimeout more.
    peer.channel.terminate();
  }

  /** True once `close` was called. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Open channels (peers, plus ones being refused). */
  get connections(): number {
    return this.#channels.size;
  }

  get rooms(): ReadonlyMap<string, Room<Peer>> {
    return this.#rooms;
  }

  get peers(): ReadonlyMap<number, Peer> {
    return this.#peers;
  }

  /** Adds an extension's control type (see `ControlDispatcher.handle`). */
  handleControl(type: string, handler: ControlHandler): void {
    this.#control.handle(type, handler);
  }

  /**
   * Takes a new connection from a transport: refuses it (an `error` message, then a close
   * with the error code as reason) or joins it to the room its `query` names and sends
   * `welcome`. The channel is the core's from now on: it closes it.
   */
  admit(channel: PeerChannel, query: QueryLike, info: ConnectionInfo = {}): void {
    this.#channels.set(channel, undefined);
    const token = query.get('resume');
    if (token !== null && token !== '' && this.#resume(token, query.get('room'), channel, info)) return;
    const admission = admit(
      { closing: this.#closing, connections: this.#channels.size, maxConnections: this.#options.maxConnections, room: (name) => this.#rooms.get(name) },
      query,
    );
    if (!admission.ok) {
      channel.receive({ onFrame: ignore, onControl: ignore, onClose: (code, reason) => this.#onClose(channel, code, reason) });
      if (this.#channels.has(channel)) this.#refuse(channel, admission.error, admission.closeCode);
      return;
    }
    const { params } = admission;
    const id = this.#takePeerId();
    if (id === undefined) {
      channel.receive({ onFrame: ignore, onControl: ignore, onClose: (code, reason) => this.#onClose(channel, code, reason) });
      if (this.#channels.has(channel)) this.#refuse(channel, RelayError.directoryUnavailable(params.room), CloseCode.tryAgainLater);
      return;
    }
    let room = admission.room;
    if (room === undefined) {
      room = new Room<Peer>(params.room, this.#options.maxPeersPerRoom, params.secret);
      this.#rooms.set(params.room, room);
    }
    // A resumable peer's channel is the one a later connection can take over (resumable-channel.ts).
    let resumable: ResumableChannel | undefined;
    let peerChannel = channel;
    if (params.resumable) {
      resumable = new ResumableChannel(channel, {
        graceMs: this.#options.resumeGraceMs,
        onDetached: (code) => this.#log.info('peer connection lost: holding it for a resume', { peerId: peer.id, room: peer.room, code, graceMs: this.#options.resumeGraceMs }),
      });
      peerChannel = resumable;
      this.#channels.delete(channel);
      this.#channels.set(peerChannel, undefined);
    }
    const peer = this.#createPeer(id, peerChannel, params.room, params.name, params.mode);
    const others = [...room.peers()];
    room.add(peer);
    this.#peers.set(peer.id, peer);
    this.#channels.set(peerChannel, peer);
    const onClose = (code: number, reason: string): void => this.#onClose(peerChannel, code, reason);
    // NOTE: one receiver (three closures) per connection, none per message: the frame path is hot.
    peerChannel.receive({
      onFrame: (bytes) => {
        if (peer.leaving) return;
        try {
          this.#onFrame(peer, bytes);
        } catch (error) {
          this.#failed(peer, error);
        }
      },
      onControl: (utf8) => {
        if (peer.leaving) return;
        try {
          this.#control.receive(peer, utf8);
        } catch (error) {
          this.#failed(peer, error);
        }
      },
      onClose,
    });
    if (!this.#channels.has(peerChannel)) return; // closed before it joined: already left
    const resume = resumable === undefined ? undefined : this.#issueToken(peer, resumable);
    peer.sendControl(this.#welcome(peer, room, others, resume, false));
    for (const other of others) other.sendControl({ type: 'peer-joined', peer: peer.summary() });
    this.#log.info('peer joined', { peerId: peer.id, room: room.name, name: peer.name, mode: peer.mode, address: info.remoteAddress, resumable: params.resumable });
    this.#events.emit('peer-joined', { peer: peer.info() });
  }

  /**
   * Turns a new connection away without admission: `message` (an `error`, a `redirect`), then
   * a close with `closeCode` and `reason`. The channel is counted as the core's until it has
   * closed, like a refused one (connection limits, shutdown). The caller counts it.
   */
  turnAway(channel: PeerChannel, message: object, closeCode: number, reason: string): void {
    this.#channels.set(channel, undefined);
    channel.receive({ onFrame: ignore, onControl: ignore, onClose: (code, why) => this.#onClose(channel, code, why) });
    if (!this.#channels.has(channel)) return; // it had already closed
    channel.sendControl(JSON.stringify(message));
    channel.close(closeCode, reason);
  }

  /**
   * A connection that presents a resume token: if the token's peer is still held in `room`,
   * the connection takes it over (same peer id, a fresh `welcome` with `resumed: true`) and
   * true is returned; false = admit it as a new peer.
   */
  #resume(token: string, room: string | null, channel: PeerChannel, info: ConnectionInfo): boolean {
    const entry = this.#resumeTokens.get(token);
    if (entry === undefined || this.#closing) return false;
    const { peer, channel: resumable } = entry;
    const r = this.#rooms.get(peer.room);
    if (peer.room !== room || peer.leaving || r === undefined || !resumable.swap(channel)) return false;
    // The connection is the peer's now: counted once, as the peer's channel.
    this.#channels.delete(channel);
    peer.connectionReplaced();
    const others = [...r.peers()].filter((p) => p !== peer);
    peer.sendControl(this.#welcome(peer, r, others, this.#issueToken(peer, resumable), true));
    this.#metrics.resumed();
    this.#log.info('peer resumed', { peerId: peer.id, room: peer.room, address: info.remoteAddress });
    return true;
  }

  /** A new resume token for `peer` (its previous one stops working). */
  #issueToken(peer: Peer, channel: ResumableChannel): string {
    this.#forgetToken(peer);
    const token = randomBytes(RESUME_TOKEN_BYTES).toString('base64url');
    this.#resumeTokens.set(token, { peer, channel });
    this.#tokenOf.set(peer, token);
    return token;
  }

  #forgetToken(peer: Peer): void {
    const token = this.#tokenOf.get(peer);
    if (token === undefined) return;
    this.#resumeTokens.delete(token);
    this.#tokenOf.delete(peer);
  }

  #welcome(peer: Peer, room: Room<Peer>, others: readonly Peer[], resume: string | undefined, resumed: boolean): WelcomeMessage {
    const o = this.#options;
    return {
      type: 'welcome',
      peerId: peer.id,
      room: room.name,
      name: peer.name,
      mode: peer.mode,
      peers: others.map((p) => p.summary()),
      serverTime: relayNow(),
      iceServers: o.iceServers,
      iceTransportPolicy: o.iceTransportPolicy,
      limits: {
        maxPayload: o.maxPayload,
        maxPeersPerRoom: o.maxPeersPerRoom,
        maxControlBytes: o.maxControlBytes,
        maxChatChars: o.maxChatChars,
        controlRatePerSecond: o.controlRatePerSecond,
      },
      ...(resume === undefined ? {} : { resume }),
      ...(resumed ? { resumed } : {}),
    };
  }

  /**
   * Shutdown: refuses new connections, closes every channel with 1001, waits up to
   * `shutdownTimeoutMs` for them to close, then terminates the rest. Safe to call twice.
   */
  async close(): Promise<void> {
    clearInterval(this.#budgetTimer);
    this.#closing = true;
    this.#reporter.close();
    for (const [channel, peer] of this.#channels) {
      peer?.markLeaving();
      channel.close(CloseCode.goingAway, 'shutting-down');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.#options.shutdownTimeoutMs)));
    if ((await Promise.race([this.#drained(), timeout])) === 'timeout') {
      for (const channel of this.#channels.keys()) channel.terminate();
      await this.#drained();
    }
    clearTimeout(timer);
  }

  /** Frames dropped towards each connected receiver, per source (for metrics). */
  *peerDrops(): Iterable<{ room: string; receiver: number; source: number; drops: number }> {
    for (const peer of this.#peers.values()) {
      for (const [source, drops] of peer.drops()) yield { room: peer.room, receiver: peer.id, source, drops };
    }
  }

  #drained(): Promise<void> {
    if (this.#channels.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#onDrained = resolve));
  }

  /** The relay's own peer ids: 1, 2, … wrapping at 2³². */
  #countPeerId(): number {
    const id = this.#nextPeerId;
    this.#nextPeerId = this.#nextPeerId >= 0xffffffff ? 1 : this.#nextPeerId + 1;
    return id;
  }

  #createPeer(id: number, channel: PeerChannel, room: string, name: string, mode: string): Peer {
    const o = this.#options;
    const metrics = this.#metrics;
    const roomMetrics = metrics.room(room);
    return new Peer({
      id,
      name,
      mode,
      room,
      channel,
      maxInFlight: o.maxInFlight,
      controlRatePerSecond: o.controlRatePerSecond,
      controlBurst: o.controlBurst,
      maxControlErrors: o.maxControlErrors,
      errorRefillMs: DEFAULT_CONTROL_ERROR_REFILL_MS,
      onFrameSent: (bytes) => metrics.frameOut(bytes[Offset.codec] ?? 0, bytes.byteLength),
      onFrameDropped: (_source, bytes) => metrics.drop(bytes[Offset.codec] ?? 0),
      onControlSent: () => metrics.controlOut(),
      maxBufferedBytes: o.maxBufferedBytes,
      onOverflow: (peer, why) => {
        metrics.refused('slow-consumer');
        this.#log.info('slow consumer: terminating peer', { peerId: peer.id, room: peer.room, why, bufferedAmount: peer.channel.bufferedAmount });
        this.#leave(peer);
        peer.channel.terminate();
      },
      feedbackTargetDelayMs: o.feedbackTargetDelayMs,
      feedbackExpireMs: o.feedbackExpireMs,
      onFeedback: (peer) => {
        if (!peer.leaving) this.#reporter.add(peer);
      },
      onDelivered: roomMetrics.delivered,
      onLost: roomMetrics.lost,
    });
  }

  /** A message handler threw: a bug, not the peer's fault. It closes that peer, never the relay. */
  #failed(peer: Peer, error: unknown): void {
    this.#log.error('message handling failed: closing peer', { peerId: peer.id, room: peer.room, error });
    this.#closePeer(peer, CloseCode.internalError, 'internal-error');
  }

  #onClose(channel: PeerChannel, code: number, reason: string): void {
    const peer = this.#channels.get(channel);
    this.#channels.delete(channel);
    if (peer !== undefined) {
      this.#log.info('peer closed', { peerId: peer.id, room: peer.room, code, reason });
      this.#leave(peer);
    }
    if (this.#channels.size === 0) this.#onDrained?.();
  }

  /** Refuses a fresh connection: its `error` message (with `limit`), then a close with the error code as reason. */
  #refuse(channel: PeerChannel, error: RelayError, closeCode: number): void {
    this.#metrics.refused(error.code);
    this.#refusalLog.info('connection refused', { code: error.code, message: error.message });
    channel.sendControl(JSON.stringify(error.toMessage()));
    channel.close(closeCode, error.code);
  }

  /** Closes a joined peer's connection (it leaves the room at once). */
  #closePeer(peer: Peer, closeCode: number, reason: string): void {
    this.#leave(peer);
    peer.channel.close(closeCode, reason);
  }

  /** Removes a peer from its room and tells the others; safe to call twice. */
  #leave(peer: Peer): void {
    peer.markLeaving();
    this.#forgetToken(peer);
    this.#reporter.remove(peer);
    const room = this.#rooms.get(peer.room);
    if (this.#peers.get(peer.id) === peer) this.#peers.delete(peer.id);
    if (room === undefined || !room.remove(peer)) return;
    if (room.size === 0) {
      this.#rooms.delete(room.name);
      this.#metrics.forgetRoom(room.name);
    }
    for (const other of room.peers()) {
      other.forgetSource(peer.id);
      other.sendControl({ type: 'peer-left', peerId: peer.id });
    }
    this.#events.emit('peer-left', { peer: peer.info() });
  }

  #onFrame(peer: Peer, buf: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeFrame(buf, { maxFrameBytes: this.#options.maxPayload, maxDimension: this.#options.maxDimension });
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#metrics.frameError(error.code);
      this.#log.info('invalid frame: closing sender', { peerId: peer.id, room: peer.room, code: error.code, message: error.message });
      this.#closePeer(peer, CloseCode.invalidData, error.code);
      return;
    }
    const relayTime = relayNow();
    setSourceId(buf, peer.id);
    setRelayTime(buf, relayTime);
    this.#metrics.frameIn(frame.codec, buf.byteLength);
    if (peer.feedback) peer.recordUplink(frame.seq, relayTime);
    const room = this.#rooms.get(peer.room);
    if (room !== undefined) {
      for (const other of room.peers()) {
        if (other === peer || other.excludes(peer.id)) continue;
        other.sendFrame(buf, peer.id);
      }
    }
    if (this.#events.has('frame')) {
      // The decoded fields predate the stamps written into `buf` above: bring them in step.
      frame.sourceId = peer.id;
      frame.relayTime = relayTime;
      this.#events.emit('frame', { room: peer.room, peerId: peer.id, frame });
    }
  }
}

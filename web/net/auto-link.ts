/**
 * Stage 3 — the app's link to the relay: a `SessionLink` (session-link.ts) that picks its
 * transport, so that a call gets through proxies that block WebSockets or buffer responses.
 *
 * The policy (`transport: 'auto'`, the default):
 *
 *   WebSocket ── cannot open, or no welcome within 3 s (at once, no backoff) ──▶ HTTP stream
 *       ▲                                                         no welcome within 3 s, │
 *       │ a probe WebSocket (resume=<token>) is welcomed:          or bursts (buffered) │
 *       │ 5 s after the welcome, then 10, 20, 40, 60, 60… s                             ▼
 *       └─────────────────────────────── HTTP: the stream, or long-polls of the same session
 *
 * - A WebSocket that dies mid-call (1006) → an HTTP session at once with `resume=<token>`:
 *   the relay holds our peer, the call goes on; then probing as above.
 * - A WebSocket that the relay answered (an `error`, a close with a code of its own) works:
 *   its closes are retried with backoff on WebSocket, as by `WsLink`.
 * - An HTTP session that never got welcomed → after the backoff, WebSocket first again.
 * - A buffered stream is also remembered for later sessions of this link (long-poll at once).
 * - A probe that reached the relay (it closed our HTTP session as 'resumed') but whose
 *   WebSocket never brought the welcome ends probing for this link: the next probe would
 *   cost a rejoin, its resume token being spent.
 * - Fatal refusals (`isFatalClose`) stop everything, probes included.
 * - A cluster's redirect (session-link.ts) moves the link to another node, `wsUrl` and
 *   `httpBase` alike, on the transport it would use next: the policy above goes on there
 *   (a WebSocket blocked on the way to the node falls back to the node's HTTP channel, probes
 *   go to the node); a loss, or a retry after the backoff, sends it back to `wsUrl`/`httpBase`,
 *   the entry point.
 *
 * `transport: 'ws' | 'http' | 'poll'` forces one transport (no fallback, no probe).
 */
import { BurstDetector, type BurstDetectorOptions } from './burst-detector.ts';
import type { Connection, ConnectionHandlers, Dialer } from './connection.ts';
import { HttpConnection } from './http-connection.ts';
import type { RelayNode } from './redirect.ts';
import type { TransportKind } from './relay-link.ts';
import { SessionLink, type ConnectionEnding, type ConnectionRole, type SessionLinkOptions } from './session-link.ts';
import { type TransportMode, TRANSPORT_MODES } from './transport-mode.ts';
import { WsConnection } from './ws-connection.ts';

/** Options of `AutoLink`. */
export interface AutoLinkOptions extends SessionLinkOptions {
  /** The relay's WebSocket endpoint, without query (`wss://relay.example/ws`): the link's home (a cluster's entry point, maybe). */
  wsUrl: string;
  /** Base of the relay's HTTP endpoints (`https://relay.example`, maybe with a path prefix), or '' for the page's own origin. */
  httpBase: string;
  /** The connect query without `?` (room, name, mode, secret: `connectQuery`); the link adds `resumable` and `resume`. */
  query: string;
  /** Which transports may carry the link. Default 'auto'. */
  transport?: TransportMode;
  /** In auto: a WebSocket (or a stream) without `welcome` after this long is given up, ms. Default `DEFAULT_WELCOME_TIMEOUT_MS` (3000). */
  welcomeTimeoutMs?: number;
  /** In auto, on HTTP: first wait before probing WebSocket again, ms. Default `DEFAULT_PROBE_DELAY_MS` (5000). */
  probeDelayMs?: number;
  /** …doubling after each failed probe up to this, ms. Default `DEFAULT_PROBE_MAX_DELAY_MS` (60 000). */
  probeMaxDelayMs?: number;
  /** How a buffered stream is told (burst-detector.ts). Default: its defaults. */
  burst?: BurstDetectorOptions;
  /** Opens connections. Default: `WsConnection` to the node's `wsUrl`, `HttpConnection` to its `httpBase` (at first `wsUrl` and `httpBase` above). */
  dial?: Dialer;
}

export const DEFAULT_WELCOME_TIMEOUT_MS = 3000;
export const DEFAULT_PROBE_DELAY_MS = 5000;
export const DEFAULT_PROBE_MAX_DELAY_MS = 60_000;

/** Why a stream is left for long-polls. */
export const BUFFERED_STREAM = 'proxy buffers the stream';

export class AutoLink extends SessionLink {
  readonly mode: TransportMode;
  readonly #query: string;
  readonly #dialer: Dialer;
  readonly #welcomeTimeoutMs: number;
  readonly #probeFirstMs: number;
  readonly #probeMaxMs: number;
  readonly #detector: BurstDetector;
  /** Auto: the transport of the next connection carrying the session. */
  #next: TransportKind = 'websocket';
  /** Why not WebSocket, for people (undefined: nothing against it). */
  #wsProblem: string | undefined;
  /** Why not the stream, for people (undefined: streaming works, as far as we know). */
  #streamProblem: string | undefined;
  #probeMs: number;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** No more probes on this link: one reached the relay (it took our peer over) but its WebSocket never delivered a welcome. */
  #probesOff = false;
  /** The clock offset the detector's samples are converted with: fixed per stream (a constant is all it needs). */
  #detectorOffset: number | undefined;

  constructor(options: AutoLinkOptions) {
    const mode = options.transport ?? 'auto';
    if (!TRANSPORT_MODES.includes(mode)) throw new TypeError(`transport must be one of ${TRANSPORT_MODES.join(', ')} [transport:${String(mode)}]`);
    if (!/^wss?:\/\//.test(options.wsUrl)) throw new TypeError(`wsUrl must be ws:// or wss:// [wsUrl:${options.wsUrl}]`);
    const welcomeMs = options.welcomeTimeoutMs ?? DEFAULT_WELCOME_TIMEOUT_MS;
    const probeMs = options.probeDelayMs ?? DEFAULT_PROBE_DELAY_MS;
    const probeMaxMs = options.probeMaxDelayMs ?? DEFAULT_PROBE_MAX_DELAY_MS;
    if (!(welcomeMs > 0)) throw new TypeError(`welcomeTimeoutMs must be > 0 [welcomeTimeoutMs:${welcomeMs}]`);
    if (!(probeMs > 0 && probeMaxMs >= probeMs)) throw new TypeError(`probes need 0 < probeDelayMs <= probeMaxDelayMs [probeDelayMs:${probeMs}, probeMaxDelayMs:${probeMaxMs}]`);
    super({ wsUrl: options.wsUrl, httpBase: options.httpBase }, options);
    this.mode = mode;
    this.#query = options.query;
    this.#welcomeTimeoutMs = welcomeMs;
    this.#probeFirstMs = probeMs;
    this.#probeMs = probeMs;
    this.#probeMaxMs = probeMaxMs;
    this.#detector = new BurstDetector(options.burst);
    this.#dialer =
      options.dial ??
      ((kind, query, handlers, node) =>
        kind === 'websocket'
          ? new WsConnection({ url: `${node.wsUrl}?${query}` }, handlers)
          : new HttpConnection({ base: node.httpBase, query, downlink: kind === 'long-poll' ? 'poll' : 'stream' }, handlers));
  }

  protected override dial(kind: TransportKind, resumeQuery: string, handlers: ConnectionHandlers, node: RelayNode): Connection {
    return this.#dialer(kind, resumeQuery === '' ? this.#query : `${this.#query}&${resumeQuery}`, handlers, node);
  }

  protected override nextKind(): TransportKind {
    switch (this.mode) {
      case 'ws':
        return 'websocket';
      case 'http':
        return 'http-stream';
      case 'poll':
        return 'long-poll';
      case 'auto':
        return this.#next;
    }
  }

  protected override transportReason(kind: TransportKind): string | undefined {
    if (this.mode === 'http' || this.mode === 'poll') return `set by the page (transport=${this.mode})`;
    if (this.mode === 'ws' || kind === 'websocket') return undefined;
    const reasons = kind === 'long-poll' ? [this.#wsProblem, this.#streamProblem] : [this.#wsProblem];
    const text = reasons.filter((r) => r !== undefined).join('; ');
    return text === '' ? undefined : text;
  }

  protected override welcomeTimeoutMs(kind: TransportKind, role: ConnectionRole): number | undefined {
    if (this.mode !== 'auto') return undefined;
    return kind === 'websocket' || (kind === 'http-stream' && role === 'session') ? this.#welcomeTimeoutMs : undefined;
  }

  protected override onWelcomeOverdue(connection: Connection): boolean {
    // The session was made but its stream brings nothing: something holds it back. Poll it instead.
    if (connection.kind !== 'http-stream' || connection.toLongPoll === undefined) return false;
    this.#streamProblem = `the stream is held back (no welcome within ${seconds(this.#welcomeTimeoutMs)})`;
    this.#next = 'long-poll';
    connection.toLongPoll();
    return true;
  }

  protected override retryNow(ending: ConnectionEnding): boolean {
    if (this.mode !== 'auto') return super.retryNow(ending);
    if (ending.kind === 'websocket') {
      // NOTE: a probe that carried the session on (the relay closed HTTP as 'resumed') and then
      // stayed silent: the WebSocket reaches the relay but its answers never reach us. Each
      // further probe would cost a rejoin (its resume token is spent), so stop probing.
      if (ending.probe && !ending.welcomed) this.#probesOff = true;
      if (!ending.welcomed && !ending.heard) {
        this.#wsProblem = ending.timedOut ? `WebSocket blocked (no welcome within ${seconds(this.#welcomeTimeoutMs)})` : 'WebSocket could not connect';
      } else if (ending.welcomed && ending.code === 1006) {
        this.#wsProblem = ending.reason === 'silent' ? 'WebSocket stalled (nothing arrived)' : 'WebSocket connection lost';
      } else {
        return false; // the relay itself closed it: WebSocket works, retry it with backoff
      }
      this.#next = this.#httpKind();
      return true;
    }
    if (!ending.welcomed) {
      this.#next = 'websocket'; // nothing got through: after the backoff, from the top
      return false;
    }
    return super.retryNow(ending);
  }

  protected override onWelcomed(kind: TransportKind): void {
    if (this.mode !== 'auto') return;
    if (kind === 'websocket') {
      this.#stopProbes();
      this.#probeMs = this.#probeFirstMs;
      this.#wsProblem = undefined;
      this.#next = 'websocket';
      return;
    }
    this.#next = kind;
    this.#detector.reset();
    this.#detectorOffset = undefined;
    this.#scheduleProbe();
  }

  protected override onProbeFailed(): void {
    this.#probeMs = Math.min(this.#probeMaxMs, this.#probeMs * 2);
    this.#scheduleProbe();
  }

  protected override watchesArrivals(kind: TransportKind): boolean {
    return this.mode === 'auto' && kind === 'http-stream' && this.#streamProblem === undefined;
  }

  protected override onArrival(relayTimeMs: number, arrivalMs: number): void {
    this.#detectorOffset ??= this.clock.offset;
    if (!this.#detector.add(arrivalMs, relayTimeMs, this.#detectorOffset)) return;
    this.#streamProblem = BUFFERED_STREAM;
    this.#next = 'long-poll';
    this.connection?.toLongPoll?.();
    this.transportChanged();
  }

  protected override onStop(): void {
    this.#stopProbes();
  }

  /** The HTTP downlink to use: long-poll once the stream was found wanting. */
  #httpKind(): TransportKind {
    return this.#streamProblem === undefined ? 'http-stream' : 'long-poll';
  }

  #scheduleProbe(): void {
    if (this.#probeTimer !== undefined || this.#probesOff) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      // NOTE: only with a token: the probe must continue our peer, not add a second one.
      if (this.ready && this.connection?.kind !== 'websocket' && this.resumeToken !== undefined) this.startProbe('websocket');
    }, this.#probeMs);
  }

  #stopProbes(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

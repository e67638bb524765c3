/**
 * Stage 3 — the `RelayLink` (relay-link.ts) made of successive `Connection`s
 * (connection.ts): the ONE place for what every transport shares.
 * - The session: the relay's `welcome` starts it (`ready`); `ping` every `pingIntervalMs`
 *   (a burst of 5 after a connection opens) and the pongs feed the clock (`ClockOffset`);
 *   the relay's `error` before a close becomes `StateInfo.refusal`.
 * - Latest-wins sending: `sendFrame` answers 'busy' while the connection still holds the
 *   previous frame — the caller skips that capture.
 * - Resume (docs/protocol.md › Session resume): every connect says `resumable=1` and, once a
 *   welcome gave one, `resume=<last token>`; a welcome with `resumed: true` continues the same peer.
 * - Reconnect: after an unexpected close, exponential backoff with jitter (`Backoff`), or at
 *   once when the policy says so (`retryNow`: by default a lost connection that can be
 *   resumed). Refusals that retrying cannot fix (`isFatalClose`: 1008, 1007, 4000–4999) end
 *   in state 'failed'.
 * - Probes: a second connection (`startProbe`) that takes the session over when it is
 *   welcomed; the connection it replaces is read until it ends (its late records still
 *   count), at most `DRAIN_MS`, then dropped.
 * - Silence: a welcomed connection that brings nothing (no pong, no frame) for `silenceMs`
 *   — a proxy that stalls, a path that died without a close — is given up as lost, WITHOUT
 *   closing it first (a close could reach the relay before the resume and end the peer):
 *   the next connection resumes the peer, the relay closes the old one ('resumed').
 * - Redirects (a cluster: docs/protocol.md › `redirect`, close 4302): the room is on another
 *   node, so the link dials the node named (redirect.ts) at once, with the same query and
 *   resume token — neither a refusal nor a new session. At most `MAX_REDIRECTS` in a row
 *   without a welcome; a url that is not an http(s) base, or plain http from TLS, fails the
 *   link. The node the link was made for is its HOME (maybe an entry point that finds rooms'
 *   owners): every reconnect that is not a redirect — after a loss, after the backoff — goes
 *   home again, since the node may be dead and home knows the room's owner now (the resume
 *   token goes along: an owner still holding our peer resumes it). Only a change of transport
 *   before any welcome (`retryNow` on an unwelcomed connection) stays on the node, and probes
 *   go to the node carrying the session (their resume token is for it).
 * Which transport each connection uses, and when to switch, is the subclass's: the
 * protected hooks below. `WsLink` (ws-link.ts) always dials a WebSocket; `AutoLink`
 * (auto-link.ts) owns the fallback policy.
 */
import { HEADER_BYTES, Offset } from '../../codec/index.ts';
import { CloseCode, Emitter, isFatalClose, isMessage, parseServerMessage, type ClientMessage, type ErrorMessage, type Refusal, type ServerMessage, type WelcomeMessage } from '../../protocol/index.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { ClockOffset, localNow } from './clock-offset.ts';
import type { Connection, ConnectionHandlers } from './connection.ts';
import { RedirectError, redirectTarget, type RelayNode } from './redirect.ts';
import type { LinkState, RelayLink, RelayLinkEvents, SendResult, StateInfo, TransportInfo, TransportKind } from './relay-link.ts';

/** Options of every `SessionLink`. */
export interface SessionLinkOptions {
  /** Reconnect delays. Default: `Backoff` defaults (0.5 s doubling to 10 s, jittered). */
  backoff?: BackoffOptions;
  /** Interval of clock-sync pings, ms. Default `DEFAULT_PING_INTERVAL_MS` (2000). */
  pingIntervalMs?: number;
  /** Ask for resume tokens and send the last one when connecting again. Default true. */
  resumable?: boolean;
  /** A welcomed connection silent this long (no pong, no frame) is given up as lost, ms. Default `DEFAULT_SILENCE_MS` (8000). */
  silenceMs?: number;
}

export const DEFAULT_PING_INTERVAL_MS = 2000;
/** Pings sent right after connecting, `PING_BURST_GAP_MS` apart, for a quick first offset. */
const PING_BURST = 5;
const PING_BURST_GAP_MS = 100;
/** Close code of a connection that ended without a close (RFC 6455 §7.4.1): the one a resume follows. */
const LOST = 1006;
/** How long a connection taken over by a probe is still read for its last records, ms. */
export const DRAIN_MS = 2000;
/** Silence after which a welcomed connection counts as lost (4 missed pongs at the default ping interval), ms. */
export const DEFAULT_SILENCE_MS = 8000;
/** How long a connection given up for silence is kept (unclosed) while the next one resumes the peer, ms: the relay's resume grace. */
const SILENT_DRAIN_MS = 10_000;
/** Redirects followed in a row without a welcome; the next one fails the link ("redirect loop"). */
export const MAX_REDIRECTS = 3;

/** How a connection ended, as the policy hooks see it. */
export interface ConnectionEnding {
  kind: TransportKind;
  code: number;
  reason: string;
  /** It was welcomed (the session ran on it). */
  welcomed: boolean;
  /** The relay said anything at all on it (a welcome, an error): the transport itself works. */
  heard: boolean;
  /** Ended by us because no welcome came within `welcomeTimeoutMs`. */
  timedOut: boolean;
  /** Dialed as a probe (it may have become the session's way on: the relay closed the old connection as 'resumed'). */
  probe: boolean;
}

/** Roles of a connection: carrying the session (or about to), probing for a better one, or replaced and read to its end. */
export type ConnectionRole = 'session' | 'probe' | 'draining';

/** One connection and what the link has seen on it. */
class Leg {
  conn!: Connection;
  role: ConnectionRole;
  readonly probe: boolean;
  opened = false;
  welcomed = false;
  heard = false;
  /** When it last brought anything (local ms). */
  heardAt = 0;
  timedOut = false;
  /** The relay's last `error` on it: the refusal, if a close follows. */
  lastError: ErrorMessage | undefined;
  /** The relay's `redirect` on it: where to go, if the close 4302 follows. */
  redirect: Extract<ServerMessage, { type: 'redirect' }> | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(role: ConnectionRole) {
    this.role = role;
    this.probe = role === 'probe';
  }

  ending(code: number, reason: string): ConnectionEnding {
    return { kind: this.conn.kind, code, reason, welcomed: this.welcomed, heard: this.heard, timedOut: this.timedOut, probe: this.probe };
  }
}

export abstract class SessionLink extends Emitter<RelayLinkEvents> implements RelayLink {
  /** Offset of the relay's clock to ours. */
  readonly clock = new ClockOffset();
  readonly #backoff: Backoff;
  readonly #pingIntervalMs: number;
  readonly #resumable: boolean;
  readonly #silenceMs: number;
  /** The node the link was made for: where every reconnect but a redirect goes. */
  readonly #home: RelayNode;
  /** The node dialed now: home, or the one the last redirect named. */
  #node: RelayNode;
  /** Redirects followed since the link was made, and in a row since the last welcome or backoff. */
  #redirects = 0;
  #redirectsInRow = 0;
  #state: LinkState = 'closed';
  /** The connection carrying the session, or the one being dialed for it. */
  #session: Leg | undefined;
  #probe: Leg | undefined;
  readonly #draining = new Set<Leg>();
  #transport: TransportInfo | undefined;
  #resume: string | undefined;
  #everWelcomed = false;
  #closed = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimers: ReturnType<typeof setTimeout>[] = [];
  #pingInterval: ReturnType<typeof setInterval> | undefined;
  #peerId = 0;

  /** `home`: the relay (or the cluster's entry point) the link connects to first. */
  constructor(home: RelayNode, options: SessionLinkOptions = {}) {
    super();
    this.#home = home;
    this.#node = home;
    this.#backoff = new Backoff(options.backoff);
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#resumable = options.resumable ?? true;
    this.#silenceMs = options.silenceMs ?? DEFAULT_SILENCE_MS;
    if (!(this.#silenceMs > this.#pingIntervalMs)) throw new TypeError(`silenceMs must exceed pingIntervalMs [silenceMs:${this.#silenceMs}, pingIntervalMs:${this.#pingIntervalMs}]`);
    if (!(this.#pingIntervalMs > 0)) throw new TypeError(`pingIntervalMs must be > 0 [pingIntervalMs:${this.#pingIntervalMs}]`);
  }

  // ── the policy: what subclasses decide ───────────────────────────────────

  /** Opens a connection of `kind` to `node`; `resumeQuery` (`resumable=1&resume=…`, or '') goes after the connect query. */
  protected abstract dial(kind: TransportKind, resumeQuery: string, handlers: ConnectionHandlers, node: RelayNode): Connection;

  /** The transport of the next connection carrying the session. */
  protected abstract nextKind(): TransportKind;

  /** Why the session is on `kind` rather than a better transport (`TransportInfo.reason`). Default none. */
  protected transportReason(_kind: TransportKind): string | undefined {
    return undefined;
  }

  /** How long a connection of `kind` in `role` may take to be welcomed, ms; undefined: no limit. Default none. */
  protected welcomeTimeoutMs(_kind: TransportKind, _role: ConnectionRole): number | undefined {
    return undefined;
  }

  /** No welcome in time on `connection`: true if the hook dealt with it (it waits again), false to give the connection up. Default false. */
  protected onWelcomeOverdue(_connection: Connection, _role: ConnectionRole): boolean {
    return false;
  }

  /** The session's connection ended (not fatally): connect again at once (true) or after the backoff delay. Default: at once when it was lost and can be resumed. */
  protected retryNow(ending: ConnectionEnding): boolean {
    return ending.welcomed && ending.code === LOST && this.#resume !== undefined;
  }

  /** A welcome started or continued the session on `kind` (`probe`: a probe took over). */
  protected onWelcomed(_kind: TransportKind, _welcome: WelcomeMessage, _probe: boolean): void {}

  /** A probe ended without taking over. */
  protected onProbeFailed(_ending: ConnectionEnding): void {}

  /** True to be told (`onArrival`) when frames and pongs arrive on the session's `kind`. Default false. */
  protected watchesArrivals(_kind: TransportKind): boolean {
    return false;
  }

  /** A frame (its `relayTime`) or a pong (its `serverTime`) arrived at local `arrivalMs` (ms since the epoch). */
  protected onArrival(_relayTimeMs: number, _arrivalMs: number): void {}

  /** The link closed or failed for good: stop the policy's own timers. */
  protected onStop(): void {}

  // ── what subclasses may use ──────────────────────────────────────────────

  /** The connection carrying the session (or being dialed for it). */
  protected get connection(): Connection | undefined {
    return this.#session?.conn;
  }

  /** Opens a probe of `kind` next to the welcomed session; false when there is nothing to probe for or one runs. */
  protected startProbe(kind: TransportKind): boolean {
    if (this.#closed || this.#probe !== undefined || this.#session?.welcomed !== true) return false;
    this.#probe = this.#dial('probe', kind);
    return this.#probe !== undefined;
  }

  /** The transport or its reason changed mid-session: `transport` follows (and its event, when it differs). */
  protected transportChanged(): void {
    this.#refreshTransport();
  }

  // ── RelayLink ────────────────────────────────────────────────────────────

  get state(): LinkState {
    return this.#state;
  }

  /** True once `welcome` arrived on the current connection. */
  get ready(): boolean {
    return this.#state === 'open' && this.#session?.welcomed === true;
  }

  /** Our peer id in the current session (0 before `welcome`; a reconnect that is not a resume changes it). */
  get peerId(): number {
    return this.#peerId;
  }

  /** Base of the node dialed now (its HTTP routes, e.g. snapshots): home's, or the one a redirect named; '' for the page's own origin. */
  get nodeBase(): string {
    return this.#node.httpBase;
  }

  /** Redirects followed since the link was made. */
  get redirects(): number {
    return this.#redirects;
  }

  /** The last resume token the relay gave (undefined before, or when not `resumable`). */
  get resumeToken(): string | undefined {
    return this.#resume;
  }

  /** Bytes waiting in the current connection. */
  get bufferedAmount(): number {
    return this.#session?.conn.bufferedAmount ?? 0;
  }

  /** True while the previous frame has not left: a frame sent now would queue. */
  get busy(): boolean {
    return this.#session?.conn.busy ?? false;
  }

  get transport(): TransportInfo {
    if (this.#transport !== undefined) return this.#transport;
    const kind = this.nextKind();
    return infoOf(kind, this.transportReason(kind));
  }

  /** Starts connecting (no-op while connecting, connected or waiting to retry, and once closed). */
  open(): void {
    if (this.#closed || this.#session !== undefined || this.#retryTimer !== undefined) return;
    this.#connect();
  }

  sendControl(message: ClientMessage): boolean {
    const leg = this.#session;
    if (leg === undefined || !leg.opened) return false;
    return leg.conn.sendControl(JSON.stringify(message));
  }

  sendFrame(bytes: Uint8Array): SendResult {
    const leg = this.#session;
    if (leg === undefined || !leg.welcomed || this.#state !== 'open') return 'offline';
    if (leg.conn.busy) return 'busy';
    return leg.conn.sendFrame(bytes) ? 'sent' : 'offline';
  }

  sendAudio(bytes: Uint8Array): SendResult {
    const leg = this.#session;
    if (leg === undefined || !leg.welcomed || this.#state !== 'open') return 'offline';
    return leg.conn.sendAudio(bytes) ? 'sent' : 'busy';
  }

  requestStats(): boolean {
    return this.sendControl({ type: 'stats' });
  }

  /** Closes for good (code 1000 'leave'). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#halt();
    this.#drop(this.#session);
    this.#session = undefined;
    this.#setState('closed', {});
    this.clear();
  }

  // ── internals ────────────────────────────────────────────────────────────

  #connect(info: StateInfo = {}): void {
    this.#retryTimer = undefined;
    const attempt = this.#backoff.attempt;
    if (attempt === 0 && !this.#everWelcomed) this.#setState('connecting', { ...info, attempt });
    else this.#setState('reconnecting', { ...info, attempt: Math.max(1, attempt) });
    this.#session = this.#dial('session', this.nextKind());
  }

  #dial(role: 'session' | 'probe', kind: TransportKind): Leg | undefined {
    const leg = new Leg(role);
    const query = !this.#resumable ? '' : this.#resume === undefined ? 'resumable=1' : `resumable=1&resume=${encodeURIComponent(this.#resume)}`;
    try {
      leg.conn = this.dial(kind, query, this.#handlersOf(leg), this.#node);
    } catch (error) {
      // A URL the platform refuses: retrying cannot help.
      if (role === 'session') this.#fail({ reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    this.#armWelcomeTimer(leg, kind);
    return leg;
  }

  #handlersOf(leg: Leg): ConnectionHandlers {
    return {
      open: () => {
        leg.opened = true;
        if (leg.role === 'session') this.#startPings();
      },
      control: (text) => {
        leg.heard = true;
        leg.heardAt = localNow();
        this.#onControl(leg, text);
      },
      frame: (bytes) => {
        leg.heard = true;
        leg.heardAt = localNow();
        if (leg.role === 'probe') return;
        if (leg.role === 'session' && this.watchesArrivals(leg.conn.kind)) {
          const relayTime = relayTimeOf(bytes);
          if (relayTime > 0) this.onArrival(relayTime, localNow());
        }
        this.emit('frame', bytes);
      },
      close: (code, reason) => this.#onEnd(leg, code, reason),
    };
  }

  #armWelcomeTimer(leg: Leg, kind: TransportKind): void {
    const ms = this.welcomeTimeoutMs(kind, leg.role);
    if (ms !== undefined) leg.timer = setTimeout(() => this.#welcomeOverdue(leg), ms);
  }

  #welcomeOverdue(leg: Leg): void {
    leg.timer = undefined;
    if (leg.welcomed || this.#closed || leg.role === 'draining') return;
    if (this.onWelcomeOverdue(leg.conn, leg.role)) {
      this.#armWelcomeTimer(leg, leg.conn.kind);
      return;
    }
    leg.timedOut = true;
    leg.conn.close();
    this.#onEnd(leg, LOST, '');
  }

  #onControl(leg: Leg, text: string): void {
    const message = parseServerMessage(text);
    if (message === null) return;
    if (isMessage(message, 'pong')) {
      if (leg.role === 'probe') return;
      const arrival = localNow();
      const sample = this.clock.add(Number(message.t), Number(message.serverTime), arrival);
      const best = this.clock.best();
      if (sample !== undefined && best !== undefined) this.emit('clock', { offset: best.offset, rtt: best.rtt });
      if (leg.role === 'session' && this.watchesArrivals(leg.conn.kind)) this.onArrival(Number(message.serverTime), arrival);
      return;
    }
    if (isMessage(message, 'welcome')) {
      if (leg.role !== 'draining') this.#onWelcome(leg, message);
      return;
    }
    if (isMessage(message, 'redirect')) {
      leg.redirect = message; // the link's business, like the welcome: the close 4302 that follows acts on it
      return;
    }
    if (isMessage(message, 'error')) leg.lastError = message;
    // NOTE: a probe's messages before its welcome are not the session's (a refusal of the probe ends only the probe).
    if (leg.role !== 'probe') this.emit('control', message);
  }

  #onWelcome(leg: Leg, welcome: WelcomeMessage): void {
    clearTimeout(leg.timer);
    leg.timer = undefined;
    const probe = leg.role === 'probe';
    if (probe) this.#takeOver(leg);
    leg.welcomed = true;
    leg.lastError = undefined;
    this.#everWelcomed = true;
    if (typeof welcome.resume === 'string' && welcome.resume !== '') this.#resume = welcome.resume;
    // A session that is not a continuation may be on another relay process, with another clock.
    if (welcome.resumed !== true) this.clock.reset();
    this.#peerId = Number(welcome.peerId);
    this.#backoff.reset();
    this.#redirectsInRow = 0;
    this.onWelcomed(leg.conn.kind, welcome, probe);
    this.#refreshTransport();
    this.#setState('open', {});
    this.emit('welcome', welcome);
  }

  /** `probe` was welcomed: it carries the session now; the connection it replaces is read to its end. */
  #takeOver(probe: Leg): void {
    const old = this.#session;
    this.#probe = undefined;
    probe.role = 'session';
    this.#session = probe;
    this.#stopPings();
    if (probe.opened) this.#startPings();
    if (old === undefined) return;
    clearTimeout(old.timer);
    old.role = 'draining';
    old.timer = setTimeout(() => {
      this.#draining.delete(old);
      old.conn.close(1000, 'resumed');
    }, DRAIN_MS);
    this.#draining.add(old);
  }

  #onEnd(leg: Leg, code: number, reason: string): void {
    clearTimeout(leg.timer);
    leg.timer = undefined;
    if (leg.role === 'draining') {
      this.#draining.delete(leg);
      return;
    }
    if (leg.role === 'probe') {
      if (this.#probe === leg) this.#probe = undefined;
      if (!this.#closed) this.onProbeFailed(leg.ending(code, reason));
      return;
    }
    if (this.#session !== leg) return;
    this.#sessionEnded(leg, code, reason);
  }

  /** The session's connection `leg` ended (or was given up): on with the probe, a retry at once, or after the backoff. */
  #sessionEnded(leg: Leg, code: number, reason: string): void {
    this.#session = undefined;
    this.#stopPings();
    if (this.#closed) return;
    if (code === CloseCode.redirect) {
      this.#redirected(leg, { code, reason });
      return;
    }
    const refusal = refusalOf(reason, leg.lastError);
    const info: StateInfo = refusal === undefined ? { code, reason } : { code, reason, refusal };
    if (isFatalClose(code)) {
      this.#fail(info);
      return;
    }
    const probe = this.#probe;
    if (probe !== undefined) {
      // A probe is under way (with the resume token): it is the session's way on. When the relay
      // closed us because that probe took over ('resumed'), its welcome is on the way.
      this.#probe = undefined;
      probe.role = 'session';
      this.#session = probe;
      if (probe.opened) this.#startPings();
      if (reason !== 'resumed') this.#setState('reconnecting', { ...info, attempt: Math.max(1, this.#backoff.attempt) });
      return;
    }
    if (this.retryNow(leg.ending(code, reason))) {
      // Lost after a welcome: home, which knows where the room is now. Not welcomed yet: another transport to the same node.
      if (leg.welcomed) this.#node = this.#home;
      this.#connect(info);
      return;
    }
    // After the backoff: home, and a new chain of redirects (paced by the backoff, it is no loop).
    this.#node = this.#home;
    this.#redirectsInRow = 0;
    const delayMs = Math.round(this.#backoff.next());
    this.#setState('reconnecting', { ...info, attempt: this.#backoff.attempt, delayMs });
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  /** The relay closed the session's connection `leg` with 4302: on to the node its `redirect` named, at once — or fail, for a redirect not to follow. */
  #redirected(leg: Leg, info: StateInfo): void {
    let node: RelayNode;
    try {
      if (leg.redirect === undefined) throw RedirectError.noTarget();
      if (this.#redirectsInRow >= MAX_REDIRECTS) throw RedirectError.loop(this.#redirectsInRow + 1, MAX_REDIRECTS, leg.redirect.url);
      node = redirectTarget(leg.redirect.url, this.#secure());
    } catch (error) {
      if (!(error instanceof RedirectError)) throw error;
      this.#fail({ ...info, refusal: { code: 'redirect', message: error.message } });
      return;
    }
    this.#redirects++;
    this.#redirectsInRow++;
    this.#node = node;
    this.#connect(info);
  }

  /** True when the link must stay on TLS: its home is wss:/https:, or the page is https (plain http from it would be mixed content). */
  #secure(): boolean {
    const { wsUrl, httpBase } = this.#home;
    return wsUrl.startsWith('wss:') || httpBase.startsWith('https:') || (typeof location !== 'undefined' && location.protocol === 'https:');
  }

  #fail(info: StateInfo): void {
    this.#halt();
    this.#setState('failed', info);
  }

  /** Stops every timer, the probe and the drained connections (the session's connection is the caller's). */
  #halt(): void {
    this.#stopPings();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.onStop();
    this.#drop(this.#probe);
    this.#probe = undefined;
    for (const leg of this.#draining) this.#drop(leg);
    this.#draining.clear();
  }

  #drop(leg: Leg | undefined): void {
    if (leg === undefined) return;
    clearTimeout(leg.timer);
    leg.conn.close(1000, 'leave');
  }

  #refreshTransport(): void {
    const leg = this.#session;
    if (leg === undefined || !leg.welcomed) return;
    const info = infoOf(leg.conn.kind, this.transportReason(leg.conn.kind));
    const last = this.#transport;
    if (last !== undefined && last.kind === info.kind && last.reason === info.reason) return;
    this.#transport = info;
    this.emit('transport', info);
  }

  #startPings(): void {
    this.#stopPings();
    const ping = (): void => {
      this.sendControl({ type: 'ping', t: localNow() });
    };
    for (let i = 0; i < PING_BURST; i++) this.#pingTimers.push(setTimeout(ping, i * PING_BURST_GAP_MS));
    this.#pingInterval = setInterval(() => {
      if (!this.#giveUpIfSilent()) ping();
    }, this.#pingIntervalMs);
  }

  /** True if the session's connection was silent for `silenceMs` and was just given up (see the file's doc). */
  #giveUpIfSilent(): boolean {
    const leg = this.#session;
    if (leg === undefined || !leg.welcomed || localNow() - leg.heardAt < this.#silenceMs) return false;
    leg.role = 'draining';
    this.#draining.add(leg);
    leg.timer = setTimeout(() => {
      this.#draining.delete(leg);
      leg.conn.close(1000, 'resumed');
    }, SILENT_DRAIN_MS);
    this.#sessionEnded(leg, LOST, 'silent');
    return true;
  }

  #stopPings(): void {
    for (const t of this.#pingTimers) clearTimeout(t);
    this.#pingTimers = [];
    clearInterval(this.#pingInterval);
    this.#pingInterval = undefined;
  }

  #setState(state: LinkState, info: StateInfo): void {
    this.#state = state;
    this.emit('state', state, info);
  }
}

function infoOf(kind: TransportKind, reason: string | undefined): TransportInfo {
  return reason === undefined ? { kind } : { kind, reason };
}

/** The `relayTime` of a frame (f64 big-endian at offset 32), or 0 for bytes too short to hold one. */
function relayTimeOf(bytes: Uint8Array): number {
  if (bytes.byteLength < HEADER_BYTES) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(Offset.relayTime, false);
}

/**
 * The refusal behind a close: the relay's `error` (code, limit, message) when the close
 * reason names it or is empty, else the close reason alone; undefined for a close without either.
 */
export function refusalOf(reason: string, error: ErrorMessage | undefined): Refusal | undefined {
  if (error !== undefined && (reason === '' || reason === error.code)) {
    return { code: error.code, message: error.message, ...(error.limit !== undefined ? { limit: error.limit } : {}) };
  }
  return reason === '' ? undefined : { code: reason };
}

/**
 * The session controller: the link to the relay from join to leave. Opens the link for a
 * join request, counts sessions (every `welcome` starts one, with new peer ids), forwards
 * the relay's control messages of the current session, and decides what a refusal means:
 * a refusal retrying cannot fix (fatal close: bad secret, room full, bad name) ends the
 * session at once; `server-full` is retried with backoff (by the link) until
 * `serverFullRetries` refusals in a row, then it ends too. No DOM: the UI renders its events.
 */
import { CloseCode, Emitter, describeRefusal, type ClientMessage, type Refusal, type WelcomeMessage } from '../../protocol/index.ts';
import type { ControlMessage, LinkState, RelayLink, StateInfo } from '../net/relay-link.ts';
import type { MediaMode } from './settings.ts';

/** Where to join, as the lobby (or `window.framewire.join`) asks. */
export interface JoinRequest {
  name: string;
  room: string;
  secret?: string;
  mode: MediaMode;
}

/** A session that ended because the relay refused us. */
export interface SessionRefusal extends Refusal {
  /** For people: `describeRefusal(refusal)`. */
  text: string;
  /** Sessions this join had before the refusal (0: refused on joining). */
  sessions: number;
}

/** Events of `SessionController`. */
export type SessionEvents = {
  /** The link's state changed (status pill, reconnect banner). */
  state: [LinkState, StateInfo];
  /** The clock estimate changed: offset and RTT of the best sample, ms. */
  clock: [{ offset: number; rtt: number }];
  /** A session started on `link` (the first, or one after a reconnect). */
  welcome: [WelcomeMessage, RelayLink];
  /** The session's link dropped: peers and media are stale until the next `welcome`. */
  lost: [];
  /** A control message of the current session. */
  control: [ControlMessage];
  /** The relay refused us for good; the link is closed. */
  refused: [SessionRefusal];
};

/** Options of `SessionController`. */
export interface SessionOptions {
  /** Makes (does not open) the link for a join request. */
  createLink: (join: JoinRequest) => RelayLink;
  /** `server-full` refusals in a row before giving up. Default `DEFAULT_SERVER_FULL_RETRIES` (5). */
  serverFullRetries?: number;
}

export const DEFAULT_SERVER_FULL_RETRIES = 5;

export class SessionController {
  readonly events = new Emitter<SessionEvents>();
  readonly #createLink: SessionOptions['createLink'];
  readonly #serverFullRetries: number;
  #join: JoinRequest | undefined;
  #link: RelayLink | undefined;
  #unsubscribe: (() => void)[] = [];
  #sessions = 0;
  #selfId = 0;
  #serverFull = 0;
  #closed = false;

  constructor(options: SessionOptions) {
    const retries = options.serverFullRetries ?? DEFAULT_SERVER_FULL_RETRIES;
    if (!Number.isInteger(retries) || retries < 1) throw new TypeError(`serverFullRetries must be a positive integer [got:${retries}]`);
    this.#createLink = options.createLink;
    this.#serverFullRetries = retries;
  }

  /** The current link, if connected or connecting. */
  get link(): RelayLink | undefined {
    return this.#link;
  }

  /** What we joined (kept after a refusal, so the lobby can offer it again). */
  get join(): JoinRequest | undefined {
    return this.#join;
  }

  /** Welcomes received since `connect`. */
  get sessions(): number {
    return this.#sessions;
  }

  /** Our peer id in the current session (0 before the first welcome and after leaving). */
  get selfId(): number {
    return this.#selfId;
  }

  /** The link's state ('closed' without a link). */
  get state(): LinkState {
    return this.#link?.state ?? 'closed';
  }

  /** Joins: a new link for `join`, the session count starting at 0. */
  connect(join: JoinRequest): void {
    this.#sessions = 0;
    this.reconnect(join);
  }

  /** A new link for `join` (a mode switch): peers see us leave and rejoin; the session count goes on. */
  reconnect(join: JoinRequest): void {
    if (this.#closed) return;
    this.disconnect();
    this.#join = join;
    this.#serverFull = 0;
    const link = this.#createLink(join);
    this.#link = link;
    this.#unsubscribe = [
      link.on('state', (state, info) => this.#onState(link, state, info)),
      link.on('clock', (clock) => this.events.emit('clock', clock)),
      link.on('welcome', (welcome) => {
        this.#sessions++;
        this.#serverFull = 0;
        this.#selfId = welcome.peerId;
        this.events.emit('welcome', welcome, link);
      }),
      link.on('control', (message) => {
        // NOTE: an `error` before `welcome` is the refusal; the close that follows reports it.
        if (link.ready) this.events.emit('control', message);
      }),
    ];
    link.open();
  }

  /** Closes the link (leave, or before a new one); no events. */
  disconnect(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#link?.close();
    this.#link = undefined;
    this.#selfId = 0;
  }

  /** Sends a control message; false when not connected. */
  send(message: ClientMessage): boolean {
    return this.#link?.sendControl(message) ?? false;
  }

  /** The relay clock as `window.framewire.clock()` reports it. */
  clock(): { offset: number; rtt: number | null; synced: boolean } {
    const clock = this.#link?.clock;
    return { offset: clock?.offset ?? 0, rtt: clock?.best()?.rtt ?? null, synced: clock?.synced ?? false };
  }

  /** Disconnects and drops every listener; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.disconnect();
    this.#closed = true;
    this.events.clear();
  }

  #onState(link: RelayLink, state: LinkState, info: StateInfo): void {
    if (link !== this.#link) return;
    this.events.emit('state', state, info);
    if (state === 'reconnecting' && info.delayMs !== undefined) {
      this.events.emit('lost');
      const serverFull = info.code === CloseCode.tryAgainLater || info.refusal?.code === 'server-full';
      this.#serverFull = serverFull ? this.#serverFull + 1 : 0;
      if (this.#serverFull >= this.#serverFullRetries) this.#refused(info.refusal ?? { code: 'server-full' });
      return;
    }
    if (state === 'failed') {
      this.events.emit('lost');
      this.#refused(info.refusal ?? { code: info.reason ?? '' });
    }
  }

  #refused(refusal: Refusal): void {
    const sessions = this.#sessions;
    this.disconnect();
    this.events.emit('refused', { ...refusal, text: describeRefusal(refusal), sessions });
  }
}

/**
 * The calls controller: ringing a peer of the room and being rung, over the relay's routed
 * `invite` / `accept` / `decline` / `hangup` messages. Our side of a call is 'calling'
 * (we invited, it rings for `ringMs`, then it is withdrawn with a `hangup`) or 'in-call'
 * (accepted, either way). Every ring timer is cleared when the call changes, the peer
 * leaves, we leave, or the session ends. No DOM: the UI renders its events.
 */
import { Emitter, isRoutedType, type RoutedMessage, type RoutedRequest } from '../../protocol/index.ts';
import type { ControlMessage } from '../net/relay-link.ts';

/** Our side of a call with one peer. */
export type CallState = 'calling' | 'in-call';

/** Something a person may want to hear about (a toast). */
export type CallNotice = 'ringing' | 'accepted' | 'declined' | 'hung-up' | 'no-answer';

/** Events of `CallsController`. */
export type CallsEvents = {
  /** Our call with `peerId` changed (undefined: no call). */
  call: [peerId: number, state: CallState | undefined];
  /** `peerId` is ringing us: answer with `accept` or `decline`. */
  incoming: [peerId: number];
  /** `peerId`'s ring ended without our answer (it hung up or left, or the session ended). */
  incomingEnded: [peerId: number];
  notice: [peerId: number, notice: CallNotice];
};

/** Options of `CallsController`. */
export interface CallsOptions {
  /** Sends a routed message; false when not connected. */
  send: (message: RoutedRequest<'invite' | 'accept' | 'decline' | 'hangup'>) => boolean;
  /** How long an invitation rings before it is withdrawn, ms. Default `DEFAULT_RING_MS` (30 000). */
  ringMs?: number;
}

export const DEFAULT_RING_MS = 30_000;

export class CallsController {
  readonly events = new Emitter<CallsEvents>();
  readonly #send: CallsOptions['send'];
  readonly #ringMs: number;
  readonly #calls = new Map<number, CallState>();
  readonly #rings = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #incoming = new Set<number>();
  #closed = false;

  constructor(options: CallsOptions) {
    const ringMs = options.ringMs ?? DEFAULT_RING_MS;
    if (!(ringMs > 0)) throw new TypeError(`ringMs must be > 0 [got:${ringMs}]`);
    this.#send = options.send;
    this.#ringMs = ringMs;
  }

  /** Our call with `peerId`, if any. */
  state(peerId: number): CallState | undefined {
    return this.#calls.get(peerId);
  }

  /** Peers ringing us. */
  incoming(): number[] {
    return [...this.#incoming];
  }

  /** Rings `peerId`; false when not sent. */
  invite(peerId: number): boolean {
    if (this.#closed || !this.#send({ type: 'invite', to: peerId })) return false;
    this.#set(peerId, 'calling');
    this.#rings.set(
      peerId,
      setTimeout(() => {
        this.#rings.delete(peerId);
        if (this.#calls.get(peerId) !== 'calling') return;
        this.#send({ type: 'hangup', to: peerId });
        this.#set(peerId, undefined);
        this.events.emit('notice', peerId, 'no-answer');
      }, this.#ringMs),
    );
    this.events.emit('notice', peerId, 'ringing');
    return true;
  }

  /** Ends our call with `peerId` (or withdraws the invitation). */
  hangup(peerId: number): void {
    this.#send({ type: 'hangup', to: peerId });
    this.#set(peerId, undefined);
  }

  /** Answers `peerId`'s ring with yes; false when it is not ringing or not sent. */
  accept(peerId: number): boolean {
    if (!this.#incoming.delete(peerId) || !this.#send({ type: 'accept', to: peerId })) return false;
    this.#set(peerId, 'in-call');
    return true;
  }

  /** Answers `peerId`'s ring with no. */
  decline(peerId: number): boolean {
    if (!this.#incoming.delete(peerId)) return false;
    return this.#send({ type: 'decline', to: peerId });
  }

  /** Handles `invite` / `accept` / `decline` / `hangup`; true when it was one of those. */
  handle(message: ControlMessage): boolean {
    if (this.#closed || !isRoutedType(message.type)) return false;
    // NOTE: `isMessage` cannot narrow to one routed type (RoutedMessage is one type for all five).
    const from = Number((message as RoutedMessage).from);
    if (message.type === 'invite') {
      this.#incoming.add(from);
      this.events.emit('incoming', from);
      return true;
    }
    if (message.type === 'accept') {
      if (this.#calls.get(from) === 'calling') {
        this.#set(from, 'in-call');
        this.events.emit('notice', from, 'accepted');
      }
      return true;
    }
    if (message.type === 'decline') {
      if (this.#calls.get(from) === 'calling') {
        this.#set(from, undefined);
        this.events.emit('notice', from, 'declined');
      }
      return true;
    }
    if (message.type === 'hangup') {
      this.#endIncoming(from);
      if (this.#calls.has(from)) {
        this.events.emit('notice', from, 'hung-up');
        this.#set(from, undefined);
      }
      return true;
    }
    return false;
  }

  /** `peerId` left the room: its call and its ring end (no message to send). */
  peerLeft(peerId: number): void {
    this.#endIncoming(peerId);
    this.#set(peerId, undefined);
  }

  /** We leave: hangs up every call, then forgets everything. */
  leave(): void {
    for (const peerId of this.#calls.keys()) this.#send({ type: 'hangup', to: peerId });
    this.reset();
  }

  /** The session ended (new welcome, teardown): forgets every call and ring without sending. */
  reset(): void {
    for (const peerId of [...this.#incoming]) this.#endIncoming(peerId);
    for (const peerId of [...this.#calls.keys()]) this.#set(peerId, undefined);
  }

  /** Forgets everything and drops the listeners; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.reset();
    this.#closed = true;
    this.events.clear();
  }

  #endIncoming(peerId: number): void {
    if (this.#incoming.delete(peerId)) this.events.emit('incomingEnded', peerId);
  }

  #set(peerId: number, state: CallState | undefined): void {
    clearTimeout(this.#rings.get(peerId));
    this.#rings.delete(peerId);
    if (this.#calls.get(peerId) === state) return;
    if (state === undefined) this.#calls.delete(peerId);
    else this.#calls.set(peerId, state);
    this.events.emit('call', peerId, state);
  }
}

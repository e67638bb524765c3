/**
 * A `RelayLink` without a relay, for controller tests: records what is sent, and lets the
 * test play the relay (`welcome`, `receive`, `closeWith`) and the transport (`moveTo`).
 */
import { Emitter, type ClientMessage, type WelcomeMessage } from '../../protocol/index.ts';
import { ClockOffset } from './clock-offset.ts';
import type { ControlMessage, LinkState, RelayLink, RelayLinkEvents, SendResult, StateInfo, TransportInfo } from './relay-link.ts';

export class FakeLink extends Emitter<RelayLinkEvents> implements RelayLink {
  readonly clock = new ClockOffset();
  readonly sent: ClientMessage[] = [];
  busy = false;
  opened = 0;
  transport: TransportInfo = { kind: 'websocket' };
  #state: LinkState = 'closed';
  #ready = false;
  #closed = false;

  get state(): LinkState {
    return this.#state;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get closed(): boolean {
    return this.#closed;
  }

  open(): void {
    this.opened++;
    this.#set('connecting', {});
  }

  sendControl(message: ClientMessage): boolean {
    if (!this.#ready) return false;
    this.sent.push(message);
    return true;
  }

  sendFrame(): SendResult {
    return this.#ready ? 'sent' : 'offline';
  }

  sendAudio(): SendResult {
    return this.#ready ? 'sent' : 'offline';
  }

  requestStats(): boolean {
    return this.sendControl({ type: 'stats' });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    this.#set('closed', {});
    this.clear();
  }

  /** The relay welcomes us as `peerId` with `peers` already in the room. */
  welcome(peerId: number, peers: WelcomeMessage['peers'] = []): WelcomeMessage {
    const welcome: WelcomeMessage = {
      type: 'welcome',
      peerId,
      room: 'r',
      name: 'me',
      mode: 'jpeg',
      peers,
      serverTime: 0,
      iceServers: [],
      limits: { maxPayload: 1, maxPeersPerRoom: 8, maxControlBytes: 1, maxChatChars: 1000, controlRatePerSecond: 50 },
    };
    this.#ready = true;
    this.#set('open', {});
    this.emit('welcome', welcome);
    return welcome;
  }

  /** A control message from the relay. */
  receive(message: ControlMessage): void {
    this.emit('control', message);
  }

  /** Another transport carries the link from now on. */
  moveTo(transport: TransportInfo): void {
    this.transport = transport;
    this.emit('transport', transport);
  }

  /** The connection dropped with `info`; `fatal` = the link gives up ('failed'), else it retries. */
  closeWith(info: StateInfo, fatal: boolean): void {
    this.#ready = false;
    this.#set(fatal ? 'failed' : 'reconnecting', fatal ? info : { attempt: 1, delayMs: 500, ...info });
  }

  #set(state: LinkState, info: StateInfo): void {
    this.#state = state;
    this.emit('state', state, info);
  }
}

/**
 * The checks a new connection (a WebSocket upgrade, a `POST /fw/session`) passes at the
 * transport's edge, before the core's admission (admission.ts) sees it, in order: its
 * address holds fewer than `maxConnectionsPerIp` connections (`too-many-connections`), its
 * address has a join token left (`rate-limited`), and the relay-wide pacer lets it through
 * now or after a short wait (`server-busy`). Shared by both transports and by the
 * connection gate (http/connection-gate.ts), which counts half-open sockets under the
 * same per-address keys.
 */
import { RelayError } from '../../protocol/index.ts';
import { AddressSet, clientAddress, limitKey } from '../http/client-address.ts';
import type { AddressLimits } from './address-limits.ts';
import type { AdmissionPacer } from './admission-pacer.ts';

/** Who a connection is from. */
export interface EdgeClient {
  /** The client's address (canonical; through trusted proxies), undefined if unknown. */
  address: string | undefined;
  /** The key its per-address limits count under; undefined: exempt (or unknown). */
  key: string | undefined;
}

/** Options of `EdgeAdmission`. */
export interface EdgeAdmissionOptions {
  limits: AddressLimits;
  pacer: AdmissionPacer;
  /** Proxies whose `X-Forwarded-For` is believed. */
  trustedProxies: AddressSet;
  /** Client addresses the per-address limits do not apply to. */
  exempt: AddressSet;
}

/** What the caller of `enter` is told: exactly one of them, unless it cancelled first. */
export interface EdgeHandlers {
  /** Admit the connection now (synchronously hand it to the core). */
  go(): void;
  /** Refuse it with `error` (close 1013 / HTTP 429 or 503). */
  refuse(error: RelayError): void;
}

export class EdgeAdmission {
  readonly #limits: AddressLimits;
  readonly #pacer: AdmissionPacer;
  readonly trustedProxies: AddressSet;
  readonly exempt: AddressSet;

  constructor(options: EdgeAdmissionOptions) {
    this.#limits = options.limits;
    this.#pacer = options.pacer;
    this.trustedProxies = options.trustedProxies;
    this.exempt = options.exempt;
  }

  get limits(): AddressLimits {
    return this.#limits;
  }

  /** Connections waiting for the pacer. */
  get waiting(): number {
    return this.#pacer.waiting;
  }

  /** The client of a request from TCP peer `peer` with `X-Forwarded-For` `forwardedFor`. */
  clientOf(peer: string | undefined, forwardedFor: string | readonly string[] | undefined): EdgeClient {
    const address = clientAddress(peer, forwardedFor, this.trustedProxies);
    return { address, key: this.keyOf(address) };
  }

  /** The per-address key of `address`, undefined if exempt or not an address. */
  keyOf(address: string | undefined): string | undefined {
    if (address === undefined || this.exempt.has(address)) return undefined;
    return limitKey(address);
  }

  /**
   * Runs the checks for a new connection of `client`; its connection is counted from now
   * on. Returns `release`, to call once when the connection ends, whatever happened (it
   * also cancels a wait); idempotent.
   */
  enter(client: EdgeClient, handlers: EdgeHandlers): () => void {
    const key = client.key;
    if (key !== undefined) {
      if (!this.#limits.acquire(key)) {
        handlers.refuse(RelayError.tooManyConnections(this.#limits.maxConnections));
        return noop;
      }
      if (!this.#limits.takeJoin(key)) {
        this.#limits.release(key);
        handlers.refuse(RelayError.joinRateLimited(this.#limits.joinsPerMinute));
        return noop;
      }
    }
    let released = false;
    let cancel = noop;
    const release = (): void => {
      if (released) return;
      released = true;
      cancel();
      if (key !== undefined) this.#limits.release(key);
    };
    cancel = this.#pacer.schedule(
      () => {
        if (!released) handlers.go();
      },
      () => {
        release();
        handlers.refuse(RelayError.serverBusy(this.#pacer.perSecond));
      },
    );
    return release;
  }
}

const noop = (): void => undefined;

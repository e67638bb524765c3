/**
 * The relay's clock as seen from a bot: `ping`/`pong` round trips (web/net/clock-offset.ts,
 * min-RTT sample wins) give the offset of the relay's clock from this process's. Bots stamp
 * `captureTime` on the relay clock (local instant + offset) and measure latency as
 * relay-clock arrival − captureTime, so bots on other machines than the relay still agree.
 * Before the first pong the offset is taken as 0, and so is an offset no larger than half
 * the round trip it was measured with (the estimate's error bound): on one machine the
 * clocks are the same one, and stamps stay exactly local.
 */
import { ClockOffset, localNow } from '../../web/net/clock-offset.ts';

/** Pings sent right after the connection opens, `DEFAULT_CLOCK_BURST_GAP_MS` apart. */
export const DEFAULT_CLOCK_BURST = 5;
export const DEFAULT_CLOCK_BURST_GAP_MS = 100;
/** Pings afterwards, every this many ms. */
export const DEFAULT_CLOCK_INTERVAL_MS = 5000;

/** Offset of the relay's clock, kept up to date by pings through `send`. */
export class RelayClock {
  readonly #estimate = new ClockOffset();
  readonly #send: (msg: object) => void;
  readonly #timers: NodeJS.Timeout[] = [];

  /** `send` puts a control message on the bot's connection. */
  constructor(send: (msg: object) => void) {
    this.#send = send;
  }

  /** Starts pinging (call once the connection is open). */
  start(): void {
    for (let i = 0; i < DEFAULT_CLOCK_BURST; i++) this.#timers.push(setTimeout(() => this.#ping(), i * DEFAULT_CLOCK_BURST_GAP_MS).unref());
    this.#timers.push(setInterval(() => this.#ping(), DEFAULT_CLOCK_INTERVAL_MS).unref());
  }

  /** Feeds a control message from the relay; returns true if it was a pong (it is used). */
  onControl(msg: Record<string, unknown>): boolean {
    if (msg['type'] !== 'pong') return false;
    const t = msg['t'];
    const serverTime = msg['serverTime'];
    if (typeof t === 'number' && typeof serverTime === 'number') this.#estimate.add(t, serverTime, localNow());
    return true;
  }

  /** Relay clock − local clock, ms (0 until the first pong, and 0 while within ± rtt/2 of 0). */
  get offset(): number {
    const best = this.#estimate.best();
    if (best === undefined || Math.abs(best.offset) <= best.rtt / 2) return 0;
    return best.offset;
  }

  /** Round trip of the sample in use, ms; undefined before the first pong. */
  get rttMs(): number | undefined {
    return this.#estimate.best()?.rtt;
  }

  /** Now on the relay clock, ms since the Unix epoch. */
  now(): number {
    return localNow() + this.offset;
  }

  /** A `performance.now()` instant of this process on the relay clock. */
  fromPerformance(perfMs: number): number {
    return performance.timeOrigin + perfMs + this.offset;
  }

  /** Stops pinging. Safe to call twice. */
  close(): void {
    for (const timer of this.#timers.splice(0)) clearTimeout(timer);
  }

  #ping(): void {
    try {
      this.#send({ type: 'ping', t: localNow() });
    } catch {
      // The connection is gone: the last estimate stays.
    }
  }
}

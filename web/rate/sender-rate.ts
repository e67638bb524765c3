/**
 * The sender's rate adaptation for one session, as the raw-media pipeline uses it: frames
 * sent and the relay's `delivery` messages in, a plan per captured frame out.
 *
 * - Until the first `delivery` (an old relay, or feedback off) it is passive: `plan()`
 *   returns null and the caller sends as before; the frames it sends still train the size
 *   model, but are not tracked in flight: the relay acks only what it got after it heard
 *   our first `ack`, and earlier frames would look overdue — a false congestion signal.
 * - On the first `delivery` it starts a `RateController` at the rate the ceilings need (the
 *   rate sent so far: nothing shrinks until the path says so).
 * - `up` entries (relay clock) are acks of the sender → relay path, converted to the local
 *   clock with the clock offset; `down` reports feed the receiver cap (receiver-cap.ts).
 */
import { FrameSizeModel } from './frame-size-model.ts';
import { LinkEstimator, type LinkEstimatorOptions } from './link-estimator.ts';
import { RateController, type Ceilings, type FramePlan, type RateControllerOptions } from './rate-controller.ts';
import { ReceiverCap, type ReceiverCapOptions, type ReceiverPath, type ReceiverReportTuple } from './receiver-cap.ts';

/** `[seq, receivedAt]` (protocol/feedback.ts `UplinkAck`). */
export type UplinkAckTuple = readonly [number, number];

/** Options of `SenderRate`. */
export interface SenderRateOptions {
  /** The user's settings. Required. */
  ceilings: Ceilings;
  /** Passed on to the `RateController` (estimator, size model and start rate are this class's). */
  controller?: Omit<RateControllerOptions, 'estimator' | 'sizeModel' | 'ceilings' | 'startBps' | 'startQuality'>;
  /** Passed on to the `LinkEstimator`. Default `ackSlackMs` `DEFAULT_RELAY_ACK_SLACK_MS` (100). */
  estimator?: LinkEstimatorOptions;
  /** Passed on to the `ReceiverCap`. */
  receivers?: ReceiverCapOptions;
}

/**
 * How late a relay's ack may be before it counts as overdue, ms: two of its 50 ms ticks.
 * NOTE: the relay's tick is a timer in a busy event loop (it forwards every frame); with
 * the estimator's default 60 ms, a tick 10 ms late made a small frame look stuck — and
 * bytes / wait of a 2 KB frame is a "capacity" of a few hundred kbit/s on loopback.
 */
export const DEFAULT_RELAY_ACK_SLACK_MS = 100;

/** What the adaptation shows (stats overlay, `window.framewire.stats()`). */
export interface SenderRateFigures {
  /** Estimated capacity of the path to the relay, bit/s (null while unknown). */
  capacityBps: number | null;
  /** The rate aimed at, bit/s. */
  targetBps: number;
  /** Queue delay towards the relay, ms. */
  queueDelayMs: number;
  /** Cap from the fastest receiver, bit/s (null: none). */
  receiverCapBps: number | null;
  /** The last plan (null before the first). */
  plan: FramePlan | null;
  /** Frames acknowledged by the relay so far. */
  acked: number;
  /** Frames given up as lost so far. */
  lost: number;
}

export class SenderRate {
  readonly #estimator: LinkEstimator;
  readonly #model = new FrameSizeModel();
  readonly #receivers: ReceiverCap;
  readonly #controllerOptions: SenderRateOptions['controller'];
  #ceilings: Ceilings;
  #controller: RateController | null = null;
  #lastPlan: FramePlan | null = null;

  constructor(options: SenderRateOptions) {
    this.#ceilings = { ...options.ceilings };
    this.#controllerOptions = options.controller;
    this.#receivers = new ReceiverCap(options.receivers);
    this.#estimator = new LinkEstimator({ ackSlackMs: DEFAULT_RELAY_ACK_SLACK_MS, ...options.estimator });
  }

  /** True once the relay sent a `delivery`: from then on `plan()` decides. */
  get active(): boolean {
    return this.#controller !== null;
  }

  /** Frame `seq` of `bytes` went into the socket at `now` (local clock, ms). */
  onSent(seq: number, bytes: number, now: number): void {
    if (this.#controller !== null) this.#estimator.onSent(seq, bytes, now);
  }

  /** The session moved to a new connection (a resumed welcome): what was in flight on the old one is forgotten. */
  onConnectionReplaced(): void {
    this.#estimator.forgetInFlight();
  }

  /** A JPEG frame was encoded: `bytes` for `width`×`height` at `quality`. */
  observe(bytes: number, width: number, height: number, quality: number): void {
    this.#model.observe(bytes, width, height, quality);
  }

  /**
   * A `delivery` message arrived at `now` (local clock, ms); `offsetMs` = relay clock −
   * local clock. Starts the controller on the first one.
   */
  onDelivery(up: readonly UplinkAckTuple[], down: readonly ReceiverReportTuple[] | undefined, offsetMs: number, now: number): void {
    const controller = (this.#controller ??= this.#start());
    for (const [seq, receivedAt] of up) this.#estimator.onAck(seq, receivedAt - offsetMs, now);
    controller.setRateCap(this.#receivers.update(down ?? [], now));
  }

  /** The plan for the frame captured at `now` (local clock, ms), or null while passive (send as before). */
  plan(now: number): FramePlan | null {
    if (this.#controller === null) return null;
    this.#lastPlan = this.#controller.plan(now);
    return this.#lastPlan;
  }

  /** The user's settings changed. Throws `TypeError` if invalid. */
  setCeilings(ceilings: Ceilings): void {
    this.#ceilings = { ...ceilings };
    this.#controller?.setCeilings(ceilings);
  }

  /** What the relay last said about our path to `receiverId` (fresh at `now`), if anything. */
  receiverPath(receiverId: number, now: number): ReceiverPath | undefined {
    return this.#receivers.path(receiverId, now);
  }

  /** A receiver left. */
  forgetReceiver(receiverId: number): void {
    this.#receivers.forget(receiverId);
  }

  /** Figures for the stats, or null while passive. */
  figures(): SenderRateFigures | null {
    const controller = this.#controller;
    if (controller === null) return null;
    const e = this.#estimator;
    return {
      capacityBps: e.capacityBps,
      targetBps: controller.targetBps,
      queueDelayMs: e.queueDelayMs,
      receiverCapBps: controller.rateCapBps,
      plan: this.#lastPlan,
      acked: e.ackedFrames,
      lost: e.lostFrames,
    };
  }

  #start(): RateController {
    const c = this.#ceilings;
    // What the ceilings need, from the frames sent so far (the prior before any).
    const codec = c.codec ?? 'jpeg';
    const frameBytes = codec === 'bgra' ? this.#model.headerBytes + c.width * c.height * 4 : this.#model.predict(c.width, c.height, c.quality);
    return new RateController({
      ...this.#controllerOptions,
      estimator: this.#estimator,
      sizeModel: this.#model,
      ceilings: c,
      startBps: frameBytes * 8 * c.fps,
      startQuality: c.quality,
    });
  }
}

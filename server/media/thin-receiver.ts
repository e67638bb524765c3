/**
 * A thin receiver must not drag the others down: senders size their frames for their
 * fastest receiver, so a receiver on a thinner path gets a trickle of full-size frames. This
 * module watches every (source, receiver) pair where the receiver acks (ack mode) and, when
 * its path cannot carry the source's frames (thin-link-policy.ts: the decision, with
 * hysteresis), has the transcoder send it a smaller JPEG instead — scale and quality chosen
 * from a size model learned from sharp's outputs (jpeg-size-model.ts) to fit its budget at
 * `targetFps` — until its path recovers. The other receivers keep the sender's own bytes.
 *
 * Every change is told to the receiver with a `transcoding` message (`auto: true`, the
 * picture's size and quality, and why). A receiver's own `transcode` request for a pair
 * (either `jpeg` or `off`) wins: that pair is never switched automatically again (`pin`).
 *
 * Inputs: the relay's `frame` events (the source's fps and bitrate as it reaches the relay),
 * `relay.path` (queue delay) and `relay.sourcePath` (what the receiver acked of that source
 * over the last second). One timer per instance, every `tickMs` (250), while any source sends.
 */
import type { Frame } from '../../codec/index.ts';
import { Codec } from '../../codec/index.ts';
import type { TranscodingMessage } from '../../protocol/index.ts';
import { relayNow } from '../clock.ts';
import type { PathFigures, PeerInfo, SourceFigures } from '../relay.ts';
import { RateWindow } from '../session/rate-window.ts';
import { JpegSizeModel, MAX_QUALITY } from './jpeg-size-model.ts';
import { ThinLinkPolicy, type ThinLinkPolicyOptions } from './thin-link-policy.ts';
import type { AutoConverted, AutoTarget, Transcoder } from './transcoder.ts';

/** What `ThinReceivers` needs of the relay. */
export interface ThinReceiverRelay {
  peers(room: string): PeerInfo[];
  path(peerId: number): PathFigures | undefined;
  sourcePath(receiverId: number, sourceId: number): SourceFigures | undefined;
  sendControl(peerId: number, msg: object): boolean;
}

/** Options of `ThinReceivers`. */
export interface ThinReceiverOptions {
  /** Frame rate the budget is sized for while transcoding, fps. Default `DEFAULT_THIN_TARGET_FPS` (12). */
  targetFps?: number;
  /** Period of the decisions, ms. Default `DEFAULT_THIN_TICK_MS` (250). */
  tickMs?: number;
  /** The decision's thresholds (thin-link-policy.ts). Default its defaults. */
  policy?: ThinLinkPolicyOptions;
  /** The relay clock, ms (tests drive it). Default `relayNow`. */
  now?: () => number;
  /** Run the timer (false: tests call `tick`). Default true. */
  timer?: boolean;
}

export const DEFAULT_THIN_TARGET_FPS = 12;
export const DEFAULT_THIN_TICK_MS = 250;

/** A plan's picture is announced again when its size changes, or its quality by this much… */
const ANNOUNCE_QUALITY_STEP = 10;
/** …and not more often than this, ms (turning on and off is always announced). */
const ANNOUNCE_MIN_INTERVAL_MS = 1000;
/** "The source's own rate": a plan at this share of the source's fps is at the top. */
const TOP_FPS_SHARE = 0.9;

/** The picture sent to one receiver, and whether that is the whole picture at the source's rate. */
export interface ThinPlan {
  target: AutoTarget;
  /** Scale 1, top quality, ≥ 90 % of the source's fps: nothing left to gain but the originals. */
  atTop: boolean;
}

/**
 * The picture for a budget: at `targetFps` (or the source's fps, if lower) the largest
 * scale and best quality whose predicted size fits budget / 8 / fps; if the whole picture at
 * top quality fits with room to spare, more frames per second, up to the source's.
 */
export function planFor(budgetBps: number, sourceFps: number, width: number, height: number, model: JpegSizeModel, targetFps: number): ThinPlan {
  const baseFps = Math.max(1, Math.min(targetFps, sourceFps));
  const choice = model.choose(budgetBps / 8 / baseFps, width, height);
  let fps = baseFps;
  if (choice.scale === 1 && choice.quality === MAX_QUALITY) fps = Math.max(baseFps, Math.min(sourceFps, budgetBps / 8 / choice.bytes));
  return {
    target: { width: choice.width, height: choice.height, quality: choice.quality, fps },
    atTop: choice.scale === 1 && choice.quality === MAX_QUALITY && fps >= TOP_FPS_SHARE * sourceFps,
  };
}

interface SourceState {
  readonly room: string;
  readonly frames: RateWindow;
  readonly bytes: RateWindow;
  width: number;
  height: number;
  codec: number;
}

interface Pair {
  readonly policy: ThinLinkPolicy;
  readonly model: JpegSizeModel;
  plan: ThinPlan | undefined;
  /** The picture last announced, and when. */
  announced: AutoTarget | undefined;
  announcedAt: number;
}

export class ThinReceivers {
  readonly #relay: ThinReceiverRelay;
  readonly #transcoder: Transcoder;
  readonly #targetFps: number;
  readonly #tickMs: number;
  readonly #policy: ThinLinkPolicyOptions;
  readonly #now: () => number;
  readonly #useTimer: boolean;
  readonly #sources = new Map<number, SourceState>();
  /** sourceId → receiverId → pair. */
  readonly #pairs = new Map<number, Map<number, Pair>>();
  /** "receiverId:sourceId" of pairs the receiver chose for itself. */
  readonly #pinned = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(relay: ThinReceiverRelay, transcoder: Transcoder, options: ThinReceiverOptions = {}) {
    const targetFps = options.targetFps ?? DEFAULT_THIN_TARGET_FPS;
    const tickMs = options.tickMs ?? DEFAULT_THIN_TICK_MS;
    if (!(targetFps > 0) || !Number.isFinite(targetFps)) throw new TypeError(`targetFps must be a positive number [targetFps:${targetFps}]`);
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) throw new TypeError(`tickMs must be a positive number [tickMs:${tickMs}]`);
    new ThinLinkPolicy(options.policy); // rejects bad thresholds now, not at the first pair
    this.#relay = relay;
    this.#transcoder = transcoder;
    this.#targetFps = targetFps;
    this.#tickMs = tickMs;
    this.#policy = options.policy ?? {};
    this.#now = options.now ?? relayNow;
    this.#useTimer = options.timer ?? true;
  }

  /** Pairs converted automatically now. */
  get activeCount(): number {
    let n = 0;
    for (const byReceiver of this.#pairs.values()) for (const pair of byReceiver.values()) if (pair.policy.active) n++;
    return n;
  }

  /** The automatic picture `receiverId` gets of `sourceId`, if any. */
  planOf(receiverId: number, sourceId: number): ThinPlan | undefined {
    const pair = this.#pairs.get(sourceId)?.get(receiverId);
    return pair?.policy.active === true ? pair.plan : undefined;
  }

  /** A relayed video frame of `sourceId` in `room` (the relay's `frame` event). */
  onFrame(room: string, sourceId: number, frame: Frame): void {
    if (this.#closed || (frame.codec !== Codec.jpeg && frame.codec !== Codec.bgra)) return;
    let source = this.#sources.get(sourceId);
    if (source === undefined) {
      this.#sources.set(sourceId, (source = { room, frames: new RateWindow(), bytes: new RateWindow(), width: 0, height: 0, codec: frame.codec }));
    }
    const now = this.#now();
    source.frames.add(now, 1);
    source.bytes.add(now, frame.bytes.byteLength);
    source.width = frame.width;
    source.height = frame.height;
    source.codec = frame.codec;
    if (this.#useTimer) this.#timer ??= setInterval(() => this.tick(), this.#tickMs).unref();
  }

  /** The transcoder made a JPEG for a pair: learn its size. */
  learn(receiverId: number, sourceId: number, made: AutoConverted): void {
    this.#pairs.get(sourceId)?.get(receiverId)?.model.learn(made.width, made.height, made.quality, made.bytes);
  }

  /** `receiverId` asked for `sourceId` explicitly (`transcode`): stop converting automatically, for good. */
  pin(receiverId: number, sourceId: number): void {
    this.#pinned.add(`${receiverId}:${sourceId}`);
    const pair = this.#pairs.get(sourceId)?.get(receiverId);
    if (pair === undefined) return;
    if (pair.policy.active) this.#transcoder.setAuto(receiverId, sourceId, null);
    this.#pairs.get(sourceId)!.delete(receiverId);
  }

  /** A peer left: forget it as a source and as a receiver. */
  forget(peerId: number): void {
    this.#sources.delete(peerId);
    this.#pairs.delete(peerId);
    for (const byReceiver of this.#pairs.values()) byReceiver.delete(peerId);
    for (const key of this.#pinned) if (key.startsWith(`${peerId}:`) || key.endsWith(`:${peerId}`)) this.#pinned.delete(key);
    if (this.#sources.size === 0) this.#stop();
  }

  /** One round of decisions (the timer calls it; public for tests). */
  tick(): void {
    if (this.#closed) return;
    const now = this.#now();
    for (const [sourceId, source] of this.#sources) {
      const sourceFps = source.frames.rate(now);
      if (sourceFps < 1) continue; // paused or not started: nothing to judge
      const sourceBps = source.bytes.rate(now) * 8;
      for (const receiver of this.#relay.peers(source.room)) {
        if (receiver.id === sourceId || this.#pinned.has(`${receiver.id}:${sourceId}`)) continue;
        const path = this.#relay.path(receiver.id);
        if (path === undefined || !path.ackMode) continue;
        const figures = this.#relay.sourcePath(receiver.id, sourceId);
        const pair = this.#pair(sourceId, receiver.id);
        const state = pair.policy.update({
          now,
          sourceFps,
          sourceBps,
          deliveredFps: figures?.fps ?? 0,
          deliveredBps: figures?.goodputBps ?? 0,
          droppedPerSecond: figures?.droppedPerSecond ?? 0,
          queueDelayMs: path.queueDelayMs,
          atTop: pair.plan?.atTop,
          planFps: pair.plan?.target.fps,
        });
        if (!state.active) {
          pair.plan = undefined;
          if (state.changed) this.#turnOff(receiver.id, sourceId, pair, figures);
          continue;
        }
        // A JPEG source tells how detailed its picture is before the first conversion does.
        if (state.changed && !pair.model.learned && source.codec === Codec.jpeg) pair.model.seed(source.width, source.height, sourceBps / 8 / sourceFps);
        pair.plan = planFor(state.budgetBps, sourceFps, source.width, source.height, pair.model, this.#targetFps);
        this.#transcoder.setAuto(receiver.id, sourceId, pair.plan.target);
        this.#announce(receiver.id, sourceId, pair, now, state.changed, figures?.goodputBps ?? 0, sourceBps, state.budgetBps);
      }
    }
  }

  /** Stops the timer and every automatic conversion (their receivers get the originals again). Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#stop();
    for (const [sourceId, byReceiver] of this.#pairs) {
      for (const [receiverId, pair] of byReceiver) if (pair.policy.active) this.#transcoder.setAuto(receiverId, sourceId, null);
    }
    this.#pairs.clear();
    this.#sources.clear();
  }

  #pair(sourceId: number, receiverId: number): Pair {
    let byReceiver = this.#pairs.get(sourceId);
    if (byReceiver === undefined) this.#pairs.set(sourceId, (byReceiver = new Map()));
    let pair = byReceiver.get(receiverId);
    if (pair === undefined) {
      pair = { policy: new ThinLinkPolicy(this.#policy), model: new JpegSizeModel(), plan: undefined, announced: undefined, announcedAt: Number.NEGATIVE_INFINITY };
      byReceiver.set(receiverId, pair);
    }
    return pair;
  }

  #turnOff(receiverId: number, sourceId: number, pair: Pair, figures: SourceFigures | undefined): void {
    this.#transcoder.setAuto(receiverId, sourceId, null);
    pair.announced = undefined;
    const reason = `your link carries ≈ ${mbps(figures?.goodputBps ?? 0)} Mbit/s of this source: back to its own frames`;
    const msg: TranscodingMessage = { type: 'transcoding', from: sourceId, codec: 'off', auto: true, reason };
    this.#relay.sendControl(receiverId, msg);
  }

  #announce(receiverId: number, sourceId: number, pair: Pair, now: number, turnedOn: boolean, goodputBps: number, sourceBps: number, budgetBps: number): void {
    const t = pair.plan!.target;
    const last = pair.announced;
    const moved = last === undefined || last.width !== t.width || last.height !== t.height || Math.abs(last.quality - t.quality) >= ANNOUNCE_QUALITY_STEP;
    if (!turnedOn && (!moved || now - pair.announcedAt < ANNOUNCE_MIN_INTERVAL_MS)) return;
    pair.announced = { ...t };
    pair.announcedAt = now;
    const reason = turnedOn
      ? `your link ≈ ${mbps(goodputBps)} Mbit/s, this source sends ${mbps(sourceBps)} Mbit/s`
      : `your link ≈ ${mbps(budgetBps)} Mbit/s`;
    const msg: TranscodingMessage = { type: 'transcoding', from: sourceId, codec: 'jpeg', quality: t.quality, auto: true, width: t.width, height: t.height, reason };
    this.#relay.sendControl(receiverId, msg);
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** bit/s as Mbit/s with one decimal. */
function mbps(bps: number): string {
  return (bps / 1e6).toFixed(1);
}

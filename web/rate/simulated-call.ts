/**
 * Drives a sender through a `SimulatedLink` in simulated time, for tests: camera ticks at
 * `cameraFps`, the controller plans each frame, a deterministic "encoder" sizes it from a
 * content model (with seeded noise), the link delivers or drops it, the far end
 * acknowledges arrivals in batches that come back after the return delay. Records every
 * tick: the plan, the frame's bytes, its glass-to-glass delay (arrival − capture; encode
 * and paint take no time here) and what the estimator believed.
 */
import { mulberry32 } from '../../codec/test-support/prng.ts';
import { summarize, type Summary } from '../stats/percentile.ts';
import { DEFAULT_FRAME_HEADER_BYTES } from './frame-size-model.ts';
import { DEFAULT_CEILINGS, type Ceilings, type FrameCodec, type RateController } from './rate-controller.ts';
import type { SimulatedLink } from './simulated-link.ts';

/** Options of `simulateCall`. */
export interface SimulatedCallOptions {
  /** The bottleneck. */
  link: SimulatedLink;
  /** Simulated call length, ms. */
  durationMs: number;
  /** Camera frame rate (plan is asked once per captured frame). Default `DEFAULT_CAMERA_FPS` (30). */
  cameraFps?: number;
  /** The controller under test (its `estimator` is fed the sends and acks). Default none: every frame sent at `fixed`. */
  controller?: RateController;
  /** Without a controller: every frame at this size, quality and codec. Default `DEFAULT_CEILINGS` (640×480 q70 JPEG). */
  fixed?: Ceilings;
  /** The content: JPEG bytes per pixel at `quality` for a `width`×`height` picture. Default `defaultContentBytesPerPixel`. */
  contentBytesPerPixel?: (quality: number, width: number, height: number) => number;
  /** Bytes of every frame besides the pixels. Default `DEFAULT_FRAME_HEADER_BYTES` (640). */
  headerBytes?: number;
  /** Relative spread of JPEG sizes around the content model (uniform ±). Default `DEFAULT_SIZE_NOISE` (0.15). */
  sizeNoise?: number;
  /** Random source in [0, 1). Default mulberry32 seeded with 1. */
  random?: () => number;
  /** The far end sends an ack batch every this many ms. Default `DEFAULT_ACK_INTERVAL_MS` (50). */
  ackIntervalMs?: number;
  /** Far end → sender delay of an ack batch, ms. Default the link's propagation delay. */
  returnDelayMs?: number;
}

export const DEFAULT_CAMERA_FPS = 30;
export const DEFAULT_SIZE_NOISE = 0.15;
export const DEFAULT_ACK_INTERVAL_MS = 50;

/** One camera tick. */
export interface TickRecord {
  /** Capture (and send) time, ms. */
  at: number;
  sent: boolean;
  codec: FrameCodec;
  width: number;
  height: number;
  quality: number;
  /** The paced frame rate the controller chose (or the camera's). */
  fps: number;
  targetBps: number;
  reason: string;
  /** Bytes on the wire (0 when skipped). */
  bytes: number;
  /** Arrival at the far end, ms (null: skipped or dropped). */
  arrivedAt: number | null;
  /** Glass-to-glass delay, ms (null: skipped or dropped). */
  delayMs: number | null;
  /** The estimator's capacity and queue delay at planning time (null without a controller). */
  capacityBps: number | null;
  queueDelayMs: number | null;
}

/** Figures of a stretch of a simulated call. */
export interface CallSummary {
  /** Glass-to-glass delay of the frames captured in the stretch that arrived, ms. */
  delay: Summary;
  /** Frames arrived per second. */
  fps: number;
  /** Mean bytes, quality, width and height of the frames sent. */
  meanBytes: number;
  meanQuality: number;
  meanWidth: number;
  meanHeight: number;
  /** Times the sent resolution changed. */
  resolutionChanges: number;
  /** Frames sent, skipped, and lost (sent, never arrived). */
  sent: number;
  skipped: number;
  lost: number;
}

/** A plausible camera picture: bytes per pixel of a baseline JPEG, slightly higher on small pictures. */
export function defaultContentBytesPerPixel(quality: number, width: number, height: number): number {
  return (0.012 + 0.13 * (quality / 100) ** 1.8) * ((640 * 480) / (width * height)) ** 0.1;
}

/** Runs the call; the records are in tick order. */
export function simulateCall(options: SimulatedCallOptions): TickRecord[] {
  const { link, durationMs, controller } = options;
  const cameraFps = options.cameraFps ?? DEFAULT_CAMERA_FPS;
  const fixed: Required<Ceilings> = { ...DEFAULT_CEILINGS, ...options.fixed };
  const content = options.contentBytesPerPixel ?? defaultContentBytesPerPixel;
  const header = options.headerBytes ?? DEFAULT_FRAME_HEADER_BYTES;
  const noise = options.sizeNoise ?? DEFAULT_SIZE_NOISE;
  const random = options.random ?? mulberry32(1);
  const ackInterval = options.ackIntervalMs ?? DEFAULT_ACK_INTERVAL_MS;
  const returnDelay = options.returnDelayMs ?? link.propagationMs;
  if (!(durationMs > 0) || !(cameraFps > 0) || !(ackInterval > 0) || !(returnDelay >= 0) || !(noise >= 0 && noise < 1)) {
    throw new TypeError(
      `bad simulation [durationMs:${durationMs}, cameraFps:${cameraFps}, ackIntervalMs:${ackInterval}, returnDelayMs:${returnDelay}, sizeNoise:${noise}]`,
    );
  }
  const estimator = controller?.estimator;
  /** Acks on their way back, in delivery order. */
  const acks: Array<{ seq: number; arrivedAt: number; deliverAt: number }> = [];
  const records: TickRecord[] = [];
  let seq = 0;

  for (let i = 0; ; i++) {
    const at = (i * 1000) / cameraFps;
    if (at >= durationMs) break;
    while (acks.length > 0 && acks[0]!.deliverAt <= at) {
      const ack = acks.shift()!;
      estimator?.onAck(ack.seq, ack.arrivedAt, ack.deliverAt);
    }
    const plan = controller?.plan(at) ?? { ...fixed, send: true, targetBps: 0, reason: 'fixed', fps: fixed.fps };
    const record: TickRecord = {
      at,
      sent: plan.send,
      codec: plan.codec,
      width: plan.width,
      height: plan.height,
      quality: plan.quality,
      fps: plan.fps,
      targetBps: plan.targetBps,
      reason: plan.reason,
      bytes: 0,
      arrivedAt: null,
      delayMs: null,
      capacityBps: estimator?.capacityBps ?? null,
      queueDelayMs: estimator?.queueDelayMs ?? null,
    };
    records.push(record);
    if (!plan.send) continue;
    const pixels = plan.width * plan.height;
    const bytes =
      plan.codec === 'bgra'
        ? header + pixels * 4
        : Math.round(header + pixels * content(plan.quality, plan.width, plan.height) * (1 + noise * (2 * random() - 1)));
    if (plan.codec === 'jpeg') controller?.observe(bytes, plan.width, plan.height, plan.quality);
    record.bytes = bytes;
    const frameSeq = seq++;
    estimator?.onSent(frameSeq, bytes, at);
    const arrivedAt = link.send(bytes, at);
    if (arrivedAt === null) continue;
    record.arrivedAt = arrivedAt;
    record.delayMs = arrivedAt - at;
    acks.push({ seq: frameSeq, arrivedAt, deliverAt: Math.ceil(arrivedAt / ackInterval) * ackInterval + returnDelay });
  }
  return records;
}

/** Figures of the ticks captured in [`fromMs`, `toMs`). */
export function summarizeCall(records: readonly TickRecord[], fromMs: number, toMs: number): CallSummary {
  const ticks = records.filter((r) => r.at >= fromMs && r.at < toMs);
  const sent = ticks.filter((r) => r.sent);
  const arrived = sent.filter((r) => r.delayMs !== null);
  const mean = (pick: (r: TickRecord) => number): number => (sent.length === 0 ? Number.NaN : sent.reduce((t, r) => t + pick(r), 0) / sent.length);
  let changes = 0;
  for (let i = 1; i < sent.length; i++) {
    if (sent[i]!.width !== sent[i - 1]!.width || sent[i]!.height !== sent[i - 1]!.height) changes++;
  }
  return {
    delay: summarize(arrived.map((r) => r.delayMs!)),
    fps: (arrived.length * 1000) / (toMs - fromMs),
    meanBytes: mean((r) => r.bytes),
    meanQuality: mean((r) => r.quality),
    meanWidth: mean((r) => r.width),
    meanHeight: mean((r) => r.height),
    resolutionChanges: changes,
    sent: sent.length,
    skipped: ticks.length - sent.length,
    lost: sent.length - arrived.length,
  };
}

/**
 * Delivery feedback (congestion control, docs/protocol.md › Delivery feedback): receivers
 * acknowledge the frames they got, the relay acknowledges frames to their sender and tells
 * it how each receiver's path is doing. Both are batched JSON control messages — one
 * every ~50 ms while frames flow, never one per frame — with arrays of tuples to stay small.
 * All times are on the relay's clock (ms since the epoch, sub-millisecond).
 */
import { RelayError } from './relay-error.ts';
import type { RawControl } from './client-messages.ts';

/** One received frame: source peer id, its seq, when it was received (relay clock, ms). */
export type AckEntry = [sourceId: number, seq: number, receivedAt: number];

/** receiver → relay: the frames received since the last ack. */
export interface AckRequest {
  type: 'ack';
  frames: AckEntry[];
}

/** One frame the relay received from the sender: its seq, when it arrived (relay clock, ms). */
export type UplinkAck = [seq: number, receivedAt: number];

/**
 * How the relay → receiver path is doing for this sender's frames, over the last second:
 * receiver id, delivered goodput (bit/s), queue delay (ms: relay send → receiver ack, above
 * its recent minimum), frames delivered per second, frames dropped by the relay per second.
 */
export type ReceiverReport = [receiverId: number, goodputBps: number, queueDelayMs: number, fps: number, droppedPerSecond: number];

/** relay → sender: its frames that reached the relay, and each receiver's path. */
export interface DeliveryMessage {
  type: 'delivery';
  /** Frames that reached the relay since the last delivery message. */
  up: UplinkAck[];
  /** One report per receiver of this sender's frames (absent while there are none). */
  down?: ReceiverReport[];
}

/** Most entries one `ack` may carry (a receiver batching 50 ms of 7 sources at 30 fps needs ~11). */
export const MAX_ACK_ENTRIES = 512;

/** Checks an `ack` message's entries. Throws `RelayError` `bad-message`. */
export function ackFramesOf(msg: RawControl): AckEntry[] {
  const frames = msg['frames'];
  if (!Array.isArray(frames)) throw RelayError.badMessage('ack', '"frames" must be an array of [sourceId, seq, receivedAt]');
  if (frames.length > MAX_ACK_ENTRIES) throw RelayError.badMessage('ack', `too many entries [entries:${frames.length}, max:${MAX_ACK_ENTRIES}]`);
  for (const entry of frames) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 3 ||
      !isU32(entry[0]) ||
      !isU32(entry[1]) ||
      typeof entry[2] !== 'number' ||
      !Number.isFinite(entry[2])
    ) {
      throw RelayError.badMessage('ack', '"frames" entries must be [sourceId u32, seq u32, receivedAt ms]');
    }
  }
  return frames as AckEntry[];
}

function isU32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

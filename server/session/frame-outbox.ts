/**
 * The frame queue of ONE receiver: the relay's backpressure, per STREAM — a source's frames
 * of one kind (video or audio, from the codec byte; see `streamKindOf`).
 *
 * Per stream, at most `maxInFlight` frames are handed to the receiver's channel and not yet
 * flushed, plus a bounded queue of waiting frames whose size is the kind's policy:
 * - video: ONE waiting frame, latest wins. A new frame replaces the waiting one (the older
 *   is dropped and counted): a receiver that stops reading holds at most `maxInFlight + 1`
 *   frames per source, bounded in time (≈ one frame interval) rather than bytes.
 * - audio: a short FIFO (`audioQueueFrames`, default 16) — audio is never latest-wins
 *   dropped (a gap is audible); only on overflow is the OLDEST waiting frame dropped and counted.
 * Streams are independent: a frame of one kind never evicts a frame of another, and other
 * receivers never wait for this one (the same bytes go to each receiver independently).
 *
 * Two ways to decide when a frame has left (docs/architecture.md › Backpressure):
 * - flush-based (every receiver until it acks): per stream, at most `maxInFlight` frames
 *   handed to the channel and not yet flushed (the channel's write callback);
 * - ack mode (`enableAcks`, once the receiver has sent an `ack`): a frame is in flight until
 *   the receiver acknowledges it, and ONE `AckWindow` bounds the bytes in flight across all
 *   streams. Frames beyond it wait in the same per-stream queues; when the window opens,
 *   waiting audio goes first, then the oldest waiting video frame, so no source starves.
 *   Audio may overdraw the window by `AUDIO_WINDOW_ALLOWANCE_BYTES`, so a window full of
 *   video does not hold the sound back for a round trip.
 *
 * The outbox never copies: it passes the caller's bytes to `send`. Nor does it allocate per
 * frame: each stream slot has ONE send callback, reused for all its frames (a channel calls
 * write callbacks in write order, so the slot knows which frame each call is about), and
 * its queue is a fixed ring.
 */
import { isAudioCodec, Offset } from '../../codec/index.ts';
import type { AckWindow } from './ack-window.ts';

/**
 * Hands `bytes` to the channel, which calls `done` once they are flushed (or failed) —
 * later, never before `send` returns, and in send order. Returns 'flushed' if the channel
 * took them synchronously with nothing left in its user-space buffer (the frame does not
 * count as in flight; `done` is still called once, and ignored), 'in-flight' if they wait
 * in its buffer, 'failed' if the channel cannot take them (`done` is not called).
 */
export type SendFrame = (bytes: Uint8Array, done: (error?: Error | null) => void) => SendResult;

/** What the channel did with a frame: see `SendFrame`. */
export type SendResult = 'flushed' | 'in-flight' | 'failed';

/** The kinds of streams, each with its own queue policy. */
export type StreamKind = 'video' | 'audio';

/** Options of `FrameOutbox`. */
export interface FrameOutboxOptions {
  /** Sends one frame to the receiver's channel. Required. */
  send: SendFrame;
  /** Frames per stream sent and not yet flushed before newer ones wait. Default `DEFAULT_MAX_IN_FLIGHT` (1). */
  maxInFlight?: number;
  /** Audio frames waiting per stream before the oldest is dropped. Default `DEFAULT_AUDIO_QUEUE_FRAMES` (16). */
  audioQueueFrames?: number;
  /** Called for each frame dropped (replaced by a newer video frame, or the oldest of a full audio queue). Default none. */
  onDrop?: (sourceId: number, dropped: Uint8Array) => void;
}

export const DEFAULT_MAX_IN_FLIGHT = 1;
export const DEFAULT_AUDIO_QUEUE_FRAMES = 16;
/** Ack mode: bytes an audio frame may go beyond a full ack window (audio is small and must not wait behind video). */
export const AUDIO_WINDOW_ALLOWANCE_BYTES = 4096;
/** Waiting video frames per stream: one, so the newest wins. */
export const VIDEO_QUEUE_FRAMES = 1;

/** The stream kind of a codec byte: opus and pcm are audio, everything else (jpeg, bgra, rgba, vp8, h264, unknown) video. */
export function streamKindOf(codec: number): StreamKind {
  return isAudioCodec(codec) ? 'audio' : 'video';
}

/** One acknowledged frame: source id, seq, receive time (relay clock, ms) — an `ack` entry. */
export type AckedFrame = readonly [sourceId: number, seq: number, receivedAt: number];

/** The write callback of frames sent in ack mode: the ack, not the flush, releases them. */
const IGNORE_FLUSH = (): void => undefined;

/** What `push` did with a frame. */
export type PushResult = 'sent' | 'queued' | 'closed';

interface StreamSlot {
  readonly sourceId: number;
  readonly audio: boolean;
  /** Frames handed to the channel and not yet flushed. */
  inFlight: number;
  /** Waiting frames: a ring of fixed capacity, oldest at `head`. */
  readonly queue: (Uint8Array | undefined)[];
  /** Push number of each waiting frame (same ring), to send the oldest first in ack mode. */
  readonly order: Float64Array;
  head: number;
  waiting: number;
  /** One entry per send callback still to come, in send order: the frame's bytes if it counts in flight, else 0. */
  readonly owed: number[];
  /** The send callback of every frame of this stream. */
  readonly done: (error?: Error | null) => void;
}

export class FrameOutbox {
  #send: SendFrame;
  #maxInFlight: number;
  #audioQueue: number;
  #onDrop: (sourceId: number, dropped: Uint8Array) => void;
  /** Stream slots by source id, one map per kind (so kinds never share a queue). */
  #video = new Map<number, StreamSlot>();
  #audio = new Map<number, StreamSlot>();
  #drops = new Map<number, number>();
  #audioDrops = new Map<number, number>();
  #dropsTotal = 0;
  #closed = false;
  /** Frames waiting, all streams. */
  #waiting = 0;
  /** Bytes of the frames handed to the channel and not yet flushed (flush-based streams). */
  #flushBytes = 0;
  /** Bytes of the waiting frames, all streams. */
  #waitingBytes = 0;
  /** Frames queued so far (the `order` of the next one). */
  #queued = 0;
  /** Set once the receiver acks: frames are then released by its acks (see `enableAcks`). */
  #window: AckWindow | undefined;

  constructor(options: FrameOutboxOptions) {
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new TypeError(`maxInFlight must be an integer >= 1 [maxInFlight:${maxInFlight}]`);
    }
    const audioQueue = options.audioQueueFrames ?? DEFAULT_AUDIO_QUEUE_FRAMES;
    if (!Number.isInteger(audioQueue) || audioQueue < 1) {
      throw new TypeError(`audioQueueFrames must be an integer >= 1 [audioQueueFrames:${audioQueue}]`);
    }
    this.#send = options.send;
    this.#maxInFlight = maxInFlight;
    this.#audioQueue = audioQueue;
    this.#onDrop = options.onDrop ?? (() => undefined);
  }

  /** Sends `bytes` now if its stream has room in flight, else queues it by the kind's policy. Default kind 'video'. */
  push(sourceId: number, bytes: Uint8Array, kind: StreamKind = 'video'): PushResult {
    if (this.#closed) return 'closed';
    const slots = kind === 'audio' ? this.#audio : this.#video;
    let slot = slots.get(sourceId);
    if (slot === undefined) slots.set(sourceId, (slot = this.#newSlot(sourceId, kind === 'audio')));
    const window = this.#window;
    if (window === undefined) {
      if (slot.inFlight < this.#maxInFlight && slot.waiting === 0) {
        this.#sendNow(slot, bytes);
        return 'sent';
      }
    } else if (kind === 'audio' ? slot.waiting === 0 && window.canSend(bytes.byteLength, AUDIO_WINDOW_ALLOWANCE_BYTES) : this.#waiting === 0 && window.canSend(bytes.byteLength)) {
      // Ack mode: video waits behind any waiting frame (oldest first); audio only behind its own
      // stream, and may overdraw a full window a little.
      this.#sendAcked(slot, bytes);
      return 'sent';
    }
    const capacity = slot.queue.length;
    if (slot.waiting === capacity) {
      // Full: drop the oldest (for video, with one place, that is "latest wins").
      this.#drop(slot, this.#dequeue(slot));
    }
    const at = (slot.head + slot.waiting) % capacity;
    slot.queue[at] = bytes;
    slot.order[at] = this.#queued++;
    slot.waiting++;
    this.#waiting++;
    this.#waitingBytes += bytes.byteLength;
    return 'queued';
  }

  /**
   * Ack mode from now on: frames are released by `ack` (or expiry) through `window` instead of
   * by the channel's flush. Frames already handed to the channel are not tracked. Once only.
   */
  enableAcks(window: AckWindow): void {
    if (this.#window !== undefined) throw new TypeError('ack mode is already enabled');
    this.#window = window;
    this.#drain();
  }

  /** The ack window, once in ack mode. */
  get window(): AckWindow | undefined {
    return this.#window;
  }

  /** One `ack` batch from the receiver (ack mode): releases those frames and sends what now fits. */
  ack(frames: readonly AckedFrame[]): void {
    const window = this.#window;
    if (window === undefined) return;
    for (const [sourceId, seq, receivedAt] of frames) window.ack(sourceId, seq, receivedAt);
    window.endBatch();
    this.#drain();
  }

  /** Releases expired frames in flight (ack mode; the relay calls it on its feedback tick) and sends what now fits. */
  expire(): void {
    if (this.#window !== undefined && this.#window.expire() > 0) this.#drain();
  }

  /** Ack mode: the frames in flight went out on a connection that is gone (a resume): lost now, and the window refills. */
  loseInFlight(): void {
    if (this.#window !== undefined && this.#window.loseInFlight() > 0) this.#drain();
  }

  /** Frames dropped so far, per source id (all kinds). */
  drops(): Map<number, number> {
    return new Map(this.#drops);
  }

  /** Audio frames dropped so far (oldest of a full queue), per source id — also counted in `drops()`. */
  audioDrops(): Map<number, number> {
    return new Map(this.#audioDrops);
  }

  /** Frames dropped so far, all sources. */
  get dropsTotal(): number {
    return this.#dropsTotal;
  }

  /** Bytes of the frames waiting (not yet handed to the channel), all streams. */
  get waitingBytes(): number {
    return this.#waitingBytes;
  }

  /** Frames waiting (not yet handed to the channel), all streams. */
  get pendingCount(): number {
    return this.#waiting;
  }

  /**
   * Bytes of frames the channel may still hold: handed to it and not yet flushed, plus (ack
   * mode) sent and not yet acknowledged. What else the channel buffers is control messages.
   */
  get frameBytesInFlight(): number {
    return Math.max(0, this.#flushBytes) + (this.#window?.inFlightBytes ?? 0);
  }

  /** Frames handed to the channel and not yet flushed, all streams. */
  get inFlightCount(): number {
    let n = 0;
    for (const slot of this.#video.values()) n += slot.inFlight;
    for (const slot of this.#audio.values()) n += slot.inFlight;
    return n;
  }

  /** Discards the waiting frames of every stream of `sourceId` (it left, or was excluded); not counted as drops. */
  forget(sourceId: number): void {
    for (const slots of [this.#video, this.#audio]) {
      const slot = slots.get(sourceId);
      if (slot === undefined) continue;
      this.#clearQueue(slot);
      if (slot.inFlight === 0) slots.delete(sourceId);
    }
    this.#window?.forget(sourceId);
  }

  /** Discards every waiting frame; later pushes are refused. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#video.values()) this.#clearQueue(slot);
    for (const slot of this.#audio.values()) this.#clearQueue(slot);
  }

  #newSlot(sourceId: number, audio: boolean): StreamSlot {
    const capacity = audio ? this.#audioQueue : VIDEO_QUEUE_FRAMES;
    const slot: StreamSlot = {
      sourceId,
      audio,
      inFlight: 0,
      queue: new Array<Uint8Array | undefined>(capacity).fill(undefined),
      order: new Float64Array(capacity),
      head: 0,
      waiting: 0,
      owed: [],
      done: (error) => this.#onSent(slot, error),
    };
    return slot;
  }

  #sendNow(slot: StreamSlot, bytes: Uint8Array): void {
    const result = this.#send(bytes, slot.done);
    if (result === 'failed') {
      this.close();
      return;
    }
    const owed = result === 'in-flight' ? Math.max(1, bytes.byteLength) : 0;
    if (owed > 0) {
      slot.inFlight++;
      this.#flushBytes += owed;
    }
    slot.owed.push(owed);
  }

  /** The channel is done with the oldest frame of `slot` it still owed a callback for. */
  #onSent(slot: StreamSlot, error: Error | null | undefined): void {
    // A frame flushed synchronously was never in flight: its callback (and error) changes nothing.
    const owed = slot.owed.shift() ?? 0;
    if (owed === 0) return;
    slot.inFlight--;
    this.#flushBytes -= owed;
    if (error) {
      this.close();
      return;
    }
    // In ack mode (a frame sent before the switch), acks refill; else the room in flight, oldest first.
    while (!this.#closed && this.#window === undefined && slot.waiting > 0 && slot.inFlight < this.#maxInFlight) {
      this.#sendNow(slot, this.#dequeue(slot));
    }
  }

  /** Ack mode: sends waiting frames while the window has room — audio first, then video, oldest first. */
  #drain(): void {
    const window = this.#window!;
    while (!this.#closed && this.#waiting > 0) {
      const slot = oldestWaiting(this.#audio) ?? oldestWaiting(this.#video);
      if (slot === undefined || !window.canSend(slot.queue[slot.head]!.byteLength, slot.audio ? AUDIO_WINDOW_ALLOWANCE_BYTES : 0)) return;
      this.#sendAcked(slot, this.#dequeue(slot));
    }
  }

  #sendAcked(slot: StreamSlot, bytes: Uint8Array): void {
    if (this.#send(bytes, IGNORE_FLUSH) === 'failed') {
      this.close();
      return;
    }
    this.#window!.sent(slot.sourceId, readSeq(bytes), bytes.byteLength);
  }

  /** Takes the oldest waiting frame of `slot` (there is one). */
  #dequeue(slot: StreamSlot): Uint8Array {
    const bytes = slot.queue[slot.head]!;
    slot.queue[slot.head] = undefined;
    slot.head = (slot.head + 1) % slot.queue.length;
    slot.waiting--;
    this.#waiting--;
    this.#waitingBytes -= bytes.byteLength;
    return bytes;
  }

  #clearQueue(slot: StreamSlot): void {
    for (const bytes of slot.queue) if (bytes !== undefined) this.#waitingBytes -= bytes.byteLength;
    this.#waiting -= slot.waiting;
    slot.queue.fill(undefined);
    slot.head = 0;
    slot.waiting = 0;
  }

  #drop(slot: StreamSlot, bytes: Uint8Array): void {
    const sourceId = slot.sourceId;
    this.#drops.set(sourceId, (this.#drops.get(sourceId) ?? 0) + 1);
    if (slot.audio) this.#audioDrops.set(sourceId, (this.#audioDrops.get(sourceId) ?? 0) + 1);
    this.#dropsTotal++;
    this.#window?.dropped(sourceId);
    this.#onDrop(sourceId, bytes);
  }
}

/** The slot whose head frame was queued first, of those with a waiting frame. */
function oldestWaiting(slots: Map<number, StreamSlot>): StreamSlot | undefined {
  let oldest: StreamSlot | undefined;
  for (const slot of slots.values()) {
    if (slot.waiting > 0 && (oldest === undefined || slot.order[slot.head]! < oldest.order[oldest.head]!)) oldest = slot;
  }
  return oldest;
}

/** The seq field of an encoded frame (u32 big-endian at offset 16); 0 for bytes too short to hold one. */
function readSeq(bytes: Uint8Array): number {
  if (bytes.byteLength < Offset.seq + 4) return 0;
  return ((bytes[Offset.seq]! << 24) | (bytes[Offset.seq + 1]! << 16) | (bytes[Offset.seq + 2]! << 8) | bytes[Offset.seq + 3]!) >>> 0;
}

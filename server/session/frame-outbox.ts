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
 * The outbox never copies: it passes the caller's bytes to `send`. Nor does it allocate per
 * frame: each stream slot has ONE send callback, reused for all its frames (a channel calls
 * write callbacks in write order, so the slot knows which frame each call is about), and
 * its queue is a fixed ring.
 */
import { Codec } from '../../codec/index.ts';

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
/** Waiting video frames per stream: one, so the newest wins. */
export const VIDEO_QUEUE_FRAMES = 1;

const AUDIO_CODECS: ReadonlySet<number> = new Set<number>([Codec.opus, Codec.pcm]);

/** The stream kind of a codec byte: opus and pcm are audio, everything else (jpeg, bgra, rgba, vp8, h264, unknown) video. */
export function streamKindOf(codec: number): StreamKind {
  return AUDIO_CODECS.has(codec) ? 'audio' : 'video';
}

/** What `push` did with a frame. */
export type PushResult = 'sent' | 'queued' | 'closed';

interface StreamSlot {
  readonly sourceId: number;
  /** Frames handed to the channel and not yet flushed. */
  inFlight: number;
  /** Waiting frames: a ring of fixed capacity, oldest at `head`. */
  readonly queue: (Uint8Array | undefined)[];
  head: number;
  waiting: number;
  /** One entry per send callback still to come, in send order: true if that frame counts in flight. */
  readonly owed: boolean[];
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
  #dropsTotal = 0;
  #closed = false;

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
    if (slot === undefined) slots.set(sourceId, (slot = this.#newSlot(sourceId, kind === 'audio' ? this.#audioQueue : VIDEO_QUEUE_FRAMES)));
    if (slot.inFlight < this.#maxInFlight && slot.waiting === 0) {
      this.#sendNow(slot, bytes);
      return 'sent';
    }
    const capacity = slot.queue.length;
    if (slot.waiting === capacity) {
      // Full: drop the oldest (for video, with one place, that is "latest wins").
      const oldest = slot.queue[slot.head]!;
      slot.queue[slot.head] = undefined;
      slot.head = (slot.head + 1) % capacity;
      slot.waiting--;
      this.#drop(slot.sourceId, oldest);
    }
    slot.queue[(slot.head + slot.waiting) % capacity] = bytes;
    slot.waiting++;
    return 'queued';
  }

  /** Frames dropped so far, per source id (all kinds). */
  drops(): Map<number, number> {
    return new Map(this.#drops);
  }

  /** Frames dropped so far, all sources. */
  get dropsTotal(): number {
    return this.#dropsTotal;
  }

  /** Frames waiting (not yet handed to the channel), all streams. */
  get pendingCount(): number {
    let n = 0;
    for (const slot of this.#video.values()) n += slot.waiting;
    for (const slot of this.#audio.values()) n += slot.waiting;
    return n;
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
      clearQueue(slot);
      if (slot.inFlight === 0) slots.delete(sourceId);
    }
  }

  /** Discards every waiting frame; later pushes are refused. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#video.values()) clearQueue(slot);
    for (const slot of this.#audio.values()) clearQueue(slot);
  }

  #newSlot(sourceId: number, capacity: number): StreamSlot {
    const slot: StreamSlot = {
      sourceId,
      inFlight: 0,
      queue: new Array<Uint8Array | undefined>(capacity).fill(undefined),
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
    const counted = result === 'in-flight';
    if (counted) slot.inFlight++;
    slot.owed.push(counted);
  }

  /** The channel is done with the oldest frame of `slot` it still owed a callback for. */
  #onSent(slot: StreamSlot, error: Error | null | undefined): void {
    // A frame flushed synchronously was never in flight: its callback (and error) changes nothing.
    if (slot.owed.shift() !== true) return;
    slot.inFlight--;
    if (error) {
      this.close();
      return;
    }
    // Refill the room in flight from the queue, oldest first.
    while (!this.#closed && slot.waiting > 0 && slot.inFlight < this.#maxInFlight) {
      const next = slot.queue[slot.head]!;
      slot.queue[slot.head] = undefined;
      slot.head = (slot.head + 1) % slot.queue.length;
      slot.waiting--;
      this.#sendNow(slot, next);
    }
  }

  #drop(sourceId: number, bytes: Uint8Array): void {
    this.#drops.set(sourceId, (this.#drops.get(sourceId) ?? 0) + 1);
    this.#dropsTotal++;
    this.#onDrop(sourceId, bytes);
  }
}

function clearQueue(slot: StreamSlot): void {
  slot.queue.fill(undefined);
  slot.head = 0;
  slot.waiting = 0;
}

/**
 * Latest-wins frame queue of ONE receiver: the relay's backpressure.
 *
 * Per source, at most `maxInFlight` frames are handed to the receiver's socket and not yet
 * flushed to the kernel, plus at most ONE pending frame. A new frame from a source whose
 * previous frame is still in flight replaces the pending one (the older is dropped and
 * counted). When the socket flushes a frame (its send callback), the pending frame of that
 * source goes out. So a receiver that stops reading holds at most `maxInFlight + 1` frames
 * per source, the queue is bounded in time (≈ one frame interval) rather than bytes, and
 * other receivers never wait for it: the same bytes go to each receiver independently.
 *
 * The outbox never copies: it passes the caller's bytes to `send`. Nor does it allocate per
 * frame: each source slot has ONE send callback, reused for all its frames (a socket calls
 * write callbacks in write order, so the slot knows which frame each call is about).
 */

/**
 * Hands `bytes` to the socket, which calls `done` once they are flushed to the kernel (or
 * failed) — later, never before `send` returns, and in send order. Returns 'flushed' if the
 * socket took them synchronously with nothing left in its user-space buffer (the frame does
 * not count as in flight; `done` is still called once, and ignored), 'in-flight' if they
 * wait in its buffer, 'failed' if the socket cannot take them (`done` is not called).
 */
export type SendFrame = (bytes: Uint8Array, done: (error?: Error | null) => void) => SendResult;

/** What the socket did with a frame: see `SendFrame`. */
export type SendResult = 'flushed' | 'in-flight' | 'failed';

/** Options of `FrameOutbox`. */
export interface FrameOutboxOptions {
  /** Sends one frame to the receiver's socket. Required. */
  send: SendFrame;
  /** Frames per source sent and not yet flushed before newer ones wait. Default `DEFAULT_MAX_IN_FLIGHT` (1). */
  maxInFlight?: number;
  /** Called when a pending frame is replaced by a newer one from the same source. Default none. */
  onDrop?: (sourceId: number, dropped: Uint8Array) => void;
}

export const DEFAULT_MAX_IN_FLIGHT = 1;

/** What `push` did with a frame. */
export type PushResult = 'sent' | 'queued' | 'closed';

interface SourceSlot {
  /** Frames handed to the socket and not yet flushed. */
  inFlight: number;
  /** The newest frame waiting for room in flight. */
  pending: Uint8Array | undefined;
  /** One entry per send callback still to come, in send order: true if that frame counts in flight. */
  owed: boolean[];
  /** The send callback of every frame of this source. */
  done: (error?: Error | null) => void;
}

export class FrameOutbox {
  #send: SendFrame;
  #maxInFlight: number;
  #onDrop: (sourceId: number, dropped: Uint8Array) => void;
  #slots = new Map<number, SourceSlot>();
  #drops = new Map<number, number>();
  #dropsTotal = 0;
  #closed = false;

  constructor(options: FrameOutboxOptions) {
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new TypeError(`maxInFlight must be an integer >= 1 [maxInFlight:${maxInFlight}]`);
    }
    this.#send = options.send;
    this.#maxInFlight = maxInFlight;
    this.#onDrop = options.onDrop ?? (() => undefined);
  }

  /** Sends `bytes` now if the source has room in flight, else keeps it as the source's pending frame. */
  push(sourceId: number, bytes: Uint8Array): PushResult {
    if (this.#closed) return 'closed';
    let slot = this.#slots.get(sourceId);
    if (slot === undefined) this.#slots.set(sourceId, (slot = this.#newSlot()));
    if (slot.inFlight < this.#maxInFlight) {
      this.#sendNow(slot, bytes);
      return 'sent';
    }
    if (slot.pending !== undefined) this.#drop(sourceId, slot.pending);
    slot.pending = bytes;
    return 'queued';
  }

  /** Frames dropped so far, per source id. */
  drops(): Map<number, number> {
    return new Map(this.#drops);
  }

  /** Frames dropped so far, all sources. */
  get dropsTotal(): number {
    return this.#dropsTotal;
  }

  /** Frames waiting (not yet handed to the socket), all sources. */
  get pendingCount(): number {
    let n = 0;
    for (const slot of this.#slots.values()) if (slot.pending !== undefined) n++;
    return n;
  }

  /** Frames handed to the socket and not yet flushed, all sources. */
  get inFlightCount(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += slot.inFlight;
    return n;
  }

  /** Discards the pending frame of `sourceId` (it left, or the receiver excluded it); not counted as a drop. */
  forget(sourceId: number): void {
    const slot = this.#slots.get(sourceId);
    if (slot === undefined) return;
    slot.pending = undefined;
    if (slot.inFlight === 0) this.#slots.delete(sourceId);
  }

  /** Discards every pending frame; later pushes are refused. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots.values()) slot.pending = undefined;
  }

  #newSlot(): SourceSlot {
    const slot: SourceSlot = { inFlight: 0, pending: undefined, owed: [], done: (error) => this.#onSent(slot, error) };
    return slot;
  }

  #sendNow(slot: SourceSlot, bytes: Uint8Array): void {
    const result = this.#send(bytes, slot.done);
    if (result === 'failed') {
      this.close();
      return;
    }
    const counted = result === 'in-flight';
    if (counted) slot.inFlight++;
    slot.owed.push(counted);
  }

  /** The socket is done with the oldest frame of `slot` it still owed a callback for. */
  #onSent(slot: SourceSlot, error: Error | null | undefined): void {
    // A frame flushed synchronously was never in flight: its callback (and error) changes nothing.
    if (slot.owed.shift() !== true) return;
    slot.inFlight--;
    if (error) {
      this.close();
      return;
    }
    if (this.#closed || slot.pending === undefined || slot.inFlight >= this.#maxInFlight) return;
    const next = slot.pending;
    slot.pending = undefined;
    this.#sendNow(slot, next);
  }

  #drop(sourceId: number, bytes: Uint8Array): void {
    this.#drops.set(sourceId, (this.#drops.get(sourceId) ?? 0) + 1);
    this.#dropsTotal++;
    this.#onDrop(sourceId, bytes);
  }
}

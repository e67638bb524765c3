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
 * The outbox never copies: it passes the caller's bytes to `send`.
 */

/**
 * Hands `bytes` to the socket and calls `done` once they are flushed to the kernel (or
 * failed). Returns true if the socket took them synchronously with nothing left in its
 * user-space buffer (then the frame does not count as in flight and `done` is ignored).
 */
export type SendFrame = (bytes: Uint8Array, done: (error?: Error | null) => void) => boolean;

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
  inFlight: number;
  pending: Uint8Array | undefined;
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
    if (slot === undefined) this.#slots.set(sourceId, (slot = { inFlight: 0, pending: undefined }));
    if (slot.inFlight < this.#maxInFlight) {
      this.#sendNow(sourceId, slot, bytes);
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

  #sendNow(sourceId: number, slot: SourceSlot, bytes: Uint8Array): void {
    slot.inFlight++;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      slot.inFlight--;
      return true;
    };
    const flushed = this.#send(bytes, (error) => {
      if (!settle()) return;
      if (error) {
        this.close();
        return;
      }
      if (this.#closed || slot.pending === undefined || slot.inFlight >= this.#maxInFlight) return;
      const next = slot.pending;
      slot.pending = undefined;
      this.#sendNow(sourceId, slot, next);
    });
    if (flushed) settle();
  }

  #drop(sourceId: number, bytes: Uint8Array): void {
    this.#drops.set(sourceId, (this.#drops.get(sourceId) ?? 0) + 1);
    this.#dropsTotal++;
    this.#onDrop(sourceId, bytes);
  }
}

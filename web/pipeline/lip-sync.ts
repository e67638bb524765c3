/**
 * Lip sync — pictures painted against the audio clock. A peer's sound reaches the ear
 * `audioDelay` after its capture (the jitter buffer holds it to ride out arrival jitter);
 * its pictures would be painted `videoDelay` after theirs. When the sound is later, each
 * decoded picture is HELD for the difference (at most `MAX_HOLD_MS`), so what is seen and
 * what is heard are of the same instant. When the picture is later there is nothing to
 * hold: the offset is reported (stats `avOffsetMs`) — audio latency is never raised to wait
 * for video. Both delays are capture → now on the relay clock, from the frames' capture
 * times (docs/protocol.md: audio captureTime is the instant of the frame's first sample).
 *
 * `PaintHold` keeps at most ONE held picture per source: a newer one replaces it (the older
 * is dropped, as the decoder drops a replaced frame) — nothing queues.
 */

/** Longest a picture is held for its sound, ms (beyond it the jitter buffer is not worth waiting for). */
export const MAX_HOLD_MS = 250;
/** Differences up to this are not corrected, ms (a paint is a frame interval anyway). */
export const SYNC_TOLERANCE_MS = 10;

/** How long to hold a picture whose capture → now is `videoDelayMs`, when the sound's is `audioDelayMs` (null: no sound). */
export function paintHoldMs(videoDelayMs: number, audioDelayMs: number | null): number {
  if (audioDelayMs === null || !Number.isFinite(audioDelayMs) || !Number.isFinite(videoDelayMs)) return 0;
  const lag = audioDelayMs - videoDelayMs;
  return lag > SYNC_TOLERANCE_MS ? Math.min(MAX_HOLD_MS, lag) : 0;
}

/** Options of `PaintHold`. */
export interface PaintHoldOptions<T> {
  /** Paints an item (now). */
  paint: (item: T) => void;
  /** Releases an item that will not be painted (replaced while held, or closed). */
  drop: (item: T) => void;
  /** Timer functions (tests drive time). Default the global ones. */
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** One source's paints, each now or after its hold; at most one held. */
export class PaintHold<T> {
  readonly #paint: (item: T) => void;
  readonly #drop: (item: T) => void;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #held: T | undefined;
  #timer: unknown;
  #closed = false;

  constructor(options: PaintHoldOptions<T>) {
    this.#paint = options.paint;
    this.#drop = options.drop;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** True while a picture is held. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** Paints `item` now (`holdMs` ≤ 0) or after `holdMs`; a picture still held is dropped (replaced). */
  offer(item: T, holdMs: number): void {
    if (this.#closed) {
      this.#drop(item);
      return;
    }
    this.#release(true);
    if (!(holdMs > 0)) {
      this.#paint(item);
      return;
    }
    this.#held = item;
    this.#timer = this.#setTimer(() => {
      this.#timer = undefined;
      const held = this.#held;
      this.#held = undefined;
      if (held !== undefined) this.#paint(held);
    }, holdMs);
  }

  /** Drops a held picture; later offers are dropped. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#release(true);
  }

  #release(drop: boolean): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined && drop) this.#drop(held);
  }
}

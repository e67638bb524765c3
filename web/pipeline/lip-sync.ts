/**
 * Lip sync — pictures painted against the audio clock. A peer's sound reaches the ear
 * `audioDelay` after its capture (the jitter buffer holds it to ride out arrival jitter);
 * its pictures would be painted `videoDelay` after theirs. When the sound is later, each
 * frame is HELD before decoding for the difference (at most `MAX_HOLD_MS`), so what is seen and
 * what is heard are of the same instant. When the picture is later there is nothing to
 * hold: the offset is reported (stats `avOffsetMs`) — audio latency is never raised to wait
 * for video. Both delays are capture → now on the relay clock, from the frames' capture
 * times (docs/protocol.md: audio captureTime is the instant of the frame's first sample).
 *
 * `DelayLine` holds a source's FRAMES before decoding (a picture held that long would be
 * replaced by the next one before it is painted: at 30 fps a frame comes every 33 ms),
 * handing each on at its due time, in order, at most `MAX_HELD` at once.
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

/** Most frames a `DelayLine` holds (250 ms at 30 fps is 8); past it the oldest goes at once. */
export const MAX_HELD = 16;

/** Options of `DelayLine`. */
export interface DelayLineOptions<T> {
  /** Hands an item on (now). */
  release: (item: T) => void;
  /** Releases an item that will not be handed on (the line was closed). */
  drop: (item: T) => void;
  /** Clock, ms. Default `performance.now`. */
  now?: () => number;
  /** Timer functions (tests drive time). Default the global ones. */
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * One source's frames on their way to the decoder, each handed on after its hold, in order:
 * a delay line, not a queue that grows — a frame is never held past its due time, and the due
 * times never go backwards (a shorter hold waits for the frames ahead of it). Frames, not
 * decoded pictures, wait here: they are independent buffers, and the decoder's latest-wins
 * rule still applies when they come out.
 */
export class DelayLine<T> {
  readonly #release: (item: T) => void;
  readonly #drop: (item: T) => void;
  readonly #now: () => number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #items: { item: T; due: number }[] = [];
  #timer: unknown;
  #closed = false;

  constructor(options: DelayLineOptions<T>) {
    this.#release = options.release;
    this.#drop = options.drop;
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** Frames waiting. */
  get held(): number {
    return this.#items.length;
  }

  /** Hands `item` on now (`holdMs` ≤ 0 and nothing waiting) or after `holdMs`, behind the frames ahead of it. */
  offer(item: T, holdMs: number): void {
    if (this.#closed) {
      this.#drop(item);
      return;
    }
    const now = this.#now();
    const last = this.#items.at(-1)?.due ?? -Infinity;
    const due = Math.max(now + (holdMs > 0 ? holdMs : 0), last);
    if (due <= now && this.#items.length === 0) {
      this.#release(item);
      return;
    }
    this.#items.push({ item, due });
    while (this.#items.length > MAX_HELD) this.#release(this.#items.shift()!.item);
    this.#arm();
  }

  /** Drops every waiting frame; later offers are dropped. Safe to call twice. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
    for (const { item } of this.#items.splice(0)) this.#drop(item);
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#clearTimer(this.#timer);
    this.#timer = undefined;
    const head = this.#items[0];
    if (head === undefined) return;
    this.#timer = this.#setTimer(() => this.#flush(), Math.max(0, head.due - this.#now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = this.#now();
    while (!this.#closed && this.#items.length > 0 && this.#items[0]!.due <= now) this.#release(this.#items.shift()!.item);
    if (!this.#closed) this.#arm();
  }
}

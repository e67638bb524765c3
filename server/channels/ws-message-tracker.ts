/**
 * Knows whether a WebSocket message is in progress on a client → server byte stream, and
 * since when: a small state machine over the frame headers (RFC 6455 §5.2) that skips
 * payloads without looking at them. It is fed the same chunks as ws's own receiver (a
 * second 'data' listener on the socket) and never buffers: at most the 14 bytes of one
 * header. ws validates; this only counts, so malformed input merely leaves it in some state
 * (ws closes such a socket anyway).
 *
 * "In progress" = bytes arrived since the last complete message: from the first byte of a
 * data frame until the end of the frame with FIN that ends its message, fragments and
 * interleaved control frames (ping, pong, close) included. A control frame between messages
 * is in progress from its first byte to its end, so trickling a pong is timed too.
 */

/** Longest frame header: 2 + 8 (64-bit length) + 4 (mask). */
const MAX_HEADER = 14;

export class WsMessageTracker {
  /** When the message (or lone control frame) now in progress got its first byte, ms; undefined between messages. */
  startedAt: number | undefined;
  readonly #header = new Uint8Array(MAX_HEADER);
  readonly #view = new DataView(this.#header.buffer, this.#header.byteOffset, this.#header.byteLength);
  #headerBytes = 0;
  /** Header bytes of the current frame (known once its first 2 bytes are in), else 0. */
  #headerNeeded = 0;
  /** Payload bytes of the current frame still to skip. */
  #remaining = 0;
  /** The current frame's opcode and FIN bit, once its header is in. */
  #opcode = 0;
  #fin = false;
  /** A data frame without FIN was seen: its message continues in continuation frames. */
  #fragmented = false;

  /** Takes one chunk of the byte stream; `now` is read only when a message starts. */
  push(chunk: Uint8Array, now: () => number): void {
    let i = 0;
    const n = chunk.byteLength;
    while (i < n) {
      if (this.#remaining > 0) {
        const skip = Math.min(this.#remaining, n - i);
        this.#remaining -= skip;
        i += skip;
        if (this.#remaining === 0) this.#frameEnded();
        continue;
      }
      if (this.#headerBytes === 0 && this.startedAt === undefined) this.startedAt = now();
      this.#header[this.#headerBytes++] = chunk[i++]!;
      if (this.#headerBytes === 2) this.#headerNeeded = headerLength(this.#header[1]!);
      if (this.#headerBytes >= 2 && this.#headerBytes === this.#headerNeeded) this.#headerDone();
    }
  }

  #headerDone(): void {
    const h = this.#header;
    this.#fin = (h[0]! & 0x80) !== 0;
    this.#opcode = h[0]! & 0x0f;
    const len7 = h[1]! & 0x7f;
    let length: number;
    if (len7 === 126) length = this.#view.getUint16(2, false);
    // NOTE: a 64-bit length; ws refuses anything over maxPayload, this only skips it.
    else if (len7 === 127) length = this.#view.getUint32(2, false) * 2 ** 32 + this.#view.getUint32(6, false);
    else length = len7;
    this.#headerBytes = 0;
    this.#headerNeeded = 0;
    this.#remaining = length;
    if (length === 0) this.#frameEnded();
  }

  #frameEnded(): void {
    if (this.#opcode >= 8) {
      // A control frame: between messages it was the whole thing; inside one it changes nothing.
      if (!this.#fragmented) this.startedAt = undefined;
      return;
    }
    if (this.#fin) {
      this.#fragmented = false;
      this.startedAt = undefined;
    } else {
      this.#fragmented = true;
    }
  }
}

/** Header bytes of a frame whose second byte is `b1`: 2, plus 2 or 8 for an extended length, plus 4 if masked. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}

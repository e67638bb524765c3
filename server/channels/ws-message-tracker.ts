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
  /** Bytes arrived of the message in progress (0 between messages): what ws holds for it — the memory budget counts it. */
  inProgressBytes = 0;
  /** Payload bytes the data frames of the message in progress declare so far (its size, once the last header is in). */
  declaredBytes = 0;
  /** Called when a data frame's header is in, with `declaredBytes` (a large message can be refused before its payload arrives). */
  onDataFrame: ((declaredBytes: number) => void) | undefined;
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
  /** Where in the chunk being read the message in progress started, if it started in it. */
  #chunkStart = 0;
  #startedInChunk = false;

  /** Takes one chunk of the byte stream; `now` is read only when a message starts. */
  push(chunk: Uint8Array, now: () => number): void {
    let i = 0;
    const n = chunk.byteLength;
    const before = this.inProgressBytes;
    while (i < n) {
      if (this.#remaining > 0) {
        const skip = Math.min(this.#remaining, n - i);
        this.#remaining -= skip;
        i += skip;
        if (this.#remaining === 0) this.#frameEnded();
        continue;
      }
      if (this.#headerBytes === 0 && this.startedAt === undefined) {
        this.startedAt = now();
        this.#chunkStart = i;
        this.#startedInChunk = true;
        this.declaredBytes = 0;
      }
      this.#header[this.#headerBytes++] = chunk[i++]!;
      if (this.#headerBytes === 2) this.#headerNeeded = headerLength(this.#header[1]!);
      if (this.#headerBytes >= 2 && this.#headerBytes === this.#headerNeeded) this.#headerDone();
    }
    // What is in progress now: from where the current message started in this chunk (or all of
    // the chunk, if it started before), none if it ended.
    this.inProgressBytes = this.startedAt === undefined ? 0 : this.#startedInChunk ? n - this.#chunkStart : before + n;
    this.#startedInChunk = false;
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
    if (this.#opcode < 8) {
      this.declaredBytes += length;
      this.onDataFrame?.(this.declaredBytes);
    }
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

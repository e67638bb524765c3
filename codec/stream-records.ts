/**
 * Records of a byte stream (an HTTP body, both directions): what a WebSocket carries as
 * separate messages — binary frames, text control messages, the close — as one byte stream.
 * Every record is a u32 big-endian length (bytes after the prefix) and a 2-byte magic that
 * says its kind; a frame record IS a wire-format frame (magic `FW`), byte for byte:
 *
 * | magic | kind      | after the magic                                     |
 * |-------|-----------|-----------------------------------------------------|
 * | `FW`  | frame     | the rest of the 40-byte header and the payload      |
 * | `FC`  | control   | one control message, JSON as UTF-8                  |
 * | `FE`  | close     | u16 close code, then the reason as UTF-8 (≤ 123 B)  |
 * | `FK`  | keepalive | nothing (length 2): keeps idle proxies from cutting |
 *
 * docs/protocol.md ("Byte-stream records") is the byte table; keep the two in step.
 */
import { readU16, readU32, writeU16, writeU32 } from './big-endian.ts';
import { DEFAULT_MAX_FRAME_BYTES, MAGIC, Offset, PREFIX_BYTES } from './format.ts';
import { FrameError } from './frame-error.ts';
import { utf8Decode, utf8Encode } from './utf8.ts';

/** Magic (u16 big-endian at offset 4) of each record kind. */
export const RecordMagic = {
  frame: MAGIC, // 'FW'
  control: 0x4643, // 'FC'
  close: 0x4645, // 'FE'
  keepalive: 0x464b, // 'FK'
} as const;
export type RecordKind = keyof typeof RecordMagic;

/** Bytes of a record before its body: length prefix and magic. */
export const RECORD_HEAD_BYTES = PREFIX_BYTES + 2;
/** Longest close reason, UTF-8 bytes (as in a WebSocket close frame). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** One record read from a stream. */
export type StreamRecord =
  /** A wire-format frame, prefix included, NOT validated (`decodeFrame` it). */
  | { kind: 'frame'; bytes: Uint8Array }
  /** One control message: its JSON text as UTF-8 bytes. */
  | { kind: 'control'; utf8: Uint8Array }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'keepalive' };

/** A control record around `json` (text, or its UTF-8 bytes). */
export function encodeControlRecord(json: string | Uint8Array): Uint8Array {
  const body = typeof json === 'string' ? utf8Encode(json) : json;
  const out = new Uint8Array(RECORD_HEAD_BYTES + body.byteLength);
  writeU32(out, Offset.length, 2 + body.byteLength);
  writeU16(out, Offset.magic, RecordMagic.control);
  out.set(body, RECORD_HEAD_BYTES);
  return out;
}

/** A close record: `code` (0..65535) and `reason` (cut to 123 UTF-8 bytes at a character boundary). */
export function encodeCloseRecord(code: number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw FrameError.badInit(`close code must be a u16 [code:${code}]`);
  const text = truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
  const out = new Uint8Array(RECORD_HEAD_BYTES + 2 + text.byteLength);
  writeU32(out, Offset.length, 4 + text.byteLength);
  writeU16(out, Offset.magic, RecordMagic.close);
  writeU16(out, RECORD_HEAD_BYTES, code);
  out.set(text, RECORD_HEAD_BYTES + 2);
  return out;
}

/** A keepalive record (6 bytes: `00 00 00 02 46 4B`). */
export function encodeKeepaliveRecord(): Uint8Array {
  const out = new Uint8Array(RECORD_HEAD_BYTES);
  writeU32(out, Offset.length, 2);
  writeU16(out, Offset.magic, RecordMagic.keepalive);
  return out;
}

/** Options of `RecordReader`. */
export interface RecordReaderOptions {
  /** Largest record, prefix included; a longer declared length is refused at its prefix. Default `DEFAULT_MAX_FRAME_BYTES`. */
  maxRecordBytes?: number;
  /** Shortest record, prefix included (`FrameReader` passes the frame header size). Default 6. */
  minRecordBytes?: number;
}

/**
 * Cuts a byte stream into records. Push chunks of any size; each `push` returns the records
 * completed by that chunk. A frame record that lies wholly inside one chunk is a zero-copy
 * view of that chunk (do not reuse a chunk's memory after pushing it); a record spanning
 * chunks is copied once into a buffer of exactly its declared size. A declared length over
 * `maxRecordBytes` is refused as soon as its 4-byte prefix is seen, before any of it is buffered.
 *
 * Throws `FrameError`: `too-large`, `too-short` (declared length below the minimum, a close
 * record without its code), `bad-magic` (an unknown kind). After an error the stream is out
 * of step and the reader stays failed: every later `push` throws the same error.
 */
export class RecordReader {
  readonly #max: number;
  readonly #min: number;
  /** Prefix bytes of a record whose prefix spans chunks. */
  readonly #prefix = new Uint8Array(PREFIX_BYTES);
  #prefixFilled = 0;
  /** The record being assembled across chunks, allocated at its declared size. */
  #partial: Uint8Array | null = null;
  #partialFilled = 0;
  #error: FrameError | null = null;

  constructor(options?: RecordReaderOptions) {
    this.#max = options?.maxRecordBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#min = Math.max(RECORD_HEAD_BYTES, options?.minRecordBytes ?? RECORD_HEAD_BYTES);
  }

  /** Bytes held for an incomplete record (0 between records). */
  get bufferedBytes(): number {
    return this.#partial === null ? this.#prefixFilled : this.#partialFilled;
  }

  /** Feeds one chunk; returns the records it completes, in order. Throws `FrameError`. */
  push(chunk: Uint8Array): StreamRecord[] {
    if (this.#error !== null) throw this.#error;
    const out: StreamRecord[] = [];
    try {
      this.#cut(chunk, (bytes) => out.push(toRecord(bytes)));
    } catch (error) {
      if (error instanceof FrameError) this.#error = error;
      throw error;
    }
    return out;
  }

  /** Declares the end of the stream; throws `FrameError` (`too-short`) if a record was cut off. */
  end(): void {
    if (this.#error !== null) throw this.#error;
    const buffered = this.bufferedBytes;
    if (buffered > 0) {
      const needed = this.#partial === null ? PREFIX_BYTES : this.#partial.byteLength;
      this.#error = FrameError.tooShort(buffered, needed);
      throw this.#error;
    }
  }

  /** Calls `emit` with the bytes of each record `chunk` completes (prefix included). */
  #cut(chunk: Uint8Array, emit: (bytes: Uint8Array) => void): void {
    const end = chunk.byteLength;
    let pos = 0;
    while (pos < end) {
      const partial = this.#partial;
      if (partial !== null) {
        const n = Math.min(partial.byteLength - this.#partialFilled, end - pos);
        partial.set(chunk.subarray(pos, pos + n), this.#partialFilled);
        this.#partialFilled += n;
        pos += n;
        if (this.#partialFilled === partial.byteLength) {
          this.#partial = null;
          this.#partialFilled = 0;
          emit(partial);
        }
        continue;
      }
      if (this.#prefixFilled > 0 || end - pos < PREFIX_BYTES) {
        const n = Math.min(PREFIX_BYTES - this.#prefixFilled, end - pos);
        this.#prefix.set(chunk.subarray(pos, pos + n), this.#prefixFilled);
        this.#prefixFilled += n;
        pos += n;
        if (this.#prefixFilled < PREFIX_BYTES) break;
        const total = this.#checkedTotal(readU32(this.#prefix, Offset.length));
        this.#prefixFilled = 0;
        this.#partial = new Uint8Array(total);
        this.#partial.set(this.#prefix, 0);
        this.#partialFilled = PREFIX_BYTES;
        continue;
      }
      const total = this.#checkedTotal(readU32(chunk, pos + Offset.length));
      if (end - pos >= total) {
        emit(chunk.subarray(pos, pos + total));
        pos += total;
      } else {
        this.#partial = new Uint8Array(total);
        this.#partial.set(chunk.subarray(pos, end), 0);
        this.#partialFilled = end - pos;
        pos = end;
      }
    }
  }

  /** Whole-record size from a prefix value, checked before anything is allocated. */
  #checkedTotal(declared: number): number {
    const total = declared + PREFIX_BYTES;
    if (total > this.#max) throw FrameError.tooLarge(total, this.#max);
    if (total < this.#min) throw FrameError.tooShort(total, this.#min);
    return total;
  }
}

/** The record in `bytes` (a whole record, prefix included). Throws `FrameError`. */
function toRecord(bytes: Uint8Array): StreamRecord {
  const magic = readU16(bytes, Offset.magic);
  switch (magic) {
    case RecordMagic.frame:
      return { kind: 'frame', bytes };
    case RecordMagic.control:
      return { kind: 'control', utf8: bytes.subarray(RECORD_HEAD_BYTES) };
    case RecordMagic.close:
      if (bytes.byteLength < RECORD_HEAD_BYTES + 2) throw FrameError.tooShort(bytes.byteLength, RECORD_HEAD_BYTES + 2);
      return { kind: 'close', code: readU16(bytes, RECORD_HEAD_BYTES), reason: utf8Decode(bytes.subarray(RECORD_HEAD_BYTES + 2)) };
    case RecordMagic.keepalive:
      return { kind: 'keepalive' };
    default:
      throw FrameError.badMagic(magic, MAGIC);
  }
}

/** `text` as UTF-8, at most `max` bytes, never cutting a character. */
function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes.byteLength <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

/**
 * Ogg (RFC 3533) page and packet reader: bytes in, packets out, no I/O. ffmpeg's `-f ogg`
 * output on a pipe is pushed in chunks of any size; `push` returns the packets completed by
 * the chunk. A page is verified (capture pattern, version, CRC-32) before its segments are
 * used; a packet may span pages (a lacing value of 255 ends a page's segment table).
 *
 * Page header, all multi-byte fields LITTLE-endian (unlike the wire format):
 *
 * | offset | bytes | field |
 * |---:|---:|---|
 * | 0 | 4 | capture pattern `OggS` |
 * | 4 | 1 | version, 0 |
 * | 5 | 1 | header type: 0x01 continued packet, 0x02 first page (BOS), 0x04 last page (EOS) |
 * | 6 | 8 | granule position (i64; −1: no packet ends on this page) |
 * | 14 | 4 | stream serial number |
 * | 18 | 4 | page sequence number |
 * | 22 | 4 | CRC-32 (poly 0x04c11db7, not reflected, init 0) of the page with this field zeroed |
 * | 26 | 1 | page segments n |
 * | 27 | n | segment table (lacing values) |
 * | 27 + n | Σ | segment data |
 */

/** Bytes of a page header before its segment table. */
export const OGG_PAGE_HEADER_BYTES = 27;
/** Largest page: header, 255 lacing values, 255 × 255 data bytes. */
export const OGG_MAX_PAGE_BYTES = OGG_PAGE_HEADER_BYTES + 255 + 255 * 255;
/** Largest packet `OggReader` assembles by default (across pages), bytes. */
export const DEFAULT_OGG_MAX_PACKET_BYTES = 1024 * 1024;

const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

/** Header type bits. */
export const OggFlag = { continued: 0x01, bos: 0x02, eos: 0x04 } as const;

/** Stable codes of `OggError`. */
export type OggErrorCode = 'bad-capture' | 'bad-version' | 'bad-crc' | 'too-large' | 'truncated';

/** A malformed Ogg stream. After one, the reader stays failed (the stream is out of step). */
export class OggError extends Error {
  override readonly name = 'OggError';
  readonly code: OggErrorCode;

  private constructor(code: OggErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  static badCapture(at: number, found: number): OggError {
    return new OggError('bad-capture', `no Ogg page here [offset:${at}, found:0x${found.toString(16).padStart(8, '0')}, expected:0x4f676753]`);
  }

  static badVersion(found: number): OggError {
    return new OggError('bad-version', `unsupported Ogg version [found:${found}, supported:0]`);
  }

  static badCrc(page: number, found: number, computed: number): OggError {
    return new OggError('bad-crc', `Ogg page CRC wrong [page:${page}, found:0x${hex32(found)}, computed:0x${hex32(computed)}]`);
  }

  static tooLarge(bytes: number, max: number): OggError {
    return new OggError('too-large', `Ogg packet too large [bytes:${bytes}, max:${max}]`);
  }

  static truncated(buffered: number): OggError {
    return new OggError('truncated', `Ogg stream ends inside a page [buffered:${buffered}]`);
  }
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** One packet of a logical stream. `data` is a copy (or a view of a copy): it stays valid. */
export interface OggPacket {
  data: Uint8Array;
  /** Serial number of its logical stream. */
  serial: number;
  /** Granule position of the page the packet ends on (Opus: 48 kHz samples up to the end of that page's last packet); −1 if none. */
  granule: number;
  /** Sequence number of the page the packet ends on. */
  pageSeq: number;
  /** The packet is on the stream's first page. */
  bos: boolean;
  /** The packet ends on the stream's last page. */
  eos: boolean;
}

/** Options of `OggReader`. */
export interface OggReaderOptions {
  /** Largest packet assembled, bytes; a larger one is an `OggError` (`too-large`). Default 1 MiB. */
  maxPacketBytes?: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 of `bytes` (poly 0x04c11db7, MSB first, init 0, no final xor); `crc` continues an earlier one. */
export function oggCrc(bytes: Uint8Array, crc = 0): number {
  for (let i = 0; i < bytes.byteLength; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc >>> 0;
}

const ZERO_CRC_FIELD = new Uint8Array(4);

/** The CRC of a page as if its CRC field (bytes 22..25) were zero, without copying it. */
function pageCrc(page: Uint8Array): number {
  return oggCrc(page.subarray(26), oggCrc(ZERO_CRC_FIELD, oggCrc(page.subarray(0, 22))));
}

/**
 * Stateful Ogg reader. `push(chunk)` returns the packets completed so far (several logical
 * streams are told apart by `serial`); `end()` throws if the input stopped inside a page.
 */
export class OggReader {
  readonly #maxPacket: number;
  /** Bytes not yet consumed (a page that spans chunks). */
  #buffer: Uint8Array = new Uint8Array(0);
  /** Pieces of a packet continued on the next page, per serial. */
  readonly #partial = new Map<number, Uint8Array[]>();
  #consumed = 0;
  #failed: OggError | null = null;

  constructor(options: OggReaderOptions = {}) {
    this.#maxPacket = options.maxPacketBytes ?? DEFAULT_OGG_MAX_PACKET_BYTES;
    if (!Number.isInteger(this.#maxPacket) || this.#maxPacket < 1) {
      throw new TypeError(`maxPacketBytes must be a positive integer [maxPacketBytes:${this.#maxPacket}]`);
    }
  }

  /** Feeds bytes; returns the packets they complete. Throws `OggError` (and keeps throwing it). */
  push(chunk: Uint8Array): OggPacket[] {
    if (this.#failed !== null) throw this.#failed;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof OggError) this.#failed = error;
      throw error;
    }
  }

  /** The input ended: throws `OggError` (`truncated`) if it stopped inside a page. */
  end(): void {
    if (this.#failed !== null) throw this.#failed;
    if (this.#buffer.byteLength > 0) throw (this.#failed = OggError.truncated(this.#buffer.byteLength));
  }

  #push(chunk: Uint8Array): OggPacket[] {
    let buf: Uint8Array;
    if (this.#buffer.byteLength === 0) {
      buf = chunk;
    } else {
      // Copy only when a page spans chunks.
      buf = new Uint8Array(this.#buffer.byteLength + chunk.byteLength);
      buf.set(this.#buffer, 0);
      buf.set(chunk, this.#buffer.byteLength);
    }
    const packets: OggPacket[] = [];
    let at = 0;
    for (;;) {
      const pageBytes = this.#pageLength(buf, at);
      if (pageBytes === 0) break;
      this.#readPage(buf.subarray(at, at + pageBytes), packets);
      at += pageBytes;
      this.#consumed += pageBytes;
    }
    // Keep the rest as a copy: `chunk` belongs to the caller.
    this.#buffer = buf.slice(at);
    return packets;
  }

  /** Bytes of the page at `buf[at]`, or 0 if it is not all there yet ("need more"). */
  #pageLength(buf: Uint8Array, at: number): number {
    const available = buf.byteLength - at;
    if (available < OGG_PAGE_HEADER_BYTES) {
      // Check the capture pattern as soon as its bytes are here.
      for (let i = 0; i < Math.min(available, 4); i++) {
        if (buf[at + i] !== CAPTURE[i]) throw OggError.badCapture(this.#consumed, readCapture(buf, at));
      }
      return 0;
    }
    const view = new DataView(buf.buffer, buf.byteOffset + at, OGG_PAGE_HEADER_BYTES);
    const capture = view.getUint32(0, false);
    if (capture !== 0x4f676753) throw OggError.badCapture(this.#consumed, capture);
    const version = view.getUint8(4);
    if (version !== 0) throw OggError.badVersion(version);
    const segments = view.getUint8(26);
    if (available < OGG_PAGE_HEADER_BYTES + segments) return 0;
    let data = 0;
    for (let i = 0; i < segments; i++) data += buf[at + OGG_PAGE_HEADER_BYTES + i]!;
    const total = OGG_PAGE_HEADER_BYTES + segments + data;
    return available < total ? 0 : total;
  }

  #readPage(page: Uint8Array, out: OggPacket[]): void {
    const view = new DataView(page.buffer, page.byteOffset, OGG_PAGE_HEADER_BYTES);
    const type = view.getUint8(5);
    // Granule: i64 little-endian; Opus granules stay far below 2^53.
    const granule = Number(view.getBigInt64(6, true));
    const serial = view.getUint32(14, true);
    const pageSeq = view.getUint32(18, true);
    const crc = view.getUint32(22, true);
    const computed = pageCrc(page);
    if (computed !== crc) throw OggError.badCrc(pageSeq, crc, computed);
    const segments = view.getUint8(26);
    const lacing = page.subarray(OGG_PAGE_HEADER_BYTES, OGG_PAGE_HEADER_BYTES + segments);
    // NOTE: a continued page whose packet start we never saw (joined mid-stream) opens with
    // a fragment, skipped; a packet promised to continue on a page that does not is lost.
    const carried = this.#partial.get(serial);
    this.#partial.delete(serial);
    const continued = (type & OggFlag.continued) !== 0;
    let pieces: Uint8Array[] | null = continued ? (carried ?? null) : [];
    let dataAt = OGG_PAGE_HEADER_BYTES + segments;
    let packetStart = dataAt;
    const ended: Uint8Array[][] = [];
    for (let i = 0; i < segments; i++) {
      const value = lacing[i]!;
      dataAt += value;
      if (value === 255) continue;
      if (pieces !== null) ended.push([...pieces, page.subarray(packetStart, dataAt)]);
      pieces = [];
      packetStart = dataAt;
    }
    if (segments > 0 && lacing[segments - 1] === 255 && pieces !== null) {
      // The last packet goes on on the next page.
      const rest = [...pieces, page.slice(packetStart, dataAt)];
      const bytes = rest.reduce((n, p) => n + p.byteLength, 0);
      if (bytes > this.#maxPacket) throw OggError.tooLarge(bytes, this.#maxPacket);
      this.#partial.set(serial, rest);
    }
    const bos = (type & OggFlag.bos) !== 0;
    const eos = (type & OggFlag.eos) !== 0;
    for (const [index, parts] of ended.entries()) {
      const data = join(parts);
      if (data.byteLength > this.#maxPacket) throw OggError.tooLarge(data.byteLength, this.#maxPacket);
      out.push({ data, serial, granule, pageSeq, bos, eos: eos && index === ended.length - 1 });
    }
  }
}

function readCapture(buf: Uint8Array, at: number): number {
  let n = 0;
  for (let i = 0; i < 4; i++) n = n * 256 + (buf[at + i] ?? 0);
  return n;
}

/** One packet from its pieces: a copy, made with `.set()`. */
function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

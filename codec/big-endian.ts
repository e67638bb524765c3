/**
 * Big-endian reads and writes of header fields directly on a `Uint8Array`.
 *
 * The codec does this instead of building a `DataView` per frame: on Node 20 (V8 11) a fresh
 * `DataView` plus its getters cost ~200 ns per header, these ~30 ns (bench/codec.ts). Offsets
 * are relative to the view, so a view with a non-zero `byteOffset` (a `Buffer` from `ws`,
 * a frame inside a recording) needs no care. Every function here is big-endian, whatever
 * the machine's byte order; callers check bounds first.
 */

/** Host byte order, needed only to move f64 bytes through the scratch array below. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** u16 big-endian at `offset`. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** u32 big-endian at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** IEEE 754 float64 big-endian at `offset`. */
export function readF64(bytes: Uint8Array, offset: number): number {
  if (LITTLE_ENDIAN) {
    F64_BYTES[0] = bytes[offset + 7]!;
    F64_BYTES[1] = bytes[offset + 6]!;
    F64_BYTES[2] = bytes[offset + 5]!;
    F64_BYTES[3] = bytes[offset + 4]!;
    F64_BYTES[4] = bytes[offset + 3]!;
    F64_BYTES[5] = bytes[offset + 2]!;
    F64_BYTES[6] = bytes[offset + 1]!;
    F64_BYTES[7] = bytes[offset]!;
  } else {
    for (let i = 0; i < 8; i++) F64_BYTES[i] = bytes[offset + i]!;
  }
  return F64[0]!;
}

/** Writes the low 16 bits of `value` big-endian at `offset`. */
export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value;
}

/** Writes the low 32 bits of `value` big-endian at `offset`. */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/** Writes `value` as an IEEE 754 float64, big-endian, at `offset`. */
export function writeF64(bytes: Uint8Array, offset: number, value: number): void {
  F64[0] = value;
  if (LITTLE_ENDIAN) {
    bytes[offset] = F64_BYTES[7]!;
    bytes[offset + 1] = F64_BYTES[6]!;
    bytes[offset + 2] = F64_BYTES[5]!;
    bytes[offset + 3] = F64_BYTES[4]!;
    bytes[offset + 4] = F64_BYTES[3]!;
    bytes[offset + 5] = F64_BYTES[2]!;
    bytes[offset + 6] = F64_BYTES[1]!;
    bytes[offset + 7] = F64_BYTES[0]!;
  } else {
    for (let i = 0; i < 8; i++) bytes[offset + i] = F64_BYTES[i]!;
  }
}

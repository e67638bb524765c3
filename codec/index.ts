/**
 * framewire wire format v1 — the contract between browser, relay, bots and benchmarks.
 * Pure TypeScript on Uint8Array/DataView: no Node Buffer, no DOM, no ws.
 * Byte table: docs/protocol.md.
 */
export * from './format.ts';
export { FrameError, type FrameErrorCode } from './frame-error.ts';
export {
  decodeFrame,
  decodeHeader,
  encodeFrame,
  encodeFrameInto,
  encodedLength,
  setRelayTime,
  setSourceId,
  type DecodeOptions,
  type Frame,
  type FrameHeader,
  type FrameInit,
} from './frame.ts';
export { FrameReader, type FrameReaderOptions } from './frame-reader.ts';
export {
  encodeCloseRecord,
  encodeControlRecord,
  encodeKeepaliveRecord,
  MAX_CLOSE_REASON_BYTES,
  RECORD_HEAD_BYTES,
  RecordMagic,
  RecordReader,
  type RecordKind,
  type RecordReaderOptions,
  type StreamRecord,
} from './stream-records.ts';
export { bgraToRgba, rgbaToBgra } from './swizzle.ts';

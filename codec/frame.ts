import {
  AUDIO_SAMPLE_RATES,
  Codec,
  codecName,
  DEFAULT_MAX_DIMENSION,
  DEFAULT_MAX_FRAME_BYTES,
  Flag,
  HEADER_BYTES,
  MAGIC,
  MAX_AUDIO_CHANNELS,
  MAX_AUDIO_FRAME_MS,
  MAX_OPUS_PAYLOAD_BYTES,
  Offset,
  PCM_SAMPLE_BYTES,
  PREFIX_BYTES,
  VERSION,
  type CodecId,
} from './format.ts';
import { readF64, readU16, readU32, writeF64, writeU16, writeU32 } from './big-endian.ts';
import { FrameError } from './frame-error.ts';

/** The header fields of one frame. */
export interface FrameHeader {
  /** Bytes of the whole frame, length prefix included (= 4 + the prefix's value). */
  byteLength: number;
  /** Media codec id, one of `Codec`. */
  codec: CodecId;
  /** Flag bits, see `Flag`. */
  flags: number;
  /** Video: width in pixels, 1..maxDimension. Audio: sample rate, Hz (one of `AUDIO_SAMPLE_RATES`). */
  width: number;
  /** Video: height in pixels, 1..maxDimension. Audio: channels, 1..`MAX_AUDIO_CHANNELS`. */
  height: number;
  /** Audio: samples per channel in this frame (20 ms at 48 kHz = 960). Video: 0 (the reserved field, ignored). */
  samples: number;
  /** Sender's frame counter, u32, wraps — ONE counter per sender across all its streams (audio and video). */
  seq: number;
  /** Peer id of the sender: 0 from senders, stamped in place by the relay. */
  sourceId: number;
  /** Capture time on the sender's clock, milliseconds since the Unix epoch (float64, sub-ms). */
  captureTime: number;
  /** When the relay forwarded it, on the relay's clock, ms since the Unix epoch; 0 if not relayed. */
  relayTime: number;
}

/** A decoded frame. `payload` and `bytes` are views into the input: no copy. */
export interface Frame extends FrameHeader {
  /** The media payload (a JPEG file, width×height×4 BGRA bytes, one Opus packet, or s16le PCM). */
  payload: Uint8Array;
  /** The whole frame, prefix included, exactly as received. */
  bytes: Uint8Array;
}

/** What `encodeFrame` needs. */
export interface FrameInit {
  /** Media codec id: `Codec.jpeg`, `Codec.bgra`, `Codec.opus` or `Codec.pcm`. */
  codec: number;
  /** Video: width in pixels, 1..65535. Audio: sample rate, Hz. */
  width: number;
  /** Video: height in pixels, 1..65535. Audio: channels. */
  height: number;
  /** Audio: samples per channel (required, ≥ 1). Video: leave out (written 0). */
  samples?: number;
  /** The media payload; copied into the frame. */
  payload: Uint8Array;
  /** Frame counter, u32. Default 0. */
  seq?: number;
  /** Capture time, ms since the Unix epoch on the sender's clock. Default 0. */
  captureTime?: number;
  /** Flag bits. Default `Flag.keyframe`. */
  flags?: number;
  /** Source id, u32. Default 0 (senders leave it 0; the relay stamps it). */
  sourceId?: number;
  /** Relay time. Default 0. */
  relayTime?: number;
}

/** Limits applied when decoding. */
export interface DecodeOptions {
  /** Largest whole frame accepted, in bytes. Default `DEFAULT_MAX_FRAME_BYTES` (8 MiB). */
  maxFrameBytes?: number;
  /** Largest width or height accepted, in pixels. Default `DEFAULT_MAX_DIMENSION` (4096). */
  maxDimension?: number;
}

const U16_MAX = 0xffff;

/** Bytes of the whole frame that `init` encodes to. */
export function encodedLength(init: Pick<FrameInit, 'payload'>): number {
  return HEADER_BYTES + init.payload.byteLength;
}

/** Encodes one frame into a new buffer. Throws `FrameError` (`bad-init`, `bad-payload-size`, `not-jpeg`). */
export function encodeFrame(init: FrameInit): Uint8Array {
  const out = new Uint8Array(encodedLength(init));
  encodeFrameInto(init, out, 0);
  return out;
}

/**
 * Encodes one frame into `target` at `offset` and returns the bytes written. The length is
 * computed first; writing a different number of bytes is a bug and throws.
 */
export function encodeFrameInto(init: FrameInit, target: Uint8Array, offset: number): number {
  checkInit(init);
  const length = encodedLength(init);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.byteLength) {
    throw FrameError.badInit(`target too small [offset:${offset}, needed:${length}, available:${target.byteLength}]`);
  }
  // All fields big-endian (codec/big-endian.ts).
  writeU32(target, offset + Offset.length, length - PREFIX_BYTES);
  writeU16(target, offset + Offset.magic, MAGIC);
  target[offset + Offset.version] = VERSION;
  target[offset + Offset.codec] = init.codec;
  writeU16(target, offset + Offset.flags, init.flags ?? Flag.keyframe);
  writeU16(target, offset + Offset.width, init.width);
  writeU16(target, offset + Offset.height, init.height);
  writeU16(target, offset + Offset.samples, init.samples ?? 0);
  writeU32(target, offset + Offset.seq, init.seq ?? 0);
  writeU32(target, offset + Offset.sourceId, init.sourceId ?? 0);
  writeF64(target, offset + Offset.captureTime, init.captureTime ?? 0);
  writeF64(target, offset + Offset.relayTime, init.relayTime ?? 0);
  const payloadAt = offset + HEADER_BYTES;
  if (!isInPlace(init.payload, target, payloadAt)) target.set(init.payload, payloadAt);
  const written = HEADER_BYTES + init.payload.byteLength;
  if (written !== length) throw new Error(`encodeFrameInto bug: wrote ${written} bytes, computed ${length}`);
  return written;
}

/**
 * Decodes and validates one whole frame (one WebSocket message, one record of a file).
 * The payload is a zero-copy `subarray` of `bytes`. Throws `FrameError`.
 */
export function decodeFrame(bytes: Uint8Array, options?: DecodeOptions): Frame {
  const frame = parseFrame(bytes, options);
  checkPayload(frame.codec, frame.width, frame.height, bytes, HEADER_BYTES, frame.byteLength - HEADER_BYTES, frame.samples);
  return frame;
}

/**
 * Validates the header of one whole frame and returns its fields, without looking at the
 * payload beyond its length. The relay uses `decodeFrame` (payload checks are O(1)); this is
 * for callers that only need the fields. (The object returned also carries the `payload`
 * and `bytes` views.) Throws `FrameError`.
 */
export function decodeHeader(bytes: Uint8Array, options?: DecodeOptions): FrameHeader {
  return parseFrame(bytes, options);
}

/**
 * Runs the header checks in the documented order (docs/protocol.md, Validation) and builds
 * the frame. All fields big-endian (codec/big-endian.ts); the first check covers every read.
 */
function parseFrame(bytes: Uint8Array, options: DecodeOptions | undefined): Frame {
  const present = bytes.byteLength;
  if (present < HEADER_BYTES) throw FrameError.tooShort(present, HEADER_BYTES);
  const magic = readU16(bytes, Offset.magic);
  if (magic !== MAGIC) throw FrameError.badMagic(magic, MAGIC);
  const version = bytes[Offset.version]!;
  if (version !== VERSION) throw FrameError.badVersion(version, VERSION);
  const codec = bytes[Offset.codec]!;
  if (!isSupportedCodec(codec)) throw FrameError.unknownCodec(codec, codecName(codec));
  const byteLength = readU32(bytes, Offset.length) + PREFIX_BYTES;
  const maxFrameBytes = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (byteLength > maxFrameBytes) throw FrameError.tooLarge(byteLength, maxFrameBytes);
  if (byteLength !== present) throw FrameError.lengthMismatch(byteLength - PREFIX_BYTES, present - PREFIX_BYTES);
  const width = readU16(bytes, Offset.width);
  const height = readU16(bytes, Offset.height);
  let samples = 0;
  if (isAudio(codec)) {
    samples = readU16(bytes, Offset.samples);
    checkAudioFormat(width, height, samples);
  } else {
    const maxDimension = options?.maxDimension ?? DEFAULT_MAX_DIMENSION;
    if (width === 0 || height === 0 || width > maxDimension || height > maxDimension) {
      throw FrameError.badDimensions(width, height, maxDimension);
    }
  }
  // NOTE: one object, built once (`{ ...header, payload, bytes }` costs ~2 µs per frame on
  // V8 11); its `payload` view is made on first access, since the relay never reads it.
  return new DecodedFrame(
    bytes,
    byteLength,
    codec as CodecId,
    readU16(bytes, Offset.flags),
    width,
    height,
    samples,
    readU32(bytes, Offset.seq),
    readU32(bytes, Offset.sourceId),
    readF64(bytes, Offset.captureTime),
    readF64(bytes, Offset.relayTime),
  );
}

/**
 * The `Frame` that `decodeFrame` returns. Plain data fields; `payload` is a zero-copy
 * `subarray` of `bytes`, created on first access (a `subarray` is a third of a decode).
 * Spread or structured-clone copies see only own fields: read `payload` explicitly.
 */
class DecodedFrame implements Frame {
  #payload: Uint8Array | undefined;

  constructor(
    readonly bytes: Uint8Array,
    public byteLength: number,
    public codec: CodecId,
    public flags: number,
    public width: number,
    public height: number,
    public samples: number,
    public seq: number,
    public sourceId: number,
    public captureTime: number,
    public relayTime: number,
  ) {}

  get payload(): Uint8Array {
    return (this.#payload ??= this.bytes.subarray(HEADER_BYTES, this.byteLength));
  }
}

/** Stamps the source id (a u32) into an encoded frame, in place (the relay does this). Throws `FrameError`. */
export function setSourceId(bytes: Uint8Array, sourceId: number): void {
  checkHeaderPresent(bytes);
  if (!isU32(sourceId)) throw FrameError.badInit(`sourceId not a u32 [sourceId:${sourceId}]`);
  writeU32(bytes, Offset.sourceId, sourceId);
}

/** Stamps the relay time (ms since the Unix epoch) into an encoded frame, in place. */
export function setRelayTime(bytes: Uint8Array, relayTime: number): void {
  checkHeaderPresent(bytes);
  writeF64(bytes, Offset.relayTime, relayTime);
}

function checkHeaderPresent(bytes: Uint8Array): void {
  if (bytes.byteLength < HEADER_BYTES) throw FrameError.tooShort(bytes.byteLength, HEADER_BYTES);
}

/** Checks an audio frame's sample rate (width), channels (height) and samples per channel. */
function checkAudioFormat(sampleRate: number, channels: number, samples: number): void {
  if (
    !AUDIO_SAMPLE_RATES.has(sampleRate) ||
    channels < 1 ||
    channels > MAX_AUDIO_CHANNELS ||
    samples < 1 ||
    samples > (sampleRate * MAX_AUDIO_FRAME_MS) / 1000
  ) {
    throw FrameError.badAudioFormat(sampleRate, channels, samples);
  }
}

/** Checks the payload that sits at `bytes[start .. start + length)` (`samples`: audio only). */
function checkPayload(codec: number, width: number, height: number, bytes: Uint8Array, start: number, length: number, samples = 0): void {
  if (codec === Codec.opus) {
    if (length < 1 || length > MAX_OPUS_PAYLOAD_BYTES) throw FrameError.badPayloadSize('opus', length, `1..${MAX_OPUS_PAYLOAD_BYTES}`);
  } else if (codec === Codec.pcm) {
    const expected = samples * height * PCM_SAMPLE_BYTES;
    if (length !== expected) throw FrameError.badPayloadSize('pcm', length, expected);
  } else if (codec === Codec.bgra) {
    const expected = width * height * 4;
    if (length !== expected) throw FrameError.badPayloadSize('bgra', length, expected);
  } else if (codec === Codec.jpeg) {
    const first = length > 0 ? bytes[start]! : 0;
    const second = length > 1 ? bytes[start + 1]! : 0;
    if (length < 2 || first !== 0xff || second !== 0xd8) throw FrameError.notJpeg(first, second);
  }
}

function checkInit(init: FrameInit): void {
  if (!isSupportedCodec(init.codec)) throw FrameError.unknownCodec(init.codec, codecName(init.codec));
  if (isAudio(init.codec)) {
    checkAudioFormat(init.width, init.height, init.samples ?? 0);
  } else if (!isU16(init.width) || !isU16(init.height) || init.width === 0 || init.height === 0) {
    throw FrameError.badDimensions(init.width, init.height, U16_MAX);
  } else if (init.samples !== undefined && init.samples !== 0) {
    throw FrameError.badInit(`samples is for audio frames [codec:${init.codec}, samples:${init.samples}]`);
  }
  if (init.seq !== undefined && !isU32(init.seq)) throw FrameError.badInit(`seq not a u32 [seq:${init.seq}]`);
  if (init.sourceId !== undefined && !isU32(init.sourceId)) {
    throw FrameError.badInit(`sourceId not a u32 [sourceId:${init.sourceId}]`);
  }
  if (init.flags !== undefined && !isU16(init.flags)) {
    throw FrameError.badInit(`flags not a u16 [flags:${init.flags}]`);
  }
  checkPayload(init.codec, init.width, init.height, init.payload, 0, init.payload.byteLength, init.samples ?? 0);
}

/**
 * True when `payload` already sits at `target[at]` (encoded straight into the frame buffer,
 * e.g. a swizzle into `frame.subarray(40)`), so it is not copied onto itself. Only large
 * payloads are checked: reading `.buffer` of a small on-heap typed array makes V8 move it.
 */
function isInPlace(payload: Uint8Array, target: Uint8Array, at: number): boolean {
  return payload.byteLength >= 4096 && payload.buffer === target.buffer && payload.byteOffset === target.byteOffset + at;
}

/** `SUPPORTED_CODECS.has(codec)`, as comparisons (a Set lookup is a tenth of a header encode). */
function isSupportedCodec(codec: number): boolean {
  return codec === Codec.jpeg || codec === Codec.bgra || codec === Codec.opus || codec === Codec.pcm;
}

/** `isAudioCodec` (format.ts), inlined for the decode path. */
function isAudio(codec: number): boolean {
  return codec === Codec.opus || codec === Codec.pcm;
}

/** An integer in 0..0xffff (bit ops: cheaper than Number.isInteger + range checks). */
function isU16(value: number): boolean {
  return (value & 0xffff) === value;
}

/** An integer in 0..0xffffffff. */
function isU32(value: number): boolean {
  return value >>> 0 === value;
}

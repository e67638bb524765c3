/**
 * Constants of the framewire wire format, version 1. docs/protocol.md is the byte table;
 * keep the two in step (codec/frame.test.ts checks the test vector printed there).
 */

/** Bytes of the length prefix (u32 big-endian) that opens every frame. */
export const PREFIX_BYTES = 4;
/** Bytes from the start of a frame (prefix included) to the first payload byte. */
export const HEADER_BYTES = 40;
/** `F` `W`, read as a big-endian u16 at offset 4. */
export const MAGIC = 0x4657;
/** The only version this codec writes and reads. */
export const VERSION = 1;

/** Byte offsets of the header fields (from the start of the frame, prefix included). */
export const Offset = {
  length: 0,
  magic: 4,
  version: 6,
  codec: 7,
  flags: 8,
  width: 10,
  height: 12,
  /** Video: reserved (written 0, ignored). Audio: samples per channel in the frame. */
  reserved: 14,
  samples: 14,
  seq: 16,
  sourceId: 20,
  captureTime: 24,
  relayTime: 32,
  payload: 40,
} as const;

/**
 * Media codec ids (header byte 7). Accepted in v1: `jpeg`, `bgra` (video) and `opus`, `pcm`
 * (audio); `rgba`, `vp8`, `h264` are reserved.
 */
export const Codec = {
  jpeg: 1,
  bgra: 2,
  rgba: 3,
  vp8: 4,
  h264: 5,
  opus: 6,
  pcm: 7,
} as const;
export type CodecName = keyof typeof Codec;
export type CodecId = (typeof Codec)[CodecName];

/** Codec ids a v1 decoder accepts. */
export const SUPPORTED_CODECS: ReadonlySet<number> = new Set<number>([Codec.jpeg, Codec.bgra, Codec.opus, Codec.pcm]);

/**
 * Audio codecs. For them the header's width/height/reserved fields mean sample rate (Hz),
 * channels and samples per channel (docs/protocol.md › Audio frames).
 */
export const AUDIO_CODECS: ReadonlySet<number> = new Set<number>([Codec.opus, Codec.pcm]);

/** True for `opus` and `pcm`: an audio frame (the header's width/height/samples are sample rate/channels/samples). */
export function isAudioCodec(codec: number): boolean {
  return codec === Codec.opus || codec === Codec.pcm;
}

/** Sample rates an audio frame may declare (width field), Hz: Opus's five. */
export const AUDIO_SAMPLE_RATES: ReadonlySet<number> = new Set<number>([8000, 12000, 16000, 24000, 48000]);
/** Most channels an audio frame may declare (height field). */
export const MAX_AUDIO_CHANNELS = 2;
/** Longest audio frame, ms (Opus's longest packet): samples ≤ sampleRate × 120 / 1000. */
export const MAX_AUDIO_FRAME_MS = 120;
/** Largest Opus payload accepted, bytes (RFC 6716 allows 1275 per 20 ms frame; 120 ms at 510 kbit/s is 7650). */
export const MAX_OPUS_PAYLOAD_BYTES = 7680;
/** Bytes per PCM sample: signed 16-bit little-endian, channels interleaved. */
export const PCM_SAMPLE_BYTES = 2;

const CODEC_NAMES: ReadonlyMap<number, CodecName> = new Map(
  Object.entries(Codec).map(([name, id]) => [id, name as CodecName]),
);

/** The name of a codec id, or `undefined` if the id is not assigned. */
export function codecName(id: number): CodecName | undefined {
  return CODEC_NAMES.get(id);
}

/** Header flag bits (u16 at offset 8). Unknown bits are carried through untouched. */
export const Flag = {
  /** The frame decodes on its own (always set for JPEG and BGRA). */
  keyframe: 0x0001,
} as const;

/** Largest width or height accepted by default, in pixels. */
export const DEFAULT_MAX_DIMENSION = 4096;
/**
 * Largest whole frame (prefix + header + payload) accepted by default, in bytes: 8 MiB,
 * room for 1920×1080 BGRA (8,294,400 payload bytes) plus the header.
 */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

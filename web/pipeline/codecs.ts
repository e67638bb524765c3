/**
 * THE registry of raw-frame codecs: what `mode=jpeg|bgra` means at every stage. Each entry
 * says its wire codec id (codec/), its label, how to make its encoder (stage 2) and how it
 * decodes (stage 4). Everything that used to ask `mode === 'jpeg' || mode === 'bgra'` asks
 * `rawCodec(mode)` instead; a new raw codec is one new entry here.
 */
import { Codec, bgraToRgba, type CodecId, type Frame } from '../../codec/index.ts';
import { BgraEncoder } from './encode-bgra.ts';
import { JpegEncoder, type JpegEncoderOptions } from './encode-jpeg.ts';
import type { DecodedImage, FrameEncoder } from './index.ts';

/** Names of the raw-frame codecs (also their media modes and their wire codec names). */
export type RawCodecName = 'jpeg' | 'bgra';

/** What an encoder may be told. */
export interface EncoderOptions {
  /** JPEG encoder entry point. Default `DEFAULT_JPEG_METHOD`. */
  jpegMethod?: JpegEncoderOptions['method'];
}

/** Where a decode may put its output (the decoder's per-source scratch). */
export interface DecodeTarget {
  /** What BGRA decodes to: 'imagedata' (CPU swizzle) or 'bgra' (left for a GPU painter). */
  readonly bgraOutput: 'imagedata' | 'bgra';
  /** A reusable `ImageData` of this size. */
  imageData(width: number, height: number): ImageData;
}

/** One codec of the registry. */
export interface CodecEntry {
  readonly name: RawCodecName;
  /** Its id in the frame header (codec/format.ts `Codec`). */
  readonly id: CodecId;
  /** For people (lobby). */
  readonly label: string;
  /** Short form (codec picker, tile badge). */
  readonly shortLabel: string;
  /** Frames travel through the relay (so relay features — record, transcode, snapshot — apply). */
  readonly rawFrames: boolean;
  /** The quality setting applies. */
  readonly lossy: boolean;
  /** Makes the encoder of this codec (stage 2). */
  createEncoder(options?: EncoderOptions): FrameEncoder;
  /** Decodes one frame of this codec (stage 4). */
  decode(frame: Frame, target: DecodeTarget): Promise<DecodedImage>;
}

/** The registry, keyed by codec name. */
export const CODECS: Readonly<Record<RawCodecName, CodecEntry>> = {
  jpeg: {
    name: 'jpeg',
    id: Codec.jpeg,
    label: 'JPEG frames',
    shortLabel: 'JPEG',
    rawFrames: true,
    lossy: true,
    createEncoder: (options = {}) => new JpegEncoder(options.jpegMethod === undefined ? {} : { method: options.jpegMethod }),
    async decode(frame) {
      const bitmap = await createImageBitmap(new Blob([frame.payload as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
      return { kind: 'bitmap', bitmap, width: bitmap.width, height: bitmap.height };
    },
  },
  bgra: {
    name: 'bgra',
    id: Codec.bgra,
    label: 'Raw BGRA frames',
    shortLabel: 'BGRA',
    rawFrames: true,
    lossy: false,
    createEncoder: () => new BgraEncoder(),
    async decode(frame, target) {
      const { width, height } = frame;
      if (target.bgraOutput === 'bgra') return { kind: 'bgra', pixels: frame.payload, width, height };
      const data = target.imageData(width, height);
      bgraToRgba(frame.payload, data.data);
      return { kind: 'imagedata', data, width, height };
    },
  },
};

/** The raw-frame codec of media mode (or wire codec name) `mode`, or undefined (webrtc, unknown). */
export function rawCodec(mode: string): CodecEntry | undefined {
  const entry = Object.hasOwn(CODECS, mode) ? CODECS[mode as RawCodecName] : undefined;
  return entry?.rawFrames ? entry : undefined;
}

/** True if `mode` sends raw frames through the relay. */
export function isRawMode(mode: string): mode is RawCodecName {
  return rawCodec(mode) !== undefined;
}

/** The codec with header id `id`, or undefined. */
export function codecById(id: number): CodecEntry | undefined {
  return Object.values(CODECS).find((entry) => entry.id === id);
}

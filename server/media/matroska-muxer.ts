/**
 * A minimal Matroska (MKV) muxer for an MJPEG video track and/or an audio track (Opus or
 * 16-bit PCM): just enough for ffmpeg to read timestamped JPEG frames and audio packets
 * from one pipe. A raw MJPEG or rawvideo pipe carries no timestamps; a Matroska stream
 * carries one per frame (millisecond timecodes), so a variable frame rate keeps its real
 * timing when ffmpeg re-encodes it, and audio and video share one timeline.
 *
 * Layout: EBML header, a Segment of unknown size (a live stream), Info (1 ms timecode
 * scale), Tracks (`V_MJPEG`, `A_OPUS` or `A_PCM/INT/LIT`, numbered from 1), then one Cluster
 * per frame holding a Timecode and a SimpleBlock. Element ids and sizes are EBML
 * variable-length integers; the audio sampling frequency is an EBML float (f64 big-endian).
 */

const ID = {
  ebml: [0x1a, 0x45, 0xdf, 0xa3],
  ebmlVersion: [0x42, 0x86],
  ebmlReadVersion: [0x42, 0xf7],
  ebmlMaxIdLength: [0x42, 0xf2],
  ebmlMaxSizeLength: [0x42, 0xf3],
  docType: [0x42, 0x82],
  docTypeVersion: [0x42, 0x87],
  docTypeReadVersion: [0x42, 0x85],
  segment: [0x18, 0x53, 0x80, 0x67],
  info: [0x15, 0x49, 0xa9, 0x66],
  timecodeScale: [0x2a, 0xd7, 0xb1],
  muxingApp: [0x4d, 0x80],
  writingApp: [0x57, 0x41],
  tracks: [0x16, 0x54, 0xae, 0x6b],
  trackEntry: [0xae],
  trackNumber: [0xd7],
  trackUid: [0x73, 0xc5],
  trackType: [0x83],
  flagLacing: [0x9c],
  codecId: [0x86],
  video: [0xe0],
  pixelWidth: [0xb0],
  pixelHeight: [0xba],
  codecPrivate: [0x63, 0xa2],
  audio: [0xe1],
  samplingFrequency: [0xb5],
  channels: [0x9f],
  bitDepth: [0x62, 0x64],
  cluster: [0x1f, 0x43, 0xb6, 0x75],
  timecode: [0xe7],
  simpleBlock: [0xa3],
} as const;

/** EBML "unknown size" (8-byte form), used for the live Segment. */
const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const encoder = new TextEncoder();

/** Nanoseconds per timecode tick: 1 ms. */
const TIMECODE_SCALE_NS = 1_000_000;

/** Encodes an EBML element size as a variable-length integer (1..8 bytes). */
export function ebmlSize(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad EBML size [size:${size}]`);
  for (let length = 1; length <= 8; length++) {
    // All-ones is reserved for "unknown", hence −1.
    if (size < 2 ** (7 * length) - 1) {
      const out = new Uint8Array(length);
      let rest = size;
      for (let i = length - 1; i >= 0; i--) {
        out[i] = rest % 256;
        rest = Math.floor(rest / 256);
      }
      out[0]! |= 1 << (8 - length);
      return out;
    }
  }
  throw new RangeError(`EBML size too large [size:${size}]`);
}

function uint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  return Uint8Array.from(bytes);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function element(id: readonly number[], ...body: Uint8Array[]): Uint8Array {
  const payload = concat(body);
  return concat([Uint8Array.from(id), ebmlSize(payload.byteLength), payload]);
}

function uintElement(id: readonly number[], value: number): Uint8Array {
  return element(id, uint(value));
}

function stringElement(id: readonly number[], value: string): Uint8Array {
  return element(id, encoder.encode(value));
}

function floatElement(id: readonly number[], value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, false);
  return element(id, bytes);
}

/** An MJPEG video track. */
export interface MatroskaVideoTrack {
  kind: 'video';
  width: number;
  height: number;
}

/** An audio track: Opus packets (`codecPrivate` = an `OpusHead`) or s16le interleaved PCM. */
export interface MatroskaAudioTrack {
  kind: 'audio';
  codec: 'opus' | 'pcm';
  sampleRate: number;
  channels: number;
  /** Opus: the `OpusHead` identification header (opus-packet.ts `opusHead`). */
  codecPrivate?: Uint8Array;
}

export type MatroskaTrack = MatroskaVideoTrack | MatroskaAudioTrack;

function trackEntry(number: number, track: MatroskaTrack): Uint8Array {
  const common = [uintElement(ID.trackNumber, number), uintElement(ID.trackUid, number)];
  if (track.kind === 'video') {
    return element(
      ID.trackEntry,
      ...common,
      uintElement(ID.trackType, 1),
      uintElement(ID.flagLacing, 0),
      stringElement(ID.codecId, 'V_MJPEG'),
      element(ID.video, uintElement(ID.pixelWidth, track.width), uintElement(ID.pixelHeight, track.height)),
    );
  }
  const opus = track.codec === 'opus';
  if (opus && track.codecPrivate === undefined) throw new TypeError('an Opus track needs its OpusHead as codecPrivate');
  return element(
    ID.trackEntry,
    ...common,
    uintElement(ID.trackType, 2),
    uintElement(ID.flagLacing, 0),
    stringElement(ID.codecId, opus ? 'A_OPUS' : 'A_PCM/INT/LIT'),
    ...(opus ? [element(ID.codecPrivate, track.codecPrivate!)] : []),
    element(
      ID.audio,
      floatElement(ID.samplingFrequency, track.sampleRate),
      uintElement(ID.channels, track.channels),
      ...(opus ? [] : [uintElement(ID.bitDepth, 16)]),
    ),
  );
}

/**
 * The stream head for `tracks` (numbered 1, 2, … in this order): EBML header, open Segment,
 * Info and Tracks.
 */
export function matroskaHead(tracks: readonly MatroskaTrack[]): Uint8Array {
  if (tracks.length === 0 || tracks.length > 126) throw new RangeError(`a stream needs 1..126 tracks [tracks:${tracks.length}]`);
  const ebml = element(
    ID.ebml,
    uintElement(ID.ebmlVersion, 1),
    uintElement(ID.ebmlReadVersion, 1),
    uintElement(ID.ebmlMaxIdLength, 4),
    uintElement(ID.ebmlMaxSizeLength, 8),
    stringElement(ID.docType, 'matroska'),
    uintElement(ID.docTypeVersion, 4),
    uintElement(ID.docTypeReadVersion, 2),
  );
  const info = element(
    ID.info,
    uintElement(ID.timecodeScale, TIMECODE_SCALE_NS),
    stringElement(ID.muxingApp, 'framewire'),
    stringElement(ID.writingApp, 'framewire'),
  );
  const entries = element(ID.tracks, ...tracks.map((track, i) => trackEntry(i + 1, track)));
  return concat([ebml, Uint8Array.from(ID.segment), UNKNOWN_SIZE, info, entries]);
}

/** The stream head for one MJPEG track of `width`×`height`. */
export function matroskaHeader(width: number, height: number): Uint8Array {
  return matroskaHead([{ kind: 'video', width, height }]);
}

/**
 * One Cluster holding one keyframe: `timecodeMs` (integer ms from the start of the stream)
 * and a JPEG file. Returned as pieces (head, JPEG) so the JPEG is not copied.
 */
export function matroskaFrame(timecodeMs: number, jpeg: Uint8Array): Uint8Array[] {
  return matroskaBlock(1, timecodeMs, jpeg);
}

/**
 * One Cluster holding one keyframe of track `track` (1..126): `timecodeMs` (integer ms from
 * the start of the stream) and its payload (a JPEG, an Opus packet, PCM samples). Returned
 * as pieces (head, payload) so the payload is not copied.
 */
export function matroskaBlock(track: number, timecodeMs: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isSafeInteger(timecodeMs) || timecodeMs < 0) throw new RangeError(`bad timecode [ms:${timecodeMs}]`);
  if (!Number.isInteger(track) || track < 1 || track > 126) throw new RangeError(`bad track number [track:${track}]`);
  const timecode = uintElement(ID.timecode, timecodeMs);
  // SimpleBlock: track number (vint), relative timecode (i16 big-endian), flags (0x80 keyframe).
  const blockHead = Uint8Array.of(0x80 | track, 0x00, 0x00, 0x80);
  const blockSize = blockHead.byteLength + payload.byteLength;
  const simpleBlockHead = concat([Uint8Array.from(ID.simpleBlock), ebmlSize(blockSize), blockHead]);
  const clusterBody = timecode.byteLength + simpleBlockHead.byteLength + payload.byteLength;
  const head = concat([Uint8Array.from(ID.cluster), ebmlSize(clusterBody), timecode, simpleBlockHead]);
  return [head, payload];
}

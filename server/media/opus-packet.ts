/**
 * What the media code needs to know of Opus packets without decoding them: the duration of
 * a packet from its TOC byte (RFC 6716 §3.1), and the `OpusHead` identification header of
 * an Ogg Opus stream (RFC 7845 §5.1), whose multi-byte fields are LITTLE-endian.
 */

/** Opus always counts time in 48 kHz samples (granule positions, pre-skip). */
export const OPUS_RATE = 48000;
/** Bytes of an `OpusHead` for channel mapping family 0. */
export const OPUS_HEAD_BYTES = 19;

/** Ms per frame for each TOC config 0..31 (SILK 10/20/40/60, hybrid 10/20, CELT 2.5/5/10/20). */
const FRAME_MS: readonly number[] = [
  10, 20, 40, 60, 10, 20, 40, 60, 10, 20, 40, 60, // SILK NB, MB, WB
  10, 20, 10, 20, // hybrid SWB, FB
  2.5, 5, 10, 20, 2.5, 5, 10, 20, 2.5, 5, 10, 20, 2.5, 5, 10, 20, // CELT NB, WB, SWB, FB
];

/**
 * Samples per channel at 48 kHz in one Opus packet (all its frames), from its TOC byte and,
 * for code 3, its frame-count byte. Undefined for an empty or truncated packet.
 */
export function opusPacketSamples(packet: Uint8Array): number | undefined {
  if (packet.byteLength < 1) return undefined;
  const toc = packet[0]!;
  const frameSamples = (FRAME_MS[toc >> 3]! * OPUS_RATE) / 1000;
  const code = toc & 0x03;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else {
    if (packet.byteLength < 2) return undefined;
    frames = packet[1]! & 0x3f;
    if (frames === 0) return undefined;
  }
  return frames * frameSamples;
}

/** The fields of an `OpusHead` packet. */
export interface OpusHead {
  version: number;
  channels: number;
  /** Samples (48 kHz) the decoder discards at the start: the encoder's look-ahead. */
  preSkip: number;
  /** Sample rate of the encoder's input, Hz (informative only). */
  inputSampleRate: number;
  /** Output gain, Q7.8 dB. */
  outputGain: number;
  mappingFamily: number;
}

/** True if `packet` is an `OpusHead` (starts with that magic). */
export function isOpusHead(packet: Uint8Array): boolean {
  return startsWith(packet, 'OpusHead');
}

/** True if `packet` is an `OpusTags` comment header. */
export function isOpusTags(packet: Uint8Array): boolean {
  return startsWith(packet, 'OpusTags');
}

/** Parses an `OpusHead`; throws `TypeError` if it is not one or is cut short. */
export function parseOpusHead(packet: Uint8Array): OpusHead {
  if (!isOpusHead(packet) || packet.byteLength < OPUS_HEAD_BYTES) {
    throw new TypeError(`not an OpusHead packet [bytes:${packet.byteLength}]`);
  }
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    version: view.getUint8(8),
    channels: view.getUint8(9),
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    outputGain: view.getInt16(16, true),
    mappingFamily: view.getUint8(18),
  };
}

/** An `OpusHead` for channel mapping family 0 (mono or stereo), e.g. a Matroska `CodecPrivate`. */
export function opusHead(channels: number, preSkip: number, inputSampleRate: number): Uint8Array {
  if (channels !== 1 && channels !== 2) throw new TypeError(`OpusHead family 0 is for 1 or 2 channels [channels:${channels}]`);
  const out = new Uint8Array(OPUS_HEAD_BYTES);
  out.set(new TextEncoder().encode('OpusHead'), 0);
  const view = new DataView(out.buffer);
  view.setUint8(8, 1); // version
  view.setUint8(9, channels);
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputSampleRate, true);
  view.setInt16(16, 0, true); // output gain
  view.setUint8(18, 0); // mapping family 0
  return out;
}

function startsWith(packet: Uint8Array, magic: string): boolean {
  if (packet.byteLength < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (packet[i] !== magic.charCodeAt(i)) return false;
  return true;
}

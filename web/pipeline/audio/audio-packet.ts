/**
 * One encoded audio packet → its wire-format v1 frame (docs/protocol.md › Audio frames):
 * width = sample rate, height = channels (1), samples = samples per channel, keyframe set
 * (every audio frame decodes on its own), captureTime = relay-clock instant of the FIRST sample.
 */
import { encodeFrame, Flag } from '../../../codec/index.ts';
import { AUDIO_CODECS, type AudioCodecName } from './audio-codecs.ts';

/** An encoded packet as the sender's encoders hand it over. */
export interface AudioPacket {
  codec: AudioCodecName;
  /** One Opus packet, or s16le mono PCM. */
  payload: Uint8Array;
  /** Samples per channel it carries, at the codec's wire rate. */
  samples: number;
}

/** The frame's header fields besides the packet. */
export interface AudioPacketStamp {
  /** The sender's shared frame counter. */
  seq: number;
  /** Relay-clock capture instant of the packet's first sample, ms since the epoch. */
  captureTime: number;
}

/** Encodes `packet` as one frame. Throws `FrameError` (e.g. an empty Opus packet). */
export function encodeAudioPacket(packet: AudioPacket, stamp: AudioPacketStamp): Uint8Array {
  const entry = AUDIO_CODECS[packet.codec];
  return encodeFrame({
    codec: entry.id,
    width: entry.sampleRate,
    height: 1,
    samples: packet.samples,
    payload: packet.payload,
    seq: stamp.seq >>> 0,
    captureTime: stamp.captureTime,
    flags: Flag.keyframe,
  });
}

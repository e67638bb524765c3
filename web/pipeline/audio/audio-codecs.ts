/**
 * THE registry of audio codecs (like ../codecs.ts for pictures): what `opus` and `pcm` mean
 * on the wire (docs/protocol.md › Audio frames) and which one this browser can send.
 */
import { Codec, type CodecId } from '../../../codec/index.ts';

/** Names of the audio codecs (also their wire codec names). */
export type AudioCodecName = 'opus' | 'pcm';

/** Duration of every frame we send, ms. */
export const AUDIO_FRAME_MS = 20;

/** One audio codec as we send it. */
export interface AudioCodecEntry {
  readonly name: AudioCodecName;
  /** Its id in the frame header (codec/format.ts `Codec`). */
  readonly id: CodecId;
  /** Sample rate on the wire (header width), Hz. */
  readonly sampleRate: number;
  /** Samples per channel per 20 ms frame (header samples). */
  readonly frameSamples: number;
  /** For people (stats, badges). */
  readonly label: string;
}

/** The registry, keyed by codec name. Both mono (header height 1). */
export const AUDIO_CODECS: Readonly<Record<AudioCodecName, AudioCodecEntry>> = {
  opus: { name: 'opus', id: Codec.opus, sampleRate: 48000, frameSamples: 960, label: 'Opus 32 kbit/s' },
  pcm: { name: 'pcm', id: Codec.pcm, sampleRate: 16000, frameSamples: 320, label: 'PCM 16 kHz' },
};

/** The audio codec with header id `id`, or undefined (video, unknown). */
export function audioCodecById(id: number): AudioCodecEntry | undefined {
  return id === Codec.opus ? AUDIO_CODECS.opus : id === Codec.pcm ? AUDIO_CODECS.pcm : undefined;
}

/**
 * The WebCodecs encoder configuration of our Opus stream: 48 kHz mono, 32 kbit/s, 20 ms frames,
 * VoIP. The encoder's own DTX is off (it breaks the chunk ↔ frame match, audio-encoders.ts);
 * silence is left out by OpusFrameEncoder instead.
 */
export const OPUS_ENCODER_CONFIG: AudioEncoderConfig = {
  codec: 'opus',
  sampleRate: 48000,
  numberOfChannels: 1,
  bitrate: 32000,
  opus: { frameDuration: AUDIO_FRAME_MS * 1000, application: 'voip', usedtx: false, complexity: 5 } as OpusEncoderConfig,
};

/**
 * Opus's algorithmic delay (encoder look-ahead + decoder), ms: decoded audio lags the
 * captured audio by this much. WebCodecs does not trim it; the receiver shifts capture times.
 */
export const OPUS_CODEC_DELAY_MS = 6.5;

/** Which codec this browser can send: 'opus' when WebCodecs has our Opus encoder configuration, else 'pcm'. */
export async function pickAudioCodec(): Promise<AudioCodecName> {
  if (typeof AudioEncoder === 'undefined') return 'pcm';
  try {
    const support = await AudioEncoder.isConfigSupported(OPUS_ENCODER_CONFIG);
    return support.supported === true ? 'opus' : 'pcm';
  } catch {
    return 'pcm';
  }
}

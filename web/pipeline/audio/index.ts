/**
 * The framewire browser audio pipeline — sound through the same relay and wire format as
 * the pictures (docs/protocol.md › Audio frames):
 *
 *   microphone ──▶ capture worklet ──▶ reframe ──▶ encode ──────▶ frame ──▶ send
 *   microphone.ts  capture-processor.ts reframer.ts audio-encoders.ts audio-packet.ts (AudioSender, audio-sender.ts)
 *
 *   frame ──▶ decode ───────────▶ player worklet ─────────▶ destination
 *             audio-decoders.ts   player-processor.ts + jitter-buffer.ts (AudioReceiver, audio-receiver.ts)
 *
 * - Capture: 20 ms mono blocks at the context rate, each with the context frame of its
 *   first sample; context-clock.ts maps context time to the local wall clock.
 * - Encode: Opus 48 kHz mono 32 kbit/s 20 ms VoIP with DTX (WebCodecs), else PCM 16 kHz s16le.
 * - Playout: one player worklet per source with an adaptive jitter buffer (target 20–200 ms
 *   from the arrival jitter, time-stretching, concealment, reordering by capture time).
 * - Taps (audio-tap.ts) record any node with wall-clock times, for tests and benches.
 */
export { AUDIO_CODECS, AUDIO_FRAME_MS, OPUS_CODEC_DELAY_MS, OPUS_ENCODER_CONFIG, audioCodecById, pickAudioCodec, type AudioCodecEntry, type AudioCodecName } from './audio-codecs.ts';
export { encodeAudioPacket, type AudioPacket, type AudioPacketStamp } from './audio-packet.ts';
export { AudioPipelineError, type AudioPipelineErrorCode } from './audio-pipeline-error.ts';
export { AudioReceiver, type AudioReceiverOptions, type AudioSourceStats } from './audio-receiver.ts';
export { AudioSender, DEFAULT_INPUT_LATENCY_MS, type AudioSenderOptions, type AudioSenderStats, type SendResult } from './audio-sender.ts';
export { createAudioTap, type AudioTap, type AudioTapOptions, type AudioTapRecording } from './audio-tap.ts';
export { ContextClock } from './context-clock.ts';
export { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type PushOutcome } from './jitter-buffer.ts';
export { JitterEstimator, type JitterEstimatorOptions } from './jitter-estimator.ts';
export { LevelMeter, rmsToLevel } from './level-meter.ts';
export { MicrophoneError, openMicrophone, type MicrophoneErrorCode, type MicrophoneOptions } from './microphone.ts';

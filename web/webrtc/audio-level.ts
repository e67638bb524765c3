/**
 * Loudness, 0..1, the two ways WebRTC mode measures it: from a remote peer's RTP packets
 * (`RTCRtpReceiver.getSynchronizationSources()`: the sender's RFC 6464 level of the latest
 * packet, linear, 1 = full scale) and from our own microphone's samples (RMS of an
 * AnalyserNode's time-domain data). Pure functions, tested in Node.
 */

/** A synchronization source as `getSynchronizationSources()` lists it (only what is used here). */
export interface SourceSample {
  /** When its latest packet was played out, ms: epoch ms or `performance.now()` ms (browsers differ). */
  timestamp: number;
  /** Linear level 0..1 of that packet, if the sender sent the audio-level header extension. */
  audioLevel?: number;
}

/**
 * A packet older than this no longer counts as sound, ms: the sender is muted or gone (a DTX
 * sender still sends a packet every 400 ms in silence). Default 1000.
 */
export const STALE_SOURCE_MS = 1000;

/**
 * The level of the freshest source, 0 when its latest packet is older than `staleMs`, or null
 * when there is no source (nothing was ever received, or nothing for the browser's 10 s).
 * `nowEpochMs` and `nowPerfMs` are now on both clocks a timestamp may use.
 */
export function sourceLevel(sources: readonly SourceSample[], nowEpochMs: number, nowPerfMs: number, staleMs = STALE_SOURCE_MS): number | null {
  let latest: SourceSample | undefined;
  for (const source of sources) if (latest === undefined || source.timestamp > latest.timestamp) latest = source;
  if (latest === undefined) return null;
  // NOTE: the spec says performance.now() time; Chromium has given epoch ms. Anything past 1e12 (2001) is epoch.
  const age = (latest.timestamp > 1e12 ? nowEpochMs : nowPerfMs) - latest.timestamp;
  if (age > staleMs) return 0;
  return clampLevel(latest.audioLevel ?? 0);
}

/** Root mean square of `samples` (−1..1), 0..1; 0 for none. A full-scale sine gives 0.707. */
export function rmsLevel(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return clampLevel(Math.sqrt(sum / samples.length));
}

function clampLevel(level: number): number {
  return Number.isFinite(level) ? Math.min(1, Math.max(0, level)) : 0;
}

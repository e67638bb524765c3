/**
 * WebRTC mode (`mode=webrtc`), loaded on demand by web/app/media-mode.ts. Implements the
 * `WebRtcModule` seam of web/pipeline/index.ts.
 */
import { parseIcePolicy } from '../app/settings.ts';
import type { MediaContext, MediaTransport } from '../pipeline/index.ts';
import { WebRtcMedia, type WebRtcMediaOptions } from './webrtc-media.ts';

export { WebRtcMedia, type WebRtcMediaOptions } from './webrtc-media.ts';
export { WebRtcSession, type WebRtcSessionOptions, type WebRtcSessionEvents } from './webrtc-session.ts';
export { PeerLink, DEFAULT_AUDIO_MAX_BITRATE_BPS, type PeerLinkOptions, type PeerLinkAudioOptions, type SignalData } from './peer-link.ts';
export { summarizeStats, audioPeerFigures, type WebRtcStats, type AudioStats, type WebRtcAudioFigures } from './webrtc-stats.ts';
export { WebRtcAudio } from './webrtc-audio.ts';
export { sourceLevel, rmsLevel } from './audio-level.ts';
export { VOICE_OPUS_FMTP, withOpusFmtp } from './opus-sdp.ts';
export { parseIceServers, IceServerError, type IceServer } from '../../protocol/index.ts';
export { modeMismatchNotice, modesCompatible } from './mode-notice.ts';
export { icePolicy, icePolicyProblem, type IcePolicy } from './ice-policy.ts';

/**
 * The `WebRtcModule` entry point: WebRTC as the app's media transport. URL parameters:
 * `jitterBufferTarget=MS` sets the receivers' jitter-buffer target (default: the browser's);
 * `ice=relay` uses TURN-relayed candidates only (web/app/settings.ts `parseIcePolicy`). Throws
 * (shown by the app) for relay-only without a TURN server.
 *
 * For automation (tests, benches) the transport is also `window.framewire.webrtc` while it is
 * the current one: `audioLevel(peerId)`, `audioOutput(peerId)` (tap the sound heard from a
 * peer), `audioFigures(peerId)`, `figures(peerId)`, `setMicrophone(stream)`, `setAudioContext(ctx)`.
 */
export function createMediaTransport(context: MediaContext): MediaTransport {
  const params = new URLSearchParams(location.search);
  const target = Number(params.get('jitterBufferTarget') ?? Number.NaN);
  const options: WebRtcMediaOptions = { iceTransportPolicy: parseIcePolicy(params.get('ice')) };
  if (Number.isFinite(target) && target >= 0 && target <= 4000) options.jitterBufferTargetMs = target;
  const transport = new WebRtcMedia(context, options);
  const api = (globalThis as { framewire?: Record<string, unknown> }).framewire;
  if (api) api['webrtc'] = transport;
  return transport;
}

/**
 * WebRTC mode (`mode=webrtc`), loaded on demand by web/app/media-mode.ts. Implements the
 * `WebRtcModule` seam of web/pipeline/index.ts.
 */
import type { MediaContext, MediaTransport } from '../pipeline/index.ts';
import { WebRtcMedia } from './webrtc-media.ts';

export { WebRtcMedia, type WebRtcMediaOptions } from './webrtc-media.ts';
export { WebRtcSession, type WebRtcSessionOptions, type WebRtcSessionEvents } from './webrtc-session.ts';
export { PeerLink, type PeerLinkOptions, type SignalData } from './peer-link.ts';
export { summarizeStats, type WebRtcStats } from './webrtc-stats.ts';
export { parseIceServers, IceServerError, type IceServer } from '../../protocol/index.ts';
export { modeMismatchNotice, modesCompatible } from './mode-notice.ts';

/**
 * The `WebRtcModule` entry point: WebRTC as the app's media transport. URL parameter
 * `jitterBufferTarget=MS` sets the receivers' jitter-buffer target (default: the browser's).
 */
export function createMediaTransport(context: MediaContext): MediaTransport {
  const target = Number(new URLSearchParams(location.search).get('jitterBufferTarget') ?? Number.NaN);
  return new WebRtcMedia(context, Number.isFinite(target) && target >= 0 && target <= 4000 ? { jitterBufferTargetMs: target } : {});
}

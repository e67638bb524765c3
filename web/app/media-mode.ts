/**
 * THE place where the media transport is chosen: raw frames through the relay
 * (`mode=jpeg|bgra`, web/app/raw-media.ts) or WebRTC (`mode=webrtc`, web/webrtc/index.ts,
 * loaded on demand so the raw-frame path never downloads it). Both implement
 * `MediaTransport` (web/pipeline/index.ts).
 */
import type { MediaContext, MediaTransport, WebRtcModule } from '../pipeline/index.ts';
import { isRawMode } from '../pipeline/codecs.ts';
import { RawMedia, type RawMediaOptions } from './raw-media.ts';
import type { MediaMode } from './settings.ts';

// NOTE: a glob rather than a plain import so the app builds before web/webrtc/ exists.
const webrtcLoaders = import.meta.glob<WebRtcModule>('../webrtc/index.ts');

/** 'raw' for the codecs of the registry (jpeg, bgra), 'webrtc' for webrtc: switching within a kind needs no reconnect. */
export function transportKind(mode: MediaMode): 'raw' | 'webrtc' {
  return isRawMode(mode) ? 'raw' : 'webrtc';
}

/** True if this build contains the WebRTC module. */
export function webrtcAvailable(): boolean {
  return Object.keys(webrtcLoaders).length > 0;
}

/** Creates the media transport for `mode`. */
export async function createMediaTransport(
  mode: MediaMode,
  context: MediaContext,
  rawOptions: RawMediaOptions = {},
): Promise<MediaTransport> {
  if (transportKind(mode) === 'webrtc') {
    const load = Object.values(webrtcLoaders)[0];
    if (load === undefined) throw new Error('WebRTC mode is not part of this build');
    const module = await load();
    return module.createMediaTransport(context);
  }
  return new RawMedia(context, rawOptions);
}

/**
 * Server-side media (ffmpeg + sharp): recording, snapshots, relay-side transcoding.
 * The relay CLI (server/main.ts) calls `attachMedia` once after the relay starts.
 *
 * PLACEHOLDER owned by the media work (issue 7): it replaces this body. It exists now only
 * so that server/main.ts can be written against the final signature.
 */
import type { Relay } from '../relay.ts';

/** Options of `attachMedia`. */
export interface MediaOptions {
  /** Record every room's streams into this directory (frame log + MP4 per participant). Default: off. */
  recordDir?: string;
  /** JPEG quality of relay-side BGRA→JPEG transcoding, 1..100. Default 75. */
  transcodeQuality?: number;
}

/** What `attachMedia` returns; `close()` stops recordings and children, safe to call twice. */
export interface MediaHandle {
  close(): Promise<void>;
}

export function attachMedia(_relay: Relay, _options: MediaOptions): MediaHandle {
  return { close: async () => undefined };
}

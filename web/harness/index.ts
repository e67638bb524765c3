/**
 * The latency harness (`source=harness`), loaded on demand by web/app/app.ts. Implements
 * the `HarnessModule` seam of web/pipeline/index.ts: a capture source that draws frame ids,
 * and `window.framewire.harness` for the bench (see latency-harness.ts).
 */
import type { MediaSettings } from '../app/settings.ts';
import type { CaptureSource } from '../pipeline/index.ts';
import { LatencyHarness } from './latency-harness.ts';

export { LatencyHarness, type HarnessApi } from './latency-harness.ts';
export { HarnessSource, type HarnessSourceOptions } from './harness-source.ts';
export { readFrameId, writeFrameId, frameIdLayout, frameIdCells } from './frame-id.ts';
export { FrameIdReader, VideoPaintWatcher } from './paint-reader.ts';
export { LatencyRecorder, joinLatency, epochNow } from './latency-recorder.ts';

let harness: LatencyHarness | undefined;

function instance(): LatencyHarness {
  harness ??= new LatencyHarness();
  return harness;
}

/** Adds `window.framewire.harness` and hooks the paint events. */
export function install(api: Record<string, unknown>): void {
  instance().install(api);
}

/** The harness canvas as the capture source, drawn over `camera` (synthetic content when null or with `harness=synthetic`). */
export function createCaptureSource(camera: CaptureSource | null, settings: MediaSettings): CaptureSource {
  // `harness=synthetic` in the URL ignores the camera (reproducible content for benches);
  // `harness=flat` too, with the flat picture of earlier benches (like-for-like comparisons).
  const content = new URLSearchParams(location.search).get('harness');
  if (content === 'synthetic' || content === 'flat') camera = null;
  // NOTE: the harness draws its own picture at the send resolution; its timer (the WebRTC path) runs at the send fps.
  return instance().createSource(camera, { width: settings.width, height: settings.height, fps: settings.fps, textured: content !== 'flat' });
}

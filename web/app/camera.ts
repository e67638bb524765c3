/**
 * The local picture of a call: the camera, the latency harness's canvas (`source=harness`,
 * web/harness/, loaded on demand), or nothing (joining without a camera).
 */
import { openCamera } from '../pipeline/capture.ts';
import { CaptureError, type CaptureSource, type HarnessModule } from '../pipeline/index.ts';
import { h } from '../ui/dom.ts';
import type { MediaSettings } from './settings.ts';

// NOTE: globs so the app builds before web/harness/ exists (the latency helper adds it).
const harnessLoaders = import.meta.glob<HarnessModule>('../harness/index.ts');

/** Options of `openSource`. */
export interface OpenSourceOptions {
  /** 'harness' substitutes the harness canvas (drawing over the camera when there is one). */
  source?: string | undefined;
  /** Join without a camera when none can be opened (ignored with the harness). */
  allowNoCamera: boolean;
  settings: MediaSettings;
  /** What the harness's `install` hook receives (`window.framewire`). */
  api: () => Record<string, unknown>;
}

/** Opens the capture source of a call. Throws `CaptureError`. */
export async function openSource(options: OpenSourceOptions): Promise<CaptureSource> {
  const { width, height } = options.settings;
  const harness = options.source === 'harness';
  let camera: CaptureSource | null = null;
  if (!options.allowNoCamera || harness) {
    try {
      const deviceId = options.settings.cameraDeviceId;
      camera = await openCamera({ width, height, ...(deviceId === undefined ? {} : { deviceId }) });
    } catch (error) {
      if (!harness) throw error;
    }
  }
  if (harness) {
    const load = Object.values(harnessLoaders)[0];
    if (load === undefined) throw CaptureError.failed(new Error('source=harness but web/harness/ is not part of this build'));
    const module = await load();
    module.install?.(options.api());
    return await module.createCaptureSource(camera, options.settings);
  }
  return camera ?? new NoCameraSource();
}

/** The capture source used when joining without a camera: never ready, so nothing is sent. */
export class NoCameraSource implements CaptureSource {
  readonly kind = 'none';
  readonly image = h('canvas', { width: 2, height: 2 });
  readonly width = 0;
  readonly height = 0;
  readonly stream = null;
  readonly ready = false;
  close(): void {}
}

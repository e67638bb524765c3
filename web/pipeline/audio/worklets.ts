/**
 * Loads the audio worklets into a context, once per context. The processors are bundled by
 * vite as worker entries (`?worker&url`: their imports — jitter-buffer.ts, … — are inlined
 * into one file in `vite build`, and served as modules by the dev server).
 */
import captureUrl from './capture-processor.ts?worker&url';
import playerUrl from './player-processor.ts?worker&url';
import { AudioPipelineError } from './audio-pipeline-error.ts';

const loaded = new WeakMap<BaseAudioContext, Promise<void>>();

/** Adds the capture and player processors to `context` (cached); rejects with `AudioPipelineError` 'unsupported'/'worklet-failed'. */
export function loadAudioWorklets(context: BaseAudioContext): Promise<void> {
  let promise = loaded.get(context);
  if (promise === undefined) {
    if (context.audioWorklet === undefined) return Promise.reject(AudioPipelineError.unsupported('AudioWorklet'));
    promise = Promise.all([context.audioWorklet.addModule(captureUrl), context.audioWorklet.addModule(playerUrl)]).then(
      () => undefined,
      (error: unknown) => {
        loaded.delete(context);
        throw AudioPipelineError.workletFailed(error);
      },
    );
    loaded.set(context, promise);
  }
  return promise;
}

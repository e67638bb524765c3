/**
 * Loads the audio worklets into a context, once per context. The processors are bundled by
 * vite as worker entries (`?worker&url`: their imports — jitter-buffer.ts, … — are inlined
 * into one file in `vite build`, and served as modules by the dev server).
 */
import captureUrl from './capture-processor.ts?worker&url';
import playerUrl from './player-processor.ts?worker&url';
import { AudioPipelineError } from './audio-pipeline-error.ts';
import { CAPTURE_PROCESSOR, type CaptureProcessorOptions } from './worklet-messages.ts';

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

/** A mono capture processor node handing out blocks of `blockSamples` (the sender's and the taps' recorder). Load the worklets first. */
export function createCaptureNode(context: BaseAudioContext, blockSamples: number): AudioWorkletNode {
  const processorOptions: CaptureProcessorOptions = { blockSamples };
  return new AudioWorkletNode(context, CAPTURE_PROCESSOR, {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: 1,
    channelCountMode: 'explicit',
    processorOptions,
  });
}

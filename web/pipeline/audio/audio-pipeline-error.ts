/** Errors of the audio pipeline's setup (the media paths themselves count failures instead of throwing). */

/** Stable codes of `AudioPipelineError`. */
export type AudioPipelineErrorCode = 'unsupported' | 'worklet-failed' | 'encoder-failed' | 'bad-options';

/** Why an `AudioSender`/`AudioReceiver`/tap could not be set up. */
export class AudioPipelineError extends Error {
  readonly code: AudioPipelineErrorCode;

  private constructor(code: AudioPipelineErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AudioPipelineError';
    this.code = code;
  }

  static unsupported(feature: string): AudioPipelineError {
    return new AudioPipelineError('unsupported', `this browser has no ${feature} [feature:${feature}]`);
  }

  static workletFailed(cause: unknown): AudioPipelineError {
    return new AudioPipelineError('worklet-failed', `the audio worklets could not be loaded${detail(cause)}`, cause);
  }

  static encoderFailed(cause: unknown): AudioPipelineError {
    return new AudioPipelineError('encoder-failed', `the Opus encoder could not be configured${detail(cause)}`, cause);
  }

  static badOptions(message: string): AudioPipelineError {
    return new AudioPipelineError('bad-options', message);
  }
}

function detail(cause: unknown): string {
  return cause instanceof Error ? ` [${cause.name}: ${cause.message}]` : '';
}

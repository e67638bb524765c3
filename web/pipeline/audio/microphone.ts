/**
 * Opens the microphone: one audio track with echo cancellation, noise suppression and auto
 * gain on. Rejections become a `MicrophoneError` with a stable code and a message for people.
 */

/** Stable codes of `MicrophoneError`. */
export type MicrophoneErrorCode = 'denied' | 'not-found' | 'in-use' | 'unsupported' | 'failed';

/** Why the microphone could not be opened; `message` is written for the person in front of it. */
export class MicrophoneError extends Error {
  readonly code: MicrophoneErrorCode;

  private constructor(code: MicrophoneErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'MicrophoneError';
    this.code = code;
  }

  static denied(cause?: unknown): MicrophoneError {
    return new MicrophoneError(
      'denied',
      'Microphone access was denied. Allow the microphone for this site (the icon in the address bar) and try again.',
      cause,
    );
  }

  static notFound(cause?: unknown): MicrophoneError {
    return new MicrophoneError('not-found', 'No microphone was found. Connect a microphone and try again.', cause);
  }

  static inUse(cause?: unknown): MicrophoneError {
    return new MicrophoneError('in-use', 'The microphone is in use by another application or could not be started.', cause);
  }

  static unsupported(): MicrophoneError {
    return new MicrophoneError('unsupported', 'This browser cannot access a microphone here. Open the page over https:// or http://localhost.');
  }

  static failed(cause?: unknown): MicrophoneError {
    const detail = cause instanceof Error ? ` [${cause.name}: ${cause.message}]` : '';
    return new MicrophoneError('failed', `The microphone could not be opened${detail}.`, cause);
  }

  /** Maps a `getUserMedia` rejection (a `DOMException`) to a `MicrophoneError`. */
  static fromMediaError(error: unknown): MicrophoneError {
    const name = error instanceof Error ? error.name : '';
    switch (name) {
      case 'NotAllowedError':
      case 'SecurityError':
      case 'PermissionDeniedError':
        return MicrophoneError.denied(error);
      case 'NotFoundError':
      case 'DevicesNotFoundError':
      case 'OverconstrainedError':
        return MicrophoneError.notFound(error);
      case 'NotReadableError':
      case 'TrackStartError':
      case 'AbortError':
        return MicrophoneError.inUse(error);
      default:
        return MicrophoneError.failed(error);
    }
  }
}

/** Options of `openMicrophone`. */
export interface MicrophoneOptions {
  /** A device from `enumerateDevices()`; default the system's. */
  deviceId?: string;
}

/** `getUserMedia` for the microphone (voice processing on); rejects with `MicrophoneError`. */
export async function openMicrophone(options: MicrophoneOptions = {}): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || navigator.mediaDevices?.getUserMedia === undefined) throw MicrophoneError.unsupported();
  const audio: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 };
  if (options.deviceId !== undefined) audio.deviceId = { exact: options.deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ audio, video: false });
  } catch (error) {
    throw MicrophoneError.fromMediaError(error);
  }
}

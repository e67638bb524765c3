/** Stable error codes of the wire format. A relay uses them as WebSocket close reasons. */
export type FrameErrorCode =
  | 'too-short'
  | 'bad-magic'
  | 'bad-version'
  | 'unknown-codec'
  | 'length-mismatch'
  | 'too-large'
  | 'bad-dimensions'
  | 'bad-payload-size'
  | 'not-jpeg'
  | 'bad-audio-format'
  | 'bad-init';

/**
 * The one error the codec throws. `code` is stable (tests and peers rely on it); the
 * message carries context in brackets, e.g. `frame too large [bytes:9000000, max:8388608]`.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code: FrameErrorCode;

  private constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  static tooShort(bytes: number, needed: number): FrameError {
    return new FrameError('too-short', `frame shorter than its header [bytes:${bytes}, needed:${needed}]`);
  }

  static badMagic(found: number, expected: number): FrameError {
    return new FrameError('bad-magic', `bad magic [found:0x${hex16(found)}, expected:0x${hex16(expected)}]`);
  }

  static badVersion(found: number, supported: number): FrameError {
    return new FrameError('bad-version', `unsupported version [found:${found}, supported:${supported}]`);
  }

  static unknownCodec(id: number, name: string | undefined): FrameError {
    const what = name === undefined ? 'unknown codec' : `codec ${name} is reserved, not supported in v1`;
    return new FrameError('unknown-codec', `${what} [codec:${id}]`);
  }

  static lengthMismatch(declared: number, present: number): FrameError {
    return new FrameError(
      'length-mismatch',
      `length prefix does not match the bytes present [declared:${declared}, present:${present}]`,
    );
  }

  static tooLarge(bytes: number, max: number): FrameError {
    return new FrameError('too-large', `frame too large [bytes:${bytes}, max:${max}]`);
  }

  static badDimensions(width: number, height: number, max: number): FrameError {
    return new FrameError('bad-dimensions', `bad dimensions [width:${width}, height:${height}, max:${max}]`);
  }

  static badPayloadSize(codec: string, bytes: number, expected: number | string): FrameError {
    return new FrameError('bad-payload-size', `${codec} payload size wrong [bytes:${bytes}, expected:${expected}]`);
  }

  static notJpeg(first: number, second: number): FrameError {
    return new FrameError(
      'not-jpeg',
      `jpeg payload does not start with SOI [found:0x${hex8(first)}${hex8(second)}, expected:0xffd8]`,
    );
  }

  static badAudioFormat(sampleRate: number, channels: number, samples: number): FrameError {
    return new FrameError(
      'bad-audio-format',
      `bad audio format [sampleRate:${sampleRate}, channels:${channels}, samples:${samples}]`,
    );
  }

  static badInit(reason: string): FrameError {
    return new FrameError('bad-init', `cannot encode frame: ${reason}`);
  }
}

function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function hex8(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Page-side timestamps of raw frames at the WebSocket, for the per-hop breakdown: when a
 * frame was handed to `WebSocket.send` and when the page's message handler received one.
 * The harness installs this only with `source=harness`; it wraps `WebSocket.prototype.send`
 * and the `MessageEvent.prototype.data` getter (so the first read of a frame's bytes by the
 * app is the receive instant), reading `seq`, `sourceId`, `captureTime` and `relayTime`
 * straight from the wire header. The app's code is untouched.
 */
import { Codec, HEADER_BYTES, MAGIC, Offset } from '../../codec/index.ts';
import { epochNow } from './latency-recorder.ts';

/** Default number of marks kept per direction. */
export const DEFAULT_MAX_MARKS = 20_000;

/** A frame handed to `WebSocket.send`. */
export interface SocketSendMark {
  seq: number;
  codec: number;
  bytes: number;
  captureTime: number;
  sentAt: number;
}

/** The header fields `peekFrame` reads from a wire-format frame, and its size in bytes. */
export interface FrameFields {
  seq: number;
  sourceId: number;
  codec: number;
  bytes: number;
  captureTime: number;
  relayTime: number;
}

/** A frame's bytes first read by the app. */
export interface SocketReceiveMark extends FrameFields {
  receivedAt: number;
}

/** The header fields of a wire-format frame, or undefined if `data` is not one. */
export function peekFrame(data: unknown): FrameFields | undefined {
  let view: DataView;
  if (data instanceof ArrayBuffer) view = new DataView(data);
  else if (ArrayBuffer.isView(data)) view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  else return undefined;
  if (view.byteLength < HEADER_BYTES || view.getUint16(Offset.magic, false) !== MAGIC) return undefined;
  const codec = view.getUint8(Offset.codec);
  if (codec !== Codec.jpeg && codec !== Codec.bgra) return undefined;
  return {
    seq: view.getUint32(Offset.seq, false),
    sourceId: view.getUint32(Offset.sourceId, false),
    codec,
    bytes: view.byteLength,
    captureTime: view.getFloat64(Offset.captureTime, false),
    relayTime: view.getFloat64(Offset.relayTime, false),
  };
}

/** Records socket-level marks; `install()` once per page, `close()` restores the originals. */
export class SocketMarks {
  readonly sent: SocketSendMark[] = [];
  readonly received: SocketReceiveMark[] = [];
  readonly #max: number;
  readonly #seen = new WeakSet<MessageEvent>();
  #restore: (() => void) | undefined;

  constructor(maxMarks = DEFAULT_MAX_MARKS) {
    this.#max = maxMarks;
  }

  install(): void {
    if (this.#restore) return;
    const marks = this;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      const sentAt = epochNow();
      const fields = typeof data === 'string' ? undefined : peekFrame(data);
      send.call(this, data);
      if (fields) marks.#push(marks.sent, { seq: fields.seq, codec: fields.codec, bytes: fields.bytes, captureTime: fields.captureTime, sentAt });
    };
    const descriptor = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
    const getData = descriptor?.get;
    if (descriptor && getData) {
      Object.defineProperty(MessageEvent.prototype, 'data', {
        ...descriptor,
        get(this: MessageEvent) {
          const data: unknown = getData.call(this);
          if (!marks.#seen.has(this) && this.target instanceof WebSocket) {
            marks.#seen.add(this);
            const fields = peekFrame(data);
            if (fields) marks.#push(marks.received, { ...fields, receivedAt: epochNow() });
          }
          return data;
        },
      });
    }
    this.#restore = () => {
      WebSocket.prototype.send = send;
      if (descriptor) Object.defineProperty(MessageEvent.prototype, 'data', descriptor);
    };
  }

  /** The receive instant of frame `seq` from `sourceId`, if seen. Searches newest first. */
  receivedAt(sourceId: number, seq: number, captureTime: number): number | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const mark = this.received[i]!;
      if (mark.seq === seq && mark.sourceId === sourceId && mark.captureTime === captureTime) return mark.receivedAt;
    }
    return undefined;
  }

  clear(): void {
    this.sent.length = 0;
    this.received.length = 0;
  }

  close(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  #push<T>(list: T[], mark: T): void {
    list.push(mark);
    if (list.length > this.#max) list.splice(0, list.length - this.#max);
  }
}

/**
 * A `Connection` (connection.ts) over one WebSocket: `binaryType = 'arraybuffer'`, text
 * messages are control messages, binary messages are frames. `busy` while more than
 * `maxBufferedBytes` wait in the socket (latest-wins sending: the caller skips the frame).
 * A socket that has not opened after `connectTimeoutMs` is closed (the link retries).
 */
import type { Connection, ConnectionHandlers } from './connection.ts';

/** Options of `WsConnection`. */
export interface WsConnectionOptions {
  /** The full WebSocket URL, query included (`ws://host/ws?room=…&name=…`). */
  url: string;
  /** A frame is refused while `bufferedAmount` exceeds this many bytes. Default `DEFAULT_MAX_BUFFERED_BYTES` (0: the previous frame must have left). */
  maxBufferedBytes?: number;
  /** Give up after this long without an open socket, ms. Default `DEFAULT_CONNECT_TIMEOUT_MS` (5000). */
  connectTimeoutMs?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 0;
/**
 * Audio frames are refused only while more than this waits in the socket (≈ 0.5 s at
 * 1 Mbit/s): audio rides along whatever video is still leaving, but never piles up.
 */
export const AUDIO_MAX_BUFFERED_BYTES = 64 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export class WsConnection implements Connection {
  readonly kind = 'websocket';
  readonly #ws: WebSocket;
  readonly #handlers: ConnectionHandlers;
  readonly #maxBuffered: number;
  readonly #connectTimer: ReturnType<typeof setTimeout>;
  #done = false;

  /** Opens the socket. Throws `TypeError` for a URL that is not ws:// or wss://, and whatever `new WebSocket` throws (a URL the browser refuses). */
  constructor(options: WsConnectionOptions, handlers: ConnectionHandlers) {
    if (!/^wss?:\/\//.test(options.url)) throw new TypeError(`url must be ws:// or wss:// [url:${options.url}]`);
    this.#handlers = handlers;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    this.#connectTimer = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(this.#connectTimer);
      handlers.open();
    };
    ws.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (data instanceof ArrayBuffer) handlers.frame(new Uint8Array(data));
      else if (typeof data === 'string') handlers.control(data);
    };
    ws.onclose = (event: CloseEvent) => this.#end(event.code, event.reason);
    ws.onerror = () => undefined; // a close event always follows
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  get busy(): boolean {
    return this.bufferedAmount > this.#maxBuffered;
  }

  sendControl(text: string): boolean {
    if (!this.#open()) return false;
    this.#ws.send(text);
    return true;
  }

  sendFrame(bytes: Uint8Array): boolean {
    if (!this.#open() || this.busy) return false;
    this.#ws.send(bytes);
    return true;
  }

  sendAudio(bytes: Uint8Array): boolean {
    if (!this.#open() || this.bufferedAmount > AUDIO_MAX_BUFFERED_BYTES) return false;
    this.#ws.send(bytes);
    return true;
  }

  close(code = 1000, reason = 'leave'): void {
    if (this.#done) return;
    this.#done = true;
    this.#stop();
    try {
      this.#ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  #open(): boolean {
    return !this.#done && this.#ws.readyState === WebSocket.OPEN;
  }

  #end(code: number, reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#stop();
    this.#handlers.close(code, reason);
  }

  #stop(): void {
    clearTimeout(this.#connectTimer);
    const ws = this.#ws;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
  }
}

/**
 * `PeerChannel` over a `ws` WebSocket (server side: no deflate, no masking). Frames go out
 * as the caller's bytes after ws's own 2–10 byte header; ws's write callback is the
 * outbox's flush callback. `alive` is the heartbeat's liveness bit (ws-endpoint.ts).
 */
import WebSocket from 'ws';
import type { ChannelReceiver, PeerChannel, SendResult } from './peer-channel.ts';

/** ws send options of every frame (one object, not one per send). */
const BINARY = { binary: true } as const;

const NO_RECEIVER: ChannelReceiver = { onFrame: () => undefined, onControl: () => undefined, onClose: () => undefined };

export class WsChannel implements PeerChannel {
  /** Showed life (a message or a pong) since the last heartbeat (a plain field: a message costs one store). */
  alive = true;
  readonly #ws: WebSocket;
  #receiver: ChannelReceiver = NO_RECEIVER;
  /** Set once closed, in case the receiver comes later. */
  #closed: { code: number; reason: string } | undefined;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('pong', () => (this.alive = true));
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      // NOTE: ws gives one Buffer per message (binaryType 'nodebuffer'), owned by us: the
      // core may stamp it in place.
      if (isBinary) this.#receiver.onFrame(data as Buffer);
      else this.#receiver.onControl(data as Buffer);
    });
    ws.once('close', (code, reason) => {
      this.#closed = { code, reason: reason.toString() };
      this.#receiver.onClose(code, this.#closed.reason);
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Where `incomingBytes` comes from (the endpoint's message tracker). */
  incomingBytesOf: (() => number) | undefined;

  /** Bytes of a message the client is sending and has not finished (what ws holds of it). */
  get incomingBytes(): number {
    return this.incomingBytesOf?.() ?? 0;
  }

  receive(receiver: ChannelReceiver): void {
    this.#receiver = receiver;
    if (this.#closed !== undefined) receiver.onClose(this.#closed.code, this.#closed.reason);
  }

  sendControl(text: string): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(text);
    return true;
  }

  sendFrame(bytes: Uint8Array, done: (error?: Error | null) => void): SendResult {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) return 'failed';
    ws.send(bytes, BINARY, done);
    // Node writes to the kernel synchronously when it can: nothing buffered = already flushed.
    return ws.bufferedAmount === 0 ? 'flushed' : 'in-flight';
  }

  close(code: number, reason: string): void {
    const state = this.#ws.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) this.#ws.close(code, reason);
  }

  terminate(): void {
    this.#ws.terminate();
  }

  /** Sends a WebSocket ping (heartbeat), if open. */
  ping(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.ping();
  }
}

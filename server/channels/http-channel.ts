/**
 * `PeerChannel` over plain HTTP requests: ONE session of the HTTP channel
 * (http-endpoint.ts routes the requests; docs/protocol.md › HTTP channel). What a WebSocket
 * carries as messages travels as byte-stream records (codec/stream-records.ts):
 *
 * - **Downlink** (relay → client): records queue here until the client fetches them, over
 *   an attached *stream* (`GET /fw/stream`: one long-lived body, written as they come) or a
 *   *poll* (`GET /fw/poll`: everything queued, or the first record within `pollWaitMs`, with
 *   a Content-Length). A frame is sent as its own bytes — a frame IS a frame record — and
 *   never copied; control messages and the close become control/close records. A newer
 *   stream or poll ends the older one.
 * - **Backpressure** is ws's: with a stream attached a frame is `res.write(bytes)`, 'flushed'
 *   if nothing is left in the response's `writableLength`, else 'in-flight' until Node's
 *   write callback; without one it is queued, 'in-flight' until the poll (or stream) that
 *   carries it has written it. `bufferedAmount` = queued bytes + the response's buffer.
 * - **Uplink** (client → relay): `deliver(records)` from a `POST /fw/send` body, in order.
 * - **Close**: the close record is always the last record of the downlink. A close the relay
 *   starts (`close`) with a stream or poll attached completes, like a WebSocket close
 *   handshake, once the close record has been written to it (then `onClose(code, reason)`),
 *   or after `closeTimeoutMs` as lost (1006; the response is dropped); with nothing attached
 *   it completes at once. A close from the client (a close record, `POST /fw/close`)
 *   completes at once, its echo queued. Either way the session then lingers `lingerMs` — a
 *   later stream or poll still gets the close record — and is forgotten (`onEnd`: its token goes).
 * - **Liveness**: no request for `idleTimeoutMs` (a waiting poll counts, an attached stream
 *   does not: a dead TCP connection can look attached for minutes) → lost: `onClose(1006)`
 *   and forgotten at once, like `terminate`.
 *
 * No closure is allocated per frame: every response gets ONE write callback for all its
 * writes (Node calls them in write order) and a FIFO of the `done`s it owes; a response that
 * closes or is replaced settles what it still owes as sent (no error: the outbox goes on over
 * the next response; a frame lost with a dead connection is lost as on a lossy network).
 */
import type { ServerResponse } from 'node:http';
import { encodeCloseRecord, encodeControlRecord, encodeKeepaliveRecord, type StreamRecord } from '../../codec/index.ts';
import { CloseCode } from '../../protocol/index.ts';
import type { ChannelReceiver, PeerChannel, SendResult } from './peer-channel.ts';

type Done = (error?: Error | null) => void;

/** How long a poll waits for a record before it is answered with a keepalive record, ms. */
export const DEFAULT_POLL_WAIT_MS = 20_000;
/** Silence on an attached stream before a keepalive record is written, ms (at most; 2/3 of it at least). */
export const DEFAULT_KEEPALIVE_MS = 15_000;
/** No request on a session for this long → lost (1006), ms (the endpoint derives it from the heartbeat). */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** How long a close the relay started waits for its close record to be written to the attached downlink, ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;
/** How long a closed session can still be fetched (its close record) before its token is forgotten, ms. */
export const DEFAULT_LINGER_MS = 30_000;

/** Close code of a channel lost without a close handshake (RFC 6455 §7.1.5). */
const LOST = 1006;
/** Reason of a close record from a client whose code a client may not send. */
export const BAD_CLOSE_CODE_REASON = 'bad-close-code';

/** The keepalive record, shared by every write (never mutated). */
const KEEPALIVE = encodeKeepaliveRecord();

/** Headers of a stream response (no Content-Length: chunked on HTTP/1.1, until close on 1.0). */
const STREAM_HEADERS = {
  'content-type': 'application/octet-stream',
  'cache-control': 'no-store',
  // NOTE: nginx buffers proxied responses unless told not to; browsers sniff without nosniff.
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
} as const;

const NO_RECEIVER: ChannelReceiver = { onFrame: () => undefined, onControl: () => undefined, onClose: () => undefined };
const ignore = (): void => undefined;

/** How a session last fetched its downlink. */
export type HttpDownlinkKind = 'none' | 'stream' | 'poll';

/** Why a session was forgotten: its linger ended, it was terminated, or it went idle (lost). */
export type HttpSessionEnd = 'linger' | 'terminated' | 'idle';

/** Options of `HttpChannel`. */
export interface HttpChannelOptions {
  /** How long a poll waits for a record before it is answered with a keepalive record, ms. Default 20000. */
  pollWaitMs?: number;
  /** Silence on an attached stream before a keepalive record, ms. Default 15000. */
  keepaliveMs?: number;
  /** No request for this long (and no poll waiting) → the channel is lost (1006), ms. Default 10000. */
  idleTimeoutMs?: number;
  /** A close the relay started counts as lost (1006) if its close record cannot be written to the attached downlink within this, ms. Default 2000. */
  closeTimeoutMs?: number;
  /** How long a closed session stays fetchable, ms. Default 30000. */
  lingerMs?: number;
  /** Told once, when the session is over (after its linger, or at once when terminated or idle). Default none. */
  onEnd?: (channel: HttpChannel, why: HttpSessionEnd) => void;
  /** Called once when the channel closes (when its receiver's `onClose` is), before it lingers. Default none. */
  onClosed?: () => void;
}

/** One response the downlink is written to (a stream, or a poll), with the write callbacks it owes. */
class Downlink {
  readonly res: ServerResponse;
  readonly kind: 'stream' | 'poll';
  /** A waiting poll's deadline. */
  timer: NodeJS.Timeout | undefined;
  /** `done` of each write not yet called back, oldest first (null: a record without one). */
  #owed: (Done | null)[] = [];
  #head = 0;
  #retired = false;
  /** The ONE write callback of every write to this response. */
  readonly #written = (): void => {
    if (this.#retired || this.#head === this.#owed.length) return;
    const done = this.#owed[this.#head];
    this.#owed[this.#head++] = null;
    if (this.#head === this.#owed.length) {
      this.#owed.length = 0;
      this.#head = 0;
    }
    done?.();
  };

  constructor(res: ServerResponse, kind: 'stream' | 'poll') {
    this.res = res;
    this.kind = kind;
  }

  write(bytes: Uint8Array, done: Done | null): void {
    this.#owed.push(done);
    this.res.write(bytes, this.#written);
  }

  /** Settles every write still owed (the response closed or was replaced); later callbacks are ignored. Safe twice. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    clearTimeout(this.timer);
    const owed = this.#owed;
    this.#owed = [];
    for (let i = this.#head; i < owed.length; i++) owed[i]?.();
  }
}

export class HttpChannel implements PeerChannel {
  readonly #pollWaitMs: number;
  readonly #keepaliveMs: number;
  readonly #closeTimeoutMs: number;
  readonly #lingerMs: number;
  readonly #onEnd: ((channel: HttpChannel, why: HttpSessionEnd) => void) | undefined;
  readonly #onClosed: (() => void) | undefined;
  #receiver: ChannelReceiver = NO_RECEIVER;
  /** open → closing (the relay closed; close record not fetched yet) → closed (onClose told; lingering). */
  #state: 'open' | 'closing' | 'closed' = 'open';
  #forgotten = false;
  /** The downlink's last record, once the channel is closing. */
  #closeRecord: Uint8Array | undefined;
  /** What `onClose` gets when a close the relay started completes. */
  #closing: { code: number; reason: string } | undefined;
  /** Set once closed, in case the receiver comes later. */
  #closedWith: { code: number; reason: string } | undefined;
  /** Records waiting for a stream or poll, and the `done` of each (frames; null for the rest). */
  #queue: Uint8Array[] = [];
  #queueDone: (Done | null)[] = [];
  #queuedBytes = 0;
  #incomingBytes = 0;
  /** The attached stream or waiting poll. */
  #downlink: Downlink | undefined;
  /** A poll answered and maybe still being written (its buffer counts in `bufferedAmount`). */
  #answered: Downlink | undefined;
  #kind: HttpDownlinkKind = 'none';
  #answerScheduled = false;
  /** Keepalive ticks (a third of `keepaliveMs`) without a write on the stream. */
  #quietTicks = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;

  constructor(options: HttpChannelOptions = {}) {
    const ms = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw new TypeError(`HttpChannel option ${name} must be a positive number of ms [${name}:${String(v)}]`);
      return v;
    };
    this.#pollWaitMs = ms('pollWaitMs', options.pollWaitMs, DEFAULT_POLL_WAIT_MS);
    this.#keepaliveMs = ms('keepaliveMs', options.keepaliveMs, DEFAULT_KEEPALIVE_MS);
    this.#closeTimeoutMs = ms('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS);
    this.#lingerMs = ms('lingerMs', options.lingerMs, DEFAULT_LINGER_MS);
    this.#onEnd = options.onEnd;
    this.#onClosed = options.onClosed;
    this.#idleTimer = setTimeout(this.#onIdle, ms('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS));
    this.#idleTimer.unref();
  }

  // ── PeerChannel (the relay core's side) ────────────────────────────────────────────────

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Bytes of this session's `/fw/send` bodies received and not finished (counted in the relay's memory budget). */
  get incomingBytes(): number {
    return this.#incomingBytes;
  }

  /** The endpoint's count of body bytes in progress: `+n` as they arrive, `−total` when the request is over. */
  holdIncoming(delta: number): void {
    this.#incomingBytes += delta;
  }

  get bufferedAmount(): number {
    const stream = this.#downlink?.kind === 'stream' ? this.#downlink.res.writableLength : 0;
    return this.#queuedBytes + stream + (this.#answered?.res.writableLength ?? 0);
  }

  receive(receiver: ChannelReceiver): void {
    this.#receiver = receiver;
    if (this.#closedWith !== undefined) receiver.onClose(this.#closedWith.code, this.#closedWith.reason);
  }

  sendControl(text: string): boolean {
    if (this.#state !== 'open') return false;
    this.#send(encodeControlRecord(text), null);
    return true;
  }

  sendFrame(bytes: Uint8Array, done: Done): SendResult {
    if (this.#state !== 'open') return 'failed';
    const stream = this.#downlink;
    if (stream !== undefined && stream.kind === 'stream') {
      this.#writeStream(stream, bytes, done);
      // Node writes to the kernel synchronously when it can: nothing buffered = already flushed.
      return stream.res.writableLength === 0 ? 'flushed' : 'in-flight';
    }
    this.#enqueue(bytes, done);
    return 'in-flight';
  }

  close(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#closing = { code, reason };
    this.#closeRecord = encodeCloseRecord(code, reason);
    const carrier = this.#flushClose();
    if (carrier === undefined) {
      // Nothing attached: the close record waits for the next stream or poll (the linger).
      this.#finish(code, reason);
      return;
    }
    this.#closeTimer = setTimeout(() => {
      // Not written in time (a reader that stopped reading): lost, as ws's closeTimeout does.
      this.#finish(LOST, '');
      carrier.res.destroy();
    }, this.#closeTimeoutMs);
    this.#closeTimer.unref();
  }

  terminate(): void {
    this.#end('terminated');
  }

  // ── The transport's side (http-endpoint.ts) ────────────────────────────────────────────

  /** True once the session is over (its token must go). */
  get forgotten(): boolean {
    return this.#forgotten;
  }

  /** True once `onClose` was told (the session may still linger). */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** How the client last fetched the downlink ('none' before its first stream or poll). */
  get downlinkKind(): HttpDownlinkKind {
    return this.#kind;
  }

  /** A request of this session arrived: it is alive. */
  touch(): void {
    if (this.#state === 'open') this.#idleTimer?.refresh();
  }

  /**
   * Attaches `res` (a `GET /fw/stream`) as the downlink: 200 with the stream headers, then
   * everything queued, then each record as it comes. Ends the older stream or poll. A closed
   * session's stream gets the close record and ends.
   */
  attachStream(res: ServerResponse): void {
    this.touch();
    this.#kind = 'stream';
    this.#replaceDownlink();
    const stream = this.#track(new Downlink(res, 'stream'));
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    if (this.#forgotten) {
      stream.res.end();
      return;
    }
    this.#downlink = stream;
    if (this.#closeRecord !== undefined) {
      this.#flushClose(); // what is left, the close record, and the end
      return;
    }
    res.cork();
    this.#writeQueue(stream);
    res.uncork();
    this.#startKeepalive();
  }

  /**
   * Attaches `res` (a `GET /fw/poll`): answered at once with everything queued, else with
   * the first records to come (those of the same event-loop turn together), else after
   * `pollWaitMs` with one keepalive record. Always with a Content-Length. Ends the older
   * stream or poll.
   */
  attachPoll(res: ServerResponse): void {
    this.touch();
    this.#kind = 'poll';
    this.#replaceDownlink();
    const poll = this.#track(new Downlink(res, 'poll'));
    if (this.#queue.length > 0 || this.#closeRecord !== undefined || this.#forgotten) {
      this.#answerPoll(poll);
      return;
    }
    this.#downlink = poll;
    poll.timer = setTimeout(() => {
      if (this.#downlink === poll) this.#answerPoll(poll);
    }, this.#pollWaitMs);
    poll.timer.unref();
  }

  /**
   * Hands the records of a client's request body to the receiver, in order: frames (their
   * bytes as they are: the core validates and stamps them in place), control messages, a
   * close (the client closes: `clientClose`); keepalives are skipped. Records after the
   * channel closed are ignored. False if a record was refused: a close record with a code a
   * client may not send (the channel is then closed 1002 `bad-close-code`).
   */
  deliver(records: readonly StreamRecord[]): boolean {
    for (let i = 0; i < records.length; i++) {
      if (this.#state !== 'open') return true;
      const record = records[i]!;
      switch (record.kind) {
        case 'frame':
          // NOTE: `bytes` may be a view into the request body chunk (RecordReader: zero copy
          // when the record lies in one chunk). Node's HTTP parser hands each body chunk as
          // a Buffer of its own, and records of a chunk never overlap, so nobody else writes
          // to these bytes: the core may stamp them in place and forward them as they are.
          this.#receiver.onFrame(record.bytes);
          break;
        case 'control':
          this.#receiver.onControl(record.utf8);
          break;
        case 'close':
          if (!isClientCloseCode(record.code)) {
            this.close(CloseCode.protocolError, BAD_CLOSE_CODE_REASON);
            return false;
          }
          this.clientClose(record.code, record.reason);
          break;
        case 'keepalive':
          break;
      }
    }
    return true;
  }

  /**
   * The client closes (a close record, or `POST /fw/close`): its close record is echoed as
   * the last record of the downlink and the receiver is told at once. If the relay had
   * started a close, this completes it with the relay's code.
   */
  clientClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'closing') {
      this.#finish(this.#closing!.code, this.#closing!.reason);
      return;
    }
    this.#state = 'closing';
    this.#closing = { code, reason };
    this.#closeRecord = encodeCloseRecord(code, reason);
    this.#flushClose();
    this.#finish(code, reason);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** Writes `bytes` to the stream as one piece (corked: a chunk's size line, data and CRLF go out in one writev). */
  #writeStream(stream: Downlink, bytes: Uint8Array, done: Done | null): void {
    this.#quietTicks = 0;
    stream.res.cork();
    stream.write(bytes, done);
    stream.res.uncork();
  }

  #send(record: Uint8Array, done: Done | null): void {
    const downlink = this.#downlink;
    if (downlink !== undefined && downlink.kind === 'stream') this.#writeStream(downlink, record, done);
    else this.#enqueue(record, done);
  }

  #enqueue(record: Uint8Array, done: Done | null): void {
    this.#queue.push(record);
    this.#queueDone.push(done);
    this.#queuedBytes += record.byteLength;
    if (this.#downlink !== undefined && !this.#answerScheduled) {
      // A waiting poll: answer once this turn's records are in (a welcome and what follows it go together).
      this.#answerScheduled = true;
      queueMicrotask(this.#answerWaitingPoll);
    }
  }

  readonly #answerWaitingPoll = (): void => {
    this.#answerScheduled = false;
    const poll = this.#downlink;
    if (poll !== undefined && poll.kind === 'poll') this.#answerPoll(poll);
  };

  /** Writes every queued record to `downlink` (the queue empties). */
  #writeQueue(downlink: Downlink): void {
    const queue = this.#queue;
    const dones = this.#queueDone;
    for (let i = 0; i < queue.length; i++) downlink.write(queue[i]!, dones[i]!);
    this.#queue = [];
    this.#queueDone = [];
    this.#queuedBytes = 0;
  }

  /** Answers a poll: everything queued, then the close record if closing; one keepalive record if there is nothing. */
  #answerPoll(poll: Downlink): void {
    if (this.#downlink === poll) this.#downlink = undefined;
    clearTimeout(poll.timer);
    const close = this.#closeRecord;
    const empty = this.#queue.length === 0 && close === undefined;
    const length = empty ? KEEPALIVE.byteLength : this.#queuedBytes + (close?.byteLength ?? 0);
    const res = poll.res;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(length),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.cork();
    if (empty) poll.write(KEEPALIVE, null);
    else this.#writeQueue(poll);
    if (close !== undefined) poll.write(close, this.#closeWritten);
    res.end(); // uncorks
    this.#answered = poll;
    this.touch(); // a poll ends: the client is alive until it should have polled again
  }

  /** Writes what is queued and the close record to the attached downlink, if any, and ends it; returns that downlink. */
  #flushClose(): Downlink | undefined {
    const downlink = this.#downlink;
    if (downlink === undefined) return undefined;
    if (downlink.kind === 'poll') {
      this.#answerPoll(downlink);
      return downlink;
    }
    this.#downlink = undefined;
    downlink.res.cork();
    this.#writeQueue(downlink);
    downlink.write(this.#closeRecord!, this.#closeWritten);
    downlink.res.end(); // uncorks
    return downlink;
  }

  /** The close record was written to a response (or that response closed): a close the relay started is complete. */
  readonly #closeWritten = (): void => {
    if (this.#state === 'closing') this.#finish(this.#closing!.code, this.#closing!.reason);
  };

  /** Ends the attached stream or waiting poll (a newer one comes): a poll answers empty, a stream's body just ends. */
  #replaceDownlink(): void {
    const old = this.#downlink;
    if (old === undefined) return;
    this.#downlink = undefined;
    // Frames still in its buffer are settled now, so the outbox goes on over the new downlink.
    old.retire();
    if (old.kind === 'poll') {
      old.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '0', 'cache-control': 'no-store' });
    }
    old.res.end();
  }

  /** Listens for the end of `downlink`'s response (closed by either side, or finished). */
  #track(downlink: Downlink): Downlink {
    downlink.res.on('error', ignore);
    downlink.res.once('close', () => {
      downlink.retire();
      if (this.#downlink === downlink) this.#downlink = undefined; // a stream that failed just detaches
      if (this.#answered === downlink) this.#answered = undefined;
    });
    return downlink;
  }

  #startKeepalive(): void {
    if (this.#keepaliveTimer !== undefined) return;
    this.#keepaliveTimer = setInterval(() => {
      const stream = this.#downlink;
      if (stream === undefined || stream.kind !== 'stream') {
        this.#quietTicks = 0;
        return;
      }
      if (++this.#quietTicks >= 3) this.#writeStream(stream, KEEPALIVE, null);
    }, this.#keepaliveMs / 3);
    this.#keepaliveTimer.unref();
  }

  readonly #onIdle = (): void => {
    if (this.#state !== 'open') return;
    // A waiting poll is a live client (it ends within pollWaitMs): look again later.
    if (this.#downlink?.kind === 'poll') {
      this.#idleTimer?.refresh();
      return;
    }
    this.#end('idle');
  };

  /** Tells the receiver the channel closed (once) and starts the linger. */
  #finish(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closedWith = { code, reason };
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#closeTimer);
    if (!this.#forgotten) {
      this.#lingerTimer = setTimeout(() => this.#end('linger'), this.#lingerMs);
      this.#lingerTimer.unref();
    }
    this.#onClosed?.();
    this.#receiver.onClose(code, reason);
  }

  /** The session is over: responses still attached are dropped, the receiver told (1006 if not yet), `onEnd`. */
  #end(why: HttpSessionEnd): void {
    if (this.#forgotten) return;
    this.#forgotten = true;
    const downlink = this.#downlink;
    this.#downlink = undefined;
    if (downlink !== undefined) {
      downlink.retire();
      downlink.res.destroy();
    }
    const dones = this.#queueDone;
    this.#queue = [];
    this.#queueDone = [];
    this.#queuedBytes = 0;
    for (const done of dones) done?.();
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#lingerTimer);
    clearInterval(this.#keepaliveTimer);
    this.#finish(LOST, '');
    this.#onEnd?.(this, why);
  }
}

/** Close codes a client may send (RFC 6455 §7.4: not 1004–1006 nor 1015, which mean "no close frame"). */
function isClientCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

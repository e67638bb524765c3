/**
 * Snapshots: `GET /rooms/:room/peers/:peer/snapshot.jpg` answers the latest frame of that
 * peer as a JPEG — a JPEG frame as it is, a BGRA frame converted with sharp (once per frame,
 * however many ask). The store keeps a reference to the last relayed frame of every peer
 * (no copy: the relay never reuses a frame's buffer) and forgets a peer when it leaves.
 * A room with a secret requires it (`?secret=S` or the `X-Room-Secret` header); errors are
 * JSON `{code, message}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Codec, isAudioCodec, type Frame } from '../../codec/index.ts';
import { bgraToJpeg, checkQuality } from './jpeg.ts';

/** JPEG quality of snapshots of BGRA frames. */
export const DEFAULT_SNAPSHOT_QUALITY = 85;
/** The snapshot route, matched against the URL path. */
export const SNAPSHOT_ROUTE = /^\/rooms\/([^/]+)\/peers\/(\d{1,10})\/snapshot\.jpg$/;
/** Header that may carry the room secret instead of `?secret=`. */
export const SECRET_HEADER = 'x-room-secret';

/** Options of `SnapshotStore`. */
export interface SnapshotStoreOptions {
  /** JPEG quality for BGRA frames, 1..100. Default 85. */
  quality?: number;
  /** Decides whether `secret` opens `room` (the relay's `checkRoomSecret`). Default: every room is open. */
  checkSecret?: (room: string, secret: string | undefined) => boolean;
}

interface Latest {
  frame: Frame;
  jpeg: Promise<Uint8Array> | null;
}

export class SnapshotStore {
  readonly #latest = new Map<string, Latest>();
  readonly #quality: number;
  readonly #checkSecret: (room: string, secret: string | undefined) => boolean;

  constructor(options: SnapshotStoreOptions = {}) {
    this.#quality = options.quality ?? DEFAULT_SNAPSHOT_QUALITY;
    checkQuality(this.#quality);
    this.#checkSecret = options.checkSecret ?? (() => true);
  }

  /** Remembers `frame` as the latest of `peerId` in `room`; audio frames are ignored (the latest picture stays). */
  update(room: string, peerId: number, frame: Frame): void {
    if (isAudioCodec(frame.codec)) return;
    this.#latest.set(key(room, peerId), { frame, jpeg: null });
  }

  /** Forgets a peer (it left). */
  forget(room: string, peerId: number): void {
    this.#latest.delete(key(room, peerId));
  }

  /** Forgets everything. */
  clear(): void {
    this.#latest.clear();
  }

  /** The latest frame of a peer as JPEG, with its header fields; undefined if there is none. */
  async jpeg(room: string, peerId: number): Promise<{ jpeg: Uint8Array; frame: Frame } | undefined> {
    const latest = this.#latest.get(key(room, peerId));
    if (latest === undefined) return undefined;
    const { frame } = latest;
    latest.jpeg ??=
      frame.codec === Codec.jpeg
        ? Promise.resolve(frame.payload)
        : bgraToJpeg(frame.payload, frame.width, frame.height, this.#quality);
    return { jpeg: await latest.jpeg, frame };
  }

  /** The HTTP handler of `SNAPSHOT_ROUTE` (relay `route('GET', SNAPSHOT_ROUTE, store.handle)`). */
  readonly handle = async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): Promise<void> => {
    let room: string;
    try {
      room = decodeURIComponent(match[1]!);
    } catch {
      return sendError(res, 400, 'bad-room', 'room is not valid percent-encoding');
    }
    const peerId = Number(match[2]);
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const header = req.headers[SECRET_HEADER];
    const secret = url.searchParams.get('secret') || (typeof header === 'string' && header !== '' ? header : undefined);
    if (!this.#checkSecret(room, secret)) {
      return sendError(res, 403, 'bad-secret', `this room needs its secret (?secret= or ${SECRET_HEADER} header) [room:${room}]`);
    }
    const snapshot = await this.jpeg(room, peerId);
    if (snapshot === undefined) {
      return sendError(res, 404, 'no-frame', `no frame from this peer [room:${room}, peer:${peerId}]`);
    }
    const { jpeg, frame } = snapshot;
    res.writeHead(200, {
      'content-type': 'image/jpeg',
      'content-length': jpeg.byteLength,
      'cache-control': 'no-store',
      'x-frame-seq': String(frame.seq),
      'x-frame-capture-time': String(frame.captureTime),
      'x-frame-width': String(frame.width),
      'x-frame-height': String(frame.height),
    });
    res.end(jpeg);
  };
}

function key(room: string, peerId: number): string {
  return `${peerId}\u0000${room}`;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

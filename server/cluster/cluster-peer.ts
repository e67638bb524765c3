/**
 * A peer of a cluster call for tests and benches, behaving as the web app does: it joins
 * through an entry point (any node, as through a load balancer), follows redirects
 * (`joinCluster`), sends a small JPEG-coded frame at `fps` whose payload names its room, and
 * when its connection is lost it rejoins through the entry points, in turn, until welcomed.
 * It records what a test asks of a failover: when it was welcomed, on which node, and which
 * rooms the frames it received came from (a frame from another room would be a leak).
 */
import { Codec, decodeFrame, encodeFrame } from '../../codec/index.ts';
import { relayNow } from '../clock.ts';
import { joinCluster, type ClusterClient } from '../test-client.ts';

export interface ClusterPeerOptions {
  /** Entry points (node base URLs), tried in turn. */
  entries: readonly string[];
  room: string;
  name: string;
  /** Frames per second sent. Default 30; 0 sends none. */
  fps?: number;
  /** Wait between rejoin attempts, ms. Default 250. */
  retryMs?: number;
  /**
   * Payload bytes of each frame (a camera frame is ~2–10 KB): the room's name, then zeros.
   * Default: just the room's name between the JPEG markers (a few bytes).
   */
  payloadBytes?: number;
  /** Called for every frame received: its capture time and the receive time (`relayNow()`, ms). Default none. */
  onFrame?: (captureTime: number, receivedAt: number) => void;
}

/** One welcome of the peer. */
export interface Welcomed {
  at: number;
  node: string;
  peerId: number;
  redirects: number;
}

const JPEG_MARKERS = [0xff, 0xd8, 0xff, 0xd9];
const UTF8 = new TextDecoder();

export class ClusterPeer {
  readonly room: string;
  readonly welcomes: Welcomed[] = [];
  /** Frames received, and from which room each came (by their payload). */
  received = 0;
  readonly roomsHeard = new Set<string>();
  /** performance.now() of the last frame received. */
  lastFrameAt = 0;
  /** Sender-to-receiver latencies (ms) of every 10th frame received (one process, one clock). */
  readonly latencies: number[] = [];
  readonly #options: ClusterPeerOptions;
  #client: ClusterClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #entry = 0;
  #seq = 0;
  #payload: Uint8Array;
  #rejoining: Promise<void> | undefined;
  /** Join errors (refusals, unreachable nodes) while rejoining. */
  readonly errors: string[] = [];

  constructor(options: ClusterPeerOptions) {
    this.#options = options;
    this.room = options.room;
    const name = new TextEncoder().encode(options.room);
    const bytes = Math.max(options.payloadBytes ?? 0, name.byteLength + JPEG_MARKERS.length);
    if (!Number.isSafeInteger(bytes) || name.includes(0)) throw new TypeError(`bad payloadBytes or room [payloadBytes:${options.payloadBytes}, room:${options.room}]`);
    this.#payload = new Uint8Array(bytes); // zeros between the name and the end marker
    this.#payload.set(JPEG_MARKERS.slice(0, 2), 0);
    this.#payload.set(name, 2);
    this.#payload.set(JPEG_MARKERS.slice(2), bytes - 2);
  }

  /** Frames sent so far (on any connection). */
  get sent(): number {
    return this.#seq;
  }

  /** The node it is on now ('' while rejoining). */
  get node(): string {
    return this.#client?.node ?? '';
  }

  get peerId(): number {
    return this.#client?.peerId ?? 0;
  }

  /** Joins (retrying through the entries until `timeoutMs`), then sends at `fps`. */
  async start(timeoutMs = 20_000): Promise<void> {
    await this.#join(timeoutMs);
    const fps = this.#options.fps ?? 30;
    if (fps > 0) this.#timer = setInterval(() => this.#send(), 1000 / fps);
  }

  /** Resolves once welcomed after `since` (performance.now()), with that welcome. */
  async welcomedAfter(since: number, timeoutMs: number): Promise<Welcomed> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const w = this.welcomes.find((x) => x.at > since);
      if (w !== undefined) return w;
      if (performance.now() > deadline) throw new Error(`${this.#options.name} not welcomed again within ${timeoutMs} ms [errors:${this.errors.slice(-3).join(' | ')}]`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#rejoining?.catch(() => undefined);
    await this.#client?.close();
  }

  async #join(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const entry = this.#options.entries[this.#entry++ % this.#options.entries.length]!;
      try {
        const client = await joinCluster(entry, { room: this.#options.room, name: this.#options.name, keepFrames: false });
        if (this.#stopped) return void (await client.close());
        this.#attach(client);
        return;
      } catch (error) {
        this.errors.push(error instanceof Error ? error.message : String(error));
        if (this.#stopped) return;
        if (performance.now() > deadline) throw new Error(`${this.#options.name} could not join ${this.#options.room} within ${timeoutMs} ms [last:${this.errors.at(-1)}]`);
        await sleep(this.#options.retryMs ?? 250);
      }
    }
  }

  #attach(client: ClusterClient): void {
    this.#client = client;
    this.welcomes.push({ at: performance.now(), node: client.node, peerId: client.peerId, redirects: client.redirects });
    client.socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const bytes = data as Buffer;
      this.received++;
      this.lastFrameAt = performance.now();
      const frame = decodeFrame(bytes);
      const nameEnd = frame.payload.indexOf(0, 2);
      this.roomsHeard.add(UTF8.decode(frame.payload.subarray(2, nameEnd === -1 ? frame.payload.byteLength - 2 : nameEnd)));
      if (this.received % 10 === 0) this.latencies.push(relayNow() - frame.captureTime);
      this.#options.onFrame?.(frame.captureTime, relayNow());
    });
    void client.closed.then(() => {
      if (this.#client !== client) return;
      this.#client = undefined;
      if (this.#stopped) return;
      this.#rejoining = this.#join(60_000).catch((error: unknown) => void this.errors.push(String(error)));
    });
  }

  /**
   * Sends one frame now, if connected (false while rejoining): for a caller that paces the
   * frames of many peers itself (`fps: 0`), as bench:cluster does with one timer.
   * `captureTime` (relay clock, ms) is when the frame was due; default now.
   */
  sendFrame(captureTime?: number): boolean {
    return this.#send(captureTime);
  }

  #send(captureTime = relayNow()): boolean {
    const client = this.#client;
    if (client === undefined || client.socket.readyState !== client.socket.OPEN) return false;
    client.sendFrame(encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, payload: this.#payload, seq: ++this.#seq, captureTime }));
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

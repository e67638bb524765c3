/**
 * The relay's counters, as plain numbers (`Relay.stats`) and as Prometheus metrics
 * (`GET /metrics`). Each relay has its own prom-client `Registry`, so several relays can
 * run in one process (tests, benches).
 *
 * The per-frame counters (`frameIn`, `frameOut`, `drop`) are plain numbers, per codec byte,
 * handed to prom-client only at scrape time (its `collect` hook): a frame costs a few
 * increments, not a label lookup per metric (prom-client hashes and validates the labels of
 * every `inc`, bound children included).
 *
 * Delivery feedback (ack mode) is measured per room only — labels stay bounded by the rooms
 * that exist (a room's series are removed when it empties): the delivery delay histogram
 * (relay send → receiver receive, from acks), frames lost in flight, and uplink frames
 * acknowledged to their senders. Each room's children are looked up once and kept.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { codecName } from '../codec/index.ts';

/** Live state read at scrape time. */
export interface RelayGaugeSource {
  connections(): number;
  rooms(): number;
  peers(): number;
  /** Frames dropped towards each connected receiver, per source. */
  peerDrops(): Iterable<{ room: string; receiver: number; source: number; drops: number }>;
  /** HTTP channel sessions not yet closed, by how they last fetched their downlink (none: not yet). Default none. */
  httpSessions?(): { stream: number; poll: number; none: number };
  /** Accepted sockets whose first request's headers are not complete yet. Default none. */
  halfOpen?(): number;
  /** Connections waiting for the admission pacer. Default none. */
  admissionWaiting?(): number;
}

/** Plain counters, as exposed by `Relay.stats`. */
export interface RelayStats {
  /** Open connections of every transport: WebSockets, HTTP channel sessions, accepted channels (peers in rooms, plus ones being refused). */
  connections: number;
  /** Rooms with at least one peer. */
  rooms: number;
  /** Valid frames received from senders. */
  framesIn: number;
  /** Frames handed to receivers' sockets (one per receiver). */
  framesOut: number;
  /** Bytes of `framesIn`. */
  bytesIn: number;
  /** Bytes of `framesOut`. */
  bytesOut: number;
  /** Frames dropped by latest-wins backpressure, all receivers and sources. */
  drops: number;
}

/** Buckets of `framewire_delivery_delay_seconds`. */
export const DELIVERY_DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

/** The per-room feedback series of one room. */
export interface RoomDeliveryMetrics {
  /** An acked frame's delivery delay, ms. */
  delivered(delayMs: number): void;
  /** A frame in flight released unacked. */
  lost(): void;
  /** `frames` uplink frames acknowledged to a sender in `delivery`. */
  uplinkAcked(frames: number): void;
}

/** Codec ids are one byte: per-codec counters are arrays indexed by it. */
const CODEC_IDS = 256;

/** A per-codec counter: the value for each codec byte. */
type PerCodec = Float64Array;

export class RelayMetrics {
  readonly registry = new Registry();
  #source: RelayGaugeSource;
  #framesIn = 0;
  #framesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #drops = 0;
  #framesInBy: PerCodec = new Float64Array(CODEC_IDS);
  #bytesInBy: PerCodec = new Float64Array(CODEC_IDS);
  #framesOutBy: PerCodec = new Float64Array(CODEC_IDS);
  #bytesOutBy: PerCodec = new Float64Array(CODEC_IDS);
  #dropsBy: PerCodec = new Float64Array(CODEC_IDS);
  #controlIn: Counter<'type'>;
  #controlOut: Counter;
  #refused: Counter<'code'>;
  #resumed: Counter;
  #httpRequests: Counter<'route' | 'status'>;
  #frameErrors: Counter<'code'>;
  #deliveryDelay: Histogram<'room'>;
  #deliveryLost: Counter<'room'>;
  #uplinkAcked: Counter<'room'>;
  #rooms = new Map<string, RoomDeliveryMetrics>();

  constructor(source: RelayGaugeSource) {
    this.#source = source;
    const registers = [this.registry];
    new Gauge({
      name: 'framewire_connections',
      help: 'Open connections, all transports (WebSocket, HTTP channel sessions, accepted channels).',
      registers,
      collect() {
        this.set(source.connections());
      },
    });
    new Gauge({
      name: 'framewire_http_sessions',
      help: 'HTTP channel sessions not yet closed (also counted in framewire_connections), by how they fetch their downlink.',
      labelNames: ['transport'],
      registers,
      collect() {
        const sessions = source.httpSessions?.();
        if (sessions === undefined) return;
        this.set({ transport: 'http-stream' }, sessions.stream);
        this.set({ transport: 'long-poll' }, sessions.poll);
        this.set({ transport: 'none-yet' }, sessions.none);
      },
    });
    new Gauge({
      name: 'framewire_half_open_connections',
      help: 'Accepted sockets whose first request headers (TLS handshake included) are not complete yet; they count towards maxConnections.',
      registers,
      collect() {
        const n = source.halfOpen?.();
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'framewire_admission_waiting',
      help: 'Connections waiting for the admission pacer (admissionsPerSecond).',
      registers,
      collect() {
        const n = source.admissionWaiting?.();
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'framewire_rooms',
      help: 'Rooms with at least one peer.',
      registers,
      collect() {
        this.set(source.rooms());
      },
    });
    new Gauge({
      name: 'framewire_peers',
      help: 'Peers in rooms.',
      registers,
      collect() {
        this.set(source.peers());
      },
    });
    new Gauge({
      name: 'framewire_peer_frame_drops',
      help: 'Frames dropped by backpressure towards a connected receiver, per source (since the receiver joined).',
      labelNames: ['room', 'receiver', 'source'],
      registers,
      collect() {
        this.reset();
        for (const d of source.peerDrops()) {
          this.set({ room: d.room, receiver: String(d.receiver), source: String(d.source) }, d.drops);
        }
      },
    });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      new Counter({ name, help, labelNames, registers });
    /** A counter by codec whose values are read from `values` at scrape time. */
    const perCodec = (name: string, help: string, values: PerCodec): void => {
      new Counter({
        name,
        help,
        labelNames: ['codec'],
        registers,
        collect() {
          this.reset();
          for (let codec = 0; codec < CODEC_IDS; codec++) {
            if (values[codec]! > 0) this.inc({ codec: codecName(codec) ?? String(codec) }, values[codec]);
          }
        },
      });
    };
    perCodec('framewire_frames_in_total', 'Valid frames received from senders.', this.#framesInBy);
    perCodec('framewire_bytes_in_total', 'Bytes of valid frames received from senders.', this.#bytesInBy);
    perCodec('framewire_frames_out_total', 'Frames sent to receivers (one per receiver).', this.#framesOutBy);
    perCodec('framewire_bytes_out_total', 'Bytes of frames sent to receivers.', this.#bytesOutBy);
    perCodec('framewire_frame_drops_total', 'Frames dropped by latest-wins backpressure.', this.#dropsBy);
    this.#controlIn = counter('framewire_control_in_total', 'Control messages received, by type (unknown types as "other").', ['type']);
    this.#controlOut = counter('framewire_control_out_total', 'Control messages sent.', []);
    this.#refused = counter('framewire_refused_total', 'Connections refused or closed by the relay, by error code (also sockets destroyed at accept: server-full, too-many-connections; cut by a deadline: handshake-timeout, request-timeout, message-timeout).', ['code']);
    this.#resumed = counter('framewire_resumed_total', 'Connections that took over a held peer with its resume token (same peer, new connection).', []);
    this.#httpRequests = counter('framewire_http_requests_total', 'HTTP channel requests answered (streams when they start), by route and status.', ['route', 'status']);
    this.#frameErrors = counter('framewire_frame_errors_total', 'Invalid frames (the sender was disconnected), by FrameError code.', ['code']);
    this.#deliveryDelay = new Histogram({
      name: 'framewire_delivery_delay_seconds',
      help: 'Ack mode: relay send to receiver receive of acknowledged frames (the receiver\'s receivedAt), per room.',
      labelNames: ['room'],
      buckets: DELIVERY_DELAY_BUCKETS,
      registers,
    });
    this.#deliveryLost = counter('framewire_delivery_lost_frames_total', 'Ack mode: frames released unacknowledged (expired or skipped by the receiver), per room.', ['room']);
    this.#uplinkAcked = counter('framewire_uplink_acked_frames_total', 'Frames acknowledged to their feedback-aware senders in delivery messages, per room.', ['room']);
  }

  get stats(): RelayStats {
    return {
      connections: this.#source.connections(),
      rooms: this.#source.rooms(),
      framesIn: this.#framesIn,
      framesOut: this.#framesOut,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      drops: this.#drops,
    };
  }

  /** A valid frame of `bytes` bytes came in; `codec` is its codec byte (0–255). */
  frameIn(codec: number, bytes: number): void {
    this.#framesIn++;
    this.#bytesIn += bytes;
    this.#framesInBy[codec]++;
    this.#bytesInBy[codec] += bytes;
  }

  /** A frame went to one receiver's socket. */
  frameOut(codec: number, bytes: number): void {
    this.#framesOut++;
    this.#bytesOut += bytes;
    this.#framesOutBy[codec]++;
    this.#bytesOutBy[codec] += bytes;
  }

  /** Backpressure dropped a frame. */
  drop(codec: number): void {
    this.#drops++;
    this.#dropsBy[codec]++;
  }

  /** The delivery series of `room` (created on first use, kept until `forgetRoom`). */
  room(room: string): RoomDeliveryMetrics {
    let m = this.#rooms.get(room);
    if (m === undefined) {
      const labels = { room };
      let delay: ReturnType<Histogram<'room'>['labels']> | undefined;
      let lost: ReturnType<Counter<'room'>['labels']> | undefined;
      let uplink: ReturnType<Counter<'room'>['labels']> | undefined;
      m = {
        delivered: (delayMs) => (delay ??= this.#deliveryDelay.labels(labels)).observe(delayMs / 1000),
        lost: () => (lost ??= this.#deliveryLost.labels(labels)).inc(),
        uplinkAcked: (frames) => (uplink ??= this.#uplinkAcked.labels(labels)).inc(frames),
      };
      this.#rooms.set(room, m);
    }
    return m;
  }

  /** A room emptied: its delivery series go. */
  forgetRoom(room: string): void {
    if (!this.#rooms.delete(room)) return;
    const labels = { room };
    this.#deliveryDelay.remove(labels);
    this.#deliveryLost.remove(labels);
    this.#uplinkAcked.remove(labels);
  }

  controlIn(type: string): void {
    this.#controlIn.inc({ type });
  }

  controlOut(): void {
    this.#controlOut.inc();
  }

  refused(code: string): void {
    this.#refused.inc({ code });
  }

  resumed(): void {
    this.#resumed.inc();
  }

  /** An HTTP channel request was answered (`route`: session, stream, poll, send, close). */
  httpRequest(route: string, status: number): void {
    this.#httpRequests.inc({ route, status: String(status) });
  }

  frameError(code: string): void {
    this.#frameErrors.inc({ code });
  }

  /** Prometheus text exposition format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

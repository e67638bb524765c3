/**
 * The relay's counters, as plain numbers (`Relay.stats`) and as Prometheus metrics
 * (`GET /metrics`). Each relay has its own prom-client `Registry`, so several relays can
 * run in one process (tests, benches).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { codecName } from '../codec/index.ts';

/** Live state read at scrape time. */
export interface RelayGaugeSource {
  connections(): number;
  rooms(): number;
  peers(): number;
  /** Frames dropped towards each connected receiver, per source. */
  peerDrops(): Iterable<{ room: string; receiver: number; source: number; drops: number }>;
}

/** Plain counters, as exposed by `Relay.stats`. */
export interface RelayStats {
  /** Open WebSocket connections (peers in rooms, plus ones being refused). */
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

type Bound = { inc(value?: number): void };

export class RelayMetrics {
  readonly registry = new Registry();
  #source: RelayGaugeSource;
  #framesIn = 0;
  #framesOut = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #drops = 0;
  #framesInBy: Counter<'codec'>;
  #bytesInBy: Counter<'codec'>;
  #framesOutBy: Counter<'codec'>;
  #bytesOutBy: Counter<'codec'>;
  #dropsBy: Counter<'codec'>;
  #controlIn: Counter<'type'>;
  #controlOut: Counter;
  #refused: Counter<'code'>;
  #frameErrors: Counter<'code'>;
  #bound = new Map<string, Bound>();

  constructor(source: RelayGaugeSource) {
    this.#source = source;
    const registers = [this.registry];
    new Gauge({
      name: 'framewire_connections',
      help: 'Open WebSocket connections.',
      registers,
      collect() {
        this.set(source.connections());
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
    this.#framesInBy = counter('framewire_frames_in_total', 'Valid frames received from senders.', ['codec']);
    this.#bytesInBy = counter('framewire_bytes_in_total', 'Bytes of valid frames received from senders.', ['codec']);
    this.#framesOutBy = counter('framewire_frames_out_total', 'Frames sent to receivers (one per receiver).', ['codec']);
    this.#bytesOutBy = counter('framewire_bytes_out_total', 'Bytes of frames sent to receivers.', ['codec']);
    this.#dropsBy = counter('framewire_frame_drops_total', 'Frames dropped by latest-wins backpressure.', ['codec']);
    this.#controlIn = counter('framewire_control_in_total', 'Control messages received, by type (unknown types as "other").', ['type']);
    this.#controlOut = counter('framewire_control_out_total', 'Control messages sent.', []);
    this.#refused = counter('framewire_refused_total', 'Connections refused or closed by the relay, by error code.', ['code']);
    this.#frameErrors = counter('framewire_frame_errors_total', 'Invalid frames (the sender was disconnected), by FrameError code.', ['code']);
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

  frameIn(codec: number, bytes: number): void {
    this.#framesIn++;
    this.#bytesIn += bytes;
    this.#codec(this.#framesInBy, 'fi', codec).inc();
    this.#codec(this.#bytesInBy, 'bi', codec).inc(bytes);
  }

  frameOut(codec: number, bytes: number): void {
    this.#framesOut++;
    this.#bytesOut += bytes;
    this.#codec(this.#framesOutBy, 'fo', codec).inc();
    this.#codec(this.#bytesOutBy, 'bo', codec).inc(bytes);
  }

  drop(codec: number): void {
    this.#drops++;
    this.#codec(this.#dropsBy, 'd', codec).inc();
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

  frameError(code: string): void {
    this.#frameErrors.inc({ code });
  }

  /** Prometheus text exposition format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Bound child counters, cached per (metric, codec): no label hashing per frame. */
  #codec(counter: Counter<'codec'>, key: string, codec: number): Bound {
    const k = `${key}:${codec}`;
    let bound = this.#bound.get(k);
    if (bound === undefined) {
      bound = counter.labels({ codec: codecName(codec) ?? String(codec) });
      this.#bound.set(k, bound);
    }
    return bound;
  }
}

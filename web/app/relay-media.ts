/**
 * The relay's media features as the call sees them (server/media, docs/protocol.md):
 * room recording (`record` → `recording`), relay-side BGRA→JPEG transcoding per remote
 * peer (`transcode` → `transcoding`) and snapshot URLs. State and control messages only —
 * no DOM; app.ts reflects the events in the UI.
 */
import { Emitter, isMessage, type ClientMessage, type TranscodingMessage } from '../../protocol/index.ts';
import type { ControlMessage } from '../net/relay-link.ts';

/** One participant's finished recording, as named in a `recording {active:false}` message. */
export interface RecordedFile {
  peerId: number;
  name: string;
  /** File names inside the relay's `DIR/ROOM/`. */
  frameLog: string;
  mp4: string;
  frames: number;
}

/** The room's recording as last announced by the relay. */
export interface RecordingState {
  active: boolean;
  /** A `record` request of ours awaits its answer. */
  pending: boolean;
  /** Who started or stopped it (null when announced on join). */
  by: number | null;
  /** Files of the recording that stopped last. */
  files: RecordedFile[];
}

/** What we receive from a peer: its own frames ('off'), or relay JPEG ('jpeg'); pending while a request is unanswered. */
export type TranscodeState = 'off' | 'jpeg' | 'pending-jpeg' | 'pending-off';

/** Events of `RelayMedia`. */
export type RelayMediaEvents = {
  /** The recording state changed; `announced` = it came from the relay (not our own pending flag). */
  recording: [RecordingState, { announced: boolean; onJoin: boolean }];
  transcoding: [peerId: number, state: TranscodeState, previous: TranscodeState];
  /** The relay refused a `record` or `transcode` request. */
  refused: [feature: 'record' | 'transcode', message: string];
  /** The relay adapts what we receive from `peerId` to our thin link (`transcoding` with `auto`), or stopped (null). */
  adapted: [peerId: number, adaptation: Adaptation | null];
};

/** A smaller picture the relay sends us on its own because our link is thin (docs/protocol.md › Thin receivers). */
export interface Adaptation {
  width: number;
  height: number;
  quality: number;
  /** The relay's reason, e.g. "your link ≈ 0.9 Mbit/s, this source sends 8.6 Mbit/s". */
  reason: string;
}

/** Options of `RelayMedia`. */
export interface RelayMediaOptions {
  /** Sends a control message; false when not connected. */
  send: (message: ClientMessage) => boolean;
  /** How long a request may stay unanswered before its pending state is dropped, ms. Default `DEFAULT_REQUEST_TIMEOUT_MS`. */
  requestTimeoutMs?: number;
}

/** Default of `RelayMediaOptions.requestTimeoutMs`: stopping a recording waits for ffmpeg to finish the MP4s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

export class RelayMedia {
  readonly events = new Emitter<RelayMediaEvents>();
  readonly #send: RelayMediaOptions['send'];
  readonly #timeoutMs: number;
  #recording: RecordingState = { active: false, pending: false, by: null, files: [] };
  #recordTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #transcoding = new Map<number, TranscodeState>();
  readonly #transcodeTimers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #adapted = new Map<number, Adaptation>();
  #closed = false;

  constructor(options: RelayMediaOptions) {
    if (options.requestTimeoutMs !== undefined && !(options.requestTimeoutMs > 0)) {
      throw new TypeError(`requestTimeoutMs must be > 0 [got:${options.requestTimeoutMs}]`);
    }
    this.#send = options.send;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get recording(): RecordingState {
    return { ...this.#recording, files: [...this.#recording.files] };
  }

  /** What we receive from `peerId`. */
  transcoding(peerId: number): TranscodeState {
    return this.#transcoding.get(peerId) ?? 'off';
  }

  /** What the relay adapted for our thin link, per peer (absent: we get the peer's own frames or what we asked for). */
  adaptedAll(): Record<number, Adaptation> {
    return Object.fromEntries(this.#adapted);
  }

  /** Every peer we asked for (or receive) relay JPEG from. */
  transcodingAll(): Record<number, TranscodeState> {
    return Object.fromEntries(this.#transcoding);
  }

  /** Asks the relay to start (or stop) recording the room; false when not sent. */
  toggleRecording(): boolean {
    if (this.#closed || this.#recording.pending) return false;
    if (!this.#send({ type: 'record', action: this.#recording.active ? 'stop' : 'start' })) return false;
    this.#setRecordPending(true);
    return true;
  }

  /** Asks the relay to send `peerId`'s frames as JPEG (`on`) or as sent; false when not sent. */
  setTranscode(peerId: number, on: boolean): boolean {
    if (this.#closed) return false;
    if (!this.#send({ type: 'transcode', from: peerId, codec: on ? 'jpeg' : 'off' })) return false;
    this.#setTranscode(peerId, on ? 'pending-jpeg' : 'pending-off');
    clearTimeout(this.#transcodeTimers.get(peerId));
    this.#transcodeTimers.set(
      peerId,
      setTimeout(() => {
        const state = this.#transcoding.get(peerId);
        if (state === 'pending-jpeg') this.#setTranscode(peerId, 'off');
        if (state === 'pending-off') this.#setTranscode(peerId, 'jpeg');
      }, this.#timeoutMs),
    );
    return true;
  }

  /**
   * Handles a control message from the relay; true when it was one of ours (`recording`,
   * `transcoding`, or an `error` about `record`/`transcode`).
   */
  handle(message: ControlMessage): boolean {
    if (this.#closed) return false;
    if (isMessage(message, 'recording')) {
      const active = message.active === true;
      const by = typeof message.by === 'number' ? message.by : null;
      const files = Array.isArray(message.files) ? (message.files as unknown[]).flatMap(recordedFile) : [];
      clearTimeout(this.#recordTimer);
      this.#recording = { active, pending: false, by, files: active ? [] : files };
      this.events.emit('recording', this.recording, { announced: true, onJoin: by === null });
      return true;
    }
    if (isMessage(message, 'transcoding')) {
      const from = Number(message.from);
      if (!Number.isInteger(from)) return true;
      if (message.auto === true) {
        // The relay's own decision for our link: not a subscription of ours, so the
        // "receive as JPEG" state stays what the user chose.
        this.#setAdapted(from, message.codec === 'jpeg' ? adaptationOf(message) : null);
        return true;
      }
      clearTimeout(this.#transcodeTimers.get(from));
      this.#transcodeTimers.delete(from);
      this.#setTranscode(from, message.codec === 'jpeg' ? 'jpeg' : 'off');
      return true;
    }
    if (isMessage(message, 'error')) {
      // NOTE: the relay's error names the refused type as "[type:NAME" in its message.
      const text = String(message.message ?? message.code ?? 'error');
      if (text.includes('[type:record')) {
        this.#setRecordPending(false);
        this.events.emit('refused', 'record', text);
        return true;
      }
      if (text.includes('[type:transcode')) {
        for (const [id, state] of this.#transcoding) {
          if (state === 'pending-jpeg') this.#setTranscode(id, 'off');
          if (state === 'pending-off') this.#setTranscode(id, 'jpeg');
        }
        this.events.emit('refused', 'transcode', text);
        return true;
      }
    }
    return false;
  }

  /** A peer left: nothing to transcode from it any more. */
  forgetPeer(peerId: number): void {
    clearTimeout(this.#transcodeTimers.get(peerId));
    this.#transcodeTimers.delete(peerId);
    this.#transcoding.delete(peerId);
    this.#adapted.delete(peerId);
  }

  /** A new session (welcome): the relay announces the recording again and knows no subscriptions. */
  reset(): void {
    clearTimeout(this.#recordTimer);
    for (const timer of this.#transcodeTimers.values()) clearTimeout(timer);
    this.#transcodeTimers.clear();
    for (const id of [...this.#transcoding.keys()]) this.#setTranscode(id, 'off');
    this.#transcoding.clear();
    for (const id of [...this.#adapted.keys()]) this.#setAdapted(id, null);
    if (this.#recording.active || this.#recording.pending) {
      this.#recording = { active: false, pending: false, by: null, files: [] };
      this.events.emit('recording', this.recording, { announced: false, onJoin: false });
    }
  }

  /** Stops the timers; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#recordTimer);
    for (const timer of this.#transcodeTimers.values()) clearTimeout(timer);
    this.#transcodeTimers.clear();
  }

  #setRecordPending(pending: boolean): void {
    clearTimeout(this.#recordTimer);
    this.#recording = { ...this.#recording, pending };
    if (pending) this.#recordTimer = setTimeout(() => this.#setRecordPending(false), this.#timeoutMs);
    this.events.emit('recording', this.recording, { announced: false, onJoin: false });
  }

  #setAdapted(peerId: number, adaptation: Adaptation | null): void {
    if (adaptation === null && !this.#adapted.has(peerId)) return;
    if (adaptation === null) this.#adapted.delete(peerId);
    else this.#adapted.set(peerId, adaptation);
    this.events.emit('adapted', peerId, adaptation);
  }

  #setTranscode(peerId: number, state: TranscodeState): void {
    const previous = this.transcoding(peerId);
    if (state === 'off') this.#transcoding.delete(peerId);
    else this.#transcoding.set(peerId, state);
    this.events.emit('transcoding', peerId, state, previous);
  }
}

/** URL of the relay's latest picture of `peerId` (docs/protocol.md › Snapshot endpoint); `httpBase` '' = this page's origin. */
export function snapshotUrl(httpBase: string, room: string, peerId: number, secret?: string): string {
  const query = secret ? `?${new URLSearchParams({ secret }).toString()}` : '';
  return `${httpBase}/rooms/${encodeURIComponent(room)}/peers/${peerId}/snapshot.jpg${query}`;
}

/** The HTTP origin of a relay WebSocket URL (`ws://host:port/ws` → `http://host:port`). */
export function httpBaseOf(wsBase: string): string {
  const url = new URL(wsBase);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  return url.origin;
}

function recordedFile(value: unknown): RecordedFile[] {
  if (typeof value !== 'object' || value === null) return [];
  const f = value as Record<string, unknown>;
  if (typeof f['mp4'] !== 'string' || typeof f['frameLog'] !== 'string') return [];
  return [{ peerId: Number(f['peerId']), name: String(f['name'] ?? ''), frameLog: f['frameLog'], mp4: f['mp4'], frames: Number(f['frames']) || 0 }];
}

function adaptationOf(message: TranscodingMessage): Adaptation {
  return {
    width: Number(message.width) || 0,
    height: Number(message.height) || 0,
    quality: Number(message.quality) || 0,
    reason: typeof message.reason === 'string' ? message.reason : '',
  };
}

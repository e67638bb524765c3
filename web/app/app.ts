/**
 * The framewire app: lobby → call. Owns the camera (or a substitute capture source), the
 * relay connection, the media transport (chosen in media-mode.ts), presence, chat, call
 * invitations, the relay's media features (recording, transcoding, snapshots —
 * relay-media.ts) and the stats; exposes `window.framewire` for automation.
 *
 * Reconnect: the Connection retries with backoff and the same URL (same room, name,
 * secret, mode). Every `welcome` starts a fresh session — new peer ids — so the media
 * transport is rebuilt from the welcome's peer list while the camera keeps running.
 */
import type { FrameHeader } from '../../codec/index.ts';
import { Emitter } from '../emitter.ts';
import { openCamera } from '../pipeline/capture.ts';
import {
  CaptureError,
  type CaptureSource,
  type EncodedFrame,
  type HarnessModule,
  type MediaContext,
  type MediaTransport,
  type RemotePeer,
} from '../pipeline/index.ts';
import type { PainterKind } from '../pipeline/paint.ts';
import { Connection, type ControlMessage, type WelcomeMessage } from '../pipeline/transport.ts';
import { CallStats, type StatsSnapshot } from '../stats/call-stats.ts';
import { peerRows, selfRows } from '../stats/overlay.ts';
import { CallView } from '../ui/call-view.ts';
import { h } from '../ui/dom.ts';
import { Lobby, type JoinRequest } from '../ui/lobby.ts';
import { Notifications } from '../ui/notifications.ts';
import { TileMenu, type TileMenuState } from '../ui/tile-menu.ts';
import type { ChatLine, Person } from '../ui/side-panel.ts';
import { createMediaTransport, transportKind, webrtcAvailable } from './media-mode.ts';
import { modeMismatchNotice } from '../webrtc/mode-notice.ts';
import { httpBaseOf, RelayMedia, snapshotUrl, type RecordingState, type TranscodeState } from './relay-media.ts';
import { inviteLink, MEDIA_MODES, type MediaMode, type MediaSettings, type UrlPreset } from './settings.ts';

// NOTE: globs so the app builds before web/harness/ exists (the latency helper adds it).
const harnessLoaders = import.meta.glob<HarnessModule>('../harness/index.ts');

/** A remote picture was painted: peer id, the element showing it, the frame's header. */
export type PaintListener = (peerId: number, canvas: HTMLCanvasElement | HTMLVideoElement, header: FrameHeader) => void;
/** A local frame was sent: the canvas it was encoded from and its header. */
export type SentListener = (canvas: HTMLCanvasElement | OffscreenCanvas, header: EncodedFrame['header']) => void;

/** Events of `App` (also reachable from `window.framewire.on`). */
export type AppEvents = {
  paint: Parameters<PaintListener>;
  sent: Parameters<SentListener>;
  chat: [ChatLine];
  peers: [Person[]];
  welcome: [WelcomeMessage];
};

/** Options of `App`. */
export interface AppOptions {
  /** Where the app renders. */
  root: HTMLElement;
  /** URL presets. */
  preset: UrlPreset;
  /** Painter of remote pictures. Default 'canvas2d'. */
  painter?: PainterKind;
  /** JPEG encoder entry point. Default: encode-jpeg.ts's default. */
  jpegMethod?: 'offscreen' | 'canvas';
  /** Base URL of the relay's WebSocket endpoint. Default: same host as the page, path /ws. */
  wsBase?: string;
}

/** How long without a painted frame before a tile shows the avatar, ms. */
const STALE_MS = 2000;
/** How long an outgoing invitation rings before it is withdrawn, ms. */
const RING_MS = 30_000;
const OVERLAY_REFRESH_MS = 500;
/** After relay transcoding changes, frames of the old codec may still arrive: don't take them for a mode switch, ms. */
const TRANSCODE_SETTLE_MS = 2000;
/** How long the "recording saved" toast stays, ms. */
const FILES_TOAST_MS = 12_000;
/** Close reasons of a refused join, for people (docs/protocol.md › Close codes). */
const REFUSALS: Record<string, string> = {
  'bad-secret': 'This room is protected: the secret is wrong or missing.',
  'room-full': 'This room is full (8 people).',
  'bad-room': 'Room names may use letters, digits, _ and - (up to 64).',
  'bad-name': "Names may use letters, digits, spaces, _ - . ' (up to 32).",
  'server-full': 'The server is full. Try again later.',
};

export class App {
  readonly events = new Emitter<AppEvents>();
  readonly stats = new CallStats();
  readonly #root: HTMLElement;
  readonly #preset: UrlPreset;
  readonly #options: AppOptions;
  readonly #notifications = new Notifications();
  readonly #modes: readonly MediaMode[];
  #settings: MediaSettings;
  #lobby: Lobby | undefined;
  #view: CallView | undefined;
  #join: JoinRequest | undefined;
  #source: CaptureSource | undefined;
  #connection: Connection | undefined;
  #media: MediaTransport | undefined;
  #mediaBuild = 0;
  #selfId = 0;
  #peers = new Map<number, RemotePeer>();
  #calls = new Map<number, 'calling' | 'in-call'>();
  #closeIncoming = new Map<number, () => void>();
  #messages: ChatLine[] = [];
  #statsOn: boolean;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #sessions = 0;
  #cameraError: CaptureError | undefined;
  readonly #relayMedia = new RelayMedia({ send: (message) => this.#connection?.sendControl(message) ?? false });
  /** When relay transcoding of a peer last changed (performance.now() ms). */
  readonly #transcodeChangedAt = new Map<number, number>();

  constructor(options: AppOptions) {
    this.#root = options.root;
    this.#preset = options.preset;
    this.#options = options;
    this.#settings = { ...options.preset.media };
    this.#statsOn = options.preset.showStats;
    this.#modes = MEDIA_MODES.filter((m) => m !== 'webrtc' || webrtcAvailable() || this.#settings.mode === 'webrtc');
    this.stats.mode = this.#settings.mode;
    document.body.append(this.#notifications.element);
    this.#relayMedia.events.on('recording', (state, how) => this.#onRecording(state, how.announced, how.onJoin));
    this.#relayMedia.events.on('transcoding', (peerId, state, previous) => this.#onTranscoding(peerId, state, previous));
    this.#relayMedia.events.on('refused', (feature, message) => {
      const what = feature === 'record' ? 'Recording is not available' : 'The relay cannot convert this stream';
      this.#notifications.toast(`${what}: ${message.replace(/\s*\[type:[^\]]*\]$/, '')}`, 6000);
    });
  }

  /** Shows the lobby, or joins at once with `autostart=1` and a room and name. */
  start(): void {
    const { room, name, secret, autostart } = this.#preset;
    if (autostart && room && name) {
      this.#showLobby();
      void this.join({ room, name, mode: this.#settings.mode, ...(secret ? { secret } : {}) });
    } else {
      this.#showLobby();
    }
  }

  // ── window.framewire ──────────────────────────────────────────────────────

  /** The stats snapshot of `window.framewire.stats()`. */
  snapshot(): StatsSnapshot {
    return this.stats.snapshot();
  }

  /** Where the app is: 'lobby' or 'call', the connection state, our id, the room, welcomes received since joining. */
  state(): { view: 'lobby' | 'call'; connection: string; peerId: number; room: string | null; sessions: number; cameraError: string | null } {
    return {
      sessions: this.#sessions,
      view: this.#view ? 'call' : 'lobby',
      connection: this.#connection?.state ?? 'closed',
      peerId: this.#selfId,
      room: this.#join?.room ?? null,
      cameraError: this.#cameraError?.code ?? null,
    };
  }

  settings(): MediaSettings {
    return { ...this.#settings };
  }

  peers(): Person[] {
    return this.#people();
  }

  messages(): ChatLine[] {
    return [...this.#messages];
  }

  clock(): { offset: number; rtt: number | null; synced: boolean } {
    const clock = this.#connection?.clock;
    return { offset: clock?.offset ?? 0, rtt: clock?.best()?.rtt ?? null, synced: clock?.synced ?? false };
  }

  /** The relay's media features: the room's recording and what we receive as relay JPEG. */
  relayMedia(): { recording: RecordingState; transcoding: Record<number, TranscodeState> } {
    return { recording: this.#relayMedia.recording, transcoding: this.#relayMedia.transcodingAll() };
  }

  /** Starts or stops recording the room; false when not sent. */
  toggleRecording(): boolean {
    return this.#relayMedia.toggleRecording();
  }

  /** Receives `peerId` as relay JPEG (`on`) or as it sends; false when not sent. */
  receiveAsJpeg(peerId: number, on: boolean): boolean {
    return this.#relayMedia.setTranscode(peerId, on);
  }

  /** URL of the relay's latest picture of `peerId` (with the room's secret), or null outside a call. */
  snapshotUrl(peerId: number): string | null {
    const join = this.#join;
    if (join === undefined || this.#view === undefined) return null;
    const base = this.#options.wsBase ? httpBaseOf(this.#options.wsBase) : '';
    return snapshotUrl(base, join.room, peerId, join.secret);
  }

  /** Sends a chat message to the room; false when not connected. */
  chat(text: string): boolean {
    const trimmed = text.trim();
    if (!trimmed) return false;
    return this.#connection?.sendControl({ type: 'chat', text: trimmed }) ?? false;
  }

  // ── joining and leaving ───────────────────────────────────────────────────

  async join(request: JoinRequest, allowNoCamera = false): Promise<void> {
    this.#join = request;
    this.#settings.mode = request.mode;
    this.stats.mode = request.mode;
    localStorage.setItem('framewire.name', request.name);
    this.#lobby?.clearError();
    if (this.#lobby) this.#lobby.busy = true;
    try {
      this.#source = await this.#openSource(allowNoCamera);
    } catch (error) {
      if (this.#lobby) this.#lobby.busy = false;
      const capture = error instanceof CaptureError ? error : CaptureError.failed(error);
      this.#cameraError = capture;
      const title = capture.code === 'denied' ? 'Camera blocked' : capture.code === 'not-found' ? 'No camera found' : 'Camera unavailable';
      this.#lobby?.showError(title, capture.message, [
        { label: 'Try again', primary: true, onClick: () => void this.join(request) },
        { label: 'Join without camera', onClick: () => void this.join(request, true) },
      ]);
      return;
    }
    this.#cameraError = undefined;
    this.#sessions = 0;
    this.#updateUrl();
    this.#showCall();
    this.#connect();
  }

  /** Leaves the call and returns to the lobby. */
  leave(): void {
    for (const id of this.#calls.keys()) this.#connection?.sendControl({ type: 'hangup', to: id });
    this.#teardown();
    this.#showLobby();
  }

  /** Changes media settings (mode, resolution, fps, quality, camera on/off). */
  setSettings(patch: Partial<MediaSettings>): void {
    const previous = this.#settings;
    const next = { ...previous, ...patch };
    this.#settings = next;
    this.stats.mode = next.mode;
    this.#view?.controls.update(next);
    if (patch.cameraOn !== undefined && patch.cameraOn !== previous.cameraOn) {
      this.#source?.setEnabled?.(next.cameraOn);
      this.#view?.tile(0, this.#join?.name ?? '', next.mode).setLive(next.cameraOn, 'Camera is off');
    }
    if ((next.width !== previous.width || next.height !== previous.height) && this.#source?.stream) {
      const track = this.#source.stream.getVideoTracks()[0];
      void track?.applyConstraints({ width: { ideal: next.width }, height: { ideal: next.height } }).catch(() => undefined);
    }
    this.#view?.findTile(0)?.setName(this.#join?.name ?? '', next.mode);
    this.#updateUrl();
    if (transportKind(next.mode) !== transportKind(previous.mode) && this.#join) {
      // Raw frames ⇄ WebRTC: a new session with the new mode (peers see us leave and rejoin).
      this.#join = { ...this.#join, mode: next.mode };
      this.#closeSession();
      this.#view?.clearRemoteTiles();
      this.#connect();
      return;
    }
    this.#media?.updateSettings(next);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  async #openSource(allowNoCamera: boolean): Promise<CaptureSource> {
    const { width, height } = this.#settings;
    let camera: CaptureSource | null = null;
    if (!allowNoCamera || this.#preset.source === 'harness') {
      try {
        camera = await openCamera({ width, height });
      } catch (error) {
        if (this.#preset.source !== 'harness') throw error;
      }
    }
    if (this.#preset.source === 'harness') {
      const load = Object.values(harnessLoaders)[0];
      if (load === undefined) throw CaptureError.failed(new Error('source=harness but web/harness/ is not part of this build'));
      const module = await load();
      module.install?.(window.framewire as unknown as Record<string, unknown>);
      return await module.createCaptureSource(camera, this.settings());
    }
    return camera ?? new NoCameraSource();
  }

  #wsUrl(): string {
    const join = this.#join!;
    const base = this.#options.wsBase ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const params = new URLSearchParams({ room: join.room, name: join.name, mode: join.mode });
    if (join.secret) params.set('secret', join.secret);
    return `${base}?${params.toString()}`;
  }

  #connect(): void {
    const connection = new Connection({ url: this.#wsUrl() });
    this.#connection = connection;
    connection.on('state', (state, info) => {
      const rtt = connection.clock.best()?.rtt;
      this.#view?.setConnection(state, info, rtt !== undefined ? `${rtt.toFixed(0)} ms` : '');
      if (state === 'reconnecting' && info.delayMs !== undefined) this.#sessionLost();
      if (state === 'failed') {
        this.#sessionLost();
        if (this.#sessions === 0) {
          // Refused before the first welcome (wrong secret, room full, bad name): back to the lobby.
          const reason = info.reason ? REFUSALS[info.reason] ?? info.reason : 'the relay refused the connection';
          this.#teardown();
          this.#showLobby();
          this.#lobby?.showError('Could not join', reason);
        }
      }
    });
    connection.on('clock', ({ rtt }) => {
      if (connection.state === 'open') this.#view?.setConnection('open', {}, `${rtt.toFixed(0)} ms`);
    });
    connection.on('welcome', (welcome) => void this.#onWelcome(connection, welcome));
    connection.on('control', (message) => this.#onControl(message));
    connection.open();
  }

  async #onWelcome(connection: Connection, welcome: WelcomeMessage): Promise<void> {
    this.#sessions++;
    this.#selfId = welcome.peerId;
    this.#relayMedia.reset();
    this.#transcodeChangedAt.clear();
    this.#closeMedia();
    this.#peers.clear();
    this.stats.clearPeers();
    this.#view?.clearRemoteTiles();
    for (const p of welcome.peers ?? []) if (p.id !== welcome.peerId) this.#peers.set(p.id, { id: p.id, name: p.name, mode: p.mode ?? '' });
    for (const peer of this.#peers.values()) this.#view?.tile(peer.id, peer.name, peer.mode);
    this.#renderPeople();
    if (this.#sessions > 1) this.#view?.panel.addNotice('Reconnected');
    const build = ++this.#mediaBuild;
    const context = this.#mediaContext(connection, welcome);
    // NOTE: WebRTC signals can arrive while the media module is still loading; keep them for it.
    const early: ControlMessage[] = [];
    const stopKeeping = connection.on('control', (message) => {
      if (message.type === 'signal') early.push(message);
    });
    let media: MediaTransport;
    try {
      media = await createMediaTransport(this.#settings.mode, context, {
        ...(this.#options.painter ? { painter: this.#options.painter } : {}),
        ...(this.#options.jpegMethod ? { jpegMethod: this.#options.jpegMethod } : {}),
      });
    } catch (error) {
      this.#notifications.toast(`Could not start ${this.#settings.mode}: ${error instanceof Error ? error.message : String(error)}`, 8000);
      return;
    } finally {
      stopKeeping();
    }
    if (build !== this.#mediaBuild || connection !== this.#connection) {
      media.close();
      return;
    }
    this.#media = media;
    media.start([...this.#peers.values()]);
    for (const message of early) connection.emit('control', message);
    this.events.emit('welcome', welcome);
  }

  #mediaContext(connection: Connection, welcome: WelcomeMessage): MediaContext {
    const source = this.#source!;
    return {
      selfId: welcome.peerId,
      connection,
      source,
      settings: () => this.settings(),
      iceServers: welcome.iceServers ?? [],
      stats: this.stats,
      showMedia: (peerId, element) => {
        const peer = this.#peers.get(peerId);
        this.#view?.tile(peerId, peer?.name ?? `peer ${peerId}`, peer?.mode ?? '').setMedia(element);
      },
      painted: (peerId, canvas, header) => this.events.emit('paint', peerId, canvas, header),
      sent: (canvas, header) => this.events.emit('sent', canvas, header),
    };
  }

  #onControl(message: ControlMessage): void {
    if (this.#relayMedia.handle(message)) return;
    const from = Number(message['from']);
    const nameOf = (id: number): string => this.#peers.get(id)?.name ?? `peer ${id}`;
    switch (message.type) {
      case 'peer-joined': {
        const p = message['peer'] as { id: number; name: string; mode?: string } | undefined;
        if (!p || p.id === this.#selfId) return;
        const peer = { id: p.id, name: p.name, mode: p.mode ?? '' };
        this.#peers.set(peer.id, peer);
        this.#view?.tile(peer.id, peer.name, peer.mode);
        this.#media?.peerJoined(peer);
        this.#renderPeople();
        this.#notifications.toast(`${peer.name} joined`);
        return;
      }
      case 'peer-left': {
        const id = Number(message['peerId']);
        const name = nameOf(id);
        if (!this.#peers.delete(id)) return;
        this.#media?.peerLeft(id);
        this.#relayMedia.forgetPeer(id);
        this.#transcodeChangedAt.delete(id);
        this.stats.removePeer(id);
        this.#view?.removeTile(id);
        this.#calls.delete(id);
        this.#closeIncoming.get(id)?.();
        this.#renderPeople();
        this.#notifications.toast(`${name} left`);
        return;
      }
      case 'chat': {
        const line: ChatLine = {
          from,
          name: String(message['name'] ?? nameOf(from)),
          text: String(message['text'] ?? ''),
          ts: Number(message['ts']) || Date.now(),
          mine: from === this.#selfId,
        };
        this.#messages.push(line);
        this.#view?.panel.addMessage(line);
        this.events.emit('chat', line);
        return;
      }
      case 'invite': {
        const close = this.#notifications.incomingCall(
          nameOf(from),
          () => {
            this.#closeIncoming.delete(from);
            this.#connection?.sendControl({ type: 'accept', to: from });
            this.#setCall(from, 'in-call');
          },
          () => {
            this.#closeIncoming.delete(from);
            this.#connection?.sendControl({ type: 'decline', to: from });
          },
        );
        this.#closeIncoming.set(from, close);
        return;
      }
      case 'accept':
        if (this.#calls.get(from) !== 'calling') return;
        this.#setCall(from, 'in-call');
        this.#notifications.toast(`${nameOf(from)} accepted your call`);
        return;
      case 'decline':
        if (this.#calls.get(from) !== 'calling') return;
        this.#setCall(from, undefined);
        this.#notifications.toast(`${nameOf(from)} declined your call`);
        return;
      case 'hangup':
        this.#closeIncoming.get(from)?.();
        this.#closeIncoming.delete(from);
        if (this.#calls.has(from)) this.#notifications.toast(`${nameOf(from)} hung up`);
        this.#setCall(from, undefined);
        return;
      case 'error':
        this.#notifications.toast(`Relay: ${String(message['message'] ?? message['code'] ?? 'error')}`, 6000);
        return;
      default:
        return;
    }
  }

  #invite(peerId: number): void {
    if (!this.#connection?.sendControl({ type: 'invite', to: peerId })) return;
    this.#setCall(peerId, 'calling');
    const name = this.#peers.get(peerId)?.name ?? `peer ${peerId}`;
    this.#notifications.toast(`Calling ${name}…`);
    setTimeout(() => {
      if (this.#calls.get(peerId) !== 'calling') return;
      this.#connection?.sendControl({ type: 'hangup', to: peerId });
      this.#setCall(peerId, undefined);
      this.#notifications.toast(`${name} did not answer`);
    }, RING_MS);
  }

  #hangup(peerId: number): void {
    this.#connection?.sendControl({ type: 'hangup', to: peerId });
    this.#setCall(peerId, undefined);
  }

  #setCall(peerId: number, state: 'calling' | 'in-call' | undefined): void {
    if (state === undefined) this.#calls.delete(peerId);
    else this.#calls.set(peerId, state);
    this.#view?.findTile(peerId)?.setSpotlight(state === 'in-call');
    this.#renderPeople();
  }

  #people(): Person[] {
    const self: Person = { id: this.#selfId, name: this.#join?.name ?? '', mode: this.#settings.mode, self: true };
    const others = [...this.#peers.values()].map((p): Person => {
      const call = this.#calls.get(p.id);
      return { id: p.id, name: p.name, mode: p.mode, ...(call ? { call } : {}) };
    });
    return [self, ...others];
  }

  #renderPeople(): void {
    const people = this.#people();
    this.#view?.panel.setPeople(people);
    this.events.emit('peers', people);
  }

  /** The socket is gone: remote pictures are stale until the next welcome. */
  #sessionLost(): void {
    this.#closeMedia();
    for (const tile of this.#view?.tiles() ?? []) if (tile.id !== 0) tile.setLive(false, 'Reconnecting…');
  }

  #closeMedia(): void {
    this.#mediaBuild++;
    this.#media?.close();
    this.#media = undefined;
  }

  #closeSession(): void {
    this.#relayMedia.reset();
    this.#transcodeChangedAt.clear();
    this.#closeMedia();
    this.#connection?.close();
    this.#connection = undefined;
    this.#peers.clear();
    this.#calls.clear();
    this.stats.clearPeers();
  }

  #teardown(): void {
    this.#closeSession();
    this.#source?.close();
    this.#source = undefined;
    clearInterval(this.#refreshTimer);
    this.#view?.element.remove();
    this.#view = undefined;
    this.#selfId = 0;
  }

  #showLobby(): void {
    this.#view?.element.remove();
    this.#view = undefined;
    const saved = localStorage.getItem('framewire.name') ?? undefined;
    const name = this.#join?.name ?? this.#preset.name ?? saved;
    const room = this.#join?.room ?? this.#preset.room;
    const secret = this.#join?.secret ?? this.#preset.secret;
    this.#lobby = new Lobby({
      ...(name ? { name } : {}),
      ...(room ? { room } : {}),
      ...(secret ? { secret } : {}),
      mode: this.#settings.mode,
      modes: this.#modes,
      onJoin: (request) => void this.join(request),
    });
    this.#root.replaceChildren(this.#lobby.element);
    this.#lobby.focus();
  }

  #showCall(): void {
    const join = this.#join!;
    this.#lobby = undefined;
    const link = inviteLink(location.origin, join.room);
    const view = new CallView({
      room: join.room,
      inviteLink: link,
      onCopyLink: () => {
        void navigator.clipboard?.writeText(link).then(
          () => this.#notifications.toast('Invite link copied'),
          () => this.#notifications.toast(link, 8000),
        );
      },
      controls: {
        settings: this.#settings,
        modes: this.#modes,
        statsOn: this.#statsOn,
        onChange: (patch) => this.setSettings(patch),
        onToggleStats: (on) => {
          this.#statsOn = on;
          this.#refreshOverlays();
        },
        onTogglePanel: () => undefined,
        onLeave: () => this.leave(),
        onToggleRecord: () => {
          if (!this.toggleRecording()) this.#notifications.toast('Not connected — try again in a moment');
        },
      },
      tileMenu: (peerId) => {
        const menu = new TileMenu({
          onReceiveJpeg: (on) => {
            if (!this.receiveAsJpeg(peerId, on)) this.#notifications.toast('Not connected — try again in a moment');
          },
          onSnapshot: () => void this.#saveSnapshot(peerId),
        });
        menu.update(this.#menuState(peerId));
        return menu;
      },
      panel: {
        onSend: (text) => {
          if (!this.chat(text)) this.#notifications.toast('Not connected — message not sent');
        },
        onCall: (id) => this.#invite(id),
        onHangup: (id) => this.#hangup(id),
      },
    });
    this.#view = view;
    const recording = this.#relayMedia.recording;
    view.setRecording(recording.active);
    view.controls.setRecording(recording.active, recording.pending);
    const self = view.tile(0, join.name, this.#settings.mode);
    const preview = this.#source?.image;
    if (preview instanceof HTMLVideoElement || preview instanceof HTMLCanvasElement) {
      self.setMedia(preview);
      if (preview instanceof HTMLVideoElement) void preview.play().catch(() => undefined);
    }
    self.setLive(this.#source?.kind !== 'none' && this.#settings.cameraOn, this.#source?.kind === 'none' ? 'No camera' : 'Camera is off');
    this.#root.replaceChildren(view.element);
    this.#renderPeople();
    clearInterval(this.#refreshTimer);
    this.#refreshTimer = setInterval(() => this.#refreshOverlays(), OVERLAY_REFRESH_MS);
  }

  #refreshOverlays(): void {
    const view = this.#view;
    if (view === undefined) return;
    const snapshot = this.stats.snapshot();
    const now = performance.now();
    const clock = this.clock();
    view.findTile(0)?.setStats(this.#statsOn ? selfRows(snapshot.self, this.#settings.mode, clock.rtt, clock.offset) : null);
    let modesChanged = false;
    for (const p of snapshot.peers) {
      const tile = view.findTile(p.id);
      if (tile === undefined) continue;
      // NOTE: the relay shows the mode a peer joined with; a raw peer may switch JPEG ⇄ BGRA
      // mid-call without reconnecting, so the codec of its frames is the truth.
      // With relay transcoding on, the codec is the relay's, not the peer's.
      const peer = this.#peers.get(p.id);
      const transcoding = this.#relayMedia.transcoding(p.id);
      const settling = now - (this.#transcodeChangedAt.get(p.id) ?? -Infinity) < TRANSCODE_SETTLE_MS;
      if (peer && p.codec && p.codec !== peer.mode && (peer.mode === 'jpeg' || peer.mode === 'bgra') && transcoding === 'off' && !settling) {
        peer.mode = p.codec;
        tile.setName(peer.name, peer.mode);
        modesChanged = true;
      }
      tile.menu?.update(this.#menuState(p.id));
      const converted = transcoding === 'jpeg' && peer !== undefined && p.codec === 'jpeg' && peer.mode !== 'jpeg';
      tile.setStats(this.#statsOn ? peerRows(p, converted ? peer.mode : undefined) : null);
      // A raw-mode peer and a WebRTC-mode peer cannot see each other: say so instead of a black tile.
      const notice = peer ? modeMismatchNotice(this.#settings.mode, peer.mode, peer.name) : null;
      if (notice !== null) {
        tile.setLive(false, notice);
      } else if (tile.media instanceof HTMLCanvasElement) {
        const live = p.lastPaintAt !== null && now - p.lastPaintAt < STALE_MS;
        tile.setLive(live, p.framesPainted > 0 ? 'Camera is off' : 'Waiting for video…');
      } else if (tile.media instanceof HTMLVideoElement) {
        tile.setLive(true);
      }
    }
    if (modesChanged) this.#renderPeople();
  }

  /** What the menu of peer `peerId`'s tile offers (relay features work on raw frames only). */
  #menuState(peerId: number): TileMenuState {
    const peer = this.#peers.get(peerId);
    const raw = (mode: string): boolean => mode === 'jpeg' || mode === 'bgra';
    const state = this.#relayMedia.transcoding(peerId);
    return {
      available: peer !== undefined && raw(peer.mode) && raw(this.#settings.mode),
      jpegAvailable: peer?.mode === 'bgra' || state !== 'off',
      jpegOn: state === 'jpeg' || state === 'pending-jpeg',
      pending: state === 'pending-jpeg' || state === 'pending-off',
    };
  }

  #onRecording(state: RecordingState, announced: boolean, onJoin: boolean): void {
    this.#view?.controls.setRecording(state.active, state.pending);
    const byName = state.by === null ? null : state.by === this.#selfId ? 'you' : this.#peers.get(state.by)?.name ?? `peer ${state.by}`;
    this.#view?.setRecording(state.active, byName ? `Recording — started by ${byName}` : 'This call is being recorded');
    if (!announced) return;
    if (state.active) {
      this.#notifications.toast(onJoin ? 'This call is being recorded' : byName === 'you' ? 'Recording started' : `${byName} started recording`);
      return;
    }
    const who = byName === null ? '' : byName === 'you' ? ' by you' : ` by ${byName}`;
    const files = state.files.map((f) => `${f.name}: ${f.mp4} + ${f.frameLog} (${f.frames} frames)`);
    this.#notifications.toast(
      files.length > 0 ? `Recording stopped${who} — saved on the relay:` : `Recording stopped${who} — nothing was recorded`,
      files.length > 0 ? FILES_TOAST_MS : 4000,
      files,
    );
  }

  #onTranscoding(peerId: number, state: TranscodeState, previous: TranscodeState): void {
    this.#transcodeChangedAt.set(peerId, performance.now());
    const tile = this.#view?.findTile(peerId);
    tile?.menu?.update(this.#menuState(peerId));
    tile?.setNote(state === 'jpeg' ? '→ JPEG' : null, 'The relay converts this stream to JPEG for you');
    const name = this.#peers.get(peerId)?.name ?? `peer ${peerId}`;
    // Toasts only for answers to the user's own requests (not for a reset after reconnecting).
    if (state === 'jpeg' && previous === 'pending-jpeg') this.#notifications.toast(`Receiving ${name} as JPEG — the relay converts it`);
    else if (state === 'off' && previous === 'pending-off') this.#notifications.toast(`Receiving ${name} as sent`);
  }

  /** Fetches the relay's latest picture of `peerId` and downloads it as a file. */
  async #saveSnapshot(peerId: number): Promise<void> {
    const url = this.snapshotUrl(peerId);
    if (url === null) return;
    const name = this.#peers.get(peerId)?.name ?? `peer ${peerId}`;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
        if (body?.code === 'no-frame') throw new Error(`${name} has not sent a picture yet`);
        throw new Error(body?.message ?? `HTTP ${response.status}`);
      }
      const href = URL.createObjectURL(await response.blob());
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const link = h('a', { href, download: `${name.replace(/[^\w.-]+/g, '_')}-${stamp}.jpg`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      this.#notifications.toast(`Snapshot of ${name} saved`);
    } catch (error) {
      this.#notifications.toast(`Snapshot failed: ${error instanceof Error ? error.message : String(error)}`, 6000);
    }
  }

  #updateUrl(): void {
    if (!this.#join) return;
    const params = new URLSearchParams(location.search);
    params.set('room', this.#join.room);
    params.set('name', this.#join.name);
    params.set('mode', this.#settings.mode);
    params.delete('autostart');
    history.replaceState(null, '', `${location.pathname}?${params.toString()}`);
  }
}

/** The capture source used when joining without a camera: never ready, so nothing is sent. */
class NoCameraSource implements CaptureSource {
  readonly kind = 'none';
  readonly image = h('canvas', { width: 2, height: 2 });
  readonly width = 0;
  readonly height = 0;
  readonly stream = null;
  readonly ready = false;
  close(): void {}
}

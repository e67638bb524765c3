/**
 * The framewire app: lobby → call. A facade that wires the controllers (no DOM, each
 * testable on its own) to the screens that render them and to `window.framewire`:
 *
 *   SessionController  the link to the relay: join, welcomes, reconnects, refusals (session.ts)
 *   PresenceController who is in the room (presence.ts)
 *   CallsController    ringing and being rung (calls.ts)
 *   ChatController     the room's chat (chat.ts)
 *   MediaController    the media transport of each session (media.ts, media-mode.ts)
 *   RelayMedia         recording, transcoding, snapshots (relay-media.ts)
 *   CallScreen / Lobby the UI (call-screen.ts, web/ui/)
 *
 * The link (`AutoLink`, web/net/auto-link.ts) is a WebSocket, else an HTTP stream, else
 * long-polls (`transport=` in the page URL forces one); it reconnects by itself with the same
 * room, name, secret and mode, and resumes our peer where it can. A `welcome` with
 * `resumed: true` continues the session (same peer id; only presence is brought up to date
 * from its peer list); any other `welcome` starts a fresh one — new peer ids — so presence and
 * the media transport are rebuilt from it while the camera keeps running.
 */
import type { FrameHeader } from '../../codec/index.ts';
import { connectQuery, Emitter, isMessage, WS_PATH, type WelcomeMessage } from '../../protocol/index.ts';
import { AutoLink } from '../net/auto-link.ts';
import type { ControlMessage, RelayLink } from '../net/relay-link.ts';
import { createAudioTap, MicrophoneError, openMicrophone, type AudioTap } from '../pipeline/audio/index.ts';
import { CaptureError, type CaptureSource, type EncodedFrame } from '../pipeline/index.ts';
import type { PainterKind } from '../pipeline/paint.ts';
import { CallStats, type StatsSnapshot } from '../stats/call-stats.ts';
import { Lobby } from '../ui/lobby.ts';
import { Notifications } from '../ui/notifications.ts';
import type { Person } from '../ui/side-panel.ts';
import { CallScreen, peopleOf } from './call-screen.ts';
import { CallsController } from './calls.ts';
import { openSource } from './camera.ts';
import { ChatController, type ChatLine } from './chat.ts';
import { MediaController } from './media.ts';
import { createMediaTransport, transportKind, webrtcAvailable } from './media-mode.ts';
import { PresenceController } from './presence.ts';
import { httpBaseOf, RelayMedia, snapshotUrl, type Adaptation, type RecordingState, type TranscodeState } from './relay-media.ts';
import { SessionController, type JoinRequest } from './session.ts';
import { MEDIA_MODES, type MediaMode, type MediaSettings, type UrlPreset } from './settings.ts';

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

const NAME_KEY = 'framewire.name';

export class App {
  readonly events = new Emitter<AppEvents>();
  readonly stats = new CallStats();
  readonly #options: AppOptions;
  readonly #notifications = new Notifications();
  readonly #modes: readonly MediaMode[];
  readonly #session: SessionController;
  readonly #presence = new PresenceController();
  readonly #calls: CallsController;
  readonly #chat: ChatController;
  readonly #media: MediaController;
  readonly #relayMedia: RelayMedia;
  #settings: MediaSettings;
  #statsOn: boolean;
  #lobby: Lobby | undefined;
  #screen: CallScreen | undefined;
  #source: CaptureSource | undefined;
  #cameraError: CaptureError | undefined;
  /** The microphone of this join (null: none — denied, absent or `audio=0`). */
  #microphone: MediaStream | null = null;
  #micError: MicrophoneError | undefined;
  /** The page's one AudioContext, made on the first join (a click: browsers let it play). */
  #audioContext: AudioContext | null = null;
  /** Recordings of what we hear from a peer (or, for 0, what our microphone captures): tests and benches. */
  readonly #taps = new Map<number, AudioTap>();
  /** The nodes the taps record (held here: Chrome may collect an unreferenced MediaStreamAudioSourceNode, silencing its tap). */
  readonly #tappedNodes = new Map<number, AudioNode>();
  /** The session the transport was last built for (a device change rebuilds it). */
  #lastSession: { link: RelayLink; welcome: WelcomeMessage } | undefined;

  constructor(options: AppOptions) {
    this.#options = options;
    this.#settings = { ...options.preset.media };
    this.#statsOn = options.preset.showStats;
    this.#modes = MEDIA_MODES.filter((m) => m !== 'webrtc' || webrtcAvailable() || this.#settings.mode === 'webrtc');
    this.stats.mode = this.#settings.mode;
    document.body.append(this.#notifications.element);

    const session = new SessionController({ createLink: (join) => this.#createLink(join) });
    const send = session.send.bind(session);
    this.#session = session;
    this.#calls = new CallsController({ send });
    this.#chat = new ChatController({ send, selfId: () => session.selfId, nameOf: (id) => this.#presence.nameOf(id) });
    this.#relayMedia = new RelayMedia({ send });
    const { painter, jpegMethod } = options;
    const audioCodec = options.preset.audio === 'pcm' ? 'pcm' : 'auto';
    const lipSync = new URLSearchParams(location.search).get('lipsync') === '1';
    this.#media = new MediaController({
      source: () => this.#source,
      microphone: () => this.#microphone,
      audioContext: () => this.#audioContext,
      base: {
        settings: () => this.settings(),
        stats: this.stats,
        showMedia: (peerId, element) => {
          const peer = this.#presence.get(peerId);
          this.#screen?.view.tile(peerId, peer?.name ?? `peer ${peerId}`, peer?.mode ?? '').setMedia(element);
        },
        painted: (peerId, canvas, header) => this.events.emit('paint', peerId, canvas, header),
        sent: (canvas, header) => this.events.emit('sent', canvas, header),
      },
      create: (mode, context) =>
        createMediaTransport(mode, context, { audioCodec, lipSync, ...(painter ? { painter } : {}), ...(jpegMethod ? { jpegMethod } : {}) }),
    });

    session.events.on('welcome', (welcome, link) => {
      this.stats.transport = link.transport;
      if (this.#continues(welcome)) {
        // The same peer over a new connection (another transport, or a blip): the call goes on.
        this.#syncPeers(welcome);
        return;
      }
      this.#relayMedia.reset();
      this.#media.stop();
      this.stats.clearPeers();
      this.#calls.reset();
      this.#presence.welcome(welcome);
      // A fresh peer starts unmuted at the relay: say so when we are not.
      if (!this.#settings.micOn) link.sendControl({ type: 'state', muted: true });
      this.#lastSession = { link, welcome };
      void this.#media.rebuild(link, welcome, () => this.#presence.list());
    });
    session.events.on('lost', () => this.#media.stop());
    session.events.on('control', (message) => this.#onControl(message));
    session.events.on('refused', (refusal) => {
      this.#teardown();
      this.#showLobby();
      this.#lobby?.showError(refusal.sessions === 0 ? 'Could not join' : 'Disconnected', refusal.text);
    });
    this.#presence.events.on('joined', (peer) => this.#media.peerJoined(peer));
    this.#presence.events.on('left', (peer) => {
      this.#media.peerLeft(peer.id);
      this.#relayMedia.forgetPeer(peer.id);
      this.stats.removePeer(peer.id);
      this.#calls.peerLeft(peer.id);
    });
    for (const event of ['reset', 'joined', 'left', 'changed'] as const) this.#presence.events.on(event, () => this.#emitPeers());
    this.#calls.events.on('call', () => this.#emitPeers());
    this.#chat.events.on('message', (line) => this.events.emit('chat', line));
    this.#media.events.on('started', (_transport, welcome) => this.events.emit('welcome', welcome));
    this.#media.events.on('failed', (mode, error) => this.#notifications.toast(`Could not start ${mode}: ${error.message}`, 8000));
  }

  /** Shows the lobby, or joins at once with `autostart=1` and a room and name. */
  start(): void {
    const { room, name, secret, autostart } = this.#options.preset;
    this.#showLobby();
    if (autostart && room && name) void this.join({ room, name, mode: this.#settings.mode, ...(secret ? { secret } : {}) });
  }

  // ── window.framewire ──────────────────────────────────────────────────────

  /** The stats snapshot of `window.framewire.stats()`. */
  snapshot(): StatsSnapshot {
    return this.stats.snapshot();
  }

  /**
   * Where the app is: 'lobby' or 'call', the connection state, our id, the room, welcomes
   * received since joining; `node`: base URL of the relay node the link is on ('' = this
   * page's origin), `redirects`: how often a cluster sent the link to another node.
   */
  state(): {
    view: 'lobby' | 'call';
    connection: string;
    peerId: number;
    room: string | null;
    sessions: number;
    node: string;
    redirects: number;
    cameraError: string | null;
    micError: string | null;
    audio: string | null;
  } {
    const link = this.#session.link;
    return {
      node: link?.nodeBase ?? '',
      redirects: link?.redirects ?? 0,
      micError: this.#micError?.code ?? null,
      audio: this.#audioContext === null ? null : this.#audioContext.state,
      sessions: this.#session.sessions,
      view: this.#screen ? 'call' : 'lobby',
      connection: this.#session.state,
      peerId: this.#session.selfId,
      room: this.#session.join?.room ?? null,
      cameraError: this.#cameraError?.code ?? null,
    };
  }

  settings(): MediaSettings {
    return { ...this.#settings };
  }

  peers(): Person[] {
    return peopleOf(this.#presence, this.#calls, { name: this.#session.join?.name ?? '', mode: this.#settings.mode });
  }

  messages(): ChatLine[] {
    return this.#chat.messages();
  }

  clock(): { offset: number; rtt: number | null; synced: boolean } {
    return this.#session.clock();
  }

  /** The relay's media features: the room's recording and what we receive as relay JPEG. */
  relayMedia(): { recording: RecordingState; transcoding: Record<number, TranscodeState>; adapted: Record<number, Adaptation> } {
    return { recording: this.#relayMedia.recording, transcoding: this.#relayMedia.transcodingAll(), adapted: this.#relayMedia.adaptedAll() };
  }

  /** Starts or stops recording the room; false when not sent. */
  toggleRecording(): boolean {
    return this.#relayMedia.toggleRecording();
  }

  /** Receives `peerId` as relay JPEG (`on`) or as it sends; false when not sent. */
  receiveAsJpeg(peerId: number, on: boolean): boolean {
    return this.#relayMedia.setTranscode(peerId, on);
  }

  /** URL of the relay's latest picture of `peerId` (with the room's secret), or null outside a call: on the node that holds the room, where a cluster sent the link. */
  snapshotUrl(peerId: number): string | null {
    const join = this.#session.join;
    if (join === undefined || this.#screen === undefined) return null;
    return snapshotUrl(this.#session.link?.nodeBase ?? this.#homeHttpBase(), join.room, peerId, join.secret);
  }

  /**
   * Starts recording (up to `seconds`) what we hear from `peerId`, or with 0 what our
   * microphone captures; false when there is no such sound. For tests and benches.
   */
  async startAudioTap(peerId: number, seconds: number): Promise<boolean> {
    const context = this.#audioContext;
    if (context === null) return false;
    const node = peerId === 0 ? (this.#microphone === null ? null : context.createMediaStreamSource(this.#microphone)) : (this.#media.transport?.audioOutput?.(peerId) ?? null);
    if (node === null) return false;
    this.#taps.get(peerId)?.close();
    this.#tappedNodes.set(peerId, node);
    // The microphone's samples are stamped when captured (as the sender stamps its frames); what we hear, when heard.
    this.#taps.set(peerId, await createAudioTap(context, node, seconds, { timing: peerId === 0 ? 'captured' : 'heard' }));
    return true;
  }

  /** What the tap of `peerId` recorded so far: sample rate, the local wall-clock time of the first sample, the samples (Float32, base64). */
  readAudioTap(peerId: number): { sampleRate: number; startTime: number; samples: string } | null {
    const tap = this.#taps.get(peerId);
    if (tap === undefined) return null;
    const { sampleRate, startTime, samples } = tap.read();
    const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { sampleRate, startTime, samples: btoa(binary) };
  }

  /** Sends a chat message to the room; false when not connected. */
  chat(text: string): boolean {
    return this.#chat.send(text);
  }

  // ── joining and leaving ───────────────────────────────────────────────────

  async join(request: JoinRequest, allowNoCamera = false): Promise<void> {
    this.#settings.mode = request.mode;
    this.stats.mode = request.mode;
    localStorage.setItem(NAME_KEY, request.name);
    this.#lobby?.clearError();
    if (this.#lobby) this.#lobby.busy = true;
    try {
      this.#source = await openSource({ source: this.#options.preset.source, allowNoCamera, settings: this.settings(), api: () => window.framewire });
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
    await this.#openAudio();
    this.#showCall(request);
    this.#screen?.showMicrophoneProblem(this.#micError === undefined ? null : { code: this.#micError.code, message: this.#micError.message });
    this.#session.connect(request);
    this.#updateUrl();
  }

  /** Leaves the call and returns to the lobby. */
  leave(): void {
    this.#calls.leave();
    this.#teardown();
    this.#showLobby();
  }

  /** Changes media settings (mode, resolution, fps, quality, camera on/off). */
  setSettings(patch: Partial<MediaSettings>): void {
    const previous = this.#settings;
    const next = { ...previous, ...patch };
    this.#settings = next;
    this.stats.mode = next.mode;
    this.#screen?.showSettings(next, previous);
    if (next.cameraOn !== previous.cameraOn) this.#source?.setEnabled?.(next.cameraOn);
    if (next.micOn !== previous.micOn) this.#session.link?.sendControl({ type: 'state', muted: !next.micOn });
    if (next.micDeviceId !== previous.micDeviceId || next.cameraDeviceId !== previous.cameraDeviceId) {
      void this.#switchDevices(next, previous);
    }
    if ((next.width !== previous.width || next.height !== previous.height) && this.#source?.stream) {
      const track = this.#source.stream.getVideoTracks()[0];
      void track?.applyConstraints({ width: { ideal: next.width }, height: { ideal: next.height } }).catch(() => undefined);
    }
    this.#updateUrl();
    const join = this.#session.join;
    if (transportKind(next.mode) !== transportKind(previous.mode) && join && this.#screen) {
      // Raw frames ⇄ WebRTC: a new session with the new mode (peers see us leave and rejoin).
      this.#endSession();
      this.#screen.view.clearRemoteTiles();
      this.#session.reconnect({ ...join, mode: next.mode });
      return;
    }
    this.#media.updateSettings(next);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  /**
   * The AudioContext (once per page, on the join click) and the microphone of this join.
   * A microphone that cannot be opened is not a reason to stay out of the call: it is said on
   * the call screen and the call goes on without sound from us.
   */
  async #openAudio(): Promise<void> {
    if (this.#options.preset.audio === 'off') return;
    if (this.#audioContext === null && typeof AudioContext === 'function') {
      try {
        this.#audioContext = new AudioContext({ sampleRate: 48_000, latencyHint: 'interactive' });
      } catch {
        this.#audioContext = new AudioContext({ latencyHint: 'interactive' });
      }
    }
    void this.#audioContext?.resume().catch(() => undefined);
    this.#microphone?.getTracks().forEach((t) => t.stop());
    this.#microphone = null;
    try {
      const deviceId = this.#settings.micDeviceId;
      this.#microphone = await openMicrophone(deviceId === undefined ? {} : { deviceId });
      this.#micError = undefined;
    } catch (error) {
      this.#micError = error instanceof MicrophoneError ? error : undefined;
      console.warn('[framewire] no microphone; the call goes on without sound from us', error);
    }
  }

  /** A picker chose another microphone or camera: reopen it and rebuild the transport (same session, same peer id). */
  async #switchDevices(next: MediaSettings, previous: MediaSettings): Promise<void> {
    if (next.micDeviceId !== previous.micDeviceId) {
      await this.#openAudio();
      this.#screen?.showMicrophoneProblem(this.#micError === undefined ? null : { code: this.#micError.code, message: this.#micError.message });
    }
    if (next.cameraDeviceId !== previous.cameraDeviceId && this.#source?.kind === 'camera') {
      try {
        const source = await openSource({ source: this.#options.preset.source, allowNoCamera: false, settings: this.settings(), api: () => window.framewire });
        this.#source.close();
        this.#source = source;
        const preview = source.image;
        const join = this.#session.join;
        if (join && (preview instanceof HTMLVideoElement || preview instanceof HTMLCanvasElement)) this.#screen?.view.tile(0, join.name, next.mode).setMedia(preview);
      } catch (error) {
        this.#notifications.toast(`Could not switch the camera: ${error instanceof Error ? error.message : String(error)}`, 8000);
      }
    }
    const last = this.#lastSession;
    if (last !== undefined && this.#session.link === last.link) void this.#media.rebuild(last.link, last.welcome, () => this.#presence.list());
  }

  /**
   * The link for `join`: WebSocket to `wsBase` (or the page's host), HTTP to its origin, as
   * `transport=` allows — the entry point: a cluster node may redirect the link to the node
   * holding the room, and the link comes back here whenever it has to reconnect.
   */
  #createLink(join: JoinRequest): RelayLink {
    const wsUrl = this.#options.wsBase ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH}`;
    const link = new AutoLink({
      wsUrl,
      httpBase: this.#homeHttpBase(),
      query: connectQuery({ room: join.room, name: join.name, mode: join.mode, secret: join.secret }),
      transport: this.#options.preset.transport,
    });
    link.on('transport', (transport) => {
      this.stats.transport = transport;
      this.#screen?.showTransport(transport);
    });
    return link;
  }

  /** Base of the relay's HTTP endpoints the app was given: `wsBase`'s origin, or '' for this page's. */
  #homeHttpBase(): string {
    return this.#options.wsBase ? httpBaseOf(this.#options.wsBase) : '';
  }

  /** True when `welcome` continues our running session: resumed, same peer id, media running. */
  #continues(welcome: WelcomeMessage): boolean {
    return welcome.resumed === true && welcome.peerId === this.#presence.selfId && this.#media.transport !== undefined;
  }

  /** Brings presence up to date from a resumed welcome's peer list (joins and leaves missed while the connection was down). */
  #syncPeers(welcome: WelcomeMessage): void {
    const now = new Map(welcome.peers.filter((p) => p.id !== welcome.peerId).map((p) => [p.id, p]));
    for (const peer of this.#presence.list()) if (!now.has(peer.id)) this.#presence.handle({ type: 'peer-left', peerId: peer.id });
    for (const peer of now.values()) if (!this.#presence.has(peer.id)) this.#presence.handle({ type: 'peer-joined', peer });
  }

  #onControl(message: ControlMessage): void {
    if (this.#relayMedia.handle(message) || this.#presence.handle(message) || this.#calls.handle(message) || this.#chat.handle(message)) return;
    if (isMessage(message, 'error')) this.#screen?.showRelayError(message);
  }

  #emitPeers(): void {
    this.#screen?.renderPeople();
    this.events.emit('peers', this.peers());
  }

  /** Out of the session (leave, mode switch, refusal): no link, media, peers or calls. */
  #endSession(): void {
    this.#relayMedia.reset();
    this.#media.stop();
    this.#session.disconnect();
    this.#calls.reset();
    this.#presence.clear();
    this.stats.clearPeers();
    this.stats.transport = null;
  }

  #teardown(): void {
    this.#endSession();
    this.#lastSession = undefined;
    this.#source?.close();
    this.#source = undefined;
    this.#microphone?.getTracks().forEach((t) => t.stop());
    this.#microphone = null;
    for (const tap of this.#taps.values()) tap.close();
    this.#taps.clear();
    this.#tappedNodes.clear();
    this.#screen?.close();
    this.#screen = undefined;
  }

  #showLobby(): void {
    this.#screen?.close();
    this.#screen = undefined;
    const preset = this.#options.preset;
    const join = this.#session.join;
    const name = join?.name ?? preset.name ?? localStorage.getItem(NAME_KEY) ?? undefined;
    const room = join?.room ?? preset.room;
    const secret = join?.secret ?? preset.secret;
    this.#lobby = new Lobby({
      ...(name ? { name } : {}),
      ...(room ? { room } : {}),
      ...(secret ? { secret } : {}),
      mode: this.#settings.mode,
      modes: this.#modes,
      onJoin: (request) => void this.join(request),
    });
    this.#options.root.replaceChildren(this.#lobby.element);
    this.#lobby.focus();
  }

  #showCall(join: JoinRequest): void {
    this.#lobby = undefined;
    this.#screen?.close();
    this.#screen = new CallScreen({
      root: this.#options.root,
      notifications: this.#notifications,
      controllers: { session: this.#session, presence: this.#presence, calls: this.#calls, chat: this.#chat, relayMedia: this.#relayMedia, stats: this.stats },
      join,
      source: this.#source,
      modes: this.#modes,
      settings: () => this.settings(),
      statsOn: this.#statsOn,
      onSettings: (patch) => this.setSettings(patch),
      onLeave: () => this.leave(),
      snapshotUrl: (peerId) => this.snapshotUrl(peerId),
      audioLevel: (peerId) => this.#media.transport?.audioLevel?.(peerId) ?? null,
    });
  }

  #updateUrl(): void {
    const join = this.#session.join;
    if (!join) return;
    const params = new URLSearchParams(location.search);
    params.set('room', join.room);
    params.set('name', join.name);
    params.set('mode', this.#settings.mode);
    params.delete('autostart');
    history.replaceState(null, '', `${location.pathname}?${params.toString()}`);
  }
}

/**
 * The call screen: renders the controllers (session, presence, calls, chat, relay media,
 * stats) into the call view (web/ui/) and turns clicks back into controller calls. Owns
 * the view, the toasts it raises, the overlay refresh, the level meters' polling, the
 * device pickers' list and the M shortcut; `close()` (safe twice) removes the view and
 * every subscription.
 */
import type { TransportInfo } from '../net/relay-link.ts';
import { peerRows, selfRows } from '../stats/overlay.ts';
import type { CallStats } from '../stats/call-stats.ts';
import { rawCodec } from '../pipeline/codecs.ts';
import type { CaptureSource } from '../pipeline/index.ts';
import { CallView } from '../ui/call-view.ts';
import type { MicrophoneProblem } from '../ui/mic-problem.ts';
import type { Notifications } from '../ui/notifications.ts';
import { isMuteShortcut } from '../ui/shortcuts.ts';
import type { Person } from '../ui/side-panel.ts';
import { roundLevel, SpeakingDetector } from '../ui/speaking.ts';
import { TileMenu, type TileMenuState } from '../ui/tile-menu.ts';
import { modeMismatchNotice } from '../webrtc/mode-notice.ts';
import type { CallNotice, CallsController } from './calls.ts';
import type { ChatController } from './chat.ts';
import type { PresenceController } from './presence.ts';
import type { RecordingState, RelayMedia, TranscodeState } from './relay-media.ts';
import type { JoinRequest, SessionController } from './session.ts';
import { inviteLink, type MediaMode, type MediaSettings } from './settings.ts';
import { downloadSnapshot } from './snapshot-download.ts';

/** How long without a painted frame before a tile shows the avatar, ms. */
const STALE_MS = 2000;
const OVERLAY_REFRESH_MS = 500;
/** How often the tiles' level meters and speaking outlines follow `audioLevel`, ms (10 Hz). */
const LEVEL_POLL_MS = 100;
/** After relay transcoding changes, frames of the old codec may still arrive: don't take them for a mode switch, ms. */
const TRANSCODE_SETTLE_MS = 2000;
/** How long the "recording saved" toast stays, ms. */
const FILES_TOAST_MS = 12_000;
const NOT_CONNECTED = 'Not connected — try again in a moment';

export type { MicrophoneProblem } from '../ui/mic-problem.ts';

/** The controllers the screen renders. */
export interface CallControllers {
  session: SessionController;
  presence: PresenceController;
  calls: CallsController;
  chat: ChatController;
  relayMedia: RelayMedia;
  stats: CallStats;
}

/** Options of `CallScreen`. */
export interface CallScreenOptions {
  root: HTMLElement;
  notifications: Notifications;
  controllers: CallControllers;
  join: JoinRequest;
  source: CaptureSource | undefined;
  modes: readonly MediaMode[];
  settings: () => MediaSettings;
  /** Overlays on at first. */
  statsOn: boolean;
  onSettings: (patch: Partial<MediaSettings>) => void;
  onLeave: () => void;
  /** URL of the relay's latest picture of a peer, or null. */
  snapshotUrl: (peerId: number) => string | null;
  /**
   * Loudness heard from a participant now, 0..1 (`peerId` 0 = our own microphone), or null
   * when there is no audio from it (its meter is hidden). Polled at 10 Hz. Default: no meters.
   */
  audioLevel?: (peerId: number) => number | null;
}

const NOTICES: Record<CallNotice, (name: string) => string> = {
  ringing: (name) => `Calling ${name}…`,
  accepted: (name) => `${name} accepted your call`,
  declined: (name) => `${name} declined your call`,
  'hung-up': (name) => `${name} hung up`,
  'no-answer': (name) => `${name} did not answer`,
};

/** The presence list as the side panel (and `window.framewire.peers()`) shows it: self first, then the peers with their calls. */
export function peopleOf(presence: PresenceController, calls: CallsController, self: { name: string; mode: string; muted?: boolean }): Person[] {
  const others = presence.list().map((p): Person => {
    const call = calls.state(p.id);
    return { id: p.id, name: p.name, mode: p.mode, ...(call ? { call } : {}), ...(p.muted === true ? { muted: true } : {}) };
  });
  return [{ id: presence.selfId, name: self.name, mode: self.mode, self: true, ...(self.muted === true ? { muted: true } : {}) }, ...others];
}

export class CallScreen {
  readonly view: CallView;
  readonly #options: CallScreenOptions;
  readonly #c: CallControllers;
  readonly #toast: Notifications['toast'];
  readonly #unsubscribe: (() => void)[] = [];
  readonly #closeIncoming = new Map<number, () => void>();
  /** When relay transcoding of a peer last changed (performance.now() ms). */
  readonly #transcodeChangedAt = new Map<number, number>();
  readonly #refreshTimer: ReturnType<typeof setInterval>;
  readonly #levelTimer: ReturnType<typeof setInterval> | undefined;
  /** The speaking state of each tile (peer id, 0 = self). */
  readonly #speaking = new Map<number, SpeakingDetector>();
  /** Why we have no microphone, or null. */
  #micProblem: MicrophoneProblem | null = null;
  /** Answers of older `enumerateDevices()` calls are dropped. */
  #devicesAsked = 0;
  readonly #onDeviceChange = (): void => this.#refreshDevices();
  readonly #onKeyDown = (event: KeyboardEvent): void => {
    if (!isMuteShortcut(event)) return;
    event.preventDefault();
    this.#toggleMute();
  };
  #statsOn: boolean;
  #closed = false;

  constructor(options: CallScreenOptions) {
    this.#options = options;
    this.#c = options.controllers;
    this.#statsOn = options.statsOn;
    const notifications = options.notifications;
    this.#toast = (text, ms, details) => notifications.toast(text, ms, details);
    const { session, presence, calls, chat, relayMedia } = this.#c;
    const join = options.join;
    const link = inviteLink(location.origin, join.room);
    const settings = options.settings();
    const view = new CallView({
      room: join.room,
      inviteLink: link,
      onCopyLink: () => {
        void navigator.clipboard?.writeText(link).then(
          () => this.#toast('Invite link copied'),
          () => this.#toast(link, 8000),
        );
      },
      controls: {
        settings,
        modes: options.modes,
        statsOn: this.#statsOn,
        onChange: (patch) => options.onSettings(patch),
        onToggleStats: (on) => {
          this.#statsOn = on;
          this.refreshOverlays();
        },
        onTogglePanel: () => undefined,
        onLeave: () => options.onLeave(),
        onToggleRecord: () => {
          if (!relayMedia.toggleRecording()) this.#toast(NOT_CONNECTED);
        },
      },
      tileMenu: (peerId) => {
        const menu = new TileMenu({
          onReceiveJpeg: (on) => {
            if (!relayMedia.setTranscode(peerId, on)) this.#toast(NOT_CONNECTED);
          },
          onSnapshot: () => void this.#saveSnapshot(peerId),
        });
        menu.update(this.#menuState(peerId));
        return menu;
      },
      panel: {
        onSend: (text) => {
          if (!chat.send(text)) this.#toast('Not connected — message not sent');
        },
        onCall: (id) => void calls.invite(id),
        onHangup: (id) => calls.hangup(id),
      },
    });
    this.view = view;
    const recording = relayMedia.recording;
    view.setRecording(recording.active);
    view.controls.setRecording(recording.active, recording.pending);
    const self = view.tile(0, join.name, settings.mode);
    const source = options.source;
    const preview = source?.image;
    if (preview instanceof HTMLVideoElement || preview instanceof HTMLCanvasElement) {
      self.setMedia(preview);
      if (preview instanceof HTMLVideoElement) void preview.play().catch(() => undefined);
    }
    self.setLive(source?.kind !== 'none' && settings.cameraOn, source?.kind === 'none' ? 'No camera' : 'Camera is off');
    this.#renderSelfMuted(settings);

    this.#unsubscribe.push(
      session.events.on('state', (state, info) => {
        const rtt = session.link?.clock.best()?.rtt;
        view.setTransport(session.link?.transport);
        view.setConnection(state, info, rtt !== undefined ? `${rtt.toFixed(0)} ms` : '');
      }),
      session.events.on('clock', ({ rtt }) => {
        if (session.state === 'open') view.setConnection('open', {}, `${rtt.toFixed(0)} ms`);
      }),
      session.events.on('lost', () => {
        for (const tile of view.tiles()) if (tile.id !== 0) tile.setLive(false, 'Reconnecting…');
      }),
      session.events.on('welcome', () => {
        this.#transcodeChangedAt.clear();
        if (session.sessions > 1) view.panel.addNotice('Reconnected');
      }),
      presence.events.on('reset', (peers) => {
        view.clearRemoteTiles();
        for (const id of [...this.#speaking.keys()]) if (id !== 0) this.#speaking.delete(id);
        for (const peer of peers) view.tile(peer.id, peer.name, peer.mode).setMuted(peer.muted === true);
        this.renderPeople();
      }),
      presence.events.on('joined', (peer) => {
        view.tile(peer.id, peer.name, peer.mode).setMuted(peer.muted === true);
        this.renderPeople();
        this.#toast(`${peer.name} joined`);
      }),
      presence.events.on('left', (peer) => {
        this.#transcodeChangedAt.delete(peer.id);
        this.#speaking.delete(peer.id);
        view.removeTile(peer.id);
        this.renderPeople();
        this.#toast(`${peer.name} left`);
      }),
      presence.events.on('changed', (peer) => {
        const tile = view.findTile(peer.id);
        tile?.setName(peer.name, peer.mode);
        tile?.setMuted(peer.muted === true);
        this.renderPeople();
      }),
      calls.events.on('call', (peerId, state) => {
        view.findTile(peerId)?.setSpotlight(state === 'in-call');
        this.renderPeople();
      }),
      calls.events.on('incoming', (peerId) => {
        this.#closeIncoming.get(peerId)?.();
        const close = notifications.incomingCall(
          presence.nameOf(peerId),
          () => {
            this.#closeIncoming.delete(peerId);
            calls.accept(peerId);
          },
          () => {
            this.#closeIncoming.delete(peerId);
            calls.decline(peerId);
          },
        );
        this.#closeIncoming.set(peerId, close);
      }),
      calls.events.on('incomingEnded', (peerId) => {
        this.#closeIncoming.get(peerId)?.();
        this.#closeIncoming.delete(peerId);
      }),
      calls.events.on('notice', (peerId, notice) => this.#toast(NOTICES[notice](presence.nameOf(peerId)))),
      chat.events.on('message', (line) => view.panel.addMessage(line)),
      relayMedia.events.on('recording', (state, how) => this.#onRecording(state, how.announced, how.onJoin)),
      relayMedia.events.on('transcoding', (peerId, state, previous) => this.#onTranscoding(peerId, state, previous)),
      relayMedia.events.on('adapted', (peerId, adaptation) => {
        // The relay shrank this peer's picture for our thin link: say so on the tile, and why.
        const tile = this.view.findTile(peerId);
        if (adaptation === null) tile?.setNote(null, '');
        else tile?.setNote(`↓ ${adaptation.width}×${adaptation.height}`, `Your link is thin: the relay sends a smaller picture (${adaptation.reason})`);
      }),
      relayMedia.events.on('refused', (feature, message) => {
        const what = feature === 'record' ? 'Recording is not available' : 'The relay cannot convert this stream';
        this.#toast(`${what}: ${message.replace(/\s*\[type:[^\]]*\]$/, '')}`, 6000);
      }),
    );
    options.root.replaceChildren(view.element);
    this.renderPeople();
    this.#refreshTimer = setInterval(() => this.refreshOverlays(), OVERLAY_REFRESH_MS);
    this.#levelTimer = options.audioLevel === undefined ? undefined : setInterval(() => this.refreshLevels(), LEVEL_POLL_MS);
    document.addEventListener('keydown', this.#onKeyDown);
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
    this.#refreshDevices();
  }

  renderPeople(): void {
    const settings = this.#options.settings();
    this.view.panel.setPeople(
      peopleOf(this.#c.presence, this.#c.calls, { name: this.#options.join.name, mode: settings.mode, muted: !settings.micOn || this.#micProblem !== null }),
    );
  }

  /**
   * The microphone can't be used (`problem`), or can again (null): a notice in the call view
   * that stays until dismissed, the mute button disabled (`data-mic="none"`), our tile muted.
   */
  showMicrophoneProblem(problem: MicrophoneProblem | null): void {
    if (this.#closed) return;
    this.#micProblem = problem;
    this.view.setMicrophoneProblem(problem);
    this.#renderSelfMuted(this.#options.settings());
    this.renderPeople();
    // Opening (or failing to open) the microphone may have unlocked the devices' labels.
    this.#refreshDevices();
  }

  /** The level meters and speaking outlines follow `audioLevel` (called at 10 Hz). */
  refreshLevels(): void {
    const audioLevel = this.#options.audioLevel;
    if (audioLevel === undefined || this.#closed) return;
    const now = performance.now();
    for (const tile of this.view.tiles()) {
      let level: number | null;
      try {
        level = audioLevel(tile.id);
      } catch {
        level = null;
      }
      if (level !== null && !Number.isFinite(level)) level = 0;
      let detector = this.#speaking.get(tile.id);
      if (detector === undefined) this.#speaking.set(tile.id, (detector = new SpeakingDetector()));
      // NOTE: a muted participant is never speaking, whatever is still buffered.
      const speaking = detector.update(tile.muted ? null : level, now);
      tile.setAudioLevel(level === null ? null : roundLevel(level), speaking);
    }
  }

  /** Another transport carries the call (the link's `transport` event): the status pill says which, and why. */
  showTransport(transport: TransportInfo): void {
    this.view.setTransport(transport);
  }

  /** The relay refused a control message nobody else handled. */
  showRelayError(error: { code: string; message: string }): void {
    this.#toast(`Relay: ${String(error.message ?? error.code ?? 'error')}`, 6000);
  }

  /** Settings changed: the control bar and the self tile follow. */
  showSettings(next: MediaSettings, previous: MediaSettings): void {
    this.view.controls.update(next);
    const name = this.#options.join.name;
    if (next.cameraOn !== previous.cameraOn) this.view.tile(0, name, next.mode).setLive(next.cameraOn, 'Camera is off');
    this.view.findTile(0)?.setName(name, next.mode);
    if (next.micOn !== previous.micOn) {
      this.#renderSelfMuted(next);
      this.renderPeople();
    }
    if (next.micDeviceId !== previous.micDeviceId || next.cameraDeviceId !== previous.cameraDeviceId) this.#refreshDevices();
  }

  /** Stats overlays, stale tiles, and a raw peer's codec switch seen in its frames. */
  refreshOverlays(): void {
    const view = this.view;
    const { presence, relayMedia, stats, session } = this.#c;
    const mode = this.#options.settings().mode;
    const snapshot = stats.snapshot();
    const now = performance.now();
    const clock = session.clock();
    view.findTile(0)?.setStats(this.#statsOn ? selfRows(snapshot.self, mode, clock.rtt, clock.offset, snapshot.transport) : null);
    for (const p of snapshot.peers) {
      const tile = view.findTile(p.id);
      if (tile === undefined) continue;
      // NOTE: the relay shows the mode a peer joined with; a raw peer may switch JPEG ⇄ BGRA
      // mid-call without reconnecting, so the codec of its frames is the truth.
      // With relay transcoding on, the codec is the relay's, not the peer's.
      const peer = presence.get(p.id);
      const transcoding = relayMedia.transcoding(p.id);
      const settling = now - (this.#transcodeChangedAt.get(p.id) ?? -Infinity) < TRANSCODE_SETTLE_MS;
      if (peer && p.codec && p.codec !== peer.mode && rawCodec(peer.mode) && transcoding === 'off' && !settling) {
        presence.setMode(peer.id, p.codec);
      }
      tile.menu?.update(this.#menuState(p.id));
      const converted = transcoding === 'jpeg' && peer !== undefined && p.codec === 'jpeg' && peer.mode !== 'jpeg';
      tile.setStats(this.#statsOn ? peerRows(p, converted ? peer.mode : undefined) : null);
      // A raw-mode peer and a WebRTC-mode peer cannot see each other: say so instead of a black tile.
      const notice = peer ? modeMismatchNotice(mode, peer.mode, peer.name) : null;
      if (notice !== null) {
        tile.setLive(false, notice);
      } else if (tile.media instanceof HTMLCanvasElement) {
        const live = p.lastPaintAt !== null && now - p.lastPaintAt < STALE_MS;
        tile.setLive(live, p.framesPainted > 0 ? 'Camera is off' : 'Waiting for video…');
      } else if (tile.media instanceof HTMLVideoElement) {
        tile.setLive(true);
      }
    }
  }

  /** Removes the view, the dialogs it opened and every subscription; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    if (this.#levelTimer !== undefined) clearInterval(this.#levelTimer);
    document.removeEventListener('keydown', this.#onKeyDown);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    for (const off of this.#unsubscribe) off();
    for (const close of this.#closeIncoming.values()) close();
    this.#closeIncoming.clear();
    for (const tile of this.view.tiles()) tile.menu?.close();
    this.view.element.remove();
  }

  /** M pressed: mute or unmute, or say why there is nothing to unmute. */
  #toggleMute(): void {
    if (this.#micProblem !== null) {
      this.#toast(`No microphone: ${this.#micProblem.message || this.#micProblem.code}`);
      return;
    }
    this.#options.onSettings({ micOn: !this.#options.settings().micOn });
  }

  /** Our tile's muted badge: muted by us, or no microphone. */
  #renderSelfMuted(settings: MediaSettings): void {
    const problem = this.#micProblem;
    this.view.findTile(0)?.setMuted(!settings.micOn || problem !== null, problem !== null ? 'No microphone' : 'You are muted');
  }

  /** Lists the microphones and cameras in the pickers (hidden where the browser can't list them). */
  #refreshDevices(): void {
    const media = navigator.mediaDevices;
    if (this.#closed) return;
    if (typeof media?.enumerateDevices !== 'function') {
      this.view.controls.setDevices(null);
      return;
    }
    const asked = ++this.#devicesAsked;
    media.enumerateDevices().then(
      (devices) => {
        if (!this.#closed && asked === this.#devicesAsked) this.view.controls.setDevices(devices);
      },
      () => {
        if (!this.#closed && asked === this.#devicesAsked) this.view.controls.setDevices(null);
      },
    );
  }

  /** What the menu of peer `peerId`'s tile offers (relay features work on raw frames only). */
  #menuState(peerId: number): TileMenuState {
    const peer = this.#c.presence.get(peerId);
    const state = this.#c.relayMedia.transcoding(peerId);
    const raw = (mode: string): boolean => rawCodec(mode) !== undefined;
    return {
      available: peer !== undefined && raw(peer.mode) && raw(this.#options.settings().mode),
      // NOTE: only a lossless stream is worth converting to JPEG.
      jpegAvailable: (peer !== undefined && rawCodec(peer.mode)?.lossy === false) || state !== 'off',
      jpegOn: state === 'jpeg' || state === 'pending-jpeg',
      pending: state === 'pending-jpeg' || state === 'pending-off',
    };
  }

  #onRecording(state: RecordingState, announced: boolean, onJoin: boolean): void {
    const view = this.view;
    view.controls.setRecording(state.active, state.pending);
    const byName = state.by === null ? null : state.by === this.#c.presence.selfId ? 'you' : this.#c.presence.nameOf(state.by);
    view.setRecording(state.active, byName ? `Recording — started by ${byName}` : 'This call is being recorded');
    if (!announced) return;
    if (state.active) {
      this.#toast(onJoin ? 'This call is being recorded' : byName === 'you' ? 'Recording started' : `${byName} started recording`);
      return;
    }
    const who = byName === null ? '' : byName === 'you' ? ' by you' : ` by ${byName}`;
    const files = state.files.map((f) => `${f.name}: ${f.mp4} + ${f.frameLog} (${f.frames} frames)`);
    this.#toast(
      files.length > 0 ? `Recording stopped${who} — saved on the relay:` : `Recording stopped${who} — nothing was recorded`,
      files.length > 0 ? FILES_TOAST_MS : 4000,
      files,
    );
  }

  #onTranscoding(peerId: number, state: TranscodeState, previous: TranscodeState): void {
    this.#transcodeChangedAt.set(peerId, performance.now());
    const tile = this.view.findTile(peerId);
    tile?.menu?.update(this.#menuState(peerId));
    tile?.setNote(state === 'jpeg' ? '→ JPEG' : null, 'The relay converts this stream to JPEG for you');
    const name = this.#c.presence.nameOf(peerId);
    // Toasts only for answers to the user's own requests (not for a reset after reconnecting).
    if (state === 'jpeg' && previous === 'pending-jpeg') this.#toast(`Receiving ${name} as JPEG — the relay converts it`);
    else if (state === 'off' && previous === 'pending-off') this.#toast(`Receiving ${name} as sent`);
  }

  async #saveSnapshot(peerId: number): Promise<void> {
    const url = this.#options.snapshotUrl(peerId);
    if (url === null) return;
    const name = this.#c.presence.nameOf(peerId);
    try {
      await downloadSnapshot(url, name);
      this.#toast(`Snapshot of ${name} saved`);
    } catch (error) {
      this.#toast(`Snapshot failed: ${error instanceof Error ? error.message : String(error)}`, 6000);
    }
  }
}

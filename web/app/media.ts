/**
 * The media controller: the media transport of the current session. Every `welcome` gets
 * a fresh transport (new peer ids), built for the current mode by media-mode.ts while the
 * camera keeps running; a build that a newer one or `stop()` overtook is closed unused.
 * WebRTC signals arriving while the transport loads are kept and handed to it
 * (`MediaContext.earlyControl`). No DOM of its own: pictures go out through the context's
 * `showMedia`.
 */
import { Emitter, type WelcomeMessage } from '../../protocol/index.ts';
import type { ControlMessage, RelayLink } from '../net/relay-link.ts';
import type { CaptureSource, MediaContext, MediaTransport, RemotePeer } from '../pipeline/index.ts';
import { createMediaTransport } from './media-mode.ts';
import type { MediaMode, MediaSettings } from './settings.ts';

/** What every transport of this call shares (the context minus the session's and the join's parts). */
export type MediaBase = Omit<MediaContext, 'selfId' | 'connection' | 'iceServers' | 'earlyControl' | 'source' | 'microphone' | 'audioContext'>;

/** Events of `MediaController`. */
export type MediaEvents = {
  /** A transport was started for `welcome`'s session. */
  started: [MediaTransport, WelcomeMessage];
  /** The transport for `mode` could not be made. */
  failed: [mode: MediaMode, error: Error];
};

/** Options of `MediaController`. */
export interface MediaControllerOptions {
  /** Shared by every transport. */
  base: MediaBase;
  /** The local picture of the current join; no transport is built without one. */
  source: () => CaptureSource | undefined;
  /** The microphone of the current join, or null (denied, absent). Default none. */
  microphone?: () => MediaStream | null;
  /** The page's AudioContext, or null (no Web Audio). Default none. */
  audioContext?: () => AudioContext | null;
  /** Makes a transport. Default: `createMediaTransport` (media-mode.ts) without raw options. */
  create?: (mode: MediaMode, context: MediaContext) => Promise<MediaTransport>;
}

export class MediaController {
  readonly events = new Emitter<MediaEvents>();
  readonly #base: MediaBase;
  readonly #source: MediaControllerOptions['source'];
  readonly #microphone: () => MediaStream | null;
  readonly #audioContext: () => AudioContext | null;
  readonly #create: NonNullable<MediaControllerOptions['create']>;
  #transport: MediaTransport | undefined;
  #build = 0;
  #closed = false;

  constructor(options: MediaControllerOptions) {
    this.#base = options.base;
    this.#source = options.source;
    this.#microphone = options.microphone ?? (() => null);
    this.#audioContext = options.audioContext ?? (() => null);
    this.#create = options.create ?? ((mode, context) => createMediaTransport(mode, context));
  }

  /** The running transport, if any. */
  get transport(): MediaTransport | undefined {
    return this.#transport;
  }

  /**
   * Replaces the transport with one for `welcome`'s session on `link`; `peers()` is asked
   * when it starts (peers may join while it loads). Resolves when started, overtaken or failed.
   */
  async rebuild(link: RelayLink, welcome: WelcomeMessage, peers: () => RemotePeer[]): Promise<void> {
    this.stop();
    const source = this.#source();
    if (this.#closed || source === undefined) return;
    const build = this.#build;
    const mode = this.#base.settings().mode;
    const early: ControlMessage[] = [];
    const stopKeeping = link.on('control', (message) => {
      if (message.type === 'signal') early.push(message);
    });
    const context: MediaContext = {
      ...this.#base,
      source,
      microphone: this.#microphone(),
      audioContext: this.#audioContext(),
      selfId: welcome.peerId,
      connection: link,
      iceServers: welcome.iceServers ?? [],
      iceTransportPolicy: welcome.iceTransportPolicy ?? 'all',
      earlyControl: early,
    };
    let transport: MediaTransport;
    try {
      transport = await this.#create(mode, context);
    } catch (error) {
      if (build === this.#build) this.events.emit('failed', mode, error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      stopKeeping();
    }
    if (build !== this.#build) {
      transport.close();
      return;
    }
    this.#transport = transport;
    transport.start(peers());
    this.events.emit('started', transport, welcome);
  }

  /** Closes the transport and any build in progress (the session was lost or ended). */
  stop(): void {
    this.#build++;
    this.#transport?.close();
    this.#transport = undefined;
  }

  peerJoined(peer: RemotePeer): void {
    this.#transport?.peerJoined(peer);
  }

  peerLeft(peerId: number): void {
    this.#transport?.peerLeft(peerId);
  }

  updateSettings(settings: MediaSettings): void {
    this.#transport?.updateSettings(settings);
  }

  /** Stops and drops the listeners; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.stop();
    this.#closed = true;
    this.events.clear();
  }
}

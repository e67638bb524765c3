/**
 * The framewire browser pipeline — every stage's interface, documented in one place.
 *
 *   capture ──▶ encode ──────▶ transport ══ relay ══▶ transport ──▶ decode ──▶ paint
 *   capture.ts  encode-jpeg.ts  ../net/relay-link.ts (ws-link.ts)    decode.ts   paint.ts
 *               encode-bgra.ts
 *               (both draw through draw-surface.ts; codecs.ts is the registry of both ends)
 *
 * 1. **Capture** (`capture.ts`): a `CaptureSource` (the camera's `<video>`, or any canvas —
 *    the latency harness substitutes one) is sampled by `Capture` at the chosen fps; each
 *    sample is a `CaptureTick`: the picture and its capture instant (local wall clock).
 * 2. **Encode** (`encode-jpeg.ts`, `encode-bgra.ts`, made by the registry `codecs.ts`): a `FrameEncoder` draws the tick at the
 *    send resolution and returns an `EncodedFrame` — the complete wire-format v1 bytes
 *    (codec/), ready for one WebSocket binary message.
 * 3. **Transport** (`web/net/relay-link.ts`): a `RelayLink` — one link to the relay
 *    carrying JSON control messages and binary frames, with clock sync and reconnect
 *    (`AutoLink` in net/auto-link.ts: a WebSocket, or the HTTP fallback when it is blocked).
 *    `sendFrame` refuses (→ the sender skips the capture) while the previous frame is still
 *    buffered: latest wins, nothing queues.
 * 4. **Decode** (`decode.ts`): `FrameDecoder`, one per remote source, holds at most ONE
 *    waiting frame: a newer frame replaces a waiting older one (counted as a receiver drop)
 *    and decodes run one at a time, so nothing is painted late. Output: a `DecodedImage`.
 * 5. **Paint** (`paint.ts`): a `Painter` owns the tile's `<canvas>` and draws a
 *    `DecodedImage` (2D canvas, or WebGL with the BGRA→RGBA swizzle in the shader).
 *
 * Swapping a stage means touching one place: the media mode is chosen in
 * `web/app/media-mode.ts` (raw frames via `web/app/raw-media.ts`, or WebRTC via
 * `web/webrtc/`), both behind the `MediaTransport` interface below.
 */
import type { FrameHeader } from '../../codec/index.ts';
import type { IceServer } from '../../protocol/index.ts';
import type { MediaSettings } from '../app/settings.ts';
import type { ControlMessage, RelayLink } from '../net/relay-link.ts';
import type { CallStats } from '../stats/call-stats.ts';
import type { RawCodecName } from './codecs.ts';

// ── 1. capture ───────────────────────────────────────────────────────────────

/** Something that has a current picture: the camera, or a canvas the harness draws. */
export interface CaptureSource {
  /** 'camera', 'harness', … (shown in stats and logs). */
  readonly kind: string;
  /** The current picture, drawn with `drawImage`. */
  readonly image: CanvasImageSource;
  /** Natural width of the picture, px (0 while not ready). */
  readonly width: number;
  /** Natural height of the picture, px (0 while not ready). */
  readonly height: number;
  /** The camera stream, if the source has one (WebRTC mode sends its track). */
  readonly stream: MediaStream | null;
  /** False while there is no picture yet (ticks are skipped). Default: ready. */
  readonly ready?: boolean;
  /**
   * The capture instant of the current picture, LOCAL wall clock, ms since the Unix epoch
   * (`performance.timeOrigin + performance.now()`). Omitted/undefined → the tick's time.
   * The harness implements this to report when it drew the picture it is showing.
   */
  captureTime?(): number | undefined;
  /** Turns the picture on/off (camera on/off) without releasing the device. */
  setEnabled?(enabled: boolean): void;
  /** Releases the device. Safe to call twice. */
  close(): void;
}

/** One sample of a source, handed from capture to encode. */
export interface CaptureTick {
  image: CanvasImageSource;
  /** Source picture size, px. */
  width: number;
  height: number;
  /** Capture instant, LOCAL wall clock, ms since the Unix epoch. */
  captureTime: number;
}

/** Stable codes of `CaptureError`. */
export type CaptureErrorCode = 'denied' | 'not-found' | 'in-use' | 'unsupported' | 'failed';

/** Why the camera could not be opened; `message` is written for the person in front of it. */
export class CaptureError extends Error {
  readonly code: CaptureErrorCode;

  private constructor(code: CaptureErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CaptureError';
    this.code = code;
  }

  static denied(cause?: unknown): CaptureError {
    return new CaptureError(
      'denied',
      'Camera access was denied. Allow the camera for this site (the camera icon in the address bar) and try again.',
      cause,
    );
  }

  static notFound(cause?: unknown): CaptureError {
    return new CaptureError('not-found', 'No camera was found. Connect a camera and try again.', cause);
  }

  static inUse(cause?: unknown): CaptureError {
    return new CaptureError('in-use', 'The camera is in use by another application or could not be started.', cause);
  }

  static unsupported(): CaptureError {
    return new CaptureError(
      'unsupported',
      'This browser cannot access a camera here. Open the page over https:// or http://localhost.',
    );
  }

  static failed(cause?: unknown): CaptureError {
    const detail = cause instanceof Error ? ` [${cause.name}: ${cause.message}]` : '';
    return new CaptureError('failed', `The camera could not be opened${detail}.`, cause);
  }

  /** Maps a `getUserMedia` rejection (a `DOMException`) to a `CaptureError`. */
  static fromMediaError(error: unknown): CaptureError {
    const name = error instanceof Error ? error.name : '';
    switch (name) {
      case 'NotAllowedError':
      case 'SecurityError':
      case 'PermissionDeniedError':
        return CaptureError.denied(error);
      case 'NotFoundError':
      case 'DevicesNotFoundError':
      case 'OverconstrainedError':
        return CaptureError.notFound(error);
      case 'NotReadableError':
      case 'TrackStartError':
      case 'AbortError':
        return CaptureError.inUse(error);
      default:
        return CaptureError.failed(error);
    }
  }
}

// ── 2. encode ────────────────────────────────────────────────────────────────

/** What an encoder needs besides the picture. */
export interface EncodeParams {
  /** Send resolution, px (the picture is cover-cropped to it). */
  width: number;
  height: number;
  /** JPEG quality 1..100 (ignored by BGRA). */
  quality: number;
  /** Frame counter written into the header. */
  seq: number;
  /** Capture instant written into the header: SERVER clock, ms since the epoch. */
  captureTime: number;
}

/** A frame ready to send. */
export interface EncodedFrame {
  /** The whole wire-format v1 frame (prefix + header + payload). */
  bytes: Uint8Array;
  /** Its header fields. */
  header: Pick<FrameHeader, 'codec' | 'width' | 'height' | 'seq' | 'captureTime'>;
  /** The canvas the picture was drawn into at send resolution (valid until the next encode). */
  canvas: HTMLCanvasElement | OffscreenCanvas;
  /** Time spent encoding, ms. */
  encodeMs: number;
}

/** Stage 2: picture → wire bytes. One encode at a time per encoder (the caller awaits). */
export interface FrameEncoder {
  readonly codec: RawCodecName;
  encode(tick: CaptureTick, params: EncodeParams): Promise<EncodedFrame>;
  close(): void;
}

// ── 4. decode ────────────────────────────────────────────────────────────────

/** A decoded picture, in the form the painter can use fastest. */
export type DecodedImage =
  /** JPEG via `createImageBitmap` (the painter closes it). */
  | { kind: 'bitmap'; bitmap: ImageBitmap; width: number; height: number }
  /** BGRA swizzled to RGBA on the CPU (`bgraToRgba` into `ImageData`). */
  | { kind: 'imagedata'; data: ImageData; width: number; height: number }
  /** BGRA as received, for a painter that swizzles on the GPU. */
  | { kind: 'bgra'; pixels: Uint8Array; width: number; height: number };

// ── 5. paint ─────────────────────────────────────────────────────────────────

/** Stage 5: draws decoded pictures into its canvas. */
export interface Painter {
  readonly canvas: HTMLCanvasElement;
  /** 'canvas2d' or 'webgl'. */
  readonly kind: string;
  /** Whether it wants BGRA decoded to ImageData ('imagedata') or left raw ('bgra'). */
  readonly bgraInput: 'imagedata' | 'bgra';
  paint(image: DecodedImage): void;
  close(): void;
}

// ── the media transport seam (raw frames or WebRTC) ─────────────────────────

/** A remote participant as the media layer sees it. */
export interface RemotePeer {
  id: number;
  name: string;
  /** What the peer streams: 'jpeg' | 'bgra' | 'webrtc' | other. */
  mode: string;
  /** The peer muted its microphone (presence: `peer-updated`). Default false. */
  muted?: boolean;
}

/** What the app hands a media transport (raw or WebRTC). */
export interface MediaContext {
  /** Our peer id (from `welcome`). */
  readonly selfId: number;
  /** The link to the relay: `sendControl({type:'signal', to, data})`, `on('control', …)`, `on('frame', …)`. */
  readonly connection: RelayLink;
  /**
   * Control messages that arrived while this transport was still loading (WebRTC signals a
   * fast peer sent before we could listen); `start()` handles them after subscribing.
   */
  readonly earlyControl: readonly ControlMessage[];
  /** The local picture (camera or harness canvas); `source.stream` is the camera `MediaStream`. */
  readonly source: CaptureSource;
  /**
   * The microphone stream (one audio track, echo cancellation / noise suppression / auto gain
   * on), or null when there is none (denied, absent): the call goes on without sound.
   * Muting is `settings().micOn === false` (the track stays open).
   */
  readonly microphone: MediaStream | null;
  /** The page's one AudioContext (48 kHz, created on the join click), shared by every transport. */
  readonly audioContext: AudioContext | null;
  /** The current send settings. */
  settings(): MediaSettings;
  /** ICE servers from the relay's `welcome`. */
  readonly iceServers: IceServer[];
  /** ICE transport policy from the relay's `welcome` ('relay': TURN-relayed candidates only). Default 'all'. */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** Shows `element` (a `<canvas>` or `<video>`) as peer `peerId`'s picture in its tile. */
  showMedia(peerId: number, element: HTMLCanvasElement | HTMLVideoElement): void;
  /** Counters behind the overlays and `window.framewire.stats()`. */
  readonly stats: CallStats;
  /** Call after a remote picture was painted: runs the paint hooks `(peerId, canvas, header)`. */
  painted(peerId: number, canvas: HTMLCanvasElement | HTMLVideoElement, header: FrameHeader): void;
  /** Call after a local frame was sent: runs the send hooks `(canvas, header)`. */
  sent(canvas: HTMLCanvasElement | OffscreenCanvas, header: EncodedFrame['header']): void;
}

/** Sends the local picture and shows remote ones. Implementations: raw frames, WebRTC. */
export interface MediaTransport {
  /** 'raw' or 'webrtc'. */
  readonly kind: string;
  /** Begins sending and receiving (peers already in the room are passed in). */
  start(peers: RemotePeer[]): void;
  peerJoined(peer: RemotePeer): void;
  peerLeft(peerId: number): void;
  /** Settings changed (resolution, fps, quality, codec within the mode, camera on/off, mic on/off). */
  updateSettings(settings: MediaSettings): void;
  /**
   * Loudness of a peer's sound as heard now, 0..1 (`peerId` 0 = our own microphone; 0 while
   * muted), or null when there is no audio from it. Drives the speaking indicator.
   */
  audioLevel?(peerId: number): number | null;
  /** The Web Audio node carrying what we hear from `peerId` (taps and meters connect to it), or null. */
  audioOutput?(peerId: number): AudioNode | null;
  /** Stops everything. Safe to call twice. */
  close(): void;
}

/** The module web/webrtc/index.ts exports (loaded only in mode=webrtc). */
export interface WebRtcModule {
  createMediaTransport(context: MediaContext): MediaTransport;
}

/** The module web/harness/index.ts exports (loaded only with `source=harness`). */
export interface HarnessModule {
  /** Builds the substitute capture source (it may draw over `camera`, which may be null when denied). */
  createCaptureSource(camera: CaptureSource | null, settings: MediaSettings): Promise<CaptureSource> | CaptureSource;
  /** Called once with `window.framewire` so the harness can add its hooks. */
  install?(api: Record<string, unknown>): void;
}

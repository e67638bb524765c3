/**
 * Call settings and the URL parameters that preset them (for shareable links and
 * automation): `room`, `name`, `secret`, `mode=jpeg|bgra|webrtc`, `res=640x480`,
 * `fps=5..30`, `q=1..100` (JPEG quality), `autostart=1` (join at once with the camera),
 * `source=camera|harness` (the latency harness substitutes its own picture), `stats=1`
 * (show the overlays), `ice=relay` (WebRTC mode through the relay's TURN server only, e.g.
 * TURN over TCP where UDP is blocked), `transport=auto|ws|http|poll` (what carries the link to
 * the relay: auto = WebSocket, else HTTP; or one forced — web/net/auto-link.ts), `mic=0` (join
 * muted), `audio=auto|pcm|0` (sound: Opus where possible / the PCM fallback forced / no microphone).
 */
import { parseTransportMode, type TransportMode } from '../net/transport-mode.ts';

/** How this client sends its video: raw frames over the relay (JPEG or BGRA), or WebRTC. */
export type MediaMode = 'jpeg' | 'bgra' | 'webrtc';
export const MEDIA_MODES: readonly MediaMode[] = ['jpeg', 'bgra', 'webrtc'];

/** A capture/encode resolution. */
export interface Resolution {
  width: number;
  height: number;
}

/** The resolutions offered in the UI. */
export const RESOLUTIONS: readonly Resolution[] = [
  { width: 320, height: 240 },
  { width: 640, height: 480 },
  { width: 1280, height: 720 },
];

export const MIN_FPS = 5;
export const MAX_FPS = 30;
export const DEFAULT_MODE: MediaMode = 'jpeg';
export const DEFAULT_RESOLUTION: Resolution = { width: 640, height: 480 };
export const DEFAULT_FPS = 15;
export const DEFAULT_JPEG_QUALITY = 70;

/** What is sent, changeable during a call. */
export interface MediaSettings {
  /** Media mode. Default `DEFAULT_MODE` ('jpeg'). */
  mode: MediaMode;
  /** Width of sent frames, px. Default 640. */
  width: number;
  /** Height of sent frames, px. Default 480. */
  height: number;
  /** Frames per second, 5..30. Default `DEFAULT_FPS` (15). */
  fps: number;
  /** JPEG quality 1..100. Default `DEFAULT_JPEG_QUALITY` (70). */
  quality: number;
  /** Whether the camera is sending. Default true. */
  cameraOn: boolean;
  /** Whether the microphone is sending (false = muted: no audio packets at all). Default true. */
  micOn: boolean;
  /** The microphone chosen in the picker (`MediaDeviceInfo.deviceId`); absent = the default one. */
  micDeviceId?: string;
  /** The camera chosen in the picker; absent = the default one. */
  cameraDeviceId?: string;
}

/** Everything a page URL can preset. */
export interface UrlPreset {
  room?: string;
  name?: string;
  secret?: string;
  media: MediaSettings;
  autostart: boolean;
  /** 'camera' (default) or the name of a substitute capture source, e.g. 'harness'. */
  source: string;
  showStats: boolean;
  /**
   * WebRTC mode's ICE transport policy from `ice=relay`: 'relay' = only TURN-relayed
   * candidates (also when the relay does not ask for it). Default 'all'.
   */
  iceTransportPolicy: 'all' | 'relay';
  /** What may carry the link to the relay, from `transport=`. Default 'auto'. */
  transport: TransportMode;
  /** Sound: `audio=0` joins without opening the microphone; `audio=pcm` forces the PCM fallback (tests, old browsers). Default 'auto'. */
  audio: AudioPreset;
}

/** `audio=`: 'auto' (Opus where the browser has it, else PCM), 'pcm' (forced), 'off' (no microphone). */
export type AudioPreset = 'auto' | 'pcm' | 'off';

/** Parses `audio`: `0`/`off`/`false` → 'off', `pcm` → 'pcm', anything else → 'auto'. */
export function parseAudioPreset(text: string | null): AudioPreset {
  const t = text?.trim().toLowerCase();
  if (t === '0' || t === 'off' || t === 'false') return 'off';
  return t === 'pcm' ? 'pcm' : 'auto';
}

export function defaultMediaSettings(): MediaSettings {
  return { mode: DEFAULT_MODE, ...DEFAULT_RESOLUTION, fps: DEFAULT_FPS, quality: DEFAULT_JPEG_QUALITY, cameraOn: true, micOn: true };
}

/** Parses `res`: `640x480`, `640*480`, or a height alone (`480`, `720p`) mapped to one of `RESOLUTIONS`. */
export function parseResolution(text: string | null): Resolution | undefined {
  if (!text) return undefined;
  const pair = /^(\d{2,4})\s*[x*×]\s*(\d{2,4})$/i.exec(text.trim());
  if (pair) {
    const width = Number(pair[1]);
    const height = Number(pair[2]);
    if (width >= 16 && height >= 16 && width <= 4096 && height <= 4096) return { width, height };
    return undefined;
  }
  const single = /^(\d{3,4})p?$/i.exec(text.trim());
  if (single) return RESOLUTIONS.find((r) => r.height === Number(single[1]) || r.width === Number(single[1]));
  return undefined;
}

function clampInt(text: string | null, min: number, max: number, fallback: number): number {
  if (text === null || text.trim() === '') return fallback;
  const n = Math.round(Number(text));
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

function nonEmpty(text: string | null, maxLength = 64): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed.slice(0, maxLength) : undefined;
}

/** Parses `ice`: `relay` → 'relay'; anything else (absent, `all`, unknown) → 'all'. */
export function parseIcePolicy(text: string | null): 'all' | 'relay' {
  return text?.trim().toLowerCase() === 'relay' ? 'relay' : 'all';
}

/** Reads the URL parameters (`location.search`); invalid values fall back to the defaults. */
export function parseUrlPreset(search: string): UrlPreset {
  const params = new URLSearchParams(search);
  const media = defaultMediaSettings();
  const mode = params.get('mode');
  if (mode && (MEDIA_MODES as readonly string[]).includes(mode)) media.mode = mode as MediaMode;
  const res = parseResolution(params.get('res'));
  if (res) Object.assign(media, res);
  media.fps = clampInt(params.get('fps'), MIN_FPS, MAX_FPS, DEFAULT_FPS);
  media.quality = clampInt(params.get('q'), 1, 100, DEFAULT_JPEG_QUALITY);
  const mic = params.get('mic');
  if (mic === '0' || mic === 'off' || mic === 'muted') media.micOn = false;
  const preset: UrlPreset = {
    audio: parseAudioPreset(params.get('audio')),
    media,
    autostart: params.get('autostart') === '1' || params.get('autostart') === 'true',
    source: nonEmpty(params.get('source')) ?? 'camera',
    showStats: params.get('stats') === '1',
    iceTransportPolicy: parseIcePolicy(params.get('ice')),
    transport: parseTransportMode(params.get('transport')),
  };
  const room = nonEmpty(params.get('room'));
  const name = nonEmpty(params.get('name'), 32);
  const secret = nonEmpty(params.get('secret'), 128);
  if (room !== undefined) preset.room = room;
  if (name !== undefined) preset.name = name;
  if (secret !== undefined) preset.secret = secret;
  return preset;
}

/** A shareable link into `room` (no secret, no name: the person invited picks their own). */
export function inviteLink(origin: string, room: string): string {
  return `${origin}/?${new URLSearchParams({ room }).toString()}`;
}

/**
 * `window.framewire`: the app's automation surface (tests, benches, the latency harness).
 *
 * - `stats()` → `{ mode, self: { framesSent, bytesSent, fps, skipped, … }, peers: [{ id, name,
 *   framesPainted, fps, kbps, dropped, latencyMs: { p50, p95 }, … }], transport: { kind:
 *   'websocket' | 'http-stream' | 'long-poll', reason? } | null }` (transport: what carries the
 *   call now and, after a fallback, why; null outside a call)
 * - `onPaint((peerId, canvas, header) => …)` → unsubscribe: after each remote picture is painted
 * - `onSent((canvas, header) => …)` → unsubscribe: after each local frame is handed to the socket
 * - `state()`, `settings()`, `setSettings(patch)`, `peers()`, `messages()`, `chat(text)`,
 *   `clock()`, `join({ room, name, secret?, mode })`, `leave()`
 * - relay media (server/media): `relayMedia()` → `{ recording: { active, pending, by, files },
 *   transcoding: { [peerId]: 'jpeg' | 'pending-jpeg' | 'pending-off' }, adapted: { [peerId]: { width, height,
 *   quality, reason } } }` (adapted: the relay shrank that peer's picture for our thin link), `toggleRecording()`,
 *   `receiveAsJpeg(peerId, on)`, `snapshotUrl(peerId)`
 * - sound: `startAudioTap(peerId, seconds)` → Promise<boolean> records what we hear from a peer
 *   (0: what our microphone captures); `readAudioTap(peerId)` → `{ sampleRate, startTime (local
 *   wall clock of the first sample, ms), samples (Float32 little-endian, base64) }` or null
 * The latency harness may add its own fields to this object (`install(api)` in web/harness/).
 */
import type { App, PaintListener, SentListener } from './app.ts';
import type { MediaMode, MediaSettings } from './settings.ts';

export interface FramewireApi {
  readonly version: 1;
  stats: App['snapshot'];
  state: App['state'];
  settings: () => MediaSettings;
  setSettings: (patch: Partial<MediaSettings>) => void;
  peers: App['peers'];
  messages: App['messages'];
  chat: (text: string) => boolean;
  clock: App['clock'];
  join: (request: { room: string; name: string; secret?: string; mode?: MediaMode }) => Promise<void>;
  leave: () => void;
  onPaint: (listener: PaintListener) => () => void;
  onSent: (listener: SentListener) => () => void;
  relayMedia: App['relayMedia'];
  toggleRecording: () => boolean;
  receiveAsJpeg: (peerId: number, on: boolean) => boolean;
  snapshotUrl: (peerId: number) => string | null;
  startAudioTap: App['startAudioTap'];
  readAudioTap: App['readAudioTap'];
  [extension: string]: unknown;
}

declare global {
  interface Window {
    framewire: FramewireApi;
  }
}

export function createApi(app: App): FramewireApi {
  return {
    version: 1,
    stats: () => app.snapshot(),
    state: () => app.state(),
    settings: () => app.settings(),
    setSettings: (patch) => app.setSettings(patch),
    peers: () => app.peers(),
    messages: () => app.messages(),
    chat: (text) => app.chat(text),
    clock: () => app.clock(),
    join: (request) => app.join({ ...request, mode: request.mode ?? app.settings().mode }),
    leave: () => app.leave(),
    onPaint: (listener) => app.events.on('paint', listener),
    onSent: (listener) => app.events.on('sent', listener),
    relayMedia: () => app.relayMedia(),
    toggleRecording: () => app.toggleRecording(),
    receiveAsJpeg: (peerId, on) => app.receiveAsJpeg(peerId, on),
    snapshotUrl: (peerId) => app.snapshotUrl(peerId),
    startAudioTap: (peerId, seconds) => app.startAudioTap(peerId, seconds),
    readAudioTap: (peerId) => app.readAudioTap(peerId),
  };
}

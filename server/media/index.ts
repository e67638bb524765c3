/**
 * Server-side media (ffmpeg + sharp) attached to a running relay: recording (frame log +
 * MP4 per participant, with an AAC track from its audio frames), snapshots over HTTP,
 * relay-side BGRA→JPEG transcoding on request, and automatic per-receiver downscaling for
 * receivers on thin paths (thin-receiver.ts). Audio frames (Opus, PCM) never reach a picture
 * path: snapshots keep the latest picture, the transcoders hand audio on as it is. The
 * relay CLI (server/main.ts) calls `attachMedia` once after the relay starts. Everything
 * goes through the relay's public API: `frame`/`peer-joined`/`peer-left` events, the
 * `record` and `transcode` control types, and the snapshot route.
 *
 * Synthetic participants (`SenderBot`, `ReceiverBot`) and replay are clients of the relay,
 * exported here for benches and tests.
 */
import { basename } from 'node:path';
import type { Frame } from '../../codec/index.ts';
import { RelayError, type PeerInfo, type Relay } from '../relay.ts';
import { checkQuality, DEFAULT_JPEG_QUALITY } from './jpeg.ts';
import { registerMediaMetrics } from './media-metrics.ts';
import { Recorder, type RecordingFiles } from './recorder.ts';
import { SNAPSHOT_ROUTE, SnapshotStore } from './snapshots.ts';
import { ThinReceivers, type ThinReceiverOptions } from './thin-receiver.ts';
import { Transcoder, type TranscoderStats } from './transcoder.ts';

export { FfmpegError, ffmpegPath, spawnFfmpeg, runFfmpeg, type FfmpegErrorCode } from './ffmpeg.ts';
export { SenderBot, type SenderBotOptions, type SenderBotStats } from './sender-bot.ts';
export { ReceiverBot, type ReceiverBotOptions, type ReceiverReport } from './receiver-bot.ts';
export { replayFrameLog, type ReplayOptions, type ReplayStats } from './replay.ts';
export { FrameLogWriter, readFrameLog } from './frame-log.ts';
export { Mp4Writer, type Mp4WriterOptions } from './mp4-writer.ts';
export { probeMedia, probeVideo, type MediaProbe, type VideoProbe } from './probe.ts';
export { VideoSource, type VideoSourceOptions } from './video-source.ts';
export { AudioSource, type AudioSourceOptions, type AudioPacket } from './audio-source.ts';
export { OggReader, OggError, type OggPacket } from './ogg-reader.ts';
export { RelayClock } from './relay-clock.ts';
export type { RecordingFiles } from './recorder.ts';

/** Options of `attachMedia`. */
export interface MediaOptions {
  /** Record every room's streams into this directory (frame log + MP4 per participant). Default: off. */
  recordDir?: string;
  /** With `recordDir`: record every room from the start (else only rooms sent `record start`). Default true. */
  recordAllRooms?: boolean;
  /** JPEG quality of relay-side BGRA→JPEG transcoding, 1..100. Default 75. */
  transcodeQuality?: number;
  /** JPEG quality of snapshots of BGRA frames, 1..100. Default 85. */
  snapshotQuality?: number;
  /** Automatic downscaling for receivers whose path cannot carry a source's frames (false: off). Default on, with its defaults. */
  thinReceivers?: ThinReceiverOptions | false;
  /** sharp jobs in flight at most, all transcoding together. Default 4. */
  maxTranscodeJobs?: number;
}

/** What `attachMedia` returns; `close()` stops recordings and children, safe to call twice. */
export interface MediaHandle {
  close(): Promise<void>;
  /** The recorder, or null when `recordDir` is not set. */
  readonly recorder: Recorder | null;
  readonly snapshots: SnapshotStore;
  readonly transcoder: Transcoder;
  /** Automatic downscaling for thin receivers, or null when `thinReceivers` is false. */
  readonly thinReceivers: ThinReceivers | null;
  /** Transcoding counters. */
  readonly stats: { transcode: TranscoderStats };
}

/** Actions of the `record` control message. */
const RECORD_ACTIONS = new Set(['start', 'stop']);
/** Codecs a receiver may ask for with `transcode` (`off` = the source's own frames again). */
const TRANSCODE_CODECS = new Set(['jpeg', 'off']);

/** Wires recording, snapshots and transcoding into `relay`. */
export function attachMedia(relay: Relay, options: MediaOptions = {}): MediaHandle {
  const transcodeQuality = options.transcodeQuality ?? DEFAULT_JPEG_QUALITY;
  checkQuality(transcodeQuality);
  const log = relay.logger;
  const names = new Map<number, string>();
  const recorder =
    options.recordDir === undefined || options.recordDir === ''
      ? null
      : new Recorder({
          dir: options.recordDir,
          recordAllRooms: options.recordAllRooms ?? true,
          onError: (error, files) => log.error('recording failed', { room: files.room, peerId: files.peerId, error: error.message }),
        });
  const snapshots = new SnapshotStore({
    quality: options.snapshotQuality,
    checkSecret: (room, secret) => relay.checkRoomSecret(room, secret),
  });
  let thin: ThinReceivers | null = null;
  const transcoder = new Transcoder(relay, {
    quality: transcodeQuality,
    maxJobs: options.maxTranscodeJobs,
    onAutoConverted: (receiverId, sourceId, made) => thin?.learn(receiverId, sourceId, made),
  });
  thin = options.thinReceivers === false ? null : new ThinReceivers(relay, transcoder, options.thinReceivers);
  let closed: Promise<void> | null = null;

  const nameOf = (room: string, peerId: number): string =>
    names.get(peerId) ?? relay.peers(room).find((p) => p.id === peerId)?.name ?? 'peer';

  const onFrame = (e: { room: string; peerId: number; frame: Frame }): void => {
    snapshots.update(e.room, e.peerId, e.frame);
    recorder?.write(e.room, e.peerId, nameOf(e.room, e.peerId), e.frame);
    thin?.onFrame(e.room, e.peerId, e.frame);
    if (transcoder.has(e.peerId)) transcoder.onFrame(e.peerId, e.frame);
  };
  const onJoined = ({ peer }: { peer: PeerInfo }): void => {
    names.set(peer.id, peer.name);
    if (recorder?.isRecording(peer.room)) relay.sendControl(peer.id, { type: 'recording', room: peer.room, active: true });
  };
  const onLeft = ({ peer }: { peer: PeerInfo }): void => {
    names.delete(peer.id);
    snapshots.forget(peer.room, peer.id);
    transcoder.forget(peer.id);
    thin?.forget(peer.id);
    void recorder?.leave(peer.room, peer.id).then((files) => {
      if (files !== undefined) log.info('recording finished', { ...files });
    });
  };
  relay.on('frame', onFrame);
  relay.on('peer-joined', onJoined);
  relay.on('peer-left', onLeft);
  for (const room of relay.rooms()) for (const peer of relay.peers(room)) names.set(peer.id, peer.name);

  relay.handleControl('record', (peer, msg) => {
    const action = msg['action'];
    if (typeof action !== 'string' || !RECORD_ACTIONS.has(action)) {
      throw RelayError.badMessage('record', '"action" must be "start" or "stop"');
    }
    if (recorder === null || closed !== null) {
      throw RelayError.badMessage('record', 'recording is off on this relay (start it with --record DIR)');
    }
    const announce = (extra: object): void => {
      for (const p of relay.peers(peer.room)) relay.sendControl(p.id, { type: 'recording', room: peer.room, by: peer.id, ...extra });
    };
    if (action === 'start') {
      recorder.start(peer.room);
      announce({ active: true });
      return;
    }
    void recorder.stop(peer.room).then((files) => announce({ active: false, files: files.map(publicFiles) }));
  });

  relay.handleControl('transcode', (peer, msg) => {
    const from = msg['from'];
    const codec = msg['codec'];
    const quality = msg['quality'] ?? transcodeQuality;
    if (typeof from !== 'number' || !Number.isInteger(from)) throw RelayError.badMessage('transcode', '"from" must be a peer id');
    if (typeof codec !== 'string' || !TRANSCODE_CODECS.has(codec)) {
      throw RelayError.badMessage('transcode', '"codec" must be "jpeg" or "off"');
    }
    if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw RelayError.badMessage('transcode', '"quality" must be an integer 1..100');
    }
    if (from === peer.id || !relay.peers(peer.room).some((p) => p.id === from)) throw RelayError.noSuchPeer('transcode', from);
    if (closed !== null) throw RelayError.badMessage('transcode', 'media is shutting down');
    thin?.pin(peer.id, from); // the receiver's choice wins over automatic downscaling
    if (codec === 'jpeg') transcoder.subscribe(peer.id, from, quality);
    else transcoder.unsubscribe(peer.id, from);
    relay.sendControl(peer.id, { type: 'transcoding', from, codec, ...(codec === 'jpeg' ? { quality } : {}) });
  });

  relay.route('GET', SNAPSHOT_ROUTE, snapshots.handle);
  const unregisterMetrics = registerMediaMetrics(relay.metricsRegistry, transcoder, recorder);

  return {
    recorder,
    snapshots,
    transcoder,
    thinReceivers: thin,
    get stats() {
      return { transcode: transcoder.stats };
    },
    close() {
      closed ??= (async () => {
        relay.off('frame', onFrame);
        relay.off('peer-joined', onJoined);
        relay.off('peer-left', onLeft);
        unregisterMetrics();
        thin?.close();
        transcoder.close();
        snapshots.clear();
        await recorder?.close();
      })();
      return closed;
    },
  };
}

/** What peers are told about finished files: names, not server paths. */
function publicFiles(files: RecordingFiles): { peerId: number; name: string; frameLog: string; mp4: string; frames: number } {
  return { peerId: files.peerId, name: files.name, frameLog: basename(files.frameLog), mp4: basename(files.mp4), frames: files.frames };
}

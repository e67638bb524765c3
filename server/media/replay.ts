/**
 * Replay: plays a frame log (`*.fwlog`) back into a room in real time, as one participant.
 * Frames keep their payload, size, codec, flags and seq; their capture times are shifted by
 * one constant so that the gaps between frames — the recorded timing — are kept and the
 * first frame is "captured" when the replay starts (receivers measure real latency). Source
 * id and relay time are cleared, as any sender does; the relay stamps them. Under
 * backpressure a frame is skipped, never queued. Audio frames (Opus, PCM) are replayed like
 * video ones, on the same shifted timeline, so the replayed audio and video stay in sync;
 * the join `mode` is the codec of the first video frame.
 */
import { WebSocket } from 'ws';
import { codecName, HEADER_BYTES, isAudioCodec, Offset, type Frame } from '../../codec/index.ts';
import { readFrameLog } from './frame-log.ts';
import { joinUrl, type JoinOptions } from './join-url.ts';

/** Frames read ahead for the first video frame (whose codec is the join mode). */
const MODE_LOOKAHEAD_FRAMES = 256;

/** `bufferedAmount` above which the replay skips a frame. */
export const DEFAULT_REPLAY_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Options of `replayFrameLog`. */
export interface ReplayOptions extends JoinOptions {
  /** Playback speed factor (2 = twice as fast). Default 1. */
  speed?: number;
  /** Socket send-buffer bytes above which a frame is skipped. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Stops the replay early when aborted. */
  signal?: AbortSignal;
}

/** What a replay did. */
export interface ReplayStats {
  /** Frames sent. */
  sent: number;
  /** Frames skipped under backpressure. */
  skipped: number;
  /** Seconds of wall-clock time from the first frame to the last. */
  seconds: number;
  /** Peer id the relay gave the replaying participant. */
  peerId: number | undefined;
}

/** Joins the room, plays `path` in real time, leaves. Rejects on a corrupt log or a refused connection. */
export async function replayFrameLog(path: string, options: ReplayOptions): Promise<ReplayStats> {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new TypeError(`speed must be a positive number [speed:${speed}]`);
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_REPLAY_MAX_BUFFERED_BYTES;
  const frames = readFrameLog(path);
  const first = await frames.next();
  const stats: ReplayStats = { sent: 0, skipped: 0, seconds: 0, peerId: undefined };
  if (first.done) return stats;
  // The first frames may be audio: read ahead to the first video frame for the join mode.
  const ahead: Frame[] = [];
  let video: Frame | undefined = isAudioCodec(first.value.codec) ? undefined : first.value;
  while (video === undefined && ahead.length < MODE_LOOKAHEAD_FRAMES) {
    const next = await frames.next();
    if (next.done) break;
    ahead.push(next.value);
    if (!isAudioCodec(next.value.codec)) video = next.value;
  }
  const mode = (video === undefined ? undefined : codecName(video.codec)) ?? 'jpeg';
  const ws = new WebSocket(joinUrl({ ...options, mode }));
  let failure: Error | null = null;
  ws.on('error', (error) => {
    failure ??= error;
  });
  ws.on('close', (code, reason) => {
    failure ??= new Error(`relay closed the connection [code:${code}, reason:${reason.toString()}]`);
  });
  // Frames go out only after `welcome`: a refused join (bad room, full room, wrong
  // secret) is an `error` message and a close, which rejects here with its reason.
  await new Promise<void>((resolve, reject) => {
    let refusal = '';
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(data.toString()) as { type?: string; peerId?: number; code?: string; message?: string };
        if (msg.type === 'welcome' && typeof msg.peerId === 'number') {
          stats.peerId = msg.peerId;
          resolve();
        } else if (msg.type === 'error') {
          refusal = `${msg.code}: ${msg.message}`;
        }
      } catch {
        // Not JSON: ignore.
      }
    });
    ws.once('error', reject);
    ws.once('close', (code, reason) =>
      reject(new Error(`relay refused the connection [code:${code}, reason:${reason.toString()}]${refusal === '' ? '' : ` ${refusal}`}`)),
    );
  });

  const firstCapture = first.value.captureTime;
  const start = performance.now();
  const startWall = performance.timeOrigin + start;
  try {
    const send = async (frame: Frame): Promise<void> => {
      const due = start + (frame.captureTime - firstCapture) / speed;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait, options.signal);
      if (failure !== null) throw failure;
      if (ws.bufferedAmount > maxBuffered) {
        stats.skipped++;
        return;
      }
      restamp(frame, startWall + (frame.captureTime - firstCapture) / speed);
      ws.send(frame.bytes, { binary: true });
      stats.sent++;
    };
    await send(first.value);
    for (const frame of ahead) {
      if (options.signal?.aborted) break;
      await send(frame);
    }
    for await (const frame of frames) {
      if (options.signal?.aborted) break;
      await send(frame);
    }
  } finally {
    stats.seconds = (performance.now() - start) / 1000;
    await closeSocket(ws);
  }
  return stats;
}

/** Rewrites capture time, clears source id and relay time — in place, in the frame read from the file. */
function restamp(frame: Frame, captureTime: number): void {
  const view = new DataView(frame.bytes.buffer, frame.bytes.byteOffset, HEADER_BYTES);
  view.setFloat64(Offset.captureTime, captureTime, false);
  view.setUint32(Offset.sourceId, 0, false);
  view.setFloat64(Offset.relayTime, 0, false);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    // Let the last frames leave before the close frame.
    ws.close(1000, 'replay done');
    setTimeout(() => {
      ws.terminate();
      resolve();
    }, 2000).unref();
  });
}

/**
 * Per-hop breakdown of one raw (jpeg/bgra) frame's capture→paint latency, from the header
 * timestamps (`captureTime` from the sender, `relayTime` stamped by the relay) and
 * page-side marks (`SocketMarks`: `WebSocket.send`, message received; the paint hook). All
 * marks are ms since the Unix epoch: sender and receiver pages share one browser clock and
 * the relay runs on the same machine (the header's captureTime is on the relay's clock via
 * the app's ping/pong offset, ≈ 0 on loopback).
 *
 * | hop | from → to | what happens there |
 * |---|---|---|
 * | encode | capture → `WebSocket.send` | draw the picture at send size, read pixels / JPEG-encode, frame it (latest-wins: no queue in the app) |
 * | sendRelay | `send` → relay stamps it | the browser's socket buffer (the send queue), loopback TCP, the relay's parse and validation |
 * | network | relay forward → receiving page reads it | relay's outbound queue, loopback TCP, browser WebSocket delivery to the page |
 * | decodePaint | received → shown | wait for the decoder (one at a time), JPEG decode / BGRA swizzle, draw on the tile canvas, wait for the page's next rendering update (when the canvas goes to the compositor) |
 *
 * The app's own medians of encode time and decode time (`window.framewire.stats()`) split
 * the first and last hop further in the bench report.
 */

/** Names of the hops, in pipeline order. */
export const HOPS = ['encode', 'sendRelay', 'network', 'decodePaint'] as const;
export type Hop = (typeof HOPS)[number];

/** Timestamps of one frame along the raw path, ms since the Unix epoch. */
export interface HopMarks {
  captureTime: number;
  sentAt: number;
  relayTime: number;
  receivedAt: number;
  paintedAt: number;
}

/** Sender-side marks of one frame, keyed by its `seq` (and capture time, against wrap). */
export interface SendMarks {
  seq: number;
  captureTime: number;
  sentAt: number;
}

/** Receiver-side marks of one frame (header fields plus page marks). */
export interface ReceiveMarks {
  seq: number;
  sourceId: number;
  captureTime: number;
  relayTime: number;
  receivedAt: number;
  paintedAt: number;
}

/** Duration of each hop, ms. The hops add up to paintedAt − captureTime. */
export function hopDurations(marks: HopMarks): Record<Hop, number> {
  return {
    encode: marks.sentAt - marks.captureTime,
    sendRelay: marks.relayTime - marks.sentAt,
    network: marks.receivedAt - marks.relayTime,
    decodePaint: marks.paintedAt - marks.receivedAt,
  };
}

/** Joins sender and receiver marks by `seq` and capture time into full hop marks, in receive order. */
export function joinHopMarks(sent: readonly SendMarks[], received: readonly ReceiveMarks[]): HopMarks[] {
  const bySeq = new Map<number, SendMarks>();
  for (const mark of sent) bySeq.set(mark.seq, mark);
  const joined: HopMarks[] = [];
  for (const r of received) {
    const s = bySeq.get(r.seq);
    if (s === undefined || s.captureTime !== r.captureTime) continue;
    joined.push({ captureTime: r.captureTime, sentAt: s.sentAt, relayTime: r.relayTime, receivedAt: r.receivedAt, paintedAt: r.paintedAt });
  }
  return joined;
}

/**
 * The WebRTC path's stages, from `requestVideoFrameCallback` metadata of each painted frame:
 *
 * | stage | from → to | what happens there |
 * |---|---|---|
 * | sendNetwork | harness draw → last packet received | `canvas.captureStream()` pickup at the canvas's next composite, VP8 encode, packetization, pacer, loopback UDP |
 * | bufferDecodeRender | received → presented | jitter buffer, decode, the video compositor's wait for the next frame |
 *
 * NOTE: the metadata also has `captureTime`, but for a remote track it is the sender's stamp
 * mapped through RTCP sender reports, an estimate that came out *earlier* than the draw; it
 * is not used.
 */
export const VIDEO_STAGES = ['sendNetwork', 'bufferDecodeRender'] as const;
export type VideoStage = (typeof VIDEO_STAGES)[number];

/** Timestamps of one WebRTC frame, ms since the Unix epoch. */
export interface VideoStageMarks {
  captureTime: number;
  receiveTime: number;
  paintTime: number;
}

/** Duration of each WebRTC stage, ms; they add up to paintTime − captureTime. */
export function videoStageDurations(marks: VideoStageMarks): Record<VideoStage, number> {
  return {
    sendNetwork: marks.receiveTime - marks.captureTime,
    bufferDecodeRender: marks.paintTime - marks.receiveTime,
  };
}

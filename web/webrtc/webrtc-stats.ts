/**
 * Turns `RTCPeerConnection.getStats()` reports into the figures the stats overlay shows
 * for a WebRTC tile: fps, kbps, jitter-buffer delay, decode time, RTT and the route (how the
 * media travels: the selected candidate pair's local candidate type). Rates and per-frame
 * averages are taken over the interval since the previous report (pass the previous result
 * back in), falling back to lifetime averages on the first call. Pure: works on any iterable
 * of stats dictionaries, so it is tested in Node with recorded reports.
 */

/** One stats dictionary as found in an RTCStatsReport. */
export type StatsEntry = { type: string; id?: string; timestamp?: number; [key: string]: unknown };

/** Figures of one peer connection; NaN where the browser gave nothing yet. */
export interface WebRtcStats {
  /** Report time, ms (the stats clock). */
  timestamp: number;
  /** Received video frames per second (decoded). */
  fps: number;
  /** Received video bitrate, kilobits per second. */
  kbps: number;
  /** Average time a frame waited in the jitter buffer, ms. */
  jitterBufferDelayMs: number;
  /** Average decode time per frame, ms. */
  decodeMs: number;
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number;
  /** Received frame size, pixels (0 if unknown). */
  width: number;
  height: number;
  /** Frames decoded and dropped since the connection started. */
  framesDecoded: number;
  framesDropped: number;
  /** Sent video frames per second (encoded). */
  sentFps: number;
  /** Sent video bitrate, kilobits per second. */
  sentKbps: number;
  /** Average encode time per frame, ms. */
  encodeMs: number;
  /** Frames encoded and video payload bytes sent since the connection started. */
  framesEncoded: number;
  bytesSent: number;
  /** Why the sender reduced quality (`none`, `cpu`, `bandwidth`, `other`), or '' if not sending. */
  qualityLimitationReason: string;
  /**
   * How the media travels, from the selected candidate pair's local candidate: its type
   * (`host`, `srflx`, `prflx`) or, through a TURN server, `relay/` + how we reach the TURN
   * server (`relay/udp`, `relay/tcp`, `relay/tls`); '' before a pair is selected.
   */
  route: string;
  /** Cumulative counters kept for the next interval. */
  counters: Counters;
}

/** The cumulative counters a rate is computed from. */
export interface Counters {
  timestamp: number;
  bytesReceived: number;
  framesDecoded: number;
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  bytesSent: number;
  framesEncoded: number;
  totalEncodeTime: number;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Summarises `report` (e.g. `[...(await pc.getStats()).values()]`), with rates since `previous`. */
export function summarizeStats(report: Iterable<StatsEntry>, previous?: WebRtcStats): WebRtcStats {
  const entries = [...report];
  const inbound = entries.filter((s) => s.type === 'inbound-rtp' && (s['kind'] ?? s['mediaType']) === 'video');
  const outbound = entries.filter((s) => s.type === 'outbound-rtp' && (s['kind'] ?? s['mediaType']) === 'video');
  const sum = (list: StatsEntry[], key: string): number => list.reduce((total, s) => total + num(s[key]), 0);
  const timestamp = Math.max(0, ...entries.map((s) => num(s.timestamp)));

  const counters: Counters = {
    timestamp,
    bytesReceived: sum(inbound, 'bytesReceived'),
    framesDecoded: sum(inbound, 'framesDecoded'),
    jitterBufferDelay: sum(inbound, 'jitterBufferDelay'),
    jitterBufferEmittedCount: sum(inbound, 'jitterBufferEmittedCount'),
    totalDecodeTime: sum(inbound, 'totalDecodeTime'),
    bytesSent: sum(outbound, 'bytesSent'),
    framesEncoded: sum(outbound, 'framesEncoded'),
    totalEncodeTime: sum(outbound, 'totalEncodeTime'),
  };
  const base: Counters = previous?.counters ?? { ...counters, timestamp: NaN };
  const seconds = (counters.timestamp - base.timestamp) / 1000;
  const hasInterval = seconds > 0;
  const delta = (key: keyof Counters): number => counters[key] - (hasInterval ? base[key] : 0);
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

  const firstIn = inbound[0];
  const fpsReported = inbound.length ? sum(inbound, 'framesPerSecond') : Number.NaN;
  const sentFpsReported = outbound.length ? sum(outbound, 'framesPerSecond') : Number.NaN;
  const rtt = roundTripSeconds(entries);

  return {
    timestamp,
    fps: hasInterval ? delta('framesDecoded') / seconds : fpsReported,
    kbps: hasInterval ? (delta('bytesReceived') * 8) / 1000 / seconds : Number.NaN,
    jitterBufferDelayMs: ratio(delta('jitterBufferDelay') * 1000, delta('jitterBufferEmittedCount')),
    decodeMs: ratio(delta('totalDecodeTime') * 1000, delta('framesDecoded')),
    rttMs: rtt === undefined ? Number.NaN : rtt * 1000,
    width: num(firstIn?.['frameWidth']),
    height: num(firstIn?.['frameHeight']),
    framesDecoded: counters.framesDecoded,
    framesDropped: sum(inbound, 'framesDropped'),
    sentFps: hasInterval ? delta('framesEncoded') / seconds : sentFpsReported,
    sentKbps: hasInterval ? (delta('bytesSent') * 8) / 1000 / seconds : Number.NaN,
    encodeMs: ratio(delta('totalEncodeTime') * 1000, delta('framesEncoded')),
    framesEncoded: counters.framesEncoded,
    bytesSent: counters.bytesSent,
    qualityLimitationReason: String(outbound[0]?.['qualityLimitationReason'] ?? ''),
    route: routeOf(entries),
    counters,
  };
}

/** The candidate pair in use: the transport's `selectedCandidatePairId`, else one marked `selected` (Firefox). */
function selectedPair(entries: StatsEntry[]): StatsEntry | undefined {
  const transport = entries.find((s) => s.type === 'transport' && typeof s['selectedCandidatePairId'] === 'string');
  const id = transport?.['selectedCandidatePairId'];
  return entries.find((s) => s.type === 'candidate-pair' && (id === undefined ? s['selected'] === true : s.id === id));
}

/** `WebRtcStats.route` of the selected pair: `host`, `srflx`, `prflx`, `relay/udp|tcp|tls`, or ''. */
function routeOf(entries: StatsEntry[]): string {
  const pair = selectedPair(entries);
  const local = pair ? entries.find((s) => s.type === 'local-candidate' && s.id === pair['localCandidateId']) : undefined;
  const type = local?.['candidateType'];
  if (typeof type !== 'string') return '';
  const protocol = local?.['relayProtocol'];
  return type === 'relay' && typeof protocol === 'string' ? `relay/${protocol}` : type;
}

/** RTT in seconds: the selected candidate pair's, else any succeeded pair's, else remote-inbound-rtp's. */
function roundTripSeconds(entries: StatsEntry[]): number | undefined {
  const selected = selectedPair(entries);
  const pairs = entries.filter((s) => s.type === 'candidate-pair' && s['state'] === 'succeeded');
  for (const pair of [selected, pairs.find((p) => p['nominated'] === true), ...pairs]) {
    if (pair && typeof pair['currentRoundTripTime'] === 'number') return pair['currentRoundTripTime'];
  }
  const remote = entries.find((s) => s.type === 'remote-inbound-rtp' && typeof s['roundTripTime'] === 'number');
  return remote ? (remote['roundTripTime'] as number) : undefined;
}

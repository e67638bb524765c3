/**
 * Turns `RTCPeerConnection.getStats()` reports into the figures the stats overlay shows
 * for a WebRTC tile: fps, kbps, jitter-buffer delay, decode time, RTT and the route (how the
 * media travels: the selected candidate pair's local candidate type). Rates and per-frame
 * averages are taken over the interval since the previous report (pass the previous result
 * back in), falling back to lifetime averages on the first call. Pure: works on any iterable
 * of stats dictionaries, so it is tested in Node with recorded reports.
 *
 * Sound has figures of its own (`WebRtcStats.audio`, from the audio inbound-rtp and
 * outbound-rtp); `audioPeerFigures` rounds them for the overlay the way the video figures are.
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
  /** What we hear from the peer and what we send it (audio inbound-rtp / outbound-rtp). */
  audio: AudioStats;
  /** Cumulative counters kept for the next interval. */
  counters: Counters;
}

/** Audio figures of one peer connection; NaN where the browser gave nothing yet. */
export interface AudioStats {
  /** Audio RTP packets received from the peer since the connection started (0 before any). */
  packetsReceived: number;
  /** Audio RTP packets lost on the way to us since the start (RFC 3550 count; may dip below 0 with duplicates). */
  packetsLost: number;
  /** Interarrival jitter of the audio packets (RFC 3550), ms. */
  jitterMs: number;
  /** Average time a sample waited in the jitter buffer over the interval (lifetime on the first call), ms. */
  jitterBufferDelayMs: number;
  /** Samples the receiver concealed (synthesised for lost or late packets) since the start. */
  concealedSamples: number;
  /** Samples the receiver played out since the start (concealed ones included). */
  totalSamplesReceived: number;
  /** Share of the interval's samples that were concealed, 0..1 (lifetime on the first call). */
  concealedRatio: number;
  /** Received audio bitrate over the interval, kilobits per second. */
  kbps: number;
  /** Audio RTP packets we sent the peer since the start (stops growing while muted). */
  packetsSent: number;
  /** Sent audio bitrate over the interval, kilobits per second. */
  sentKbps: number;
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
  audioBytesReceived: number;
  audioJitterBufferDelay: number;
  audioJitterBufferEmittedCount: number;
  audioConcealedSamples: number;
  audioSamplesReceived: number;
  audioBytesSent: number;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Summarises `report` (e.g. `[...(await pc.getStats()).values()]`), with rates since `previous`. */
export function summarizeStats(report: Iterable<StatsEntry>, previous?: WebRtcStats): WebRtcStats {
  const entries = [...report];
  const inbound = entries.filter((s) => s.type === 'inbound-rtp' && (s['kind'] ?? s['mediaType']) === 'video');
  const outbound = entries.filter((s) => s.type === 'outbound-rtp' && (s['kind'] ?? s['mediaType']) === 'video');
  const audioIn = entries.filter((s) => s.type === 'inbound-rtp' && (s['kind'] ?? s['mediaType']) === 'audio');
  const audioOut = entries.filter((s) => s.type === 'outbound-rtp' && (s['kind'] ?? s['mediaType']) === 'audio');
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
    audioBytesReceived: sum(audioIn, 'bytesReceived'),
    audioJitterBufferDelay: sum(audioIn, 'jitterBufferDelay'),
    audioJitterBufferEmittedCount: sum(audioIn, 'jitterBufferEmittedCount'),
    audioConcealedSamples: sum(audioIn, 'concealedSamples'),
    audioSamplesReceived: sum(audioIn, 'totalSamplesReceived'),
    audioBytesSent: sum(audioOut, 'bytesSent'),
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
    audio: {
      packetsReceived: sum(audioIn, 'packetsReceived'),
      packetsLost: sum(audioIn, 'packetsLost'),
      // NOTE: with several audio receivers (not in this app) the worst jitter is the one heard.
      jitterMs: audioIn.some((s) => typeof s['jitter'] === 'number') ? Math.max(...audioIn.map((s) => num(s['jitter']))) * 1000 : Number.NaN,
      jitterBufferDelayMs: ratio(delta('audioJitterBufferDelay') * 1000, delta('audioJitterBufferEmittedCount')),
      concealedSamples: counters.audioConcealedSamples,
      totalSamplesReceived: counters.audioSamplesReceived,
      concealedRatio: ratio(delta('audioConcealedSamples'), delta('audioSamplesReceived')),
      kbps: hasInterval ? (delta('audioBytesReceived') * 8) / 1000 / seconds : Number.NaN,
      packetsSent: sum(audioOut, 'packetsSent'),
      sentKbps: hasInterval ? (delta('audioBytesSent') * 8) / 1000 / seconds : Number.NaN,
    },
    counters,
  };
}

/** The audio figures as the overlay and `stats()` show them (like `WebRtcPeerFigures`): rounded, null for NaN. */
export interface WebRtcAudioFigures {
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number | null;
  jitterBufferDelayMs: number | null;
  concealedSamples: number;
  /** Concealed share of the samples over the last poll, percent. */
  concealedPercent: number | null;
  kbps: number | null;
  packetsSent: number;
  sentKbps: number | null;
}

/** `stats.audio` rounded to 0.1 with NaN → null, ready for CallStats (web/stats/call-stats.ts). */
export function audioPeerFigures(stats: WebRtcStats): WebRtcAudioFigures {
  const orNull = (n: number): number | null => (Number.isFinite(n) ? Math.round(n * 10) / 10 : null);
  const a = stats.audio;
  return {
    packetsReceived: a.packetsReceived,
    packetsLost: a.packetsLost,
    jitterMs: orNull(a.jitterMs),
    jitterBufferDelayMs: orNull(a.jitterBufferDelayMs),
    concealedSamples: a.concealedSamples,
    concealedPercent: orNull(a.concealedRatio * 100),
    kbps: orNull(a.kbps),
    packetsSent: a.packetsSent,
    sentKbps: orNull(a.sentKbps),
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

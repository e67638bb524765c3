import { describe, expect, it } from 'vitest';
import { peerRows } from '../stats/overlay.ts';
import type { PeerStatsSnapshot } from '../stats/call-stats.ts';
import { audioPeerFigures, summarizeStats, type StatsEntry } from './webrtc-stats.ts';

/** A report shaped like Chromium's getStats() output for one video receiver and sender. */
function report(t: number, n: { bytesIn: number; frames: number; jbDelay: number; jbCount: number; decode: number; bytesOut: number; encoded: number; encode: number }): StatsEntry[] {
  return [
    { type: 'transport', id: 'T1', timestamp: t, selectedCandidatePairId: 'CP1' },
    { type: 'candidate-pair', id: 'CP0', timestamp: t, state: 'failed', currentRoundTripTime: 9 },
    { type: 'candidate-pair', id: 'CP1', timestamp: t, state: 'succeeded', nominated: true, currentRoundTripTime: 0.002 },
    { type: 'inbound-rtp', id: 'IA', timestamp: t, kind: 'audio', bytesReceived: 999_999 },
    {
      type: 'inbound-rtp', id: 'IV', timestamp: t, kind: 'video', bytesReceived: n.bytesIn, framesDecoded: n.frames,
      jitterBufferDelay: n.jbDelay, jitterBufferEmittedCount: n.jbCount, totalDecodeTime: n.decode,
      framesDropped: 1, frameWidth: 640, frameHeight: 480, framesPerSecond: 29,
    },
    {
      type: 'outbound-rtp', id: 'OV', timestamp: t, kind: 'video', bytesSent: n.bytesOut, framesEncoded: n.encoded,
      totalEncodeTime: n.encode, framesPerSecond: 30, qualityLimitationReason: 'none',
    },
  ];
}

describe('summarizeStats', () => {
  it('takes lifetime averages on the first report', () => {
    const s = summarizeStats(report(1000, { bytesIn: 100_000, frames: 30, jbDelay: 0.6, jbCount: 30, decode: 0.09, bytesOut: 120_000, encoded: 30, encode: 0.15 }));
    expect(s.fps).toBe(29); // the browser's own framesPerSecond
    expect(s.kbps).toBeNaN(); // no interval yet
    expect(s.jitterBufferDelayMs).toBeCloseTo(20, 10);
    expect(s.decodeMs).toBeCloseTo(3, 10);
    expect(s.encodeMs).toBeCloseTo(5, 10);
    expect(s.rttMs).toBeCloseTo(2, 10); // the selected pair, not the failed one
    expect([s.width, s.height, s.framesDropped, s.qualityLimitationReason]).toEqual([640, 480, 1, 'none']);
  });

  it('computes rates and per-frame averages over the interval since the previous report', () => {
    const first = summarizeStats(report(1000, { bytesIn: 100_000, frames: 30, jbDelay: 0.6, jbCount: 30, decode: 0.09, bytesOut: 120_000, encoded: 30, encode: 0.15 }));
    const second = summarizeStats(
      report(3000, { bytesIn: 350_000, frames: 90, jbDelay: 1.2, jbCount: 90, decode: 0.33, bytesOut: 420_000, encoded: 92, encode: 0.46 }),
      first,
    );
    // 250 000 bytes in 2 s = 1000 kbit/s; 60 frames in 2 s = 30 fps; 0.6 s over 60 frames = 10 ms; 0.24 s / 60 = 4 ms.
    expect(second.kbps).toBeCloseTo(1000, 10);
    expect(second.fps).toBeCloseTo(30, 10);
    expect(second.jitterBufferDelayMs).toBeCloseTo(10, 10);
    expect(second.decodeMs).toBeCloseTo(4, 10);
    expect(second.sentKbps).toBeCloseTo(1200, 10);
    expect(second.sentFps).toBeCloseTo(31, 10);
    expect(second.encodeMs).toBeCloseTo(5, 10);
    expect(second.framesDecoded).toBe(90);
  });

  it('gives NaN, not zeros or infinities, before any video arrives', () => {
    const s = summarizeStats([{ type: 'peer-connection', id: 'P', timestamp: 5 }]);
    expect(s.fps).toBeNaN();
    expect(s.jitterBufferDelayMs).toBeNaN();
    expect(s.decodeMs).toBeNaN();
    expect(s.rttMs).toBeNaN();
    expect(s.framesDecoded).toBe(0);
  });

  it('falls back to remote-inbound-rtp roundTripTime without a succeeded pair', () => {
    const s = summarizeStats([{ type: 'remote-inbound-rtp', id: 'R', timestamp: 1, roundTripTime: 0.015 }]);
    expect(s.rttMs).toBeCloseTo(15, 10);
  });

  describe('route', () => {
    /** A selected pair `CP1` (via the transport) whose local candidate is `local`, and a failed pair over host candidates. */
    const routeReport = (local: Record<string, unknown>): StatsEntry[] => [
      { type: 'transport', id: 'T1', timestamp: 1, selectedCandidatePairId: 'CP1' },
      { type: 'candidate-pair', id: 'CP0', timestamp: 1, state: 'failed', localCandidateId: 'LH', remoteCandidateId: 'RH' },
      { type: 'candidate-pair', id: 'CP1', timestamp: 1, state: 'succeeded', nominated: true, localCandidateId: 'L1', remoteCandidateId: 'R1' },
      { type: 'local-candidate', id: 'LH', timestamp: 1, candidateType: 'host', protocol: 'udp', address: '10.0.0.2' },
      { type: 'local-candidate', id: 'L1', timestamp: 1, ...local },
      { type: 'remote-candidate', id: 'R1', timestamp: 1, candidateType: 'relay', protocol: 'udp' },
    ];

    it('says relay and how the TURN server is reached (udp, tcp, tls) for a relayed local candidate', () => {
      // NOTE: `protocol` of a relay candidate is the relayed transport (udp), `relayProtocol` the hop to the TURN server.
      expect(summarizeStats(routeReport({ candidateType: 'relay', protocol: 'udp', relayProtocol: 'tcp' })).route).toBe('relay/tcp');
      expect(summarizeStats(routeReport({ candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' })).route).toBe('relay/tls');
      expect(summarizeStats(routeReport({ candidateType: 'relay', protocol: 'udp', relayProtocol: 'udp' })).route).toBe('relay/udp');
    });

    it('gives the candidate type of a direct route, and relay alone without relayProtocol', () => {
      expect(summarizeStats(routeReport({ candidateType: 'host', protocol: 'udp' })).route).toBe('host');
      expect(summarizeStats(routeReport({ candidateType: 'srflx', protocol: 'udp' })).route).toBe('srflx');
      expect(summarizeStats(routeReport({ candidateType: 'relay', protocol: 'udp' })).route).toBe('relay');
    });

    it('uses a pair marked selected when no transport names one, and is empty before any pair is selected', () => {
      const firefox: StatsEntry[] = [
        { type: 'candidate-pair', id: 'P0', timestamp: 1, state: 'succeeded', localCandidateId: 'A' },
        { type: 'candidate-pair', id: 'P1', timestamp: 1, state: 'succeeded', selected: true, localCandidateId: 'B' },
        { type: 'local-candidate', id: 'A', timestamp: 1, candidateType: 'host' },
        { type: 'local-candidate', id: 'B', timestamp: 1, candidateType: 'relay', relayProtocol: 'tcp' },
      ];
      expect(summarizeStats(firefox).route).toBe('relay/tcp');
      expect(summarizeStats([{ type: 'transport', id: 'T1', timestamp: 1 }]).route).toBe('');
      expect(summarizeStats(report(1000, { bytesIn: 1, frames: 1, jbDelay: 0, jbCount: 1, decode: 0, bytesOut: 1, encoded: 1, encode: 0 })).route).toBe('');
    });

    it('is a row of the overlay', () => {
      const peer = { webrtc: { fps: 30, kbps: 900, jitterBufferDelayMs: 20, decodeMs: 2, rttMs: 1, route: 'relay/tcp' }, fps: 30, width: 640, height: 480, framesPainted: 9 } as PeerStatsSnapshot;
      expect(new Map(peerRows(peer)).get('route')).toBe('relay/tcp');
      expect(new Map(peerRows({ ...peer, webrtc: { ...peer.webrtc!, route: null } })).get('route')).toBe('–');
    });
  });

  describe('audio', () => {
    /** Chromium's audio inbound-rtp and outbound-rtp (fields as Chromium 156 reports them), next to a video receiver. */
    const audioReport = (t: number, n: { packets: number; lost: number; jitter: number; jbDelay: number; jbCount: number; concealed: number; samples: number; bytesIn: number; sent: number; bytesOut: number }): StatsEntry[] => [
      { type: 'inbound-rtp', id: 'IV', timestamp: t, kind: 'video', bytesReceived: 5_000_000, framesDecoded: 300, packetsReceived: 4000, jitter: 0.5 },
      {
        type: 'inbound-rtp', id: 'IA', timestamp: t, kind: 'audio', mid: '1',
        packetsReceived: n.packets, // RTP packets, cumulative
        packetsLost: n.lost,
        jitter: n.jitter, // seconds
        jitterBufferDelay: n.jbDelay, // seconds, each emitted sample's wait summed
        jitterBufferEmittedCount: n.jbCount, // samples
        concealedSamples: n.concealed,
        totalSamplesReceived: n.samples,
        bytesReceived: n.bytesIn,
      },
      { type: 'outbound-rtp', id: 'OA', timestamp: t, kind: 'audio', packetsSent: n.sent, bytesSent: n.bytesOut, targetBitrate: 32000 },
    ];

    it('reads packets, loss, jitter, jitter-buffer delay and concealment of the audio receiver, not the video one', () => {
      const s = summarizeStats(audioReport(1000, { packets: 250, lost: 3, jitter: 0.004, jbDelay: 2400, jbCount: 48_000, concealed: 960, samples: 48_000, bytesIn: 20_000, sent: 240, bytesOut: 19_000 }));
      expect(s.audio.packetsReceived).toBe(250);
      expect(s.audio.packetsLost).toBe(3);
      expect(s.audio.jitterMs).toBeCloseTo(4, 10);
      expect(s.audio.jitterBufferDelayMs).toBeCloseTo(50, 10); // 2400 sample-seconds over 48 000 samples
      expect(s.audio.concealedSamples).toBe(960);
      expect(s.audio.concealedRatio).toBeCloseTo(0.02, 10);
      expect(s.audio.packetsSent).toBe(240);
      expect(s.audio.kbps).toBeNaN(); // no interval yet
      expect(s.kbps).toBeNaN();
      expect(s.counters.bytesReceived).toBe(5_000_000); // the video figures leave the audio bytes out
    });

    it('takes the jitter-buffer delay, concealment and bitrates over the interval since the previous report', () => {
      const first = summarizeStats(audioReport(1000, { packets: 250, lost: 3, jitter: 0.004, jbDelay: 2400, jbCount: 48_000, concealed: 960, samples: 48_000, bytesIn: 20_000, sent: 240, bytesOut: 19_000 }));
      const second = summarizeStats(
        audioReport(3000, { packets: 350, lost: 3, jitter: 0.002, jbDelay: 4320, jbCount: 144_000, concealed: 960, samples: 144_000, bytesIn: 28_000, sent: 340, bytesOut: 27_000 }),
        first,
      );
      // 1920 sample-seconds over 96 000 samples = 20 ms; nothing concealed since; 8000 bytes in 2 s = 32 kbit/s.
      expect(second.audio.jitterBufferDelayMs).toBeCloseTo(20, 10);
      expect(second.audio.concealedRatio).toBe(0);
      expect(second.audio.kbps).toBeCloseTo(32, 10);
      expect(second.audio.sentKbps).toBeCloseTo(32, 10);
      expect(second.audio.jitterMs).toBeCloseTo(2, 10);
      expect(second.audio.packetsReceived).toBe(350);
    });

    it('gives zeros for counts and NaN for figures before any audio, and the overlay shape with nulls', () => {
      const s = summarizeStats([{ type: 'peer-connection', id: 'P', timestamp: 5 }]);
      expect([s.audio.packetsReceived, s.audio.packetsLost, s.audio.concealedSamples, s.audio.packetsSent]).toEqual([0, 0, 0, 0]);
      expect([s.audio.jitterMs, s.audio.jitterBufferDelayMs, s.audio.concealedRatio, s.audio.kbps]).toEqual([NaN, NaN, NaN, NaN]);
      expect(audioPeerFigures(s)).toEqual({
        packetsReceived: 0, packetsLost: 0, jitterMs: null, jitterBufferDelayMs: null, concealedSamples: 0,
        concealedPercent: null, kbps: null, packetsSent: 0, sentKbps: null,
      });
    });

    it('rounds the overlay figures to 0.1 and gives concealment in percent', () => {
      const first = summarizeStats(audioReport(1000, { packets: 250, lost: 3, jitter: 0.00433, jbDelay: 2400, jbCount: 48_000, concealed: 960, samples: 48_000, bytesIn: 20_000, sent: 240, bytesOut: 19_000 }));
      expect(audioPeerFigures(first)).toEqual({
        packetsReceived: 250, packetsLost: 3, jitterMs: 4.3, jitterBufferDelayMs: 50, concealedSamples: 960,
        concealedPercent: 2, kbps: null, packetsSent: 240, sentKbps: null,
      });
    });
  });
});

import { describe, expect, it } from 'vitest';
import { CallStats } from './call-stats.ts';
import { peerRows, selfRows } from './overlay.ts';

describe('CallStats', () => {
  it('produces the window.framewire.stats() shape from what was sent, painted and dropped', () => {
    let now = 0;
    const stats = new CallStats({ now: () => now });
    stats.mode = 'bgra';
    for (let i = 0; i < 11; i++) {
      now = i * 100;
      stats.sent(1000, 320, 240, 2);
      const peer = stats.peer(7, 'Ann', 'jpeg');
      peer.received(500, 640, 480);
      peer.painted(10 + i, 1);
    }
    stats.skip();
    stats.peer(7).dropped();
    stats.peer(7).relayDropped = 3;
    const snap = stats.snapshot();
    expect(snap.mode).toBe('bgra');
    expect(snap.self).toMatchObject({ framesSent: 11, bytesSent: 11_000, skipped: 1, fps: 10, kbps: 80, width: 320, height: 240, encodeMs: 2 });
    expect(snap.peers).toHaveLength(1);
    expect(snap.peers[0]).toMatchObject({
      id: 7,
      name: 'Ann',
      mode: 'jpeg',
      framesReceived: 11,
      framesPainted: 11,
      fps: 10,
      kbps: 40,
      dropped: 4,
      receiverDropped: 1,
      relayDropped: 3,
      // latencies 10..20 (11 samples): p50 rank 5 → 15; p95 rank 0.95·10 = 9.5 → 19 + 0.5·1 = 19.5.
      latencyMs: { p50: 15, p95: 19.5 },
    });
  });

  it('forgets peers (new ids after a reconnect) but keeps the sent counters', () => {
    const stats = new CallStats();
    stats.sent(10, 1, 1);
    stats.peer(1);
    stats.clearPeers();
    expect(stats.snapshot().peers).toEqual([]);
    expect(stats.snapshot().self.framesSent).toBe(1);
  });

  describe('congestion control', () => {
    /** Stats of a sender whose controller shrank the picture, with one receiver reported by the relay. */
    function adapted(): CallStats {
      let now = 0;
      const stats = new CallStats({ now: () => now });
      for (let i = 0; i < 11; i++) {
        now = i * 100;
        stats.sent(5000, 320, 240);
      }
      stats.rateSkip();
      stats.rateSkip();
      stats.rate = {
        capacityBps: 912_345,
        targetBps: 775_500,
        queueDelayMs: 12.345,
        receiverCapBps: null,
        quality: 45,
        width: 320,
        height: 240,
        ceilingWidth: 640,
        fps: 12,
        reason: 'link ≈ 912 kbit/s: 320×240 q45 12 fps',
        acked: 100,
        lost: 1,
      };
      stats.peer(7, 'Ann', 'jpeg').path = { goodputBps: 801_234, queueDelayMs: 8.04, fps: 11.96, droppedPerSecond: 0.5 };
      return stats;
    }

    it('has no rate or path figures without delivery feedback', () => {
      const stats = new CallStats();
      stats.peer(1);
      const snap = stats.snapshot();
      expect(snap.self.rate).toBeNull();
      expect(snap.peers[0]!.path).toBeNull();
      expect(selfRows(snap.self, 'jpeg', null, 0).map(([k]) => k)).not.toContain('capacity / target');
    });

    it('shows capacity, target and actual rate, operating point, queue delay and why, in kbit/s', () => {
      const snap = adapted().snapshot();
      expect(snap.self.rate).toEqual({
        capacityKbps: 912,
        targetKbps: 776,
        // 11 frames of 5000 B at 100 ms steps: 400 kbit/s (as `self.kbps`).
        actualKbps: 400,
        queueDelayMs: 12.3,
        receiverCapKbps: null,
        quality: 45,
        width: 320,
        height: 240,
        scale: 0.5,
        fps: 12,
        reason: 'link ≈ 912 kbit/s: 320×240 q45 12 fps',
        skipped: 2,
        acked: 100,
        lost: 1,
      });
      expect(snap.peers[0]!.path).toEqual({ goodputKbps: 801, queueDelayMs: 8, fps: 12, droppedPerSecond: 0.5 });
    });

    it('puts them in the overlays', () => {
      const snap = adapted().snapshot();
      const self = new Map(selfRows(snap.self, 'jpeg', 1, 0));
      expect(self.get('capacity / target')).toBe('912 kbps / 776 kbps');
      expect(self.get('adapted to')).toBe('320×240 (×0.50) q45 12 fps');
      expect(self.get('why')).toBe('link ≈ 912 kbit/s: 320×240 q45 12 fps');
      expect(self.get('skipped (rate)')).toBe('2');
      const peer = new Map(peerRows(snap.peers[0]!));
      expect(peer.get('our path to them')).toBe('801 kbps · queue 8.0 ms · 12.0 fps · 0.5/s dropped');
    });
  });

  describe('transport', () => {
    it('reports what carries the link (null outside a call), and the overlay says it with the reason', () => {
      const stats = new CallStats();
      expect(stats.snapshot().transport).toBeNull();
      expect(selfRows(stats.snapshot().self, 'jpeg', null, 0).map(([k]) => k)).not.toContain('relay link');
      stats.transport = { kind: 'long-poll', reason: 'proxy buffers the stream' };
      const snap = stats.snapshot();
      expect(snap.transport).toEqual({ kind: 'long-poll', reason: 'proxy buffers the stream' });
      expect(new Map(selfRows(snap.self, 'jpeg', null, 0, snap.transport)).get('relay link')).toBe('long-poll (proxy buffers the stream)');
      stats.transport = { kind: 'websocket' };
      expect(new Map(selfRows(snap.self, 'jpeg', null, 0, stats.snapshot().transport)).get('relay link')).toBe('WebSocket');
    });
  });
});

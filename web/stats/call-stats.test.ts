import { describe, expect, it } from 'vitest';
import { CallStats } from './call-stats.ts';

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
});

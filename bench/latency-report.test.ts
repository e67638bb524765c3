import { describe, expect, it } from 'vitest';
import { buildReport, mergeMeasurements, modeResult, ratiosToWebrtc, reportMarkdown } from './latency-report.ts';

const env = { node: 'v20', cpu: 'cpu', cores: 2, memoryMiB: 1, os: 'linux', date: '2026-01-01T00:00:00Z', chromium: '140.0' };
const settings = { seconds: 2, modes: ['jpeg', 'webrtc'], width: 640, height: 480, fps: 30, rounds: 1 };

describe('modeResult', () => {
  it('summarises latencies, rates and sizes', () => {
    const r = modeResult({ latencies: [10, 20, 30, 40], seconds: 2, captured: 5, bytesSent: 4000, framesSent: 4, misses: 1 });
    expect(r).toMatchObject({ p50Ms: 25, minMs: 10, maxMs: 40, frames: 4, fps: 2, bytesPerFrame: 1000, notPaintedPct: 20, misses: 1 });
    expect(r.hops).toBeUndefined();
  });

  it('gives nulls, not NaN or Infinity, when nothing was painted or sent', () => {
    const r = modeResult({ latencies: [], seconds: 2, captured: 0, bytesSent: 0, framesSent: 0, misses: 0 });
    expect(r).toMatchObject({ p50Ms: null, p95Ms: null, frames: 0, bytesPerFrame: null, notPaintedPct: null });
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });

  it('adds per-stage p50/p95 for WebRTC', () => {
    const videoStages = [{ captureTime: 0, receiveTime: 20, paintTime: 40 }];
    const r = modeResult({ latencies: [40], seconds: 1, captured: 1, bytesSent: 1, framesSent: 1, misses: 0, videoStages });
    expect(r.hops).toEqual({ sendNetwork: { p50: 20, p95: 20 }, bufferDecodeRender: { p50: 20, p95: 20 } });
  });

  it('adds per-hop p50/p95 for raw modes', () => {
    const hops = [
      { captureTime: 0, sentAt: 5, relayTime: 6, receivedAt: 7, paintedAt: 10 },
      { captureTime: 0, sentAt: 7, relayTime: 8, receivedAt: 10, paintedAt: 14 },
    ];
    const r = modeResult({ latencies: [10, 14], seconds: 1, captured: 2, bytesSent: 2, framesSent: 2, misses: 0, hops });
    expect(r.hops?.encode.p50).toBe(6);
    expect(r.hops?.network.p50).toBe(1.5);
    expect(r.hops?.decodePaint.p50).toBe(3.5);
  });
});

describe('ratios and report', () => {
  const modes = {
    jpeg: modeResult({ latencies: [30, 40, 50], seconds: 1, captured: 3, bytesSent: 3, framesSent: 3, misses: 0 }),
    webrtc: modeResult({ latencies: [50, 60, 70], seconds: 1, captured: 3, bytesSent: 3, framesSent: 3, misses: 0 }),
  };

  it('divides each raw mode by WebRTC', () => {
    // p50 40/60; p95 49/69 (linear interpolation).
    expect(ratiosToWebrtc(modes)).toEqual({ jpeg: { p50: 0.667, p95: 0.71 } });
    expect(ratiosToWebrtc({ jpeg: modes.jpeg })).toEqual({});
  });

  it('checks the target: jpeg p50 ≤ 0.8 × webrtc p50', () => {
    const report = buildReport(env, settings, modes);
    expect(report.target).toEqual({ rule: 'jpeg p50 <= 0.8 x webrtc p50', ratio: 0.667, met: true });
    expect(Object.keys(report.modes)).toEqual(['jpeg', 'webrtc']);
  });

  it('writes a Markdown table with every mode', () => {
    const md = reportMarkdown(buildReport(env, settings, modes));
    expect(md).toContain('| mode ');
    expect(md).toMatch(/\| jpeg +\| +40 \|/);
    expect(md).toContain('Chromium 140.0');
    expect(md).toContain('met (ratio 0.667)');
  });
});

describe('mergeMeasurements', () => {
  it('pools samples and counters of two rounds and keeps the latest figures', () => {
    const a = { latencies: [1, 2], seconds: 1, captured: 3, bytesSent: 30, framesSent: 3, misses: 1, appEncodeMs: 5, hops: [] };
    const b = { latencies: [3], seconds: 2, captured: 2, bytesSent: 20, framesSent: 2, misses: 0, appEncodeMs: 7 };
    expect(mergeMeasurements(undefined, b)).toBe(b);
    expect(mergeMeasurements(a, b)).toEqual({ latencies: [1, 2, 3], seconds: 3, captured: 5, bytesSent: 50, framesSent: 5, misses: 1, appEncodeMs: 7, hops: [] });
  });
});

import { describe, expect, it } from 'vitest';
import type { ObservedLink } from './link-modes.ts';
import { reachMarkdown, reachP95Checks, reachRatios, reachSummary, reachTurnComparison } from './reach-report.ts';
import type { ReceiverResult, ThinLinkReport } from './thin-link-run.ts';
import type { ScenarioId } from './thin-link-scenarios.ts';

const KINDS: Record<string, string> = { ws: 'websocket', http: 'http-stream', poll: 'long-poll' };

/** A receiver result with the figures that matter here; what the pages reported matches the mode unless `observed` says otherwise. */
function result(scenario: ScenarioId, mode: ReceiverResult['mode'], p50Ms: number | null, p95Ms: number | null, extra: Partial<ReceiverResult> = {}): ReceiverResult {
  const kind = KINDS[mode] ?? null;
  const observed: ObservedLink = {
    senderTransport: kind ?? 'websocket',
    receiverTransport: kind ?? 'websocket',
    route: mode === 'webrtc-turn' ? 'relay/tcp' : mode === 'webrtc' ? 'host' : null,
    turnAllocations: mode === 'webrtc-turn' ? 2 : null,
  };
  return {
    scenario, mode, receiver: 'recv', link: 'unshaped', frames: p50Ms === null ? 0 : 500, captured: 600, fps: 25, p50Ms, p95Ms, p99Ms: p95Ms, maxMs: p95Ms,
    sentBytesPerFrame: 20_000, sentFps: 28, wireBytesPerFrame: 21_000, wireKbps: 4000, psnrDb: 35, ssim: 0.95, qualitySamples: 30, paintedSize: '640x480',
    alignment: { best: 5, checked: 5 }, misses: 0, clockSkewMs: 0, series: [[0, p50Ms ?? 0]], observed, ...extra,
  };
}

function report(scenarios: Array<{ id: ScenarioId; results: ReceiverResult[] }>): ThinLinkReport {
  return {
    env: { node: 'v20.0.0', cpu: 'test cpu', cores: 2, memoryMiB: 1024, os: 'linux-x64', date: '2026-12-01T00:00:00.000Z', chromium: '140' },
    settings: { seconds: 20, warmupSeconds: 2, width: 640, height: 480, fps: 30, modes: ['ws', 'http', 'poll', 'webrtc', 'webrtc-turn'], scenarios: scenarios.map((s) => s.id), content: 'synthetic', tbf: 'tbf', turn: 'coturn' },
    scenarios: scenarios.map((s) => ({ id: s.id, title: `scenario ${s.id}`, steps: [], results: s.results })),
  };
}

const RUN = report([
  { id: 'o', results: [result('o', 'ws', 40, 60), result('o', 'http', 46, 90), result('o', 'poll', 60, 120), result('o', 'webrtc', 80, 100), result('o', 'webrtc-turn', 100, 150)] },
  { id: 'a', results: [result('a', 'ws', 100, 200), result('a', 'http', 130, 260), result('a', 'poll', 110, 240), result('a', 'webrtc', 90, 120), result('a', 'webrtc-turn', 180, 400)] },
]);

describe('reach report', () => {
  describe('reachRatios', () => {
    it('divides HTTP stream and long-poll p50 (and p95) by WebSocket, per scenario, against 1.2×', () => {
      expect(reachRatios(RUN).map((r) => [r.scenario, r.mode, r.p50, r.p95, r.met])).toEqual([
        ['o', 'http', 1.15, 1.5, true],
        ['o', 'poll', 1.5, 2, false],
        ['a', 'http', 1.3, 1.3, false],
        ['a', 'poll', 1.1, 1.2, true],
      ]);
    });

    it('has no verdict where a side has no figure, and no row without WebSocket', () => {
      const none = report([{ id: 'o', results: [result('o', 'ws', null, null), result('o', 'http', 50, 60)] }]);
      expect(reachRatios(none).map((r) => [r.p50, r.met])).toEqual([[null, null]]);
      expect(reachRatios(report([{ id: 'o', results: [result('o', 'http', 50, 60)] }]))).toEqual([]);
    });
  });

  it('holds only the capped scenario\'s raw transports against 250 ms p95', () => {
    expect(reachP95Checks(RUN).map((c) => [c.scenario, c.mode, c.p95Ms, c.met])).toEqual([
      ['a', 'ws', 200, true],
      ['a', 'http', 260, false],
      ['a', 'poll', 240, true],
    ]);
  });

  it('puts WebRTC through TURN beside WebRTC direct and WebSocket', () => {
    expect(reachTurnComparison(RUN).map((t) => [t.scenario, t.p50VsDirect, t.p95VsDirect, t.fpsVsDirect, t.p50VsWs])).toEqual([
      ['o', 1.25, 1.5, 1, 2.5],
      ['a', 2, 3.33, 1, 1.8],
    ]);
    expect(reachSummary(RUN).turn[0]).not.toHaveProperty('turn');
  });

  describe('reachMarkdown', () => {
    it('has a table per scenario with what carried each mode, the ratios with verdicts, and no failed check', () => {
      const md = reachMarkdown(RUN);
      expect(md).toContain('## Scenario o: scenario o');
      expect(md).toMatch(/\| http +\| http-stream +\| +46 \| +90 \| +90 \| +25 \| +28 \| +4000 \| +21000 \| +35 \|/);
      expect(md).toMatch(/\| webrtc-turn +\| relay\/tcp +\|/);
      expect(md).toMatch(/\| o +\| recv +\| http +\| +46 \| +40 \| +1\.15 \| +1\.5 \| met +\|/);
      expect(md).toMatch(/\| a +\| recv +\| http +\| +260 \| \*\*missed\*\* +\|/);
      expect(md).toContain('- a: raw JPEG over an HTTP stream p50 / WebSocket p50 = 1.3× (**missed**)');
      expect(md).not.toContain('Output checks failed');
    });

    it('fails a mode that ran on another transport than it claims, and one that painted nothing', () => {
      const wrong = report([
        {
          id: 'o',
          results: [
            result('o', 'ws', 40, 60),
            result('o', 'http', 40, 60, { observed: { senderTransport: 'http-stream', receiverTransport: 'websocket', route: null, turnAllocations: null } }),
            result('o', 'webrtc-turn', null, null, { observed: { senderTransport: 'websocket', receiverTransport: 'websocket', route: 'host', turnAllocations: 0 } }),
          ],
        },
      ]);
      wrong.settings.modes = ['ws', 'http', 'webrtc-turn'];
      const md = reachMarkdown(wrong);
      expect(md).toContain('**Output checks failed:**');
      expect(md).toContain('- scenario o/http/recv: receiver ran on websocket, not http-stream');
      expect(md).toContain('- scenario o/webrtc-turn/recv: no frame painted in the window');
      expect(md).toContain("- scenario o/webrtc-turn/recv: receiver's WebRTC route is host, not relay/tcp");
      expect(md).toMatch(/\| http +\| http-stream\/websocket +\|/);
      // Nothing capped and no direct WebRTC in this run: said in words, not as an empty table.
      expect(md).toContain('_No capped scenario with a raw transport in this run._');
      expect(md).toMatch(/\| o +\| recv +\| +– +\| +– +\| +– +\| host +\|/);
    });
  });
});

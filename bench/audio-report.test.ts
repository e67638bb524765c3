import { describe, expect, it } from 'vitest';
import { audioFailures, audioMarkdown, audioVerdicts, type AudioReport, type AudioResult } from './audio-report.ts';

function result(over: Partial<AudioResult>): AudioResult {
  return { condition: 'loopback', mode: 'jpeg', bursts: 10, paired: 10, p50Ms: 80, p95Ms: 120, frequencyHz: 1000, sent: 500, received: 500, delivery: 1, avOffsetMs: 12, reportedDelayMs: 70, videoFps: 30, videoP50Ms: 60, videoSize: '640×480', ...over };
}

const report = (results: AudioResult[]): AudioReport => ({ env: {}, settings: { seconds: 20, capMbit: 1, clip: '1 kHz', video: '640×480 @ 30' }, results });

describe('bench:audio report', () => {
  it('judges the targets: loopback p50, raw p95 under the cap against WebRTC p95 + 50, delivery, A/V offset', () => {
    const r = report([
      result({}),
      result({ mode: 'webrtc', avOffsetMs: null }),
      result({ condition: 'cap', p95Ms: 260, delivery: 0.97, avOffsetMs: -60 }),
      result({ condition: 'cap', mode: 'webrtc', p95Ms: 200, avOffsetMs: null }),
    ]);
    const verdicts = audioVerdicts(r);
    expect(verdicts.map((v) => [v.what, v.met])).toEqual([
      ['raw mouth-to-ear p50, loopback', true],
      ['raw mouth-to-ear p95 under 1 Mbit/s', false],
      ['raw audio delivered under 1 Mbit/s', false],
      ['raw A/V offset, loopback', true],
      ['raw A/V offset, cap', false],
    ]);
    const md = audioMarkdown(r);
    expect(md).toMatch(/\| 1 Mbit\/s +\| raw \(relay\) +\| +80 +\| +260 /);
    expect(md).toContain('97 % (500/500)');
    expect(md).toContain('MISSED');
  });

  it('fails a run where a mode heard nothing; a missing figure is "no figure", not met', () => {
    const r = report([result({ bursts: 0, paired: 0, p50Ms: null, p95Ms: null })]);
    expect(audioFailures(r)).toEqual(['loopback/jpeg: no tone burst was heard']);
    expect(audioVerdicts(r)[0]!.met).toBeNull();
    expect(audioMarkdown(r)).toContain('no figure');
  });
});

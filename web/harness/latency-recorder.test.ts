import { describe, expect, it } from 'vitest';
import { LatencyRecorder, epochNow, joinLatency } from './latency-recorder.ts';

describe('LatencyRecorder', () => {
  it('remembers capture times by id and logs paints in order', () => {
    const recorder = new LatencyRecorder();
    recorder.recordCapture(1, 1000);
    recorder.recordCapture(2, 1033);
    recorder.recordPaint(1, 1050, 7);
    expect(recorder.captureTimeOf(2)).toBe(1033);
    expect(recorder.captureTimeOf(3)).toBeUndefined();
    expect(recorder.paints()).toEqual([{ id: 1, paintTime: 1050, peerId: 7 }]);
  });

  it('drops the oldest entries past maxEntries', () => {
    const recorder = new LatencyRecorder({ maxEntries: 2 });
    for (let id = 0; id < 5; id++) recorder.recordCapture(id, 1000 + id);
    expect(recorder.captures().map((m) => m.id)).toEqual([3, 4]);
    expect(recorder.captureTimeOf(0)).toBeUndefined();
    expect(recorder.captureTimeOf(4)).toBe(1004);
  });

  it('rejects a bad maxEntries and clears', () => {
    expect(() => new LatencyRecorder({ maxEntries: 0 })).toThrowError(TypeError);
    const recorder = new LatencyRecorder();
    recorder.recordCapture(1, 1);
    recorder.recordPaint(1, 2);
    recorder.clear();
    expect(recorder.captures()).toEqual([]);
    expect(recorder.paints()).toEqual([]);
  });

  it('epochNow is on the Unix-epoch clock', () => {
    expect(Math.abs(epochNow() - Date.now())).toBeLessThan(1000);
  });
});

describe('joinLatency', () => {
  it('pairs paints with captures, counting only the first paint of an id', () => {
    const captures = [
      { id: 1, captureTime: 1000 },
      { id: 2, captureTime: 1033 },
      { id: 3, captureTime: 1066 },
    ];
    const paints = [
      { id: 1, paintTime: 1040 },
      { id: 1, paintTime: 1070 }, // repeated frame
      { id: 3, paintTime: 1100 }, // id 2 was lost
      { id: 9, paintTime: 1101 }, // never captured (a misread that passed the check)
    ];
    expect(joinLatency(captures, paints)).toEqual([
      { id: 1, captureTime: 1000, paintTime: 1040, latencyMs: 40 },
      { id: 3, captureTime: 1066, paintTime: 1100, latencyMs: 34 },
    ]);
  });

  it('ignores a paint earlier than its capture (an id reused after wrapping)', () => {
    expect(joinLatency([{ id: 5, captureTime: 2000 }], [{ id: 5, paintTime: 1990 }])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { HOPS, hopDurations, joinHopMarks, VIDEO_STAGES, videoStageDurations } from './hop-breakdown.ts';

describe('hop breakdown', () => {
  const marks = { captureTime: 1000, sentAt: 1009, relayTime: 1011, receivedAt: 1012.5, paintedAt: 1017 };

  it('splits capture→paint into hops that add up to the whole', () => {
    const hops = hopDurations(marks);
    expect(hops).toEqual({ encode: 9, sendRelay: 2, network: 1.5, decodePaint: 4.5 });
    const total = HOPS.reduce((sum, hop) => sum + hops[hop], 0);
    expect(total).toBe(marks.paintedAt - marks.captureTime);
  });

  it('joins sender and receiver marks by seq and capture time', () => {
    const sent = [
      { seq: 1, captureTime: 1000, sentAt: 1009 },
      { seq: 2, captureTime: 1033, sentAt: 1041 },
    ];
    const received = [
      { seq: 1, sourceId: 4, captureTime: 1000, relayTime: 1011, receivedAt: 1012.5, paintedAt: 1017 },
      { seq: 2, sourceId: 4, captureTime: 9999, relayTime: 1, receivedAt: 1, paintedAt: 1 }, // seq reused after a wrap
      { seq: 3, sourceId: 4, captureTime: 1066, relayTime: 1, receivedAt: 1, paintedAt: 1 }, // no send marks
    ];
    expect(joinHopMarks(sent, received)).toEqual([marks]);
  });

  it('splits a WebRTC frame into send+network and buffer+decode+render', () => {
    const stages = videoStageDurations({ captureTime: 1000, receiveTime: 1020, paintTime: 1035 });
    expect(stages).toEqual({ sendNetwork: 20, bufferDecodeRender: 15 });
    expect(VIDEO_STAGES.reduce((sum, s) => sum + stages[s], 0)).toBe(35);
  });
});

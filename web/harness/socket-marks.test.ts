import { describe, expect, it } from 'vitest';
import { Codec, encodeFrame, setRelayTime, setSourceId } from '../../codec/index.ts';
import { peekFrame } from './socket-marks.ts';

describe('peekFrame', () => {
  const frame = encodeFrame({ codec: Codec.jpeg, width: 2, height: 1, payload: new Uint8Array([0xff, 0xd8, 1]), seq: 7, captureTime: 1700000000123.25 });
  setSourceId(frame, 3);
  setRelayTime(frame, 1700000000125.5);

  it('reads seq, source, codec, size and both times from a wire frame (ArrayBuffer or view)', () => {
    const expected = { seq: 7, sourceId: 3, codec: Codec.jpeg, bytes: 43, captureTime: 1700000000123.25, relayTime: 1700000000125.5 };
    expect(peekFrame(frame)).toEqual(expected);
    expect(peekFrame(frame.slice().buffer)).toEqual(expected);
    // A view into a larger buffer, as WebSocket libraries hand out.
    const slab = new Uint8Array(frame.length + 10);
    slab.set(frame, 5);
    expect(peekFrame(slab.subarray(5, 5 + frame.length))).toEqual(expected);
  });

  it('ignores text, short buffers, other magic and unsupported codecs', () => {
    expect(peekFrame('hello')).toBeUndefined();
    expect(peekFrame(new Uint8Array(39))).toBeUndefined();
    const other = frame.slice();
    other[4] = 0;
    expect(peekFrame(other)).toBeUndefined();
    const vp8 = frame.slice();
    vp8[7] = Codec.vp8;
    expect(peekFrame(vp8)).toBeUndefined();
  });
});

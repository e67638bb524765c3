/** The sender's wire framing of audio packets (docs/protocol.md › Audio frames). */
import { describe, expect, it } from 'vitest';
import { Codec, decodeFrame, Flag, FrameError } from '../../../codec/index.ts';
import { encodeAudioPacket } from './audio-packet.ts';
import { floatToS16le } from './pcm.ts';

describe('encodeAudioPacket', () => {
  it('frames an Opus packet as the protocol’s example: codec 6, 48000 Hz, 1 channel, 960 samples, keyframe', () => {
    const bytes = encodeAudioPacket({ codec: 'opus', payload: new Uint8Array([0x78, 0x01, 0x02, 0x03]), samples: 960 }, { seq: 9, captureTime: 1700000000123.25 });
    expect([...bytes.subarray(0, 16)]).toEqual([
      0x00, 0x00, 0x00, 0x28, // length = 40
      0x46, 0x57, 0x01, // magic, version
      0x06, // codec opus
      0x00, 0x01, // flags keyframe
      0xbb, 0x80, // 48000 Hz
      0x00, 0x01, // 1 channel
      0x03, 0xc0, // 960 samples
    ]);
    const frame = decodeFrame(bytes);
    expect(frame).toMatchObject({ codec: Codec.opus, flags: Flag.keyframe, width: 48000, height: 1, samples: 960, seq: 9, sourceId: 0, captureTime: 1700000000123.25, relayTime: 0 });
    expect([...frame.payload]).toEqual([0x78, 0x01, 0x02, 0x03]);
  });

  it('frames 20 ms of 16 kHz PCM: codec 7, 320 samples, 640 payload bytes', () => {
    const payload = floatToS16le(new Float32Array(320).fill(0.25));
    const frame = decodeFrame(encodeAudioPacket({ codec: 'pcm', payload, samples: 320 }, { seq: 2 ** 32 + 5, captureTime: 42 }));
    expect(frame).toMatchObject({ codec: Codec.pcm, width: 16000, height: 1, samples: 320, seq: 5, captureTime: 42 });
    expect(frame.payload.byteLength).toBe(640);
  });

  it('refuses an empty Opus packet with FrameError bad-payload-size', () => {
    expect(() => encodeAudioPacket({ codec: 'opus', payload: new Uint8Array(0), samples: 960 }, { seq: 0, captureTime: 0 })).toThrow(FrameError);
  });
});

describe('LevelMeter scale', async () => {
  const { LevelMeter, rmsToLevel } = await import('./level-meter.ts');
  it('reads normal speech levels (−40…−20 dBFS RMS) as 0.4–0.8, silence as 0', () => {
    expect(rmsToLevel(0)).toBe(0);
    expect(rmsToLevel(10 ** (-40 / 20))).toBeCloseTo(0.4, 5);
    expect(rmsToLevel(10 ** (-20 / 20))).toBeCloseTo(0.8, 5);
    const meter = new LevelMeter(48000);
    meter.feed(new Float32Array(4800).fill(0.1)); // 100 ms at −20 dBFS: 63 % of the way in power
    expect(meter.level).toBeGreaterThan(0.7);
    expect(meter.level).toBeLessThan(0.8);
  });
});

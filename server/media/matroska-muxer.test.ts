import { describe, expect, it } from 'vitest';
import { ebmlSize, matroskaBlock, matroskaFrame, matroskaHead, matroskaHeader } from './matroska-muxer.ts';
import { opusHead } from './opus-packet.ts';

describe('Matroska muxer', () => {
  describe('ebmlSize', () => {
    it('writes the shortest variable-length integer, avoiding the all-ones "unknown" value', () => {
      expect([...ebmlSize(0)]).toEqual([0x80]);
      expect([...ebmlSize(126)]).toEqual([0xfe]);
      // 127 in one byte would be 0xFF = "unknown size": two bytes instead.
      expect([...ebmlSize(127)]).toEqual([0x40, 0x7f]);
      expect([...ebmlSize(16_382)]).toEqual([0x7f, 0xfe]);
      expect([...ebmlSize(16_383)]).toEqual([0x20, 0x3f, 0xff]);
      // 640×480×4 = 1,228,800 = 0x12C000 < 2^21 − 1: three bytes, marker 0x20.
      expect([...ebmlSize(1_228_800)]).toEqual([0x32, 0xc0, 0x00]);
    });

    it('rejects negative and fractional sizes', () => {
      expect(() => ebmlSize(-1)).toThrow(RangeError);
      expect(() => ebmlSize(1.5)).toThrow(RangeError);
    });
  });

  describe('matroskaFrame', () => {
    it('is one Cluster with a Timecode and a keyframe SimpleBlock', () => {
      const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xd9);
      const [head, payload] = matroskaFrame(300, jpeg);
      expect(payload).toBe(jpeg);
      expect([...head!]).toEqual([
        0x1f, 0x43, 0xb6, 0x75, // Cluster id
        0x8e, //                   Cluster size = 14 (Timecode 4 + SimpleBlock head 6 + jpeg 4)
        0xe7, 0x82, 0x01, 0x2c, // Timecode = 300 ms (2 bytes)
        0xa3, 0x88, //             SimpleBlock, size 8 (4 head + 4 jpeg)
        0x81, //                   track number 1 (vint)
        0x00, 0x00, //             relative timecode 0
        0x80, //                   flags: keyframe
      ]);
    });

    it('rejects a negative or fractional timecode', () => {
      expect(() => matroskaFrame(-1, new Uint8Array(2))).toThrow(RangeError);
      expect(() => matroskaFrame(0.5, new Uint8Array(2))).toThrow(RangeError);
    });
  });

  describe('matroskaHeader', () => {
    it('opens with the EBML magic, says "matroska", V_MJPEG and the frame size, and leaves the Segment open', () => {
      const header = matroskaHeader(640, 480);
      const text = Buffer.from(header).toString('latin1');
      expect([...header.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
      expect(text).toContain('matroska');
      expect(text).toContain('V_MJPEG');
      const segment = Buffer.from(header).indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
      expect([...header.subarray(segment + 4, segment + 12)]).toEqual([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      // PixelWidth 640 = 0xB0 0x82 0x02 0x80, PixelHeight 480 = 0xBA 0x82 0x01 0xE0.
      expect(Buffer.from(header).includes(Buffer.from([0xb0, 0x82, 0x02, 0x80]))).toBe(true);
      expect(Buffer.from(header).includes(Buffer.from([0xba, 0x82, 0x01, 0xe0]))).toBe(true);
    });
  });

  describe('audio tracks', () => {
    it('an Opus track: TrackType 2, A_OPUS, the OpusHead as CodecPrivate, 48000 Hz as an f64, channels', () => {
      const head = Buffer.from(matroskaHead([{ kind: 'video', width: 64, height: 48 }, { kind: 'audio', codec: 'opus', sampleRate: 48000, channels: 1, codecPrivate: opusHead(1, 0, 48000) }]));
      expect(head.includes(Buffer.from([0xd7, 0x81, 0x02]))).toBe(true); // TrackNumber 2
      expect(head.includes(Buffer.from([0x83, 0x81, 0x02]))).toBe(true); // TrackType 2 (audio)
      expect(head.includes(Buffer.from([0x86, 0x86, ...Buffer.from('A_OPUS')]))).toBe(true); // CodecID
      expect(head.includes(Buffer.from([0x63, 0xa2, 0x93, ...opusHead(1, 0, 48000)]))).toBe(true); // CodecPrivate, 19 bytes
      expect(head.includes(Buffer.from([0xb5, 0x88, 0x40, 0xe7, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00]))).toBe(true); // SamplingFrequency 48000.0 (f64 BE)
      expect(head.includes(Buffer.from([0x9f, 0x81, 0x01]))).toBe(true); // Channels 1
    });

    it('a PCM track: A_PCM/INT/LIT with BitDepth 16', () => {
      const head = Buffer.from(matroskaHead([{ kind: 'audio', codec: 'pcm', sampleRate: 16000, channels: 2 }]));
      expect(head.toString('latin1')).toContain('A_PCM/INT/LIT');
      expect(head.includes(Buffer.from([0x62, 0x64, 0x81, 0x10]))).toBe(true); // BitDepth 16
      expect(head.includes(Buffer.from([0x9f, 0x81, 0x02]))).toBe(true); // Channels 2
    });

    it('a block of track 2 says so in its SimpleBlock; bad tracks are refused', () => {
      const [head] = matroskaBlock(2, 20, Uint8Array.of(0x78, 1, 2));
      expect([...head!.subarray(-4)]).toEqual([0x82, 0x00, 0x00, 0x80]); // track 2, relative timecode 0, keyframe
      expect(() => matroskaBlock(0, 0, new Uint8Array(1))).toThrow(RangeError);
      expect(() => matroskaHead([{ kind: 'audio', codec: 'opus', sampleRate: 48000, channels: 1 }])).toThrow(TypeError);
      expect(() => matroskaHead([])).toThrow(RangeError);
    });
  });
});

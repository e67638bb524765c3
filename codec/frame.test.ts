import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  Codec,
  decodeFrame,
  decodeHeader,
  DEFAULT_MAX_DIMENSION,
  DEFAULT_MAX_FRAME_BYTES,
  encodedLength,
  encodeFrame,
  encodeFrameInto,
  Flag,
  FrameError,
  HEADER_BYTES,
  MAGIC,
  Offset,
  PREFIX_BYTES,
  setRelayTime,
  setSourceId,
  VERSION,
  bgraToRgba,
  rgbaToBgra,
  type FrameErrorCode,
  type FrameInit,
} from './index.ts';
import { expectFrameError } from './test-support/expect-frame-error.ts';
import { xorshiftBytes } from './test-support/prng.ts';

const PROTOCOL_MD = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');

/** The hex bytes of the "Worked example" code block in docs/protocol.md. */
function workedExampleFromDoc(): Uint8Array {
  const section = PROTOCOL_MD.split('### Worked example')[1];
  if (section === undefined) throw new Error('docs/protocol.md has no "### Worked example" section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('worked example has no code block');
  const bytes: number[] = [];
  for (const line of block.split('\n')) {
    for (const token of line.trim().split(/\s+/)) {
      if (!/^[0-9a-f]{2}$/i.test(token)) break;
      bytes.push(Number.parseInt(token, 16));
    }
  }
  return Uint8Array.from(bytes);
}

/** Rows of the validation table in docs/protocol.md: code → example message. */
function validationTableFromDoc(): Map<string, string> {
  const section = PROTOCOL_MD.split('### Validation')[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error('docs/protocol.md has no "### Validation" section');
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([a-z-]+)` \|.*\| `([^`]+)` \|$/gm)) rows.set(match[1]!, match[2]!);
  return rows;
}

/** The worked example of docs/protocol.md, as an init. */
const DOC_INIT: FrameInit = {
  codec: Codec.jpeg,
  width: 2,
  height: 1,
  seq: 7,
  sourceId: 3,
  captureTime: 1700000000123.25,
  payload: Uint8Array.from([0xff, 0xd8, 0x01, 0x02, 0x03]),
};

/** 20 ms of mono Opus at 48 kHz (a stand-in packet). */
const OPUS_INIT: FrameInit = { codec: Codec.opus, width: 48000, height: 1, samples: 960, seq: 9, payload: Uint8Array.from([0x78, 1, 2, 3]) };
/** 20 ms of mono s16le PCM at 16 kHz. */
const PCM_INIT: FrameInit = { codec: Codec.pcm, width: 16000, height: 1, samples: 320, seq: 10, payload: new Uint8Array(640) };

function bytesOf(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

describe('wire format v1', () => {
  describe('constants', () => {
    it('match the byte table', () => {
      expect(PREFIX_BYTES).toBe(4);
      expect(HEADER_BYTES).toBe(40);
      expect(MAGIC).toBe(0x4657); // "FW"
      expect(VERSION).toBe(1);
      expect(Offset).toEqual({
        length: 0,
        magic: 4,
        version: 6,
        codec: 7,
        flags: 8,
        width: 10,
        height: 12,
        reserved: 14,
        samples: 14,
        seq: 16,
        sourceId: 20,
        captureTime: 24,
        relayTime: 32,
        payload: 40,
      });
      expect(Codec).toEqual({ jpeg: 1, bgra: 2, rgba: 3, vp8: 4, h264: 5, opus: 6, pcm: 7 });
      expect(Flag.keyframe).toBe(1);
      expect(DEFAULT_MAX_DIMENSION).toBe(4096);
    });

    it('default max frame size holds a 1920×1080 BGRA frame', () => {
      expect(HEADER_BYTES + 1920 * 1080 * 4).toBeLessThanOrEqual(DEFAULT_MAX_FRAME_BYTES);
      const frame = encodeFrame({ codec: Codec.bgra, width: 1920, height: 1080, payload: new Uint8Array(1920 * 1080 * 4) });
      expect(decodeFrame(frame).payload.byteLength).toBe(1920 * 1080 * 4);
    });
  });

  describe('test vectors', () => {
    it('encodes the worked example of docs/protocol.md byte for byte', () => {
      const fromDoc = workedExampleFromDoc();
      expect(fromDoc.byteLength).toBe(45);
      expect(encodeFrame(DOC_INIT)).toEqual(fromDoc);
    });

    it('the worked example, written out field by field', () => {
      const expected = bytesOf(
        [0x00, 0x00, 0x00, 0x29], // length = 41: 36 header + 5 payload
        [0x46, 0x57], // magic "FW"
        [0x01], // version 1
        [0x01], // codec 1 = jpeg
        [0x00, 0x01], // flags = keyframe
        [0x00, 0x02], // width 2
        [0x00, 0x01], // height 1
        [0x00, 0x00], // reserved
        [0x00, 0x00, 0x00, 0x07], // seq 7
        [0x00, 0x00, 0x00, 0x03], // sourceId 3
        [0x42, 0x78, 0xbc, 0xfe, 0x56, 0x87, 0xb4, 0x00], // captureTime 1700000000123.25 (f64 BE)
        [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // relayTime 0
        [0xff, 0xd8, 0x01, 0x02, 0x03], // payload
      );
      expect(expected).toEqual(workedExampleFromDoc());
      expect(encodeFrame(DOC_INIT)).toEqual(expected);
    });

    it('decodes the worked example of docs/protocol.md', () => {
      const frame = decodeFrame(workedExampleFromDoc());
      expect(frame).toMatchObject({
        byteLength: 45,
        codec: Codec.jpeg,
        flags: Flag.keyframe,
        width: 2,
        height: 1,
        seq: 7,
        sourceId: 3,
        captureTime: 1700000000123.25,
        relayTime: 0,
      });
      expect(Array.from(frame.payload)).toEqual([0xff, 0xd8, 0x01, 0x02, 0x03]);
    });

    it('a BGRA frame with every field non-zero and distinct', () => {
      const init: FrameInit = {
        codec: Codec.bgra,
        width: 0x0102,
        height: 1,
        flags: 0x8001,
        seq: 0xdeadbeef,
        sourceId: 0x0a0b0c0d,
        captureTime: 1.5,
        relayTime: -2,
        payload: new Uint8Array(0x0102 * 4).fill(0xab),
      };
      const expected = bytesOf(
        [0x00, 0x00, 0x04, 0x2c], // length = 36 + 1032 = 1068 = 0x42c
        [0x46, 0x57], // magic "FW"
        [0x01], // version 1
        [0x02], // codec 2 = bgra
        [0x80, 0x01], // flags: keyframe + a reserved bit, carried through
        [0x01, 0x02], // width 258
        [0x00, 0x01], // height 1
        [0x00, 0x00], // reserved
        [0xde, 0xad, 0xbe, 0xef], // seq
        [0x0a, 0x0b, 0x0c, 0x0d], // sourceId
        [0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // captureTime 1.5
        [0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // relayTime -2
        Array.from(init.payload), // payload: 258 × 1 × 4 bytes
      );
      const encoded = encodeFrame(init);
      expect(encoded).toEqual(expected);
      const { payload, bytes, ...header } = decodeFrame(encoded);
      expect(header).toEqual({
        byteLength: 1072,
        codec: Codec.bgra,
        flags: 0x8001,
        width: 258,
        height: 1,
        samples: 0,
        seq: 0xdeadbeef,
        sourceId: 0x0a0b0c0d,
        captureTime: 1.5,
        relayTime: -2,
      });
      expect(payload).toEqual(init.payload);
      expect(bytes).toBe(encoded);
    });

    it('defaults: flags keyframe, seq/sourceId/times 0', () => {
      const frame = decodeFrame(encodeFrame({ codec: Codec.jpeg, width: 1, height: 1, payload: bytesOf([0xff, 0xd8]) }));
      expect(frame).toMatchObject({ flags: Flag.keyframe, seq: 0, sourceId: 0, captureTime: 0, relayTime: 0 });
    });

    it('ignores the reserved field on read', () => {
      const bytes = encodeFrame(DOC_INIT);
      bytes[Offset.reserved] = 0xff;
      bytes[Offset.reserved + 1] = 0x01;
      expect(decodeFrame(bytes).seq).toBe(7);
    });

    it('audio: sample rate, channels and samples per channel in width, height and the samples field', () => {
      const opus = encodeFrame(OPUS_INIT);
      expect(Array.from(opus.subarray(Offset.codec, Offset.seq))).toEqual([6, 0, 1, 0xbb, 0x80, 0, 1, 0x03, 0xc0]);
      expect(decodeFrame(opus)).toMatchObject({ codec: Codec.opus, width: 48000, height: 1, samples: 960, seq: 9 });
      const stereo = { ...PCM_INIT, width: 48000, height: 2, samples: 480, payload: new Uint8Array(480 * 2 * 2) };
      expect(decodeFrame(encodeFrame(stereo))).toMatchObject({ codec: Codec.pcm, width: 48000, height: 2, samples: 480 });
      // 120 ms is the longest frame; the dimension limit does not apply to audio.
      expect(decodeFrame(encodeFrame({ ...OPUS_INIT, samples: 5760 }), { maxDimension: 640 }).samples).toBe(5760);
    });

    it('audio frames are checked when encoded, and samples is refused on video', () => {
      expect(() => encodeFrame({ ...OPUS_INIT, samples: undefined })).toThrow(/bad audio format/);
      expect(() => encodeFrame({ ...PCM_INIT, payload: new Uint8Array(3) })).toThrow(/pcm payload size wrong \[bytes:3, expected:640\]/);
      expect(() => encodeFrame({ ...DOC_INIT, samples: 960 })).toThrow(/samples is for audio frames/);
    });

    it('keeps sub-millisecond capture times exactly', () => {
      const t = 1763740000123.456;
      expect(decodeFrame(encodeFrame({ ...DOC_INIT, captureTime: t })).captureTime).toBe(t);
    });
  });

  describe('validation', () => {
    /** A message that triggers each error code, with the message it must produce. */
    const cases: Record<Exclude<FrameErrorCode, 'bad-init'>, [string, () => Uint8Array, string][]> = {
      'too-short': [
        ['12 bytes', () => new Uint8Array(12), 'frame shorter than its header [bytes:12, needed:40]'],
        ['empty', () => new Uint8Array(0), 'frame shorter than its header [bytes:0, needed:40]'],
        ['39 bytes', () => encodeFrame(DOC_INIT).subarray(0, 39), 'frame shorter than its header [bytes:39, needed:40]'],
      ],
      'bad-magic': [
        ['0x1234', () => patch(encodeFrame(DOC_INIT), Offset.magic, [0x12, 0x34]), 'bad magic [found:0x1234, expected:0x4657]'],
        ['swapped', () => patch(encodeFrame(DOC_INIT), Offset.magic, [0x57, 0x46]), 'bad magic [found:0x5746, expected:0x4657]'],
      ],
      'bad-version': [
        ['2', () => patch(encodeFrame(DOC_INIT), Offset.version, [2]), 'unsupported version [found:2, supported:1]'],
        ['0', () => patch(encodeFrame(DOC_INIT), Offset.version, [0]), 'unsupported version [found:0, supported:1]'],
      ],
      'unknown-codec': [
        ['vp8 (reserved)', () => patch(encodeFrame(DOC_INIT), Offset.codec, [4]), 'codec vp8 is reserved, not supported in v1 [codec:4]'],
        ['rgba (reserved)', () => patch(encodeFrame(DOC_INIT), Offset.codec, [3]), 'codec rgba is reserved, not supported in v1 [codec:3]'],
        ['h264 (reserved)', () => patch(encodeFrame(DOC_INIT), Offset.codec, [5]), 'codec h264 is reserved, not supported in v1 [codec:5]'],
        ['0', () => patch(encodeFrame(DOC_INIT), Offset.codec, [0]), 'unknown codec [codec:0]'],
        ['200', () => patch(encodeFrame(DOC_INIT), Offset.codec, [200]), 'unknown codec [codec:200]'],
      ],
      'too-large': [
        [
          'declared 9,000,000 bytes',
          () => patch(encodeFrame(DOC_INIT), Offset.length, u32(9_000_000 - 4)),
          'frame too large [bytes:9000000, max:8388608]',
        ],
        [
          'declared u32 max',
          () => patch(encodeFrame(DOC_INIT), Offset.length, u32(0xffffffff)),
          'frame too large [bytes:4294967299, max:8388608]',
        ],
      ],
      'length-mismatch': [
        ['4 bytes missing', () => encodeFrame(DOC_INIT).subarray(0, 41), 'length prefix does not match the bytes present [declared:41, present:37]'],
        ['1 byte extra', () => concat(encodeFrame(DOC_INIT), [0]), 'length prefix does not match the bytes present [declared:41, present:42]'],
        ['prefix 0', () => patch(encodeFrame(DOC_INIT), Offset.length, u32(0)), 'length prefix does not match the bytes present [declared:0, present:41]'],
      ],
      'bad-dimensions': [
        ['width 0', () => bgraHeaderOnly(0, 480), 'bad dimensions [width:0, height:480, max:4096]'],
        ['height 0', () => patch(encodeFrame(DOC_INIT), Offset.height, [0, 0]), 'bad dimensions [width:2, height:0, max:4096]'],
        ['width 4097', () => patch(encodeFrame(DOC_INIT), Offset.width, [0x10, 0x01]), 'bad dimensions [width:4097, height:1, max:4096]'],
        ['height 65535', () => patch(encodeFrame(DOC_INIT), Offset.height, [0xff, 0xff]), 'bad dimensions [width:2, height:65535, max:4096]'],
      ],
      'bad-audio-format': [
        ['sample rate 44100', () => patch(encodeFrame(OPUS_INIT), Offset.width, u16(44100)), 'bad audio format [sampleRate:44100, channels:1, samples:960]'],
        ['0 channels', () => patch(encodeFrame(OPUS_INIT), Offset.height, u16(0)), 'bad audio format [sampleRate:48000, channels:0, samples:960]'],
        ['3 channels', () => patch(encodeFrame(OPUS_INIT), Offset.height, u16(3)), 'bad audio format [sampleRate:48000, channels:3, samples:960]'],
        ['0 samples', () => patch(encodeFrame(OPUS_INIT), Offset.samples, u16(0)), 'bad audio format [sampleRate:48000, channels:1, samples:0]'],
        ['121 ms', () => patch(encodeFrame(OPUS_INIT), Offset.samples, u16(5808)), 'bad audio format [sampleRate:48000, channels:1, samples:5808]'],
        ['pcm 16 kHz, 2000 samples', () => patch(encodeFrame(PCM_INIT), Offset.samples, u16(2000)), 'bad audio format [sampleRate:16000, channels:1, samples:2000]'],
      ],
      'bad-payload-size': [
        ['pcm: 640 bytes for 319 samples', () => patch(encodeFrame(PCM_INIT), Offset.samples, u16(319)), 'pcm payload size wrong [bytes:640, expected:638]'],
        ['opus: empty', () => audioWithPayload(Codec.opus, 0), 'opus payload size wrong [bytes:0, expected:1..7680]'],
        ['opus: 7681 bytes', () => audioWithPayload(Codec.opus, 7681), 'opus payload size wrong [bytes:7681, expected:1..7680]'],
        ['100 bytes for 640×480', () => bgraWithPayload(640, 480, 100), 'bgra payload size wrong [bytes:100, expected:1228800]'],
        ['one byte short', () => bgraWithPayload(2, 2, 15), 'bgra payload size wrong [bytes:15, expected:16]'],
        ['empty', () => bgraWithPayload(1, 1, 0), 'bgra payload size wrong [bytes:0, expected:4]'],
      ],
      'not-jpeg': [
        ['00 00', () => patch(encodeFrame(DOC_INIT), HEADER_BYTES, [0, 0]), 'jpeg payload does not start with SOI [found:0x0000, expected:0xffd8]'],
        ['FF D9', () => patch(encodeFrame(DOC_INIT), HEADER_BYTES + 1, [0xd9]), 'jpeg payload does not start with SOI [found:0xffd9, expected:0xffd8]'],
        ['empty payload', () => jpegWithPayload([]), 'jpeg payload does not start with SOI [found:0x0000, expected:0xffd8]'],
        ['one byte payload', () => jpegWithPayload([0xff]), 'jpeg payload does not start with SOI [found:0xff00, expected:0xffd8]'],
      ],
    };

    for (const [code, list] of Object.entries(cases) as [FrameErrorCode, (typeof cases)['too-short']][]) {
      describe(code, () => {
        for (const [name, make, message] of list) {
          it(`${name} → ${message}`, () => {
            expectFrameError(() => decodeFrame(make()), code, message);
          });
        }
      });
    }

    it('every example message in the docs/protocol.md validation table is what the codec throws', () => {
      const table = validationTableFromDoc();
      expect([...table.keys()].sort()).toEqual(Object.keys(cases).sort());
      for (const [code, message] of table) {
        const produced = cases[code as keyof typeof cases].map(([, make]) => {
          try {
            decodeFrame(make());
          } catch (error) {
            return (error as FrameError).message;
          }
          return null;
        });
        expect(produced, `doc example for ${code}`).toContain(message);
      }
    });

    it('checks in the documented order: magic before version before codec before length', () => {
      const bytes = encodeFrame(DOC_INIT).subarray(0, 44);
      patch(bytes, Offset.magic, [0, 0]);
      patch(bytes, Offset.version, [9]);
      patch(bytes, Offset.codec, [9]);
      expect(() => decodeFrame(bytes)).toThrow(/bad magic/);
      patch(bytes, Offset.magic, [0x46, 0x57]);
      expect(() => decodeFrame(bytes)).toThrow(/unsupported version/);
      patch(bytes, Offset.version, [1]);
      expect(() => decodeFrame(bytes)).toThrow(/unknown codec/);
      patch(bytes, Offset.codec, [1]);
      expect(() => decodeFrame(bytes)).toThrow(/length prefix/);
    });

    describe('options', () => {
      it('maxFrameBytes lowers the limit', () => {
        const bytes = encodeFrame(DOC_INIT);
        expect(decodeFrame(bytes, { maxFrameBytes: 45 }).byteLength).toBe(45);
        expectFrameError(() => decodeFrame(bytes, { maxFrameBytes: 44 }), 'too-large', 'frame too large [bytes:45, max:44]');
      });

      it('maxFrameBytes raises the limit', () => {
        const big = encodeFrame({ codec: Codec.bgra, width: 2048, height: 1100, payload: new Uint8Array(2048 * 1100 * 4) });
        expectFrameError(() => decodeFrame(big), 'too-large', `frame too large [bytes:${big.byteLength}, max:8388608]`);
        expect(decodeFrame(big, { maxFrameBytes: 16 << 20 }).width).toBe(2048);
      });

      it('maxDimension', () => {
        const bytes = encodeFrame({ codec: Codec.bgra, width: 5000, height: 1, payload: new Uint8Array(5000 * 4) });
        expectFrameError(() => decodeFrame(bytes), 'bad-dimensions', 'bad dimensions [width:5000, height:1, max:4096]');
        expect(decodeFrame(bytes, { maxDimension: 5000 }).width).toBe(5000);
        expectFrameError(
          () => decodeFrame(encodeFrame(DOC_INIT), { maxDimension: 1 }),
          'bad-dimensions',
          'bad dimensions [width:2, height:1, max:1]',
        );
      });
    });

    it('decodeHeader validates the header but not the payload contents', () => {
      const bytes = patch(encodeFrame(DOC_INIT), HEADER_BYTES, [0, 0]);
      expect(decodeHeader(bytes)).toMatchObject({ byteLength: 45, seq: 7, sourceId: 3 });
      expect(() => decodeFrame(bytes)).toThrow(FrameError);
      expectFrameError(() => decodeHeader(new Uint8Array(3)), 'too-short', 'frame shorter than its header [bytes:3, needed:40]');
    });
  });

  describe('encodeFrame', () => {
    const jpeg = bytesOf([0xff, 0xd8, 0xff, 0xd9]);
    const bad: [string, FrameInit, FrameErrorCode, string][] = [
      ['reserved codec', { codec: Codec.vp8, width: 1, height: 1, payload: jpeg }, 'unknown-codec', 'codec vp8 is reserved, not supported in v1 [codec:4]'],
      ['unassigned codec', { codec: 99, width: 1, height: 1, payload: jpeg }, 'unknown-codec', 'unknown codec [codec:99]'],
      ['width 0', { codec: Codec.jpeg, width: 0, height: 1, payload: jpeg }, 'bad-dimensions', 'bad dimensions [width:0, height:1, max:65535]'],
      ['height over u16', { codec: Codec.jpeg, width: 1, height: 65536, payload: jpeg }, 'bad-dimensions', 'bad dimensions [width:1, height:65536, max:65535]'],
      ['fractional width', { codec: Codec.jpeg, width: 1.5, height: 1, payload: jpeg }, 'bad-dimensions', 'bad dimensions [width:1.5, height:1, max:65535]'],
      ['negative seq', { codec: Codec.jpeg, width: 1, height: 1, payload: jpeg, seq: -1 }, 'bad-init', 'cannot encode frame: seq not a u32 [seq:-1]'],
      ['seq 2^32', { codec: Codec.jpeg, width: 1, height: 1, payload: jpeg, seq: 2 ** 32 }, 'bad-init', 'cannot encode frame: seq not a u32 [seq:4294967296]'],
      ['fractional sourceId', { codec: Codec.jpeg, width: 1, height: 1, payload: jpeg, sourceId: 0.5 }, 'bad-init', 'cannot encode frame: sourceId not a u32 [sourceId:0.5]'],
      ['flags over u16', { codec: Codec.jpeg, width: 1, height: 1, payload: jpeg, flags: 0x10000 }, 'bad-init', 'cannot encode frame: flags not a u16 [flags:65536]'],
      ['bgra payload size', { codec: Codec.bgra, width: 2, height: 2, payload: new Uint8Array(12) }, 'bad-payload-size', 'bgra payload size wrong [bytes:12, expected:16]'],
      ['jpeg without SOI', { codec: Codec.jpeg, width: 1, height: 1, payload: bytesOf([0x89, 0x50]) }, 'not-jpeg', 'jpeg payload does not start with SOI [found:0x8950, expected:0xffd8]'],
    ];
    for (const [name, init, code, message] of bad) {
      it(`rejects ${name}`, () => {
        expectFrameError(() => encodeFrame(init), code, message);
        expectFrameError(() => encodeFrameInto(init, new Uint8Array(1000), 0), code, message);
      });
    }

    it('accepts the u32/u16 extremes', () => {
      const init: FrameInit = { codec: Codec.jpeg, width: 65535, height: 65535, payload: jpeg, seq: 0xffffffff, sourceId: 0xffffffff, flags: 0xffff };
      const frame = decodeFrame(encodeFrame(init), { maxDimension: 65535 });
      expect(frame).toMatchObject({ width: 65535, height: 65535, seq: 0xffffffff, sourceId: 0xffffffff, flags: 0xffff });
    });

    it('encodedLength is header + payload', () => {
      expect(encodedLength(DOC_INIT)).toBe(45);
      expect(encodedLength({ payload: new Uint8Array(640 * 480 * 4) })).toBe(40 + 1_228_800);
    });

    it('copies the payload: later changes to the source do not leak into the frame', () => {
      const payload = Uint8Array.from([0xff, 0xd8, 1]);
      const bytes = encodeFrame({ codec: Codec.jpeg, width: 1, height: 1, payload });
      payload[2] = 99;
      expect(bytes[HEADER_BYTES + 2]).toBe(1);
    });
  });

  describe('encodeFrameInto', () => {
    it('accepts a payload already written in place (the BGRA encoder swizzles into the frame)', () => {
      const width = 64;
      const height = 32;
      const pixels = xorshiftBytes(width * height * 4, 99);
      const frame = new Uint8Array(HEADER_BYTES + pixels.byteLength);
      const inPlace = rgbaToBgra(pixels, frame.subarray(HEADER_BYTES));
      const written = encodeFrameInto({ codec: Codec.bgra, width, height, seq: 3, payload: inPlace }, frame, 0);
      expect(written).toBe(frame.byteLength);
      const decoded = decodeFrame(frame);
      expect(decoded.seq).toBe(3);
      expect(bgraToRgba(decoded.payload)).toEqual(pixels);
      // Same bytes as encoding from a separate payload buffer.
      expect(frame).toEqual(encodeFrame({ codec: Codec.bgra, width, height, seq: 3, payload: rgbaToBgra(pixels) }));
    });

    it('writes at an offset, returns the length, touches nothing else', () => {
      const target = new Uint8Array(100).fill(0xee);
      const written = encodeFrameInto(DOC_INIT, target, 7);
      expect(written).toBe(45);
      expect(target.subarray(7, 52)).toEqual(workedExampleFromDoc());
      expect(target.subarray(0, 7).every((b) => b === 0xee)).toBe(true);
      expect(target.subarray(52).every((b) => b === 0xee)).toBe(true);
    });

    it('writes into a view with a non-zero byteOffset', () => {
      const slab = new ArrayBuffer(200);
      const target = new Uint8Array(slab, 13, 60);
      expect(encodeFrameInto(DOC_INIT, target, 5)).toBe(45);
      expect(new Uint8Array(slab, 18, 45)).toEqual(workedExampleFromDoc());
      expect(new Uint8Array(slab, 0, 18).every((b) => b === 0)).toBe(true);
    });

    it('writes frames back to back (a recording)', () => {
      const inits = [DOC_INIT, { ...DOC_INIT, seq: 8 }, { ...DOC_INIT, seq: 9, payload: bytesOf([0xff, 0xd8]) }];
      const total = inits.reduce((n, init) => n + encodedLength(init), 0);
      const file = new Uint8Array(total);
      let offset = 0;
      for (const init of inits) offset += encodeFrameInto(init, file, offset);
      expect(offset).toBe(total);
      const second = decodeFrame(file.subarray(45, 90));
      expect(second.seq).toBe(8);
      expect(decodeFrame(file.subarray(90)).seq).toBe(9);
    });

    it('rejects a target that is too small or an offset out of range', () => {
      expectFrameError(
        () => encodeFrameInto(DOC_INIT, new Uint8Array(44), 0),
        'bad-init',
        'cannot encode frame: target too small [offset:0, needed:45, available:44]',
      );
      expectFrameError(
        () => encodeFrameInto(DOC_INIT, new Uint8Array(50), 6),
        'bad-init',
        'cannot encode frame: target too small [offset:6, needed:45, available:50]',
      );
      expectFrameError(
        () => encodeFrameInto(DOC_INIT, new Uint8Array(50), -1),
        'bad-init',
        'cannot encode frame: target too small [offset:-1, needed:45, available:50]',
      );
      expectFrameError(
        () => encodeFrameInto(DOC_INIT, new Uint8Array(50), 0.5),
        'bad-init',
        'cannot encode frame: target too small [offset:0.5, needed:45, available:50]',
      );
    });
  });

  describe('decoded payload', () => {
    it('is one zero-copy view of the frame bytes, the same object on every read', () => {
      const bytes = encodeFrame(DOC_INIT);
      const frame = decodeFrame(bytes);
      expect(frame.payload).toBe(frame.payload);
      expect(frame.payload.buffer).toBe(bytes.buffer);
      expect(frame.payload.byteOffset).toBe(bytes.byteOffset + HEADER_BYTES);
      expect([...frame.payload]).toEqual([...DOC_INIT.payload]);
    });
  });

  describe('views with a non-zero byteOffset', () => {
    for (const offset of [1, 3, 8, 13]) {
      it(`decodes a frame at byte ${offset} of a larger buffer, zero-copy`, () => {
        const frameBytes = encodeFrame({ ...DOC_INIT, relayTime: 42.5 });
        const slab = new Uint8Array(offset + frameBytes.byteLength + 17).fill(0x5a);
        slab.set(frameBytes, offset);
        const view = slab.subarray(offset, offset + frameBytes.byteLength);
        const frame = decodeFrame(view);
        expect(frame).toMatchObject({ seq: 7, sourceId: 3, captureTime: 1700000000123.25, relayTime: 42.5 });
        expect(frame.bytes).toBe(view);
        expect(frame.payload.buffer).toBe(slab.buffer);
        expect(frame.payload.byteOffset).toBe(offset + HEADER_BYTES);
        expect(frame.payload.byteLength).toBe(5);
      });
    }

    it('reads the prefix from the view, not from the start of the buffer', () => {
      // The slab starts with a different, valid-looking prefix: a decoder that ignored byteOffset would read it.
      const frameBytes = encodeFrame(DOC_INIT);
      const slab = new Uint8Array(4 + frameBytes.byteLength);
      slab.set(u32(0x7fffffff), 0);
      slab.set(frameBytes, 4);
      expect(decodeFrame(slab.subarray(4)).byteLength).toBe(45);
    });
  });

  describe('setSourceId / setRelayTime', () => {
    it('stamp in place and change nothing else', () => {
      const original = encodeFrame({ ...DOC_INIT, sourceId: 0 });
      const slab = new Uint8Array(original.byteLength + 11);
      slab.set(original, 11);
      const view = slab.subarray(11);
      setSourceId(view, 0x01020304);
      setRelayTime(view, 1700000000999.5);
      expect(Array.from(slab.subarray(0, 11))).toEqual(new Array(11).fill(0));
      const changed = new Set<number>();
      for (let i = 0; i < original.byteLength; i++) if (view[i] !== original[i]) changed.add(i);
      for (const i of changed) {
        const inSourceId = i >= Offset.sourceId && i < Offset.sourceId + 4;
        const inRelayTime = i >= Offset.relayTime && i < Offset.relayTime + 8;
        expect(inSourceId || inRelayTime, `byte ${i} changed`).toBe(true);
      }
      expect(Array.from(view.subarray(Offset.sourceId, Offset.sourceId + 4))).toEqual([1, 2, 3, 4]);
      const frame = decodeFrame(view);
      expect(frame.sourceId).toBe(0x01020304);
      expect(frame.relayTime).toBe(1700000000999.5);
      expect(frame.captureTime).toBe(DOC_INIT.captureTime);
      expect(frame.seq).toBe(7);
      expect(frame.payload).toEqual(DOC_INIT.payload);
    });

    it('overwrite an earlier stamp', () => {
      const bytes = encodeFrame(DOC_INIT);
      setSourceId(bytes, 0xffffffff);
      setSourceId(bytes, 9);
      expect(decodeFrame(bytes).sourceId).toBe(9);
    });

    it('setSourceId rejects an id that is not a u32, leaving the frame untouched', () => {
      const bytes = encodeFrame(DOC_INIT);
      for (const id of [-1, 2 ** 32, 1.5, Number.NaN]) {
        expectFrameError(() => setSourceId(bytes, id), 'bad-init', `cannot encode frame: sourceId not a u32 [sourceId:${id}]`);
      }
      expect(bytes).toEqual(workedExampleFromDoc());
    });

    it('throw too-short on less than a header', () => {
      expectFrameError(() => setSourceId(new Uint8Array(20), 1), 'too-short', 'frame shorter than its header [bytes:20, needed:40]');
      expectFrameError(() => setRelayTime(new Uint8Array(39), 1), 'too-short', 'frame shorter than its header [bytes:39, needed:40]');
    });
  });

  describe('round trips', () => {
    it('a 640×480 BGRA frame', () => {
      const payload = xorshiftBytes(640 * 480 * 4, 640);
      const init: FrameInit = { codec: Codec.bgra, width: 640, height: 480, seq: 123456, captureTime: 1763740000000.125, payload };
      const bytes = encodeFrame(init);
      expect(bytes.byteLength).toBe(40 + 1_228_800);
      const frame = decodeFrame(bytes);
      expect(frame).toMatchObject({ codec: Codec.bgra, width: 640, height: 480, seq: 123456, captureTime: 1763740000000.125, sourceId: 0 });
      expect(firstDifference(frame.payload, payload)).toBe(-1);
      // zero-copy: the payload is a view of the message
      expect(frame.payload.buffer).toBe(bytes.buffer);
      expect(frame.payload.byteOffset).toBe(HEADER_BYTES);
      expect(frame.payload.byteLength).toBe(1_228_800);
    });

    it('a real JPEG made by sharp, decoded back by sharp', async () => {
      const width = 160;
      const height = 120;
      // A smooth gradient, so JPEG loss stays small and a wrong payload is obvious.
      const rgb = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 3;
          rgb[i] = Math.round((x / width) * 255);
          rgb[i + 1] = Math.round((y / height) * 255);
          rgb[i + 2] = 128;
        }
      }
      const jpeg = new Uint8Array(await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
      const bytes = encodeFrame({ codec: Codec.jpeg, width, height, seq: 1, captureTime: 5.5, payload: jpeg });
      const frame = decodeFrame(bytes);
      expect(frame).toMatchObject({ codec: Codec.jpeg, width, height, seq: 1, captureTime: 5.5 });
      expect(frame.payload).toEqual(jpeg);

      const meta = await sharp(frame.payload).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(width);
      expect(meta.height).toBe(height);
      const { data, info } = await sharp(frame.payload).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(3);
      let error = 0;
      for (let i = 0; i < rgb.length; i++) error += Math.abs(data[i]! - rgb[i]!);
      expect(error / rgb.length).toBeLessThan(4);
    });

    it('sharp RGBA → BGRA frame → RGBA → sharp PNG keeps every pixel', async () => {
      const width = 64;
      const height = 48;
      const rgba = new Uint8Array(
        await sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } }).raw().toBuffer(),
      );
      const frame = decodeFrame(encodeFrame({ codec: Codec.bgra, width, height, payload: rgbaToBgra(rgba) }));
      expect(Array.from(frame.payload.subarray(0, 4))).toEqual([30, 200, 10, rgba[3]]);
      const back = bgraToRgba(frame.payload);
      expect(back).toEqual(rgba);
      const png = await sharp(back, { raw: { width, height, channels: 4 } }).png().toBuffer();
      const decoded = new Uint8Array(await sharp(png).raw().toBuffer());
      expect(decoded).toEqual(rgba);
    });
  });
});

/** Index of the first differing byte, -1 if equal (toEqual is slow on megabytes). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function patch(bytes: Uint8Array, offset: number, values: ArrayLike<number>): Uint8Array {
  bytes.set(values, offset);
  return bytes;
}

function u16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

function audioWithPayload(codec: number, bytes: number): Uint8Array {
  return withPayload(codec === Codec.opus ? OPUS_INIT : PCM_INIT, new Uint8Array(bytes));
}

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function concat(bytes: Uint8Array, extra: number[]): Uint8Array {
  const out = new Uint8Array(bytes.byteLength + extra.length);
  out.set(bytes, 0);
  out.set(extra, bytes.byteLength);
  return out;
}

/** A valid frame's header with a different payload length, prefix kept consistent. */
function withPayload(init: FrameInit, payload: ArrayLike<number>): Uint8Array {
  const header = encodeFrame(init).subarray(0, HEADER_BYTES);
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out.set(header, 0);
  out.set(payload, HEADER_BYTES);
  new DataView(out.buffer).setUint32(0, out.byteLength - PREFIX_BYTES, false);
  return out;
}

function bgraWithPayload(width: number, height: number, bytes: number): Uint8Array {
  const header = withPayload({ codec: Codec.bgra, width: 1, height: 1, payload: new Uint8Array(4) }, new Uint8Array(bytes));
  const view = new DataView(header.buffer);
  view.setUint16(Offset.width, width, false);
  view.setUint16(Offset.height, height, false);
  return header;
}

function bgraHeaderOnly(width: number, height: number): Uint8Array {
  return bgraWithPayload(width, height, 0);
}

function jpegWithPayload(payload: number[]): Uint8Array {
  return withPayload(DOC_INIT, payload);
}

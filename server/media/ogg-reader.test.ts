import { describe, expect, it } from 'vitest';
import { runFfmpeg } from './ffmpeg.ts';
import { OggError, OggFlag, OggReader, oggCrc, type OggPacket } from './ogg-reader.ts';
import { isOpusHead, isOpusTags, opusHead, opusPacketSamples, parseOpusHead } from './opus-packet.ts';

/** The first page of an Ogg Opus stream made by the bundled ffmpeg (libopus, mono, 48 kHz). */
const OPUS_HEAD_PAGE = Uint8Array.of(
  0x4f, 0x67, 0x67, 0x53, //                         capture pattern "OggS"
  0x00, //                                           version 0
  0x02, //                                           header type: first page (BOS)
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // granule position 0 (i64 LE)
  0xf7, 0x7d, 0xa4, 0x1f, //                         serial 0x1fa47df7 (LE)
  0x00, 0x00, 0x00, 0x00, //                         page sequence 0 (LE)
  0x1d, 0xe6, 0xf4, 0x23, //                         CRC-32 0x23f4e61d (LE)
  0x01, //                                           1 segment
  0x13, //                                           lacing: one packet of 19 bytes
  0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, // "OpusHead"
  0x01, //                                           version 1
  0x01, //                                           1 channel
  0x38, 0x01, //                                     pre-skip 312 (LE)
  0x80, 0xbb, 0x00, 0x00, //                         input sample rate 48000 (LE)
  0x00, 0x00, //                                     output gain 0
  0x00, //                                           mapping family 0
);

/** Builds one page with a correct CRC (lacing values as given). */
function page(options: { type?: number; granule?: number; serial?: number; seq?: number; lacing: number[]; data: Uint8Array }): Uint8Array {
  const out = new Uint8Array(27 + options.lacing.length + options.data.byteLength);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0);
  view.setUint8(5, options.type ?? 0);
  view.setBigInt64(6, BigInt(options.granule ?? 0), true);
  view.setUint32(14, options.serial ?? 7, true);
  view.setUint32(18, options.seq ?? 0, true);
  view.setUint8(26, options.lacing.length);
  out.set(options.lacing, 27);
  out.set(options.data, 27 + options.lacing.length);
  view.setUint32(22, oggCrc(out), true);
  return out;
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

function caught(fn: () => unknown): OggError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OggError);
    return error as OggError;
  }
  throw new Error('expected an OggError');
}

describe('OggReader', () => {
  describe('one page', () => {
    it('reads the OpusHead page ffmpeg writes, byte by byte as above', () => {
      const packets = new OggReader().push(OPUS_HEAD_PAGE);
      expect(packets).toHaveLength(1);
      const [head] = packets as [OggPacket];
      expect(head).toMatchObject({ serial: 0x1fa47df7, pageSeq: 0, granule: 0, bos: true, eos: false });
      expect(isOpusHead(head.data)).toBe(true);
      expect(parseOpusHead(head.data)).toEqual({ version: 1, channels: 1, preSkip: 312, inputSampleRate: 48000, outputGain: 0, mappingFamily: 0 });
    });

    it('computes the CRC ffmpeg wrote (field zeroed)', () => {
      const zeroed = OPUS_HEAD_PAGE.slice();
      zeroed.fill(0, 22, 26);
      expect(oggCrc(zeroed)).toBe(0x23f4e61d);
    });

    it('opusHead() writes the same identification header', () => {
      expect(opusHead(1, 312, 48000)).toEqual(OPUS_HEAD_PAGE.subarray(28));
    });
  });

  describe('split input', () => {
    it('reassembles pages fed one byte at a time', () => {
      const stream = new Uint8Array([...OPUS_HEAD_PAGE, ...page({ seq: 1, granule: 960, lacing: [3, 5], data: bytes(8, 1) })]);
      const reader = new OggReader();
      const packets: OggPacket[] = [];
      for (let i = 0; i < stream.byteLength; i++) packets.push(...reader.push(stream.subarray(i, i + 1)));
      reader.end();
      expect(packets.map((p) => p.data.byteLength)).toEqual([19, 3, 5]);
      expect(packets[2]!.data).toEqual(bytes(8, 1).subarray(3));
      expect(packets[2]!.granule).toBe(960);
    });

    it('joins a packet that spans pages (lacing 255 at the end of a page)', () => {
      const big = bytes(600, 9);
      const first = page({ seq: 0, granule: -1, lacing: [255, 255], data: big.subarray(0, 510) });
      const second = page({ seq: 1, type: OggFlag.continued | OggFlag.eos, granule: 1920, lacing: [90, 4], data: new Uint8Array([...big.subarray(510), 1, 2, 3, 4]) });
      const reader = new OggReader();
      expect(reader.push(first)).toEqual([]);
      const packets = reader.push(second);
      expect(packets.map((p) => p.data)).toEqual([big, Uint8Array.of(1, 2, 3, 4)]);
      expect(packets.map((p) => p.eos)).toEqual([false, true]);
    });

    it('a 255-byte packet ends with a 0 lacing value', () => {
      const packets = new OggReader().push(page({ lacing: [255, 0], data: bytes(255, 3) }));
      expect(packets.map((p) => p.data.byteLength)).toEqual([255]);
    });

    it('skips the fragment a continued page opens with when its start was never seen', () => {
      const packets = new OggReader().push(page({ type: OggFlag.continued, seq: 5, lacing: [10, 4], data: bytes(14, 0) }));
      expect(packets.map((p) => p.data.byteLength)).toEqual([4]);
    });

    it('does not keep a view of the caller’s chunk', () => {
      const chunk = page({ lacing: [4], data: Uint8Array.of(1, 2, 3, 4) });
      const [packet] = new OggReader().push(chunk);
      chunk.fill(0);
      expect(packet!.data).toEqual(Uint8Array.of(1, 2, 3, 4));
    });
  });

  describe('errors', () => {
    it('bad capture pattern, as soon as its bytes arrive', () => {
      const error = caught(() => new OggReader().push(Uint8Array.of(0x4f, 0x67, 0x00)));
      expect(error.code).toBe('bad-capture');
      expect(error.message).toBe('no Ogg page here [offset:0, found:0x4f670000, expected:0x4f676753]');
    });

    it('bad version', () => {
      const bad = OPUS_HEAD_PAGE.slice();
      bad[4] = 1;
      const error = caught(() => new OggReader().push(bad));
      expect([error.code, error.message]).toEqual(['bad-version', 'unsupported Ogg version [found:1, supported:0]']);
    });

    it('a flipped payload bit fails the CRC, and the reader stays failed', () => {
      const bad = OPUS_HEAD_PAGE.slice();
      bad[40]! ^= 0x10;
      const reader = new OggReader();
      const error = caught(() => reader.push(bad));
      expect(error.code).toBe('bad-crc');
      expect(error.message).toMatch(/^Ogg page CRC wrong \[page:0, found:0x23f4e61d, computed:0x[0-9a-f]{8}\]$/);
      expect(caught(() => reader.push(OPUS_HEAD_PAGE))).toBe(error);
    });

    it('a stream that ends inside a page', () => {
      const reader = new OggReader();
      reader.push(OPUS_HEAD_PAGE.subarray(0, 30));
      const error = caught(() => reader.end());
      expect([error.code, error.message]).toEqual(['truncated', 'Ogg stream ends inside a page [buffered:30]']);
    });

    it('a packet over maxPacketBytes', () => {
      const reader = new OggReader({ maxPacketBytes: 300 });
      const error = caught(() => reader.push(page({ lacing: [255, 255], data: bytes(510, 0) })));
      expect([error.code, error.message]).toEqual(['too-large', 'Ogg packet too large [bytes:510, max:300]']);
    });

    it('random, truncated and bit-flipped input yields only OggError', () => {
      const valid = new Uint8Array([...OPUS_HEAD_PAGE, ...page({ seq: 1, lacing: [255, 20], data: bytes(275, 4) })]);
      let state = 99;
      const random = (n: number): number => ((state = (state * 1103515245 + 12345) >>> 0) % n);
      for (let round = 0; round < 300; round++) {
        const input = round % 3 === 0 ? Uint8Array.from({ length: random(200) }, () => random(256)) : valid.slice(0, random(valid.byteLength + 1));
        if (round % 3 === 2 && input.byteLength > 0) input[random(input.byteLength)]! ^= 1 << random(8);
        const reader = new OggReader();
        try {
          reader.push(input);
          reader.end();
        } catch (error) {
          expect(error).toBeInstanceOf(OggError);
        }
      }
    });
  });

  describe('ffmpeg libopus output', () => {
    it('1 s of tone: OpusHead, OpusTags, then 20 ms packets whose granules count 48 kHz samples', async () => {
      const ogg = await runFfmpeg([
        '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=1',
        '-c:a', 'libopus', '-b:a', '32000', '-application', 'voip', '-frame_duration', '20', '-page_duration', '20000',
        '-f', 'ogg', 'pipe:1',
      ]);
      const reader = new OggReader();
      // Fed in odd-sized chunks, as a pipe delivers them.
      const packets: OggPacket[] = [];
      for (let at = 0; at < ogg.byteLength; at += 777) packets.push(...reader.push(ogg.subarray(at, at + 777)));
      reader.end();
      expect(isOpusHead(packets[0]!.data)).toBe(true);
      expect(isOpusTags(packets[1]!.data)).toBe(true);
      const { preSkip } = parseOpusHead(packets[0]!.data);
      expect(preSkip).toBe(312);
      const audio = packets.slice(2);
      // 48000 samples + the pre-skip, in 960-sample packets.
      expect(audio).toHaveLength(Math.ceil((48000 + preSkip) / 960));
      let samples = 0;
      for (const [i, packet] of audio.entries()) {
        expect(opusPacketSamples(packet.data)).toBe(960);
        samples += 960;
        // One packet per page: its granule is the samples up to its end (the last one: the trimmed end).
        if (i < audio.length - 1) expect(packet.granule).toBe(samples);
      }
      expect(audio.at(-1)!.eos).toBe(true);
      expect(audio.at(-1)!.granule).toBe(48000 + preSkip);
    });
  });
});

describe('opusPacketSamples', () => {
  it('reads the TOC: config → frame size, code → frame count', () => {
    expect(opusPacketSamples(Uint8Array.of(0x78))).toBe(960); // config 15 (hybrid FB 20 ms), code 0
    expect(opusPacketSamples(Uint8Array.of(0x08))).toBe(960); // config 1 (SILK NB 20 ms), code 0
    expect(opusPacketSamples(Uint8Array.of(0x18))).toBe(2880); // config 3 (SILK NB 60 ms)
    expect(opusPacketSamples(Uint8Array.of(0x81))).toBe(240); // config 16 (CELT NB 2.5 ms), code 1: 2 frames
    expect(opusPacketSamples(Uint8Array.of(0xfb, 0x06))).toBe(5760); // config 31 (CELT FB 20 ms), code 3, 6 frames
    expect(opusPacketSamples(Uint8Array.of(0xfb))).toBeUndefined(); // code 3 without its count byte
    expect(opusPacketSamples(new Uint8Array(0))).toBeUndefined();
  });
});

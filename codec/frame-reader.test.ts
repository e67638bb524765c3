import { describe, expect, it } from 'vitest';
import {
  Codec,
  encodeFrame,
  FrameReader,
  Offset,
  type Frame,
  type FrameInit,
} from './index.ts';
import { expectFrameError } from './test-support/expect-frame-error.ts';
import { mulberry32 } from './test-support/prng.ts';
import { concat } from './test-support/concat.ts';

/** Frames of mixed codecs and sizes, including a minimal one (42 bytes). */
const INITS: FrameInit[] = [
  { codec: Codec.jpeg, width: 2, height: 1, seq: 1, captureTime: 1.25, payload: jpegPayload(5) },
  { codec: Codec.bgra, width: 3, height: 2, seq: 2, captureTime: 2.5, payload: pattern(3 * 2 * 4, 2) },
  { codec: Codec.jpeg, width: 1, height: 1, seq: 3, payload: jpegPayload(2) },
  { codec: Codec.bgra, width: 1, height: 1, seq: 4, sourceId: 77, payload: pattern(4, 4) },
  { codec: Codec.jpeg, width: 640, height: 480, seq: 5, payload: jpegPayload(61) },
];
const FRAMES = INITS.map((init) => encodeFrame(init));
const STREAM = concat(FRAMES);
/** Start offset of each frame in STREAM. */
const STARTS = FRAMES.reduce<number[]>((starts, _frame, i) => [...starts, i === 0 ? 0 : starts[i - 1]! + FRAMES[i - 1]!.byteLength], []);

function jpegPayload(n: number): Uint8Array {
  const out = pattern(n, n);
  out[0] = 0xff;
  out[1] = 0xd8;
  return out;
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

/** Cuts `bytes` at the given points into chunks that each own their memory (a fresh ArrayBuffer). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return chunks;
}

interface Received {
  frame: Frame;
  /** Index of the chunk whose push returned it. */
  chunk: number;
}

function feed(reader: FrameReader, chunks: Uint8Array[]): Received[] {
  const out: Received[] = [];
  chunks.forEach((chunk, i) => {
    for (const frame of reader.push(chunk)) out.push({ frame, chunk: i });
  });
  return out;
}

/** Checks the frames out of a chunked STREAM: all there, in order, intact, copied only when spanning chunks. */
function checkStream(received: Received[], chunks: Uint8Array[]): void {
  expect(received.map((r) => r.frame.seq)).toEqual(INITS.map((init) => init.seq));
  const chunkStarts: number[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    chunkStarts.push(offset);
    offset += chunk.byteLength;
  }
  received.forEach(({ frame, chunk }, i) => {
    const init = INITS[i]!;
    expect(frame.bytes).toEqual(FRAMES[i]);
    expect(frame.payload).toEqual(init.payload);
    expect(frame).toMatchObject({ codec: init.codec, width: init.width, height: init.height, sourceId: init.sourceId ?? 0 });
    const start = STARTS[i]!;
    const end = start + FRAMES[i]!.byteLength;
    const chunkStart = chunkStarts[chunk]!;
    const chunkEnd = chunkStart + chunks[chunk]!.byteLength;
    // The frame ends in the chunk whose push returned it.
    expect(end > chunkStart && end <= chunkEnd, `frame ${i} returned by the chunk it ends in`).toBe(true);
    if (start >= chunkStart) {
      // Wholly inside one chunk: a zero-copy view of that chunk.
      expect(frame.payload.buffer, `frame ${i} not spanning: zero-copy`).toBe(chunks[chunk]!.buffer);
      expect(frame.bytes.byteOffset).toBe(start - chunkStart);
    } else {
      // Spans chunks: copied once into a buffer of exactly its size.
      expect(chunks.some((c) => c.buffer === frame.payload.buffer), `frame ${i} spanning: copied`).toBe(false);
      expect(frame.bytes.buffer.byteLength).toBe(FRAMES[i]!.byteLength);
      expect(frame.payload.buffer).toBe(frame.bytes.buffer);
    }
  });
}

describe('FrameReader', () => {
  describe('whole input', () => {
    it('returns every frame of one chunk, zero-copy', () => {
      const reader = new FrameReader();
      const chunks = [STREAM.slice()];
      checkStream(feed(reader, chunks), chunks);
      expect(reader.bufferedBytes).toBe(0);
      reader.end();
    });

    it('an empty chunk yields nothing and changes nothing', () => {
      const reader = new FrameReader();
      expect(reader.push(new Uint8Array(0))).toEqual([]);
      expect(reader.push(STREAM.subarray(0, 3))).toEqual([]);
      expect(reader.push(new Uint8Array(0))).toEqual([]);
      expect(reader.bufferedBytes).toBe(3);
      expect(reader.push(STREAM.subarray(3)).length).toBe(FRAMES.length);
      expect(reader.bufferedBytes).toBe(0);
    });

    it('reads chunks that are views with a non-zero byteOffset', () => {
      const slab = new Uint8Array(STREAM.byteLength + 20);
      slab.set(STREAM, 7);
      const reader = new FrameReader();
      const mid = STARTS[2]! + 10;
      const frames = [...reader.push(slab.subarray(7, 7 + mid)), ...reader.push(slab.subarray(7 + mid, 7 + STREAM.byteLength))];
      expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(frames[0]!.bytes.byteOffset).toBe(7);
      expect(frames[0]!.payload.buffer).toBe(slab.buffer);
      expect(frames[3]!.payload.buffer).toBe(slab.buffer);
      expect(frames[2]!.payload.buffer).not.toBe(slab.buffer);
    });
  });

  describe('split input', () => {
    it(`reassembles the stream split at every possible point (${STREAM.byteLength + 1} splits)`, () => {
      for (let point = 0; point <= STREAM.byteLength; point++) {
        const reader = new FrameReader();
        const chunks = cut(STREAM, [point]);
        checkStream(feed(reader, chunks), chunks);
        expect(reader.bufferedBytes).toBe(0);
        reader.end();
      }
    });

    it('reassembles the stream split at every pair of points inside the first three frames', () => {
      const limit = STARTS[3]!;
      for (let a = 0; a <= limit; a++) {
        for (let b = a; b <= limit; b += 3) {
          const reader = new FrameReader();
          const chunks = cut(STREAM, [a, b]);
          const received = feed(reader, chunks);
          expect(received.length).toBe(FRAMES.length);
          if (a % 17 === 0) checkStream(received, chunks);
          else expect(received.map((r) => r.frame.seq)).toEqual([1, 2, 3, 4, 5]);
        }
      }
    });

    it('reassembles 1-byte chunks', () => {
      const reader = new FrameReader();
      const chunks = cut(STREAM, Array.from({ length: STREAM.byteLength - 1 }, (_, i) => i + 1));
      const received = feed(reader, chunks);
      checkStream(received, chunks);
      // Every frame completes on its own last byte.
      expect(received.map((r) => r.chunk)).toEqual(FRAMES.map((f, i) => STARTS[i]! + f.byteLength - 1));
    });

    it('reports the buffered bytes while a frame is incomplete', () => {
      const reader = new FrameReader();
      expect(reader.bufferedBytes).toBe(0);
      reader.push(STREAM.subarray(0, 2)); // half a prefix
      expect(reader.bufferedBytes).toBe(2);
      reader.push(STREAM.subarray(2, 20)); // prefix done, part of the header
      expect(reader.bufferedBytes).toBe(20);
      expect(reader.push(STREAM.subarray(20, FRAMES[0]!.byteLength))).toHaveLength(1);
      expect(reader.bufferedBytes).toBe(0);
    });

    it('reassembles random chunkings (seeded)', () => {
      const random = mulberry32(2);
      const long = concat(Array.from({ length: 20 }, () => STREAM));
      for (let round = 0; round < 300; round++) {
        const points: number[] = [];
        const maxChunk = 1 + Math.floor(random() * 200);
        for (let p = Math.floor(random() * maxChunk); p < long.byteLength; p += 1 + Math.floor(random() * maxChunk)) points.push(p);
        const reader = new FrameReader();
        const chunks = cut(long, points);
        const received = feed(reader, chunks);
        expect(received.length).toBe(20 * FRAMES.length);
        for (let i = 0; i < received.length; i++) {
          const j = i % FRAMES.length;
          if (received[i]!.frame.seq !== INITS[j]!.seq || received[i]!.frame.byteLength !== FRAMES[j]!.byteLength) {
            throw new Error(`round ${round}: frame ${i} wrong`);
          }
        }
        expect(reader.bufferedBytes).toBe(0);
      }
    });

    it('copies a big BGRA frame that spans many 64 KiB chunks into one buffer of its size', () => {
      const payload = pattern(640 * 480 * 4, 9);
      const bytes = encodeFrame({ codec: Codec.bgra, width: 640, height: 480, seq: 42, payload });
      const reader = new FrameReader();
      const frames: Frame[] = [];
      for (let pos = 0; pos < bytes.byteLength; pos += 65536) frames.push(...reader.push(bytes.subarray(pos, pos + 65536)));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.seq).toBe(42);
      expect(frames[0]!.bytes.buffer.byteLength).toBe(bytes.byteLength);
      expect(Buffer.from(frames[0]!.payload).equals(Buffer.from(payload))).toBe(true);
    });
  });

  describe('errors', () => {
    it('rejects an over-max declared length as soon as the prefix arrives, buffering nothing', () => {
      const reader = new FrameReader({ maxFrameBytes: 1000 });
      const bytes = new Uint8Array(64 * 1024);
      new DataView(bytes.buffer).setUint32(0, 5000 - 4, false);
      expectFrameError(() => reader.push(bytes), 'too-large', 'frame too large [bytes:5000, max:1000]');
      expect(reader.bufferedBytes).toBe(0);
    });

    it('rejects an over-max length whose prefix spans chunks, holding at most the prefix', () => {
      const reader = new FrameReader();
      const prefix = Uint8Array.from([0xff, 0xff, 0xff, 0xff]);
      expect(reader.push(prefix.subarray(0, 3))).toEqual([]);
      expect(reader.bufferedBytes).toBe(3);
      expectFrameError(() => reader.push(prefix.subarray(3)), 'too-large', 'frame too large [bytes:4294967299, max:8388608]');
      expect(reader.bufferedBytes).toBeLessThanOrEqual(4);
    });

    it('rejects an over-max length after good frames in the same chunk', () => {
      const reader = new FrameReader({ maxFrameBytes: 200 });
      const huge = Uint8Array.from([0x00, 0x10, 0x00, 0x00, 0x46, 0x57]);
      expectFrameError(() => reader.push(concat([FRAMES[0]!, huge])), 'too-large', 'frame too large [bytes:1048580, max:200]');
      expect(reader.bufferedBytes).toBe(0);
    });

    it('rejects a prefix declaring less than a header', () => {
      const reader = new FrameReader();
      expectFrameError(() => reader.push(Uint8Array.from([0, 0, 0, 20, 0x46, 0x57])), 'too-short', 'frame shorter than its header [bytes:24, needed:40]');
    });

    it('validates each frame like decodeFrame', () => {
      const bad = FRAMES[1]!.slice();
      bad[Offset.magic] = 0x12;
      bad[Offset.magic + 1] = 0x34;
      expectFrameError(() => new FrameReader().push(concat([FRAMES[0]!, bad])), 'bad-magic', 'bad magic [found:0x1234, expected:0x4657]');
      // ... also when the bad frame spans chunks
      const reader = new FrameReader();
      reader.push(bad.subarray(0, 10));
      expectFrameError(() => reader.push(bad.subarray(10)), 'bad-magic', 'bad magic [found:0x1234, expected:0x4657]');
    });

    it('applies maxDimension', () => {
      const reader = new FrameReader({ maxDimension: 2 });
      expect(reader.push(FRAMES[0]!)).toHaveLength(1);
      expectFrameError(() => reader.push(FRAMES[1]!), 'bad-dimensions', 'bad dimensions [width:3, height:2, max:2]');
    });

    it('stays failed after an error: every later push throws the same error', () => {
      const reader = new FrameReader({ maxFrameBytes: 100 });
      const huge = Uint8Array.from([0, 0, 1, 0]);
      const first = expectFrameError(() => reader.push(huge), 'too-large', 'frame too large [bytes:260, max:100]');
      expect(() => reader.push(FRAMES[0]!)).toThrow(first);
      expect(() => reader.end()).toThrow(first);
    });

    it('end() inside a frame throws too-short', () => {
      const reader = new FrameReader();
      reader.push(STREAM.subarray(0, FRAMES[0]!.byteLength + 30));
      expectFrameError(() => reader.end(), 'too-short', `frame shorter than its header [bytes:30, needed:${FRAMES[1]!.byteLength}]`);
    });

    it('end() inside a prefix throws too-short', () => {
      const reader = new FrameReader();
      reader.push(STREAM.subarray(0, 2));
      expectFrameError(() => reader.end(), 'too-short', 'frame shorter than its header [bytes:2, needed:4]');
    });

    it('end() between frames is fine', () => {
      const reader = new FrameReader();
      reader.push(STREAM);
      expect(() => reader.end()).not.toThrow();
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  AUDIO_SAMPLE_RATES,
  Codec,
  decodeFrame,
  decodeHeader,
  encodeFrame,
  FrameError,
  FrameReader,
  HEADER_BYTES,
  isAudioCodec,
  MAGIC,
  Offset,
  SUPPORTED_CODECS,
  type Frame,
  type FrameErrorCode,
  type FrameInit,
} from './index.ts';
import { mulberry32 } from './test-support/prng.ts';

const ITERATIONS = 100_000;

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);

function randomInit(random: Random): FrameInit {
  const width = 1 + int(random, 4);
  const height = 1 + int(random, 4);
  let payload: Uint8Array;
  let codec: number;
  const pick = random();
  if (pick < 0.35) {
    codec = Codec.bgra;
    payload = new Uint8Array(width * height * 4);
  } else if (pick < 0.7) {
    codec = Codec.jpeg;
    payload = new Uint8Array(2 + int(random, 40));
  } else {
    // Audio: width/height/samples are sample rate, channels, samples per channel.
    codec = pick < 0.85 ? Codec.opus : Codec.pcm;
    const sampleRate = [8000, 16000, 48000][int(random, 3)]!;
    const channels = 1 + int(random, 2);
    const samples = 1 + int(random, 8);
    payload = new Uint8Array(codec === Codec.pcm ? samples * channels * 2 : 1 + int(random, 40));
    for (let i = 0; i < payload.length; i++) payload[i] = int(random, 256);
    return { codec, width: sampleRate, height: channels, samples, payload, ...randomFields(random) };
  }
  for (let i = 0; i < payload.length; i++) payload[i] = int(random, 256);
  if (codec === Codec.jpeg) payload.set([0xff, 0xd8], 0);
  return { codec, width, height, payload, ...randomFields(random) };
}

function randomFields(random: Random): Pick<FrameInit, 'seq' | 'sourceId' | 'flags' | 'captureTime' | 'relayTime'> {
  return {
    seq: int(random, 2 ** 32),
    sourceId: int(random, 2 ** 32),
    flags: int(random, 2 ** 16),
    captureTime: random() * 2e12,
    relayTime: random() < 0.5 ? 0 : random() * 2e12,
  };
}

/** Random bytes, sometimes with a plausible prefix and magic so the decoder gets further. */
function randomBytes(random: Random): Uint8Array {
  const bytes = new Uint8Array(int(random, 120));
  for (let i = 0; i < bytes.length; i++) bytes[i] = int(random, 256);
  if (bytes.length >= 8 && random() < 0.7) {
    const view = new DataView(bytes.buffer);
    view.setUint32(Offset.length, random() < 0.8 ? bytes.length - 4 : int(random, 2 ** 32), false);
    view.setUint16(Offset.magic, MAGIC, false);
    if (random() < 0.8) bytes[Offset.version] = 1;
    if (random() < 0.8) bytes[Offset.codec] = [1, 2, 6, 7][int(random, 4)]!;
  }
  return bytes;
}

function bitFlipped(random: Random, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const flips = 1 + int(random, 3);
  // Most flips land in the header, where the checks are.
  for (let i = 0; i < flips; i++) {
    const at = random() < 0.8 ? int(random, Math.min(HEADER_BYTES + 2, out.length)) : int(random, out.length);
    out[at]! ^= 1 << int(random, 8);
  }
  return out;
}

/** Invariants every successfully decoded frame must satisfy. */
function checkDecoded(frame: Frame, bytes: Uint8Array): string | null {
  if (frame.bytes !== bytes) return 'bytes not the input';
  if (frame.byteLength !== bytes.byteLength) return 'byteLength';
  if (frame.payload.buffer !== bytes.buffer) return 'payload copied';
  if (frame.payload.byteOffset !== bytes.byteOffset + HEADER_BYTES) return 'payload offset';
  if (frame.payload.byteLength !== bytes.byteLength - HEADER_BYTES) return 'payload length';
  if (!SUPPORTED_CODECS.has(frame.codec)) return 'codec';
  if (isAudioCodec(frame.codec)) {
    if (!AUDIO_SAMPLE_RATES.has(frame.width) || frame.height < 1 || frame.height > 2) return 'audio format';
    if (frame.samples < 1 || frame.samples > (frame.width * 120) / 1000) return 'audio samples';
    if (frame.codec === Codec.pcm && frame.payload.byteLength !== frame.samples * frame.height * 2) return 'pcm size';
    if (frame.codec === Codec.opus && frame.payload.byteLength < 1) return 'opus size';
    return null;
  }
  if (frame.samples !== 0) return 'video samples';
  if (frame.width < 1 || frame.width > 4096 || frame.height < 1 || frame.height > 4096) return 'dimensions';
  if (frame.codec === Codec.bgra && frame.payload.byteLength !== frame.width * frame.height * 4) return 'bgra size';
  if (frame.codec === Codec.jpeg && (frame.payload[0] !== 0xff || frame.payload[1] !== 0xd8)) return 'jpeg SOI';
  return null;
}

/** The code decodeHeader throws for `bytes`, or null if it accepts them. */
function headerErrorCode(bytes: Uint8Array): FrameErrorCode | null {
  try {
    decodeHeader(bytes);
    return null;
  } catch (error) {
    if (error instanceof FrameError) return error.code;
    throw error;
  }
}

function sameFields(frame: Frame, init: FrameInit): boolean {
  return (
    frame.codec === init.codec &&
    frame.width === init.width &&
    frame.height === init.height &&
    frame.samples === (init.samples ?? 0) &&
    frame.seq === init.seq &&
    frame.sourceId === init.sourceId &&
    frame.flags === init.flags &&
    frame.captureTime === init.captureTime &&
    frame.relayTime === init.relayTime
  );
}

describe('fuzz', () => {
  it(`decodeFrame: ${ITERATIONS} random, truncated, bit-flipped and valid inputs throw only FrameError`, () => {
    const random = mulberry32(0xf4a3e);
    const codes = new Map<FrameErrorCode, number>();
    const kinds = { random: 0, truncated: 0, flipped: 0, valid: 0, decoded: 0 };
    const failures: string[] = [];
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const pick = random();
      let bytes: Uint8Array;
      let init: FrameInit | null = null;
      if (pick < 0.25) {
        kinds.random++;
        bytes = randomBytes(random);
      } else if (pick < 0.5) {
        kinds.truncated++;
        const whole = encodeFrame(randomInit(random));
        bytes = whole.subarray(0, int(random, whole.length));
      } else if (pick < 0.9) {
        kinds.flipped++;
        bytes = bitFlipped(random, encodeFrame(randomInit(random)));
      } else {
        kinds.valid++;
        init = randomInit(random);
        bytes = encodeFrame(init);
      }
      // Sometimes a view at an odd offset of a larger buffer, like a Buffer from ws.
      if (random() < 0.3) {
        const offset = 1 + int(random, 7);
        const slab = new Uint8Array(offset + bytes.length + 3);
        slab.set(bytes, offset);
        bytes = slab.subarray(offset, offset + bytes.length);
      }
      const headerCode = headerErrorCode(bytes);
      try {
        const frame = decodeFrame(bytes);
        kinds.decoded++;
        if (headerCode !== null) failures.push(`#${i}: decodeHeader rejected (${headerCode}) what decodeFrame accepted`);
        const broken = checkDecoded(frame, bytes);
        if (broken !== null) failures.push(`#${i}: decoded frame breaks invariant: ${broken}`);
        if (init !== null && !sameFields(frame, init)) failures.push(`#${i}: valid frame did not round-trip`);
      } catch (error) {
        if (!(error instanceof FrameError)) {
          failures.push(`#${i}: threw ${String(error)}`);
          continue;
        }
        if (init !== null) failures.push(`#${i}: valid frame rejected: ${error.message}`);
        // decodeHeader runs the same header checks; only payload checks are decodeFrame's own.
        const payloadCheck = error.code === 'bad-payload-size' || error.code === 'not-jpeg';
        if (payloadCheck ? headerCode !== null : headerCode !== error.code) {
          failures.push(`#${i}: decodeFrame threw ${error.code}, decodeHeader ${headerCode ?? 'accepted'}`);
        }
        if (!/\[.*\]$/.test(error.message)) failures.push(`#${i}: message without context: ${error.message}`);
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      }
    }
    expect(failures).toEqual([]);
    expect(kinds.valid).toBeGreaterThan(ITERATIONS * 0.05);
    expect(kinds.decoded).toBeGreaterThan(kinds.valid);
    // The fuzz reached every check of the decoder.
    expect([...codes.keys()].sort()).toEqual(
      ['bad-audio-format', 'bad-dimensions', 'bad-magic', 'bad-payload-size', 'bad-version', 'length-mismatch', 'not-jpeg', 'too-large', 'too-short', 'unknown-codec'].sort(),
    );
  });

  it('FrameReader: random chunkings of streams with garbage throw only FrameError', () => {
    const random = mulberry32(0xbeef);
    const failures: string[] = [];
    let good = 0;
    for (let round = 0; round < 2000 && failures.length < 5; round++) {
      const parts: Uint8Array[] = [];
      const inits: FrameInit[] = [];
      for (let i = 0, n = 1 + int(random, 6); i < n; i++) {
        const init = randomInit(random);
        inits.push(init);
        parts.push(encodeFrame(init));
      }
      const corrupt = random() < 0.6;
      if (corrupt) {
        const victim = int(random, parts.length);
        parts[victim] = random() < 0.5 ? bitFlipped(random, parts[victim]!) : randomBytes(random);
      }
      const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        stream.set(part, offset);
        offset += part.length;
      }
      const reader = new FrameReader({ maxFrameBytes: 64 * 1024 });
      const frames: Frame[] = [];
      try {
        for (let pos = 0; pos < stream.length; ) {
          const size = 1 + int(random, 90);
          frames.push(...reader.push(stream.subarray(pos, pos + size)));
          pos += size;
        }
        reader.end();
      } catch (error) {
        if (!(error instanceof FrameError)) failures.push(`round ${round}: threw ${String(error)}`);
        else if (!corrupt) failures.push(`round ${round}: valid stream rejected: ${error.message}`);
        continue;
      }
      if (!corrupt) {
        good++;
        if (frames.length !== inits.length || !frames.every((f, i) => sameFields(f, inits[i]!))) {
          failures.push(`round ${round}: valid stream did not round-trip`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(good).toBeGreaterThan(500);
  });
});

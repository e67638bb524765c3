import { describe, expect, it } from 'vitest';
import { Codec, decodeFrame, encodeFrame, type Frame } from '../../codec/index.ts';
import { FrameDecoder, seqAfter } from './decode.ts';
import type { DecodedImage } from './index.ts';

function bgraFrame(seq: number): Frame {
  const payload = new Uint8Array(2 * 1 * 4).fill(seq & 0xff);
  return decodeFrame(encodeFrame({ codec: Codec.bgra, width: 2, height: 1, payload, seq }));
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('FrameDecoder', () => {
  describe('latest wins', () => {
    it('decodes one frame at a time and replaces a waiting frame with a newer one', async () => {
      const decoded: number[] = [];
      const dropped: [number, string][] = [];
      const decoder = new FrameDecoder({
        bgraOutput: 'bgra',
        onDecoded: (_image, frame) => decoded.push(frame.seq),
        onDropped: (frame, why) => dropped.push([frame.seq, why]),
      });
      decoder.push(bgraFrame(1)); // starts decoding
      decoder.push(bgraFrame(2)); // waits
      decoder.push(bgraFrame(3)); // replaces 2
      expect(decoder.busy).toBe(true);
      await tick();
      expect(decoded).toEqual([1, 3]);
      expect(dropped).toEqual([[2, 'replaced']]);
      expect(decoder.busy).toBe(false);
    });

    it('drops a frame older than one already decoded', async () => {
      const decoded: number[] = [];
      const dropped: [number, string][] = [];
      const decoder = new FrameDecoder({ bgraOutput: 'bgra', onDecoded: (_i, f) => decoded.push(f.seq), onDropped: (f, why) => dropped.push([f.seq, why]) });
      decoder.push(bgraFrame(10));
      await tick();
      decoder.push(bgraFrame(9));
      await tick();
      expect(decoded).toEqual([10]);
      expect(dropped).toEqual([[9, 'stale']]);
    });

    it('accepts a restarted sender (a big jump back, e.g. after a reconnect)', async () => {
      const decoded: number[] = [];
      const decoder = new FrameDecoder({ bgraOutput: 'bgra', onDecoded: (_i, f) => decoded.push(f.seq) });
      decoder.push(bgraFrame(50_000));
      await tick();
      decoder.push(bgraFrame(0));
      await tick();
      expect(decoded).toEqual([50_000, 0]);
    });
  });

  it('hands BGRA bytes through untouched for a GPU painter', async () => {
    let image: DecodedImage | undefined;
    const decoder = new FrameDecoder({ bgraOutput: 'bgra', onDecoded: (i) => (image = i) });
    decoder.push(bgraFrame(7));
    await tick();
    expect(image).toMatchObject({ kind: 'bgra', width: 2, height: 1 });
    expect(image?.kind === 'bgra' && Array.from(image.pixels)).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });

  it('stops decoding after close()', async () => {
    const decoded: number[] = [];
    const decoder = new FrameDecoder({ bgraOutput: 'bgra', onDecoded: (_i, f) => decoded.push(f.seq) });
    decoder.close();
    decoder.close();
    decoder.push(bgraFrame(1));
    await tick();
    expect(decoded).toEqual([]);
  });
});

describe('seqAfter', () => {
  it('orders u32 sequence numbers across the wrap', () => {
    expect(seqAfter(2, 1)).toBe(true);
    expect(seqAfter(1, 2)).toBe(false);
    expect(seqAfter(0, 0xffffffff)).toBe(true);
    expect(seqAfter(5, 5)).toBe(false);
  });
});

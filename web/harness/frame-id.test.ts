import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  CELL_COUNT,
  FrameIdError,
  ID_MODULO,
  frameIdCells,
  frameIdCheck,
  frameIdLayout,
  nextFrameId,
  readFrameId,
  writeFrameId,
} from './frame-id.ts';

/** A busy 640×480 RGBA picture: diagonal gradients plus deterministic noise, like camera content. */
function busyPicture(width = 640, height = 480, seed = 1): Uint8Array {
  const pixels = new Uint8Array(width * height * 4);
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      pixels[i] = (x * 255) / width + random() * 60;
      pixels[i + 1] = (y * 255) / height + random() * 60;
      pixels[i + 2] = ((x + y) * 128) / (width + height) + random() * 60;
      pixels[i + 3] = 255;
    }
  }
  return pixels;
}

/** Runs RGBA pixels through sharp (resize and/or JPEG) and returns RGBA pixels again. */
async function degrade(
  pixels: Uint8Array,
  width: number,
  height: number,
  steps: { resize?: [number, number]; jpegQuality?: number },
): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  let image = sharp(pixels, { raw: { width, height, channels: 4 } });
  if (steps.resize) image = image.resize(steps.resize[0], steps.resize[1], { fit: 'fill' });
  if (steps.jpegQuality !== undefined) {
    const jpeg = await image.jpeg({ quality: steps.jpegQuality }).toBuffer();
    image = sharp(jpeg);
  }
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

describe('frame id', () => {
  describe('check code', () => {
    it('is CRC-8/0x07 of the two id bytes', () => {
      // CRC-8 (poly 0x07, init 0) of "12 34" is 0xF1; of "00 00" is 0.
      expect(frameIdCheck(0x1234)).toBe(0xf1);
      expect(frameIdCheck(0)).toBe(0);
    });
  });

  describe('cells', () => {
    it('opens with white then black reference cells, then the id most significant bit first', () => {
      const cells = frameIdCells(0x8001);
      expect(cells).toHaveLength(CELL_COUNT);
      expect(cells.slice(0, 2)).toEqual([true, false]);
      expect(cells.slice(2, 18)).toEqual([true, ...new Array<boolean>(14).fill(false), true]);
    });

    it('takes ids modulo 2^16', () => {
      expect(frameIdCells(ID_MODULO + 5)).toEqual(frameIdCells(5));
      expect(nextFrameId(ID_MODULO - 1)).toBe(0);
    });

    it('lays cells edge to edge over the full width', () => {
      const rects = frameIdLayout(641, 480);
      expect(rects[0]!.x).toBe(0);
      expect(rects.at(-1)!.x + rects.at(-1)!.width).toBe(641);
      for (let i = 1; i < rects.length; i++) expect(rects[i]!.x).toBe(rects[i - 1]!.x + rects[i - 1]!.width);
      expect(rects[0]!.height).toBe(48);
    });
  });

  describe('round trip', () => {
    const ids = [0, 1, 0x5a5a, 0xa5a5, 1234, ID_MODULO - 1];

    it('reads back what it wrote on a clean 640×480 picture', () => {
      for (const id of ids) {
        const pixels = busyPicture();
        writeFrameId(pixels, 640, 480, id);
        expect(readFrameId(pixels, 640, 480)).toBe(id);
      }
    });

    it('survives JPEG quality 50', async () => {
      for (const id of ids) {
        const pixels = busyPicture(640, 480, id + 7);
        writeFrameId(pixels, 640, 480, id);
        const out = await degrade(pixels, 640, 480, { jpegQuality: 50 });
        expect(readFrameId(out.pixels, out.width, out.height)).toBe(id);
      }
    });

    it('survives 640×480 → 320×240 scaling', async () => {
      for (const id of ids) {
        const pixels = busyPicture(640, 480, id + 3);
        writeFrameId(pixels, 640, 480, id);
        const out = await degrade(pixels, 640, 480, { resize: [320, 240] });
        expect(out.width).toBe(320);
        expect(readFrameId(out.pixels, out.width, out.height)).toBe(id);
      }
    });

    it('survives scaling to 320×240 and JPEG quality 50 together, and harsher (160×120, q=20)', async () => {
      for (const id of ids) {
        const pixels = busyPicture(640, 480, id + 11);
        writeFrameId(pixels, 640, 480, id);
        const half = await degrade(pixels, 640, 480, { resize: [320, 240], jpegQuality: 50 });
        expect(readFrameId(half.pixels, half.width, half.height)).toBe(id);
        const quarter = await degrade(pixels, 640, 480, { resize: [160, 120], jpegQuality: 20 });
        expect(readFrameId(quarter.pixels, quarter.width, quarter.height)).toBe(id);
      }
    });

    it('reads a strip cut out on its own with stripFraction 1 (the WebRTC reader draws only the strip)', async () => {
      const pixels = busyPicture();
      writeFrameId(pixels, 640, 480, 4321);
      // Crop the top 48 rows and scale them to 320×24, as the video reader does with drawImage.
      const strip = await sharp(pixels, { raw: { width: 640, height: 480, channels: 4 } })
        .extract({ left: 0, top: 0, width: 640, height: 48 })
        .resize(320, 24, { fit: 'fill' })
        .raw()
        .toBuffer();
      expect(readFrameId(new Uint8Array(strip), 320, 24, { stripFraction: 1 })).toBe(4321);
    });

    it('reads BGRA as well as RGBA (luma is symmetric in red and blue)', () => {
      const pixels = busyPicture();
      writeFrameId(pixels, 640, 480, 777);
      for (let i = 0; i < pixels.length; i += 4) [pixels[i], pixels[i + 2]] = [pixels[i + 2]!, pixels[i]!];
      expect(readFrameId(pixels, 640, 480)).toBe(777);
    });
  });

  describe('rejection', () => {
    it('returns null for a picture without a strip', () => {
      expect(readFrameId(busyPicture(), 640, 480)).toBeNull();
      expect(readFrameId(new Uint8Array(64 * 48 * 4), 64, 48)).toBeNull();
    });

    it('returns null when one data cell is flipped (the check code catches it)', () => {
      const pixels = busyPicture();
      writeFrameId(pixels, 640, 480, 0x1234);
      const rect = frameIdLayout(640, 480)[5]!;
      const white = frameIdCells(0x1234)[5]!;
      for (let y = rect.y; y < rect.y + rect.height; y++) {
        for (let x = rect.x; x < rect.x + rect.width; x++) pixels.fill(white ? 0 : 255, (y * 640 + x) * 4, (y * 640 + x) * 4 + 3);
      }
      expect(readFrameId(pixels, 640, 480)).toBeNull();
    });

    it('rarely accepts random noise (well under 1% of random strips)', () => {
      let accepted = 0;
      for (let seed = 1; seed <= 300; seed++) {
        let state = seed;
        const pixels = new Uint8Array(52 * 40 * 4);
        // Random cell-sized blocks, the worst case for a threshold reader.
        for (let i = 0; i < pixels.length; i += 4) {
          const cell = Math.floor(((i / 4) % 52) / 2);
          state = (state * 1103515245 + 12345 + cell) & 0x7fffffff;
          pixels.fill(state & 0x100 ? 255 : 0, i, i + 4);
        }
        if (readFrameId(pixels, 52, 40) !== null) accepted++;
      }
      expect(accepted).toBeLessThan(3);
    });

    it('throws FrameIdError for pixels that do not match the size', () => {
      expect(() => readFrameId(new Uint8Array(10), 640, 480)).toThrowError(FrameIdError);
      try {
        writeFrameId(new Uint8Array(10 * 10 * 4), 10, 10, 1);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(FrameIdError);
        expect((error as FrameIdError).code).toBe('bad-image');
        expect((error as FrameIdError).message).toBe('image too small for the frame-id strip [width:10, height:10, minWidth:26]');
      }
    });
  });
});

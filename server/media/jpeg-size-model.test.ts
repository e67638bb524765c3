import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Codec } from '../../codec/index.ts';
import { scaledJpeg } from './jpeg.ts';
import { cameraPicture } from './test-support/camera-picture.ts';
import { DEFAULT_BYTES_PER_PIXEL, JpegSizeModel, MAX_QUALITY, MIN_QUALITY, SCALE_LADDER } from './jpeg-size-model.ts';

/** A camera-like 320×240 BGRA picture. */
const picture = (): Uint8Array => cameraPicture(320, 240, 4);

describe('JpegSizeModel', () => {
  describe('choose', () => {
    it('keeps the whole picture while it fits at a good quality', () => {
      const model = new JpegSizeModel();
      const c = model.choose(model.predict(640, 480, 60), 640, 480);
      expect(c).toMatchObject({ scale: 1, width: 640, height: 480, quality: 60 });
      expect(c.bytes).toBeLessThanOrEqual(model.predict(640, 480, 60));
    });

    it('steps down the ladder as the budget shrinks, and its choice fits the budget', () => {
      const model = new JpegSizeModel();
      let lastScale = 1;
      for (const budget of [20_000, 10_000, 5000, 3000, 2000]) {
        const c = model.choose(budget, 640, 480);
        expect(SCALE_LADDER).toContain(c.scale);
        expect(c.scale).toBeLessThanOrEqual(lastScale);
        expect(c.quality).toBeGreaterThanOrEqual(MIN_QUALITY);
        expect(c.quality).toBeLessThanOrEqual(MAX_QUALITY);
        expect(c.bytes, `budget ${budget}`).toBeLessThanOrEqual(budget);
        lastScale = c.scale;
      }
      expect(lastScale).toBeLessThan(1);
    });

    it('ends at the smallest scale and lowest quality when nothing fits (the floor)', () => {
      expect(new JpegSizeModel().choose(100, 640, 480)).toMatchObject({ scale: 1 / 4, width: 160, height: 120, quality: MIN_QUALITY });
    });
  });

  it('seeds from a JPEG source frame and learns the content from sharp’s outputs', () => {
    const model = new JpegSizeModel();
    expect(model.learned).toBe(false);
    expect(model.bytesPerPixel).toBeCloseTo(DEFAULT_BYTES_PER_PIXEL);
    model.seed(640, 480, 60_000);
    expect(model.learned).toBe(true);
    expect(model.predict(640, 480, 75)).toBeCloseTo(60_000, -1);
  });

  it('predicts sharp’s sizes within 35 % once it has learned, so a chosen picture fits its budget', async () => {
    const bgra = picture();
    const frame = { codec: Codec.bgra, width: 320, height: 240, payload: bgra };
    const model = new JpegSizeModel();
    for (const [w, h, q] of [[320, 240, 50], [240, 180, 40], [160, 120, 60]] as const) {
      model.learn(w, h, q, (await scaledJpeg(frame, w, h, q)).byteLength);
    }
    for (const budget of [12_000, 6000, 3000]) {
      const c = model.choose(budget, 320, 240);
      const jpeg = await scaledJpeg(frame, c.width, c.height, c.quality);
      expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: c.width, height: c.height });
      expect(Math.abs(jpeg.byteLength - c.bytes) / jpeg.byteLength, `budget ${budget}: ${JSON.stringify(c)} made ${jpeg.byteLength}`).toBeLessThan(0.35);
      expect(jpeg.byteLength).toBeLessThan(budget * 1.35);
    }
  });
});

describe('scaledJpeg', () => {
  it('re-encodes a JPEG smaller, and refuses codecs it cannot read', async () => {
    const source = await scaledJpeg({ codec: Codec.bgra, width: 320, height: 240, payload: picture() }, 320, 240, 80);
    const small = await scaledJpeg({ codec: Codec.jpeg, width: 320, height: 240, payload: source }, 80, 60, 50);
    expect(await sharp(small).metadata()).toMatchObject({ format: 'jpeg', width: 80, height: 60 });
    expect(small.byteLength).toBeLessThan(source.byteLength);
    await expect(scaledJpeg({ codec: Codec.opus, width: 1, height: 1, payload: new Uint8Array(1) }, 1, 1, 50)).rejects.toThrow(TypeError);
    await expect(scaledJpeg({ codec: Codec.bgra, width: 2, height: 2, payload: new Uint8Array(3) }, 1, 1, 50)).rejects.toThrow(/bgra buffer size wrong/);
  });
});

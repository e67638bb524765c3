import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readFrameId, writeFrameId } from './frame-id.ts';
import { sceneTexture, sensorNoise } from './harness-texture.ts';

async function jpegBytes(pixels: Uint8ClampedArray, width: number, height: number, quality: number): Promise<number> {
  return (await sharp(Buffer.from(pixels.buffer), { raw: { width, height, channels: 4 } }).jpeg({ quality }).toBuffer()).length;
}

describe('harness texture', () => {
  it('is deterministic: the same seed gives the same pixels, another seed others', () => {
    expect(sceneTexture(64, 48)).toEqual(sceneTexture(64, 48));
    expect(sceneTexture(64, 48, { seed: 2 })).not.toEqual(sceneTexture(64, 48));
    expect(sensorNoise(16, 7)).toEqual(sensorNoise(16, 7));
    expect(sensorNoise(16, 7)).not.toEqual(sensorNoise(16, 8));
  });

  it('costs a JPEG encoder what a camera picture does (not the few KB of flat colour)', async () => {
    const bytes = await jpegBytes(sceneTexture(640, 480), 640, 480, 70);
    expect(bytes).toBeGreaterThan(25_000);
    expect(bytes).toBeLessThan(50_000);
  });

  it('keeps the frame-id strip readable after scaling to 160×120 and JPEG q10', async () => {
    const pixels = sceneTexture(640, 480);
    for (const id of [0, 1, 0x1234, 0xffff]) {
      writeFrameId(pixels, 640, 480, id);
      const jpeg = await sharp(Buffer.from(pixels.buffer), { raw: { width: 640, height: 480, channels: 4 } })
        .resize(160, 120, { fit: 'fill' })
        .jpeg({ quality: 10 })
        .toBuffer();
      const { data, info } = await sharp(jpeg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(readFrameId(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height)).toBe(id);
    }
  });

  it('rejects bad sizes with a TypeError', () => {
    expect(() => sceneTexture(0, 10)).toThrow(/texture size must be positive integers \[width:0, height:10\]/);
    expect(() => sensorNoise(1.5, 0)).toThrow(TypeError);
  });
});

/**
 * A camera-like test picture for the transcoding tests: gradients, blocks and seeded noise
 * (deterministic), so sharp's JPEG sizes behave as with real content — a flat colour would
 * compress to nothing and let any size model pass.
 */

/** `width`×`height` pixels of `channels` (3: RGB, 4: BGRA with opaque alpha); `noise` in 0..255 is the noise amplitude. */
export function cameraPicture(width: number, height: number, channels: 3 | 4, noise = 15): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  const shift = 32 - Math.max(1, Math.ceil(Math.log2(noise + 1)));
  let state = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      state = (state * 1103515245 + 12345) >>> 0;
      const n = state >>> shift;
      out[i] = ((x * 255) / width + n) & 255;
      out[i + 1] = ((y * 255) / height + n) & 255;
      out[i + 2] = (((x >> 3) ^ (y >> 3)) * 8 + n) & 255;
      if (channels === 4) out[i + 3] = 255;
    }
  }
  return out;
}

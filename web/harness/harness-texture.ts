/**
 * Texture for the harness's synthetic picture, so that it costs a JPEG encoder what a real
 * camera picture does (≈ 30–40 KB at q70, 640×480) instead of the ~8 KB of flat colour —
 * otherwise a 4 Mbit/s link never congests in a bench. Deterministic: the same seed gives
 * the same pixels on every machine (the thin-link bench redraws the sender's pictures from
 * their frame ids to compare them with what was painted).
 *
 * - `sceneTexture`: a static "room" — value noise over several octaves (walls, objects,
 *   fine detail), drawn once, panned slowly by the harness.
 * - `sensorNoise`: small per-frame grain (a tile seeded by the frame id), like a camera
 *   sensor's; it changes every frame, as real noise does.
 *
 * Pure: RGBA `Uint8ClampedArray`s, no DOM (unit tests measure them with sharp).
 */
import { mulberry32 } from '../../codec/test-support/prng.ts';

/** Options of `sceneTexture`. */
export interface SceneTextureOptions {
  /** Seed of the noise. Default `DEFAULT_TEXTURE_SEED` (1). */
  seed?: number;
  /** Contrast of the detail, 0..1. Default `DEFAULT_TEXTURE_CONTRAST`. */
  contrast?: number;
}

export const DEFAULT_TEXTURE_SEED = 1;
export const DEFAULT_TEXTURE_CONTRAST = 0.42;
/** Amplitude of the sensor grain, ± levels of 255. Default of `sensorNoise`. */
export const DEFAULT_GRAIN_AMPLITUDE = 10;

/** Octaves of the scene: cell size (px) and weight. Coarse shapes, then ever finer detail. */
const OCTAVES: readonly (readonly [cell: number, weight: number])[] = [
  [96, 0.35],
  [32, 0.25],
  [8, 0.2],
  [3, 0.12],
  [1, 0.08],
];

/** A `width`×`height` RGBA picture of textured, coloured value noise. */
export function sceneTexture(width: number, height: number, options: SceneTextureOptions = {}): Uint8ClampedArray<ArrayBuffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TypeError(`texture size must be positive integers [width:${width}, height:${height}]`);
  }
  const contrast = options.contrast ?? DEFAULT_TEXTURE_CONTRAST;
  if (!(contrast >= 0 && contrast <= 1)) throw new TypeError(`contrast must be in [0, 1] [contrast:${contrast}]`);
  const random = mulberry32(options.seed ?? DEFAULT_TEXTURE_SEED);
  // Three channels of luma-ish noise, correlated (mostly grey detail, some colour).
  const luma = new Float32Array(width * height);
  const tint = new Float32Array(width * height);
  for (const [cell, weight] of OCTAVES) {
    addValueNoise(luma, width, height, cell, weight, random);
    if (cell >= 32) addValueNoise(tint, width, height, cell, weight, random);
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, p = 0; i < luma.length; i++, p += 4) {
    const l = 128 + (luma[i]! - 0.5) * 255 * contrast * 2;
    const c = (tint[i]! - 0.3) * 120;
    out[p] = l + c;
    out[p + 1] = l;
    out[p + 2] = l - c;
    out[p + 3] = 255;
  }
  return out;
}

/** A `size`×`size` RGBA tile of grain around mid-grey (128 ± `amplitude`), seeded by `seed` (the frame id). */
export function sensorNoise(size: number, seed: number, amplitude = DEFAULT_GRAIN_AMPLITUDE): Uint8ClampedArray<ArrayBuffer> {
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`noise tile size must be a positive integer [size:${size}]`);
  const random = mulberry32((seed * 2654435761) ^ 0x9e3779b9);
  const out = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < out.length; p += 4) {
    const v = 128 + (random() * 2 - 1) * amplitude;
    out[p] = v;
    out[p + 1] = v;
    out[p + 2] = v;
    out[p + 3] = 255;
  }
  return out;
}

/** Adds bilinear value noise of `cell`-px lattice, scaled by `weight`, to `field`. */
function addValueNoise(field: Float32Array, width: number, height: number, cell: number, weight: number, random: () => number): void {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = random();
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = smooth(gy - y0);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = smooth(gx - x0);
      const a = grid[y0 * gw + x0]!;
      const b = grid[y0 * gw + x0 + 1]!;
      const c = grid[(y0 + 1) * gw + x0]!;
      const d = grid[(y0 + 1) * gw + x0 + 1]!;
      field[y * width + x]! += weight * (a + (b - a) * fx + (c - a + (a - b - c + d) * fx) * fy);
    }
  }
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

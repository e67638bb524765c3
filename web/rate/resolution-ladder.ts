/**
 * The picture sizes the rate controller steps through: the user's size (the ceiling) scaled
 * by 1, 3/4, 1/2, 3/8, 1/4, … down to the floor, aspect ratio kept, sides even (4:2:0
 * chroma). Few, well-spaced rungs: each step is visible, so each must be worth it.
 */

/** A picture size, pixels. */
export interface Size {
  width: number;
  height: number;
}

/** Linear scale of each rung below the ceiling (areas 1, 0.56, 0.25, 0.14, 0.06, …). */
const SCALES = [1, 3 / 4, 1 / 2, 3 / 8, 1 / 4, 3 / 16, 1 / 8, 3 / 32, 1 / 16];

/**
 * Rungs from `ceiling` (first) down to the smallest that still covers `floor` in both
 * sides (last). A ceiling at or below the floor is the only rung.
 */
export function resolutionLadder(ceiling: Size, floor: Size): Size[] {
  const floorScale = Math.min(1, Math.max(floor.width / ceiling.width, floor.height / ceiling.height));
  const rungs: Size[] = [];
  for (const scale of SCALES) {
    if (scale <= floorScale + 1e-9) break;
    rungs.push(scaled(ceiling, scale));
  }
  const last = scaled(ceiling, floorScale);
  if (rungs.length === 0 || last.width !== rungs.at(-1)!.width || last.height !== rungs.at(-1)!.height) rungs.push(last);
  return rungs;
}

function scaled(size: Size, scale: number): Size {
  if (scale === 1) return { width: size.width, height: size.height };
  const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
  return { width: even(size.width * scale), height: even(size.height * scale) };
}

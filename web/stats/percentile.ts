/**
 * The project's one percentile definition: linear interpolation between the closest ranks
 * (NumPy's default, `method='linear'`; Hyndman & Fan type 7). For `n` sorted samples the
 * `p`-th percentile sits at rank `r = p/100 · (n − 1)` (0-based) and is
 * `s[⌊r⌋] + (s[⌈r⌉] − s[⌊r⌋]) · (r − ⌊r⌋)`; p50 is the median (the mean of the middle two
 * for even `n`). Used by the stats overlay (`sliding-window.ts`), the latency harness and
 * every bench. Sorts a copy: the input is never reordered. Pure ECMAScript: no DOM, no Node.
 */

/** A summary of a set of samples, all in the samples' unit (milliseconds for latency). */
export interface Summary {
  /** Number of samples. */
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The `p`-th percentile (0..100) of `sorted` (ascending). NaN for an empty array. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range [p:${p}, min:0, max:100]`);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (rank - below);
}

/** `values` sorted ascending, as a new array (numeric order; NaN last). */
function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The `p`-th percentile (0..100) of `values` in any order. NaN for an empty array. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** Count, min, max, mean, p50, p95 and p99 of `values` (one sort); every figure NaN (count 0) when empty. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  return {
    count: n,
    min: n > 0 ? sorted[0]! : Number.NaN,
    max: n > 0 ? sorted[n - 1]! : Number.NaN,
    mean: n > 0 ? sorted.reduce((total, v) => total + v, 0) / n : Number.NaN,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
  };
}

/**
 * Points of the empirical cumulative distribution of `values`: for each sorted value, the
 * fraction of samples ≤ it. At most `maxPoints` points (evenly thinned, last point kept).
 */
export function cdfPoints(values: ArrayLike<number>, maxPoints = 500): Array<{ value: number; fraction: number }> {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const points: Array<{ value: number; fraction: number }> = [];
  for (let i = step - 1; i < n; i += step) points.push({ value: sorted[i]!, fraction: (i + 1) / n });
  if (points.at(-1)!.fraction !== 1) points.push({ value: sorted[n - 1]!, fraction: 1 });
  return points;
}

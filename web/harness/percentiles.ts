/**
 * Percentiles of latency samples. Linear interpolation between closest ranks (the same
 * definition as NumPy's default), on a sorted copy: the input is never reordered.
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
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range [p:${p}, min:0, max:100]`);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (rank - below);
}

/** The `p`-th percentile (0..100) of `values` in any order. NaN for an empty array. */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/** Count, min, max, mean, p50, p95 and p99 of `values`; every figure NaN (count 0) when empty. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0]! : Number.NaN,
    max: sorted.length ? sorted.at(-1)! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
  };
}

/**
 * Points of the empirical cumulative distribution of `values`: for each sorted value, the
 * fraction of samples ≤ it. At most `maxPoints` points (evenly thinned, last point kept).
 */
export function cdfPoints(values: readonly number[], maxPoints = 500): Array<{ value: number; fraction: number }> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const points: Array<{ value: number; fraction: number }> = [];
  for (let i = step - 1; i < n; i += step) points.push({ value: sorted[i]!, fraction: (i + 1) / n });
  if (points.at(-1)!.fraction !== 1) points.push({ value: sorted[n - 1]!, fraction: 1 });
  return points;
}

/**
 * Medians of bench repeats. Percentiles of samples (and p50/p95/p99 summaries) come from the
 * project's one definition, web/stats/percentile.ts (linear interpolation between closest
 * ranks); the median here is its p50 over the finite values only.
 */
import { percentile } from '../web/stats/percentile.ts';

/**
 * Median of `values` (p50: the mean of the middle two when even), ignoring non-finite
 * values (a failed repeat reports NaN); NaN when none is finite.
 */
export function median(values: readonly number[]): number {
  return percentile(values.filter(Number.isFinite), 50);
}

// The one percentile definition lives below the stages (measure/ needs it too); re-exported here.
import { percentileSorted } from "./percentile.js";

export { percentileSorted };

/** Statistics of one latency population, ms (docs/metrics.md section 3). */
export interface LatencyStats {
  mean: number;
  stddev: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
  /** Percentiles asked for beyond the fixed ones (--percentiles), keyed "p99.9", "p25", ... */
  extra?: Record<string, number>;
  /**
   * Present (false) when the sample outgrew the exact cap (2^20 values) and its percentiles come
   * from an HdrHistogram: within 0.1% + 1 µs of the exact ones (docs/metrics.md); count, min, max exact.
   */
  exact?: false;
}

export const EMPTY_STATS: Readonly<LatencyStats> = Object.freeze({
  mean: 0,
  stddev: 0,
  min: 0,
  p50: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  max: 0,
  count: 0,
});

/**
 * Exact statistics of a sample. Population standard deviation (numpy's default ddof=0).
 * An empty sample yields zeros with count 0 rather than NaN, which JSON cannot carry.
 */
/** The fixed percentiles of LatencyStats; others asked for land in `extra`. */
export const FIXED_PERCENTILES = [50, 90, 95, 99] as const;

/** Key of a percentile: 99.9 -> "p99.9". */
export const percentileKey = (p: number): string => `p${p}`;

/** A percentile of the stats: a fixed field, else `extra`; undefined when not computed. */
export function statPercentile(s: LatencyStats, p: number): number | undefined {
  const key = percentileKey(p);
  return (FIXED_PERCENTILES as readonly number[]).includes(p) ? (s as unknown as Record<string, number>)[key] : s.extra?.[key];
}

export function latencyStats(values: ArrayLike<number>, percentiles: readonly number[] = []): LatencyStats {
  const n = values.length;
  const extraPs = percentiles.filter((p) => !(FIXED_PERCENTILES as readonly number[]).includes(p));
  if (n === 0) return extraPs.length ? { ...EMPTY_STATS, extra: Object.fromEntries(extraPs.map((p) => [percentileKey(p), 0])) } : { ...EMPTY_STATS };
  // Float64Array sorts numerically and in place, without Array#sort's string comparison trap.
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i] - mean) ** 2;
  return {
    mean,
    stddev: Math.sqrt(sq / n),
    min: sorted[0],
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted[n - 1],
    count: n,
    ...(extraPs.length ? { extra: Object.fromEntries(extraPs.map((p) => [percentileKey(p), percentileSorted(sorted, p)])) } : {}),
  };
}

// A pure helper below every stage (as src/splitmix32.ts): the client self-check in measure/ and
// the statistics in aggregate/ both need it, and measure/ must not import aggregate/.

/**
 * Percentile of ascending-sorted values by linear interpolation between the closest ranks
 * (numpy's default method), so figures line up with vLLM's `bench serve` on the same data.
 * `p` is in percent (0..100).
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = ((n - 1) * Math.min(100, Math.max(0, p))) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

import type { GoodputSpec, RequestRecord } from "../types.js";
import { hasBounds, meetsBounds } from "../aggregate/goodput.js";

export interface Slo {
  bounds: GoodputSpec;
  /** Fraction of requests that must meet every bound (failed requests count as missing it). */
  fraction: number;
  /** Largest tolerated fraction of failed requests. */
  maxErrorRate: number;
}

/** Pure: whether a run's measured requests meet the SLO, with a one-line explanation. */
export function checkSlo(records: RequestRecord[], slo: Slo): { meets: boolean; fraction: number; errorRate: number; detail: string } {
  const n = records.length;
  if (n === 0) return { meets: false, fraction: 0, errorRate: 1, detail: "no requests" };
  const failed = records.filter((r) => !r.ok).length;
  const errorRate = failed / n;
  // The same rule as goodput (one copy of it): a request meets the SLO iff it counts as good.
  const good = records.filter((r) => meetsBounds(r, slo.bounds)).length;
  const fraction = good / n;
  const problems: string[] = [];
  if (errorRate > slo.maxErrorRate) problems.push(`${(errorRate * 100).toFixed(1)}% of requests failed (limit ${(slo.maxErrorRate * 100).toFixed(1)}%)`);
  const bounded = hasBounds(slo.bounds);
  if (bounded && fraction < slo.fraction) problems.push(`${(fraction * 100).toFixed(1)}% of requests within bounds (need ${(slo.fraction * 100).toFixed(1)}%)`);
  const detail = problems.length ? problems.join("; ") : bounded ? `${(fraction * 100).toFixed(1)}% of requests within bounds` : "no latency bounds; errors within limit";
  return { meets: problems.length === 0, fraction, errorRate, detail };
}

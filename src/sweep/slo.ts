import type { GoodputSpec, RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { hasBounds, meetsBounds } from "../aggregate/goodput.js";

export interface Slo {
  bounds: GoodputSpec;
  /** Fraction of requests that must meet every bound (failed requests count as missing it). */
  fraction: number;
  /** Largest tolerated fraction of failed requests. */
  maxErrorRate: number;
}

export type SloCheck = { meets: boolean; fraction: number; errorRate: number; detail: string };

/** Pure: whether a run's measured requests meet the SLO, with a one-line explanation. */
export function checkSlo(records: RequestRecord[], slo: Slo): SloCheck {
  // The same rule as goodput (one copy of it): a request meets the SLO iff it counts as good.
  return checkSloCounts({ sent: records.length, failed: records.filter((r) => !r.ok).length, good: records.filter((r) => meetsBounds(r, slo.bounds)).length }, slo);
}

/**
 * Whether a run meets the SLO, from its summary: its goodput block counts the requests within
 * the SLO's bounds (the run must have been made with `goodput: slo.bounds`); without bounds,
 * every completed request is good.
 * @throws Error when the SLO has bounds and the summary's goodput block has other ones
 */
export function checkSloSummary(s: RunSummary, slo: Slo): SloCheck {
  const sent = s.requests.sent;
  if (!hasBounds(slo.bounds)) return checkSloCounts({ sent, failed: s.requests.failed, good: s.requests.completed }, slo);
  const b = s.goodput?.bounds;
  if (!b || b.ttftMs !== slo.bounds.ttftMs || b.tpotMs !== slo.bounds.tpotMs || b.e2eMs !== slo.bounds.e2eMs) throw new Error(`run ${s.id} was not measured with the SLO's bounds as goodput`);
  // fraction = good / sent with good an integer: rounding recovers it exactly.
  return checkSloCounts({ sent, failed: s.requests.failed, good: Math.round(s.goodput!.fraction * sent) }, slo);
}

/** Pure: the SLO check from counts of measured, failed and good (within bounds) requests. */
export function checkSloCounts(c: { sent: number; failed: number; good: number }, slo: Slo): SloCheck {
  const n = c.sent;
  if (n === 0) return { meets: false, fraction: 0, errorRate: 1, detail: "no requests" };
  const errorRate = c.failed / n;
  const fraction = c.good / n;
  const problems: string[] = [];
  if (errorRate > slo.maxErrorRate) problems.push(`${(errorRate * 100).toFixed(1)}% of requests failed (limit ${(slo.maxErrorRate * 100).toFixed(1)}%)`);
  const bounded = hasBounds(slo.bounds);
  if (bounded && fraction < slo.fraction) problems.push(`${(fraction * 100).toFixed(1)}% of requests within bounds (need ${(slo.fraction * 100).toFixed(1)}%)`);
  const detail = problems.length ? problems.join("; ") : bounded ? `${(fraction * 100).toFixed(1)}% of requests within bounds` : "no latency bounds; errors within limit";
  return { meets: problems.length === 0, fraction, errorRate, detail };
}

import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { METRICS, type Stat } from "../aggregate/metricTable.js";

// The metrics compare knows for benchmark runs, derived from the metric table
// (src/aggregate/metricTable.ts): how to read each from a RunSummary, and how to recompute it
// from a run's request records when the interval is over requests.

export type PerRequest =
  /** A statistic of one per-request latency value. */
  | { kind: "latency"; value: (r: RequestRecord) => number | undefined; stat: Stat }
  /** Mean of values pooled over requests (ITL, token-weighted): sum of values / their number. */
  | { kind: "pooled_mean"; values: (r: RequestRecord) => readonly number[] }
  /** Throughput as tokens (or requests) per busy request-second, scaled to the run's figure. */
  | { kind: "rate"; amount: (r: RequestRecord) => number }
  /** Mean of a per-request value (error rate: 1 per failed request). */
  | { kind: "mean"; value: (r: RequestRecord) => number };

export interface MetricDef {
  /** `output_tokens_per_s`; latency statistics as `<key>_<stat>_ms` (`ttft_p99_ms`). */
  name: string;
  unit: string;
  higherIsBetter: boolean;
  from: (s: RunSummary) => number | undefined;
  perRequest?: PerRequest;
  /** Compared only when asked for by name (--metric), to keep the default table short. */
  onRequest?: boolean;
}

/**
 * Every metric of the table that compare knows: first those compared by default, in table
 * order, then those compared on request. The position in this list seeds the bootstrap.
 */
export function benchMetrics(): MetricDef[] {
  const byDefault: MetricDef[] = [];
  const asked: MetricDef[] = [];
  for (const m of METRICS) {
    if (m.kind === "value") {
      if (!m.compare) continue;
      const perRequest: PerRequest | undefined = m.estimator && (m.estimator.kind === "rate" ? { kind: "rate", amount: m.estimator.amount } : { kind: "mean", value: m.estimator.value });
      const def: MetricDef = { name: m.key, unit: m.unit, higherIsBetter: m.better === "higher", from: m.value, ...(perRequest ? { perRequest } : {}) };
      (m.compare === "onRequest" ? asked : byDefault).push(m.compare === "onRequest" ? { ...def, onRequest: true } : def);
      continue;
    }
    if (!m.compare) continue;
    const def = (stat: Stat, onRequest: boolean): MetricDef => {
      const perRequest: PerRequest | undefined = m.perRequest
        ? { kind: "latency", value: m.perRequest, stat }
        : m.pooled && stat === "mean"
          ? { kind: "pooled_mean", values: m.pooled }
          : undefined;
      return {
        ...(onRequest ? { onRequest } : {}),
        name: `${m.key}_${stat}_ms`,
        unit: "ms",
        higherIsBetter: m.better === "higher",
        from: (s) => m.stats(s)?.[stat],
        ...(perRequest ? { perRequest } : {}),
      };
    };
    for (const st of m.compare.stats) byDefault.push(def(st, false));
    // p90 / p95: compared when asked for (--metric ttft_p95_ms), as GuideLLM and AIPerf report them.
    for (const st of m.compare.onRequest ?? []) asked.push(def(st, true));
  }
  return [...byDefault, ...asked];
}

/** The list as of module load (the public API's BENCH_METRICS); compare() itself reads benchMetrics() each time. */
export const BENCH_METRICS: MetricDef[] = benchMetrics();

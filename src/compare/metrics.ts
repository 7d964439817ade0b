import type { RequestRecord, RunSummary } from "../types.js";

// The metrics compare knows for benchmark runs: how to read each from a RunSummary, and how
// to recompute it from a run's request records when the interval is over requests.

export type PerRequest =
  /** A statistic of one per-request latency value. */
  | { kind: "latency"; value: (r: RequestRecord) => number | undefined; stat: "mean" | "p50" | "p90" | "p95" | "p99" }
  /** Mean ITL weighted by tokens: sum of ITLs / number of ITLs. */
  | { kind: "itl_mean" }
  /** Throughput as tokens (or requests) per busy request-second, scaled to the run's figure. */
  | { kind: "rate"; amount: (r: RequestRecord) => number }
  /** Fraction of failed requests. */
  | { kind: "failure" };

export interface MetricDef {
  name: string;
  unit: string;
  higherIsBetter: boolean;
  from: (s: RunSummary) => number | undefined;
  perRequest?: PerRequest;
  /** Compared only when asked for by name (--metric), to keep the default table short. */
  onRequest?: boolean;
}

const e2e = (r: RequestRecord) => (r.ok ? r.e2eMs : undefined);
const latency = (name: string, field: "ttft" | "tpot" | "e2e", stat: "mean" | "p50" | "p90" | "p95" | "p99", value: (r: RequestRecord) => number | undefined, onRequest = false): MetricDef => ({
  ...(onRequest ? { onRequest } : {}),
  name,
  unit: "ms",
  higherIsBetter: false,
  from: (s) => s.latency_ms[field][stat],
  perRequest: { kind: "latency", value, stat },
});

export const BENCH_METRICS: MetricDef[] = [
  { name: "output_tokens_per_s", unit: "tok/s", higherIsBetter: true, from: (s) => s.throughput.output_tokens_per_s, perRequest: { kind: "rate", amount: (r) => (r.ok ? r.outputTokens : 0) } },
  { name: "total_tokens_per_s", unit: "tok/s", higherIsBetter: true, from: (s) => s.throughput.total_tokens_per_s, perRequest: { kind: "rate", amount: (r) => (r.ok ? r.outputTokens + r.inputTokens : 0) } },
  { name: "requests_per_s", unit: "req/s", higherIsBetter: true, from: (s) => s.throughput.requests_per_s, perRequest: { kind: "rate", amount: (r) => (r.ok ? 1 : 0) } },
  { name: "goodput_requests_per_s", unit: "req/s", higherIsBetter: true, from: (s) => s.goodput?.requests_per_s },
  latency("ttft_mean_ms", "ttft", "mean", (r) => (r.ok ? r.ttftMs : undefined)),
  latency("ttft_p50_ms", "ttft", "p50", (r) => (r.ok ? r.ttftMs : undefined)),
  latency("ttft_p99_ms", "ttft", "p99", (r) => (r.ok ? r.ttftMs : undefined)),
  latency("tpot_p50_ms", "tpot", "p50", (r) => (r.ok ? r.tpotMs : undefined)),
  latency("tpot_p99_ms", "tpot", "p99", (r) => (r.ok ? r.tpotMs : undefined)),
  { name: "itl_mean_ms", unit: "ms", higherIsBetter: false, from: (s) => s.latency_ms.itl.mean, perRequest: { kind: "itl_mean" } },
  latency("e2e_p50_ms", "e2e", "p50", e2e),
  latency("e2e_p99_ms", "e2e", "p99", e2e),
  // p90 / p95: compared when asked for (--metric ttft_p95_ms), as GuideLLM and AIPerf report them.
  latency("ttft_p90_ms", "ttft", "p90", (r) => (r.ok ? r.ttftMs : undefined), true),
  latency("ttft_p95_ms", "ttft", "p95", (r) => (r.ok ? r.ttftMs : undefined), true),
  latency("tpot_p90_ms", "tpot", "p90", (r) => (r.ok ? r.tpotMs : undefined), true),
  latency("tpot_p95_ms", "tpot", "p95", (r) => (r.ok ? r.tpotMs : undefined), true),
  latency("e2e_p90_ms", "e2e", "p90", e2e, true),
  latency("e2e_p95_ms", "e2e", "p95", e2e, true),
  { name: "duration_s", unit: "s", higherIsBetter: false, from: (s) => s.duration_s },
  { name: "error_rate", unit: "fraction", higherIsBetter: false, from: (s) => (s.requests.completed + s.requests.failed > 0 ? s.requests.failed / (s.requests.completed + s.requests.failed) : undefined), perRequest: { kind: "failure" } },
];

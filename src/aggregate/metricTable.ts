// The one list of the run-level metrics tokenbench shows. Every output reads it: the console
// table, CSV, the HTML report's summary table and load charts, the UI's run list, compare and
// sweep. A new metric is one entry here (plus its definition in docs/metrics.md and, when it is
// a new quantity, the field that carries it in RunSummary), not one edit per output.
//
// It lives in aggregate/ because it describes what aggregation produces (RunSummary): every
// consumer sits downstream of this stage, so reading it never imports upwards.
import type { LatencyStats, RunSummary } from "./types.js";
import type { RequestRecord } from "../measure/types.js";

/** Which way is better for a metric (compare's verdicts, report wording). */
export type Better = "lower" | "higher";
/** The statistics of a LatencyStats block an output may pick. */
export type Stat = "mean" | "p50" | "p90" | "p95" | "p99";

interface MetricBase {
  /** Field-standard name, as the summary JSON uses it: `ttft`, `output_tokens_per_s`, ... */
  key: string;
  /** Short label for tables and charts: "TTFT", "output tok/s". */
  label: string;
  unit: string;
  better: Better;
  /** One line: what it is (charts' captions, `--help`-style listings). */
  definition: string;
  /** Where docs/metrics.md defines it: `#anchor` of its section (a test checks the heading exists and names the key). */
  doc: string;
  /**
   * Compact views (report summary table, UI run list) show these; console, CSV and compare show
   * every metric. Latency metrics list their statistics (e.g. ["p50", "p99"]); absent: not in compact views.
   */
  brief?: readonly Stat[] | true;
  /** The UI's run list: the one statistic (latency) or true (a value) shown there. */
  list?: Stat | true;
}

/** A latency population of the run summary (a LatencyStats block, milliseconds). */
export interface LatencyMetric extends MetricBase {
  kind: "latency";
  unit: "ms";
  /** The statistics; undefined when the run has no such block (e.g. `ttfo` without reasoning). */
  stats(s: RunSummary): LatencyStats | undefined;
  /** The block exists only for some runs: outputs show it when present (and CSV adds its columns then). */
  optional?: boolean;
  /** Per-request value behind the population (completed requests; compare's bootstrap over requests). */
  perRequest?: (r: RequestRecord) => number | undefined;
  /** Values pooled over requests (ITL: token-weighted): compare's mean is sum / count over resampled requests. */
  pooled?: (r: RequestRecord) => readonly number[];
  /** compare: statistics compared by default, and those compared when asked for by name (--metric). */
  compare?: { stats: readonly Stat[]; onRequest?: readonly Stat[] };
  /** Report: a latency-vs-load chart (p50, p90, p99) per load mode. */
  chart?: boolean;
  /**
   * Report: a throughput-vs-p99 frontier chart and "best configuration by budget" table; the
   * number orders them (1 first: E2E, what a user waits for).
   */
  frontier?: number;
}

/** One number per run (throughput, a fraction, a duration). */
export interface ValueMetric extends MetricBase {
  kind: "value";
  /** The run's figure; undefined when the run does not have it (e.g. goodput without --goodput). */
  value(s: RunSummary): number | undefined;
  /**
   * compare's statistic over requests: `rate` = throughput (amount per request, see
   * docs/metrics.md section 11, "Rate estimator"), `mean` = mean of a per-request value.
   */
  estimator?: { kind: "rate"; amount: (r: RequestRecord) => number } | { kind: "mean"; value: (r: RequestRecord) => number };
  /** Compared by compare: by default (true) or only when asked for by name. */
  compare?: true | "onRequest";
}

export type Metric = LatencyMetric | ValueMetric;

const completed = (f: (r: RequestRecord) => number | undefined) => (r: RequestRecord) => (r.ok ? f(r) : undefined);
const LATENCY_DOC = "#3-statistics-of-a-latency-population-latencystats";
const THROUGHPUT_DOC = "#5-throughput-throughput";

/**
 * Every metric, in the order outputs list them (compare's default table, CSV columns, report
 * columns). Exported mutable so that a test can add a fake entry and see it in every output.
 */
export const METRICS: Metric[] = [
  {
    kind: "value", key: "output_tokens_per_s", label: "output tok/s", unit: "tok/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "output tokens of completed requests per second of the whole window",
    value: (s) => s.throughput.output_tokens_per_s,
    estimator: { kind: "rate", amount: (r) => (r.ok ? r.outputTokens : 0) },
    compare: true, brief: true, list: true,
  },
  {
    kind: "value", key: "total_tokens_per_s", label: "total tok/s", unit: "tok/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "input + output tokens of completed requests per second of the whole window",
    value: (s) => s.throughput.total_tokens_per_s,
    estimator: { kind: "rate", amount: (r) => (r.ok ? r.outputTokens + r.inputTokens : 0) },
    compare: true,
  },
  {
    kind: "value", key: "requests_per_s", label: "req/s", unit: "req/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "completed requests per second of the whole window",
    value: (s) => s.throughput.requests_per_s,
    estimator: { kind: "rate", amount: (r) => (r.ok ? 1 : 0) },
    compare: true, brief: true,
  },
  {
    kind: "value", key: "input_tokens_per_s", label: "input tok/s", unit: "tok/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "input tokens of completed requests per second of the whole window",
    value: (s) => s.throughput.input_tokens_per_s,
  },
  {
    kind: "value", key: "steady_output_tokens_per_s", label: "steady output tok/s", unit: "tok/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "output tokens arriving inside the steady window per second of it",
    value: (s) => s.throughput.steady_output_tokens_per_s,
  },
  {
    kind: "value", key: "steady_requests_per_s", label: "steady req/s", unit: "req/s", better: "higher", doc: THROUGHPUT_DOC,
    definition: "requests completing inside the steady window per second of it",
    value: (s) => s.throughput.steady_requests_per_s,
  },
  {
    kind: "value", key: "goodput_requests_per_s", label: "goodput req/s", unit: "req/s", better: "higher", doc: "#6-goodput-goodput",
    definition: "completed requests meeting every --goodput bound per second of the whole window",
    value: (s) => s.goodput?.requests_per_s,
    compare: true, brief: true,
  },
  {
    kind: "value", key: "goodput_fraction", label: "goodput fraction", unit: "fraction", better: "higher", doc: "#6-goodput-goodput",
    definition: "share of sent requests meeting every --goodput bound",
    value: (s) => s.goodput?.fraction,
  },
  {
    kind: "latency", key: "ttft", label: "TTFT", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "time to first token",
    stats: (s) => s.latency_ms.ttft,
    perRequest: completed((r) => r.ttftMs),
    compare: { stats: ["mean", "p50", "p99"], onRequest: ["p90", "p95"] },
    brief: ["p50", "p90", "p99"], list: "p50", chart: true, frontier: 2,
  },
  {
    kind: "latency", key: "tpot", label: "TPOT", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "time per output token",
    stats: (s) => s.latency_ms.tpot,
    perRequest: completed((r) => r.tpotMs),
    compare: { stats: ["p50", "p99"], onRequest: ["p90", "p95"] },
    brief: ["p50", "p99"], chart: true,
  },
  {
    kind: "latency", key: "itl", label: "ITL", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "inter-token latency",
    stats: (s) => s.latency_ms.itl,
    pooled: (r) => (r.ok ? r.itlMs : []),
    compare: { stats: ["mean"] },
    brief: ["p50", "p99"], chart: true,
  },
  {
    kind: "latency", key: "e2e", label: "E2E", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "end-to-end request latency",
    stats: (s) => s.latency_ms.e2e,
    perRequest: completed((r) => r.e2eMs),
    compare: { stats: ["p50", "p99"], onRequest: ["p90", "p95"] },
    brief: ["p50", "p99"], list: "p99", chart: true, frontier: 1,
  },
  {
    kind: "latency", key: "client_wait", label: "Client wait", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "dispatch (a concurrency slot free) to actual send: the client's own delay",
    stats: (s) => s.latency_ms.client_wait,
  },
  {
    kind: "latency", key: "queue", label: "Queue", unit: "ms", better: "lower", doc: LATENCY_DOC,
    definition: "scheduled arrival to dispatch: waiting in the client for a --max-concurrency slot",
    stats: (s) => s.latency_ms.queue,
    perRequest: (r) => r.queueMs,
  },
  {
    kind: "latency", key: "ttfo", label: "TTFO", unit: "ms", better: "lower", doc: LATENCY_DOC, optional: true,
    definition: "time to first output (non-reasoning) token",
    stats: (s) => s.reasoning?.ttfo_ms,
  },
  {
    kind: "latency", key: "tool_call_ttft", label: "Tool-call TTFT", unit: "ms", better: "lower", doc: LATENCY_DOC, optional: true,
    definition: "time to the first tool-call token",
    stats: (s) => s.tool_calls?.ttft_ms,
  },
  {
    kind: "value", key: "prompt_cache_hit_share", label: "prompt cache hit share", unit: "fraction", better: "lower", doc: "#4-run-summary-runsummary",
    definition: "prompt tokens the server took from its prefix (KV) cache / prompt tokens (servers that report it)",
    value: (s) => s.requests.prompt_cache_hit_share,
  },
  {
    kind: "value", key: "prompt_cache_intended_share", label: "prompt cache intended share", unit: "fraction", better: "lower", doc: "#4-run-summary-runsummary",
    definition: "prompt tokens the workload meant the server to reuse (shared prefix, BOS) / prompt tokens",
    // The reference for the hit share: without one (the server reports no cached tokens) it says nothing.
    value: (s) => (s.requests.prompt_cache_hit_share === undefined ? undefined : s.requests.prompt_cache_intended_share),
  },
  {
    kind: "value", key: "duration_s", label: "duration s", unit: "s", better: "lower", doc: "#4-run-summary-runsummary",
    definition: "first send to last completion of the measured requests",
    value: (s) => s.duration_s,
    compare: true, brief: true,
  },
  {
    kind: "value", key: "error_rate", label: "error rate", unit: "fraction", better: "lower", doc: "#4-run-summary-runsummary",
    definition: "failed / (completed + failed) measured requests",
    value: (s) => (s.requests.completed + s.requests.failed > 0 ? s.requests.failed / (s.requests.completed + s.requests.failed) : undefined),
    estimator: { kind: "mean", value: (r) => (r.ok ? 0 : 1) },
    compare: true,
  },
];

export const latencyMetrics = (): LatencyMetric[] => METRICS.filter((m): m is LatencyMetric => m.kind === "latency");
export const valueMetrics = (): ValueMetric[] => METRICS.filter((m): m is ValueMetric => m.kind === "value");

/** Latency metrics with a frontier chart, in their order (E2E first). */
export const frontierMetrics = (): LatencyMetric[] => latencyMetrics().filter((m) => m.frontier !== undefined).sort((a, b) => a.frontier! - b.frontier!);

/** The entry with this key; throws on a key not in the table (a programming error, never user input). */
export function metricByKey(key: string): Metric {
  const m = METRICS.find((x) => x.key === key);
  if (!m) throw new Error(`no metric "${key}" in the metric table`);
  return m;
}

/** Latency keys accepted by `--percentile-metrics` (vLLM's `e2el` is E2E). */
export function latencyKeyOf(name: string): string | undefined {
  const n = name.trim().toLowerCase();
  const key = n === "e2el" ? "e2e" : n;
  return latencyMetrics().some((m) => m.key === key) ? key : undefined;
}

/** A figure of the run lists (`tokenbench runs`, the UI): the entries marked `list`, in table order. */
export interface ListColumn {
  /** `output_tokens_per_s`, or `<key>_<stat>_ms` for a latency statistic (`ttft_p50_ms`), as compare names them. */
  key: string;
  /** Column heading: "output tok/s", "TTFT p50 ms". */
  title: string;
  value(s: RunSummary): number | null;
}

export function listColumns(): ListColumn[] {
  return METRICS.flatMap((m): ListColumn[] => {
    if (m.list === undefined) return [];
    if (m.kind === "value") return [{ key: m.key, title: m.label, value: (s) => m.value(s) ?? null }];
    const stat = m.list === true ? "p50" : m.list;
    // A run without values (nothing completed) shows an empty cell, not the empty population's 0.
    return [{ key: `${m.key}_${stat}_ms`, title: `${m.label} ${stat} ms`, value: (s) => { const st = m.stats(s); return st?.count ? st[stat] : null; } }];
  });
}

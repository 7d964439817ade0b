import Table from "cli-table3";
import type { LatencyStats, RunSummary } from "../aggregate/types.js";
import { saturationWarning } from "../measure/clientHealth.js";
import { describeLoad, loadFromJson } from "../schedule/shapes/index.js";
import { describeWorkload } from "./workloadText.js";
import { percentileKey, statPercentile } from "../stats.js";
import { latencyMetrics, valueMetrics } from "../aggregate/metricTable.js";

const n2 = (v: number) => v.toFixed(2);

function loadLabel(l: RunSummary["load"]): string {
  const spec = loadFromJson(l);
  return spec ? describeLoad(spec) : l.mode;
}

function requestsLine(s: RunSummary): string {
  const errors = Object.entries(s.requests.errors)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return (
    `${s.requests.completed} completed, ${s.requests.failed} failed${errors ? ` (${errors})` : ""}, ` +
    `${s.requests.length_mismatch} length mismatch` +
    // Old stored summaries have no anomaly count.
    (s.requests.token_count_anomalies ? `, ${s.requests.token_count_anomalies} with contradictory token counts` : "") +
    (s.requests.retried ? `, ${s.requests.retried} retried on a fresh connection` : "") +
    (s.requests.warmup ? `, ${s.requests.warmup} warm-up excluded` : "")
  );
}

function goodputLine(g: NonNullable<RunSummary["goodput"]>): string {
  const b = g.bounds;
  const bounds = [
    b.ttftMs !== undefined ? `TTFT <= ${b.ttftMs} ms` : "",
    b.tpotMs !== undefined ? `TPOT <= ${b.tpotMs} ms` : "",
    b.e2eMs !== undefined ? `E2E <= ${b.e2eMs} ms` : "",
  ].filter(Boolean);
  return `${n2(g.requests_per_s)} req/s (${(g.fraction * 100).toFixed(1)}% of requests; ${bounds.join(", ")})`;
}

const plain = { head: [] as string[], border: [] as string[] };
// No separator between body rows: the tables stay short enough to read at a glance.
const compact = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** Multi-target runs: one row per endpoint (throughputs over the run's whole window, so they add up). */
function endpointTable(endpoints: NonNullable<RunSummary["endpoints"]>): string {
  const t = new Table({
    head: ["Endpoint", "ok", "failed", "req/s", "output tok/s", "TTFT p50", "TTFT p99", "E2E p50", "E2E p99"],
    style: plain,
    chars: compact,
    colAligns: ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
  });
  for (const e of endpoints) {
    const { ttft, e2e } = e.latency_ms;
    t.push([e.target, String(e.requests.completed), String(e.requests.failed), n2(e.throughput.requests_per_s), n2(e.throughput.output_tokens_per_s), n2(ttft.p50), n2(ttft.p99), n2(e2e.p50), n2(e2e.p99)]);
  }
  return t.toString();
}

/**
 * Final per-run table: a header line, the overview (requests, throughput whole and steady,
 * goodput), latency percentiles, and the client warning line when it could not keep up.
 * Plain text (no colour codes), so it reads the same in logs.
 */
export interface RunTableOptions {
  /** Percentile columns (0..100); default 50, 90, 99. Others than p50/p90/p95/p99 must have been computed (BenchmarkOptions.percentiles). */
  percentiles?: readonly number[];
  /** Latency rows to show, by metric-table key (ttft, tpot, itl, e2e, client_wait, ...); default all. */
  metrics?: readonly string[];
}

/**
 * Value metrics the overview's sentences already state (throughput lines, goodput line, duration;
 * the error rate is the Requests line's failed / sent). Any other value metric of the table gets
 * a row of its own, so a new metric shows up here without editing this file.
 */
const IN_OVERVIEW = new Set([
  "duration_s", "requests_per_s", "output_tokens_per_s", "input_tokens_per_s", "total_tokens_per_s",
  "steady_output_tokens_per_s", "steady_requests_per_s", "goodput_requests_per_s", "goodput_fraction", "error_rate",
]);

export function renderRunTable(s: RunSummary, opts: RunTableOptions = {}): string {
  const t = s.throughput;
  // Says where TTFT/E2E start, because peers differ (vLLM: the send; a schedule-origin run includes queueing).
  // Summaries stored before the field existed counted from the schedule; they get no note rather than a wrong one.
  const origin = s.latency_origin === "scheduled" ? "  (latencies from the scheduled arrival)" : s.latency_origin === "sent" ? "  (latencies from the send)" : "";
  const head = `run ${s.id}  ${s.status}  ${s.api}  ${s.model}  ${s.target}  ${loadLabel(s.load)}${origin}`;

  const overview = new Table({ style: plain, chars: compact });
  overview.push(
    { Requests: requestsLine(s) },
    { "Duration (s)": n2(s.duration_s) },
    {
      "Throughput, whole run":
        `${n2(t.requests_per_s)} req/s; tok/s: ${n2(t.output_tokens_per_s)} output, ` +
        `${n2(t.input_tokens_per_s)} input, ${n2(t.total_tokens_per_s)} total`,
    },
  );
  const [w0, w1] = t.steady_window_s;
  overview.push({
    [`Throughput, steady ${n2(w0)}-${n2(w1)} s`]:
      `${n2(t.steady_output_tokens_per_s)} output tok/s, ${n2(t.steady_requests_per_s)} req/s` +
      (t.steady_window_fallback ? ` (= whole window: ${t.steady_window_fallback})` : ""),
  });
  const reasons = Object.entries(s.requests.finish_reasons ?? {});
  if (reasons.length) overview.push({ "Stop reasons": reasons.map(([k, v]) => `${k} ${v}`).join(", ") });
  if (s.goodput) overview.push({ Goodput: goodputLine(s.goodput) });
  if (s.reasoning) {
    const r = s.reasoning;
    overview.push({ Reasoning: `${r.requests} requests: ${r.reasoning_tokens} reasoning + ${r.answer_tokens} answer tokens; time to first answer token p50 ${n2(r.ttfo_ms.p50)} ms` });
  }
  if (s.tool_calls) {
    const c = s.tool_calls;
    overview.push({ "Tool calls": `${c.requests} requests, ${c.tokens} tokens; time to first tool-call token p50 ${n2(c.ttft_ms.p50)} ms` });
  }
  if (s.sessions) {
    const x = s.sessions;
    overview.push({ Sessions: `${x.completed} of ${x.sessions} complete; per session p50 ${n2(x.session_duration_ms.p50)} ms, ${n2(x.input_tokens_per_session.p50)} input + ${n2(x.output_tokens_per_session.p50)} output tokens` });
    overview.push({ "TTFT p50 by turn": x.by_turn.map((t) => `${t.turn + 1}: ${n2(t.ttft_ms.p50)} ms`).join(", ") });
  }
  for (const m of valueMetrics()) {
    const v = m.value(s);
    if (IN_OVERVIEW.has(m.key) || v === undefined) continue;
    // A fraction reads as a percent ("2.0%"), as the goodput line shows its fraction.
    overview.push({ [`${m.label[0].toUpperCase()}${m.label.slice(1)}`]: m.unit === "fraction" ? `${(v * 100).toFixed(1)}%` : `${n2(v)} ${m.unit}` });
  }
  const c = s.client;
  const busy = c.event_loop_utilization !== undefined ? `, loop busy ${(c.event_loop_utilization * 100).toFixed(0)}%` : "";
  const together = c.same_read_pct !== undefined ? `, token events read together ${c.same_read_pct.toFixed(1)}%` : "";
  overview.push({ Client: `event-loop lag p99 ${n2(c.event_loop_lag_ms.p99)} ms, send lag p99 ${n2(c.send_lag_ms.p99)} ms, CPU ${c.cpu_percent.toFixed(0)}%${busy}${together}` });

  const ps = opts.percentiles?.length ? opts.percentiles : [50, 90, 99];
  const lat = new Table({
    head: ["Latency (ms)", "mean", ...ps.map(percentileKey), "n"],
    style: plain,
    chars: compact,
    colAligns: ["left", ...ps.map(() => "right" as const), "right", "right"],
  });
  for (const m of latencyMetrics()) {
    if (opts.metrics && !opts.metrics.includes(m.key)) continue;
    const st: LatencyStats | undefined = m.stats(s);
    // Optional blocks (TTFO) only for runs that have them.
    if (!st) continue;
    const cell = (p: number) => {
      const v = statPercentile(st, p);
      return v === undefined ? "–" : n2(v);
    };
    lat.push([m.label, n2(st.mean), ...ps.map(cell), String(st.count)]);
  }

  const lines = [head];
  if (s.workload) lines.push(`workload: ${describeWorkload(s.workload)}`);
  lines.push(overview.toString(), lat.toString());
  if (s.endpoints?.length) lines.push(endpointTable(s.endpoints));
  const warn = saturationWarning(s.client);
  if (warn) lines.push(warn);
  return lines.join("\n");
}

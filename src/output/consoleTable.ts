import Table from "cli-table3";
import type { LatencyStats, RunSummary } from "../types.js";
import { saturationWarning } from "../measure/clientHealth.js";

const n2 = (v: number) => v.toFixed(2);

function loadLabel(l: RunSummary["load"]): string {
  if (l.mode === "concurrency") return `concurrency ${l.concurrency}`;
  const parts = [`rate ${l.rate === "inf" ? "inf" : l.rate} req/s`, l.arrival ?? ""];
  if (l.burstiness !== undefined) parts.push(`burstiness ${l.burstiness}`);
  if (l.max_concurrency !== undefined) parts.push(`max concurrency ${l.max_concurrency}`);
  return parts.filter(Boolean).join(", ");
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

/**
 * Final per-run table: a header line, the overview (requests, throughput whole and steady,
 * goodput), latency percentiles, and the client warning line when it could not keep up.
 * Plain text (no colour codes), so it reads the same in logs.
 */
export function renderRunTable(s: RunSummary): string {
  const t = s.throughput;
  const head = `run ${s.id}  ${s.status}  ${s.api}  ${s.model}  ${s.target}  ${loadLabel(s.load)}`;

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
  if (s.goodput) overview.push({ Goodput: goodputLine(s.goodput) });
  if (s.reasoning) {
    const r = s.reasoning;
    overview.push({ Reasoning: `${r.requests} requests: ${r.reasoning_tokens} reasoning + ${r.answer_tokens} answer tokens; time to first answer token p50 ${n2(r.ttfo_ms.p50)} ms` });
  }
  if (s.tool_calls) {
    const c = s.tool_calls;
    overview.push({ "Tool calls": `${c.requests} requests, ${c.tokens} tokens; time to first tool-call token p50 ${n2(c.ttft_ms.p50)} ms` });
  }
  overview.push({ Client: `event-loop lag p99 ${n2(s.client.event_loop_lag_ms.p99)} ms, send lag p99 ${n2(s.client.send_lag_ms.p99)} ms, CPU ${s.client.cpu_percent.toFixed(0)}%` });

  const lat = new Table({
    head: ["Latency (ms)", "mean", "p50", "p90", "p99", "n"],
    style: plain,
    chars: compact,
    colAligns: ["left", "right", "right", "right", "right", "right"],
  });
  const rows: Array<[string, LatencyStats]> = [
    ["TTFT", s.latency_ms.ttft],
    ["TPOT", s.latency_ms.tpot],
    ["ITL", s.latency_ms.itl],
    ["E2E", s.latency_ms.e2e],
    ["Client wait", s.latency_ms.client_wait],
  ];
  for (const [name, st] of rows) lat.push([name, n2(st.mean), n2(st.p50), n2(st.p90), n2(st.p99), String(st.count)]);

  const lines = [head, overview.toString(), lat.toString()];
  const warn = saturationWarning(s.client);
  if (warn) lines.push(warn);
  return lines.join("\n");
}

import type { LatencyStats, RunSummary } from "../aggregate/types.js";
import { writeFileAtomic } from "./atomicWrite.js";
import { METRICS } from "../aggregate/metricTable.js";

export type Cell = string | number | boolean | undefined;

const STATS: Array<Exclude<keyof LatencyStats, "extra">> = ["mean", "stddev", "min", "p50", "p90", "p95", "p99", "max", "count"];

/**
 * One flat row per run: the run's identity and request counts, then every metric of the metric
 * table in its order (a value metric: one column named by its key; a latency metric: its
 * statistics, latency_ms.ttft.p99 -> ttft_ms_p99), then the client self-check and sessions.
 */
export function flattenSummary(s: RunSummary): Record<string, Cell> {
  // The load's JSON fields become columns (concurrency, rate, arrival, ...), the legacy ones always present.
  const load = s.load as unknown as Record<string, Cell>;
  const row: Record<string, Cell> = {
    run_id: s.id,
    status: s.status,
    started_at: s.started_at,
    api: s.api,
    model: s.model,
    target: s.target,
    load_mode: s.load.mode,
    concurrency: load.concurrency,
    rate: load.rate,
    arrival: load.arrival,
    burstiness: load.burstiness,
    max_concurrency: load.max_concurrency,
    ...Object.fromEntries(Object.entries(load).filter(([k]) => k !== "mode")),
    requests_sent: s.requests.sent,
    requests_completed: s.requests.completed,
    requests_failed: s.requests.failed,
    requests_length_mismatch: s.requests.length_mismatch,
    requests_token_count_anomalies: s.requests.token_count_anomalies ?? 0,
    requests_warmup: s.requests.warmup,
    requests_retried: s.requests.retried,
    requests_input_length_mismatch: s.requests.input_length_mismatch,
    input_tokens_ratio: s.requests.input_tokens_ratio,
    steady_window_start_s: s.throughput.steady_window_s[0],
    steady_window_end_s: s.throughput.steady_window_s[1],
    steady_window_fallback: s.throughput.steady_window_fallback,
  };
  for (const m of METRICS) {
    if (m.kind === "value") {
      row[m.key] = m.value(s);
      continue;
    }
    const st = m.stats(s);
    // An optional block (TTFO) adds its columns only to runs that have it; toCsv's header is the union.
    if (!st) {
      if (!m.optional) for (const stat of STATS) row[`${m.key}_ms_${stat}`] = undefined;
      continue;
    }
    for (const stat of STATS) row[`${m.key}_ms_${stat}`] = st[stat];
    for (const [k, v] of Object.entries(st.extra ?? {})) row[`${m.key}_ms_${k}`] = v;
  }
  row.client_saturated = s.client.saturated;
  row.client_reasons = s.client.reasons.join("; ");
  row.client_event_loop_lag_ms_p99 = s.client.event_loop_lag_ms.p99;
  row.client_send_lag_ms_p99 = s.client.send_lag_ms.p99;
  row.client_cpu_percent = s.client.cpu_percent;
  row.client_event_loop_utilization = s.client.event_loop_utilization;
  row.client_same_read_pct = s.client.same_read_pct;
  if (s.sessions) {
    row.sessions = s.sessions.sessions;
    row.sessions_completed = s.sessions.completed;
    row.session_duration_ms_p50 = s.sessions.session_duration_ms.p50;
    for (const t of s.sessions.by_turn) row[`turn${t.turn + 1}_ttft_ms_p50`] = t.ttft_ms.p50;
  }
  return row;
}

/** RFC 4180: quote fields holding a comma, quote or line break; double embedded quotes. */
export function csvField(v: Cell): string {
  if (v === undefined) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Header from the union of the rows' keys, in first-seen order; CRLF line ends (RFC 4180). */
export function toCsv(rows: ReadonlyArray<Record<string, Cell>>): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  const out = [columns.map(csvField).join(",")];
  for (const row of rows) out.push(columns.map((c) => csvField(row[c])).join(","));
  return out.join("\r\n") + "\r\n";
}

export function writeCsv(path: string, summaries: readonly RunSummary[]): void {
  writeFileAtomic(path, toCsv(summaries.map(flattenSummary)));
}

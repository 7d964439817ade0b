// The one table a sweep ends with (`tokenbench sweep`, `run --profile sweep`, the report): a row
// per measured load. Every figure is read from the stored RunSummary through the metric table,
// never recomputed, so it matches the per-run tables and the JSON to the digit.
import Table from "cli-table3";
import type { RunSummary, SweepSummaryRow } from "../aggregate/types.js";

export type { SweepSummaryRow };
import { metricByKey, type LatencyMetric, type ValueMetric } from "../aggregate/metricTable.js";
import { loadFromJson, loadLabel } from "../schedule/shapes/index.js";

const value = (key: string, s: RunSummary) => (metricByKey(key) as ValueMetric).value(s);
const stat = (key: string, st: "p50" | "p99", s: RunSummary) => {
  const block = (metricByKey(key) as LatencyMetric).stats(s);
  return block?.count ? block[st] : null;
};

/**
 * Sweep points as rows, ordered along the load: a rate sweep's closed-loop (synchronous) run
 * first, then by offered load, inf last. Pure.
 */
export function sweepSummary(summaries: readonly RunSummary[]): SweepSummaryRow[] {
  const loads = summaries.map((s) => loadFromJson(s.load));
  const hasRate = loads.some((l) => l?.mode === "rate");
  const rows = summaries.map((s, i) => {
    const l = loads[i];
    const rate = l?.mode === "rate" ? (Number.isFinite(l.rate) ? l.rate : "inf") : null;
    const label = l ? loadLabel(l) : s.load.mode;
    const row: SweepSummaryRow = {
      run_id: s.id,
      load: hasRate && l?.mode === "concurrency" && l.concurrency === 1 ? `${label} (synchronous)` : label,
      rate,
      requests_per_s: value("requests_per_s", s) ?? 0,
      output_tokens_per_s: value("output_tokens_per_s", s) ?? 0,
      ttft_p50_ms: stat("ttft", "p50", s),
      ttft_p99_ms: stat("ttft", "p99", s),
      itl_p50_ms: stat("itl", "p50", s),
      itl_p99_ms: stat("itl", "p99", s),
    };
    const goodput = value("goodput_requests_per_s", s);
    if (goodput !== undefined) row.goodput_requests_per_s = goodput;
    const position = rate === "inf" ? Infinity : rate ?? (l && "concurrency" in l ? l.concurrency : 0);
    return { row, rank: [hasRate && rate === null ? 0 : 1, position] as const, i };
  });
  rows.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.i - b.i);
  return rows.map((r) => r.row);
}

/** Column titles and the rows as display strings (console and report); goodput only when some row has it. */
export function sweepTableCells(rows: readonly SweepSummaryRow[]): { columns: string[]; cells: string[][] } {
  const goodput = rows.some((r) => r.goodput_requests_per_s !== undefined);
  const f = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(2));
  const label = (key: string) => metricByKey(key).label;
  const columns = [
    "load", "rate (req/s)", label("requests_per_s"), label("output_tokens_per_s"),
    `${label("ttft")} p50 ms`, `${label("ttft")} p99 ms`, `${label("itl")} p50 ms`, `${label("itl")} p99 ms`,
    ...(goodput ? [label("goodput_requests_per_s")] : []),
  ];
  const cells = rows.map((r) => [
    r.load, r.rate === null ? "–" : String(r.rate), f(r.requests_per_s), f(r.output_tokens_per_s),
    f(r.ttft_p50_ms), f(r.ttft_p99_ms), f(r.itl_p50_ms), f(r.itl_p99_ms),
    ...(goodput ? [f(r.goodput_requests_per_s)] : []),
  ]);
  return { columns, cells };
}

/**
 * The console form: a titled plain-text table. `extra` appends columns a caller knows per run
 * (the sweep search's SLO verdict and choice), keyed by run id; a run it lacks gets blanks.
 */
export function renderSweepTable(rows: readonly SweepSummaryRow[], extra?: { columns: string[]; byRunId: Map<string, string[]> }): string {
  const base = sweepTableCells(rows);
  const columns = [...base.columns, ...(extra?.columns ?? [])];
  const cells = base.cells.map((c, i) => [...c, ...(extra ? extra.byRunId.get(rows[i].run_id) ?? extra.columns.map(() => "") : [])]);
  const t = new Table({
    head: columns,
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    colAligns: columns.map((_, i) => (i === 0 || i >= base.columns.length ? "left" : "right")),
  });
  for (const c of cells) t.push(c);
  return `sweep summary (${rows.length} point${rows.length === 1 ? "" : "s"})\n${t.toString()}`;
}

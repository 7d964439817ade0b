// Summary tables as plain strings; html.ts escapes every cell.
import { likeForLike, type Comparison } from "../compare/types.js";
import { hasCi, verdict } from "./charts/comparison.js";
import { formatLoad } from "./charts/common.js";
import { FRONTIER_METRICS, frontierSegments, pointLabel } from "./charts/frontier.js";
import { fmt, fmtRatio } from "./format.js";
import type { ReportData, ReportRun } from "./model.js";
import type { RunSummary } from "../aggregate/types.js";
import { METRICS } from "../aggregate/metricTable.js";
import { sweepSummary, sweepTableCells } from "../output/sweepTable.js";
import { byConfig } from "./charts/common.js";

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: string[][];
  /** Column indexes holding numbers (right-aligned). */
  numeric: number[];
  note?: string;
}

function loadText(r: ReportRun): string {
  return r.load ? r.load.label : "–";
}

/** Measured vs what the hardware allows (metrics.md section 19), one row per concurrency run. */
export function hardwareTable(h: NonNullable<ReportData["hardware"]>): Table {
  const pct = (x: number | undefined) => (x === undefined ? "–" : `${x.toFixed(0)}%`);
  return {
    id: "hardware",
    title: `Measured vs the hardware limit: ${h.model} on ${h.gpu}`,
    columns: ["run", "concurrency", "TPOT ms", "predicted TPOT ms", "% of limit", "achieved TB/s", "% of HBM", "output tok/s", "predicted tok/s", "% of limit"],
    rows: h.rows.map((r) => [
      r.run, String(r.concurrency), fmt(r.measuredTpotMs), fmt(r.predictedTpotMs), pct(r.tpotPctOfLimit), fmt(r.achievedBandwidth / 1e12), pct(r.bandwidthPct),
      r.measuredOutputTokensPerS === undefined ? "–" : fmt(r.measuredOutputTokensPerS), fmt(r.predictedOutputTokensPerS), pct(r.throughputPctOfLimit),
    ]),
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    note: "Prediction: roofline + continuous batching at the runs' mean prompt and output lengths (tokenbench predict). 100% = at the limit." + (h.skipped.length ? ` Not compared: ${h.skipped.join("; ")}.` : ""),
  };
}

/** Summary per run: its identity, then the metric table's compact (`brief`) figures in table order. */
export function summaryTable(runs: ReportRun[]): Table {
  const cols = briefColumns();
  const columns = ["run", "label", "load", "status", "ok", "failed", ...cols.map((c) => c.title)];
  const rows = runs
    .filter((r) => r.summary)
    .map((r) => {
      const s = r.summary!;
      return [r.id, r.label, loadText(r), r.status, String(s.requests.completed), String(s.requests.failed), ...cols.map((c) => fmt(c.value(s)))];
    });
  return {
    id: "summary",
    title: "Summary per run (latencies in ms)",
    columns,
    rows,
    numeric: columns.map((_, i) => i).filter((i) => i >= 4),
  };
}

/** One column per value metric and per latency statistic that the metric table marks `brief`. */
function briefColumns(): Array<{ title: string; value: (s: RunSummary) => number | undefined }> {
  return METRICS.flatMap((m) => {
    if (!m.brief) return [];
    if (m.kind === "value") return [{ title: m.label, value: m.value }];
    return (m.brief === true ? (["p50", "p99"] as const) : m.brief).map((st) => ({ title: `${m.label} ${st}`, value: (s: RunSummary) => m.stats(s)?.[st] }));
  });
}

/** Runs without a benchmark summary (command cells, runs still running or failed early). */
export function otherRunsTable(runs: ReportRun[]): Table {
  const rows = runs
    .filter((r) => !r.summary)
    .map((r) => [
      r.id, r.label, r.kind, r.status,
      Object.entries(r.extraMetrics).map(([k, v]) => `${k}=${fmt(v)}`).join(", ") || "–",
    ]);
  return { id: "other-runs", title: "Runs without a benchmark summary", columns: ["run", "label", "kind", "status", "metrics"], rows, numeric: [] };
}

export function comparisonTable(cmp: Comparison): Table {
  // At different loads the items are points of a load curve: each is named with its load.
  const label = new Map(cmp.items.map((i) => [i.id, cmp.sameLoad === false && i.load ? `${i.label} @ ${i.load}` : i.label]));
  const like = likeForLike(cmp);
  const rows: string[][] = [];
  for (const m of cmp.metrics) {
    for (const v of m.values) {
      const isBase = v.id === cmp.baseline;
      rows.push([
        m.metric, label.get(v.id) ?? v.id, fmt(v.value, m.unit), isBase ? "baseline" : fmtRatio(v.ratio),
        isBase || !hasCi(v) ? "–" : `${fmtRatio(v.ci95[0])} – ${fmtRatio(v.ci95[1])}`,
        isBase ? "–" : verdict(v.ratio, v.significant, m.higherIsBetter, hasCi(v), like),
      ]);
    }
  }
  return {
    id: "comparison",
    title: `Comparison to ${label.get(cmp.baseline) ?? cmp.baseline}`,
    columns: ["metric", "item", "value", "ratio", "95% CI of ratio", "verdict"],
    rows,
    numeric: [2, 3, 4],
    note:
      (cmp.sameLoad === false ? "The items ran at different loads: a load curve, so differences are higher or lower, not better or worse. " : "") +
      (cmp.warnings?.length ? `Not like for like: ${cmp.warnings.join("; ")}. ` : "") +
      "n.s.: not significant, the 95% confidence interval of the ratio contains 1. no CI: the interval could not be computed (e.g. a per-run figure of a single run).",
  };
}

export function frontierTables(runs: ReportRun[]): Table[] {
  return FRONTIER_METRICS().map(([metric, name]) => {
    const segs = frontierSegments(runs, metric);
    return {
      id: `frontier-${metric}`,
      title: `Best configuration by ${name} budget`,
      columns: [`${name} budget (ms)`, "best configuration", "output tok/s", "at load"],
      rows: segs.map((s) => [
        s.toMs === Infinity ? `≥ ${ms(s.fromMs)}` : `${ms(s.fromMs)} – ${ms(s.toMs)}`,
        s.config,
        fmt(s.throughput),
        pointLabel(s) || (s.load === null ? "–" : formatLoad(s.load)),
      ]),
      numeric: [2],
      note:
        `Each row starts at its point's own ${name} and lasts until a point with more throughput fits. ` +
        `Below ${segs.length ? ms(segs[0].fromMs) : "–"} ms no measured configuration meets the budget. ×N: the mean of N repeats.`,
    };
  });
}

/**
 * The sweep summary (src/output/sweepTable.ts, as the console prints it) per configuration
 * measured at two loads or more: one row per load, figures from the stored summaries.
 */
export function sweepTables(runs: ReportRun[]): Table[] {
  const out: Table[] = [];
  const groups = byConfig(runs.filter((r) => r.summary && r.load));
  for (const [config, rs] of groups) {
    if (new Set(rs.map((r) => r.load!.label)).size < 2) continue;
    const { columns, cells } = sweepTableCells(sweepSummary(rs.map((r) => r.summary!)));
    out.push({
      id: `sweep-${out.length + 1}`,
      title: groups.size > 1 ? `Sweep summary: ${config}` : "Sweep summary",
      columns,
      rows: cells,
      numeric: columns.map((_, i) => i).filter((i) => i >= 1),
      note: "One row per run, in load order; rate: the offered request rate, req/s: the rate achieved. Latencies in ms.",
    });
  }
  return out;
}

export function errorsTable(runs: ReportRun[]): Table {
  const rows = runs.flatMap((r) => r.errors.map((e) => [r.id, r.label, e.kind, String(e.count), e.sample]));
  return { id: "errors", title: "Failed requests by kind (first message of each kind)", columns: ["run", "label", "kind", "count", "first message"], rows, numeric: [3] };
}

/** Budget bounds need a decimal more than other figures: neighbouring runs are often < 1 ms apart. */
function ms(x: number): string {
  return x >= 1000 ? x.toFixed(0) : x.toFixed(1);
}

// Throughput against tail latency across configurations: which config wins at which budget.
import type { ChartSpec, ReportRun } from "../model.js";
import { frontier, mergeRepeats, round3, type FrontierCandidate, type FrontierSegment } from "../series.js";
import { baseOption, byConfig, chart, colorOf, NEUTRAL, valueAxis } from "./common.js";
import { frontierMetrics, latencyMetrics } from "../../aggregate/metricTable.js";

/** [metric key, label] per frontier chart, from the metric table (entries with `frontier`). */
export const FRONTIER_METRICS = (): Array<[string, string]> => frontierMetrics().map((m) => [m.key, `${m.label} p99`]);
/** A latency metric's key (metric table). */
export type FrontierMetric = string;

const statsOf = (key: string) => latencyMetrics().find((m) => m.key === key)!.stats;

/**
 * One candidate per (configuration, load) with a summary: (p99 latency, output tokens/s), the
 * mean over its repeats (`repeats` says how many).
 */
export function frontierCandidates(runs: ReportRun[], metric: FrontierMetric): FrontierCandidate[] {
  const stats = statsOf(metric);
  return mergeRepeats(runs
    .filter((r) => r.summary && (stats(r.summary)?.count ?? 0) > 0)
    .map((r) => ({
      config: r.config,
      latencyMs: stats(r.summary!)!.p99,
      throughput: r.summary!.throughput.output_tokens_per_s,
      load: r.load?.value ?? null,
      loadLabel: r.load?.label ?? "",
    })));
}

/** A point's name next to it and in the budget table: its load, "×N" when N repeats were averaged. */
export function pointLabel(p: { loadLabel?: string; repeats?: number }): string {
  return `${p.loadLabel ?? ""}${(p.repeats ?? 1) > 1 ? ` ×${p.repeats}` : ""}`.trim();
}

export function frontierChart(runs: ReportRun[], metric: FrontierMetric, label: string): ChartSpec {
  const color = colorOf(runs.map((r) => r.config));
  const candidates = frontierCandidates(runs, metric);
  const { pareto } = frontier(candidates);
  const series: unknown[] = [];
  for (const [config] of byConfig(runs)) {
    const pts = candidates
      .filter((c) => c.config === config)
      .sort((a, b) => (a.load ?? 0) - (b.load ?? 0) || a.latencyMs - b.latencyMs);
    series.push({
      name: config,
      type: "line",
      data: pts.map((p) => [round3(p.latencyMs), round3(p.throughput), pointLabel(p)]),
      symbolSize: 9,
      lineStyle: { width: 1.5, color: color(config), opacity: 0.7 },
      itemStyle: { color: color(config) },
      label: { show: true, position: "top", formatter: "{@[2]}", fontSize: 10, color: "#555" },
    });
  }
  if (pareto.length > 0) {
    series.push({
      name: "frontier (best at budget)",
      type: "line",
      step: "end",
      // Held flat to the slowest run: beyond the last frontier point the budget buys nothing more.
      data: [
        ...pareto.map((p) => [round3(p.latencyMs), round3(p.throughput)]),
        [round3(Math.max(...candidates.map((c) => c.latencyMs))), round3(pareto[pareto.length - 1].throughput)],
      ],
      symbol: "none",
      lineStyle: { width: 2, type: "dashed", color: NEUTRAL },
      itemStyle: { color: NEUTRAL },
      z: 1,
    });
  }
  const option = {
    ...baseOption({}),
    tooltip: { trigger: "item", confine: true },
    // Latency axis fitted to the data (not from 0): configurations often differ by a few percent.
    xAxis: valueAxis(`${label} latency (ms)`, { scale: true }),
    yAxis: valueAxis("output tokens/s", { nameGap: 52 }),
    series,
  };
  return chart(
    `frontier-${metric}`,
    "frontier",
    `Output tokens/s vs ${label} latency`,
    "Each point is a load of a configuration, labelled with it (×N: the mean of N repeats). The dashed step is the best throughput reachable within a latency budget: up and left is better.",
    option,
    380,
  );
}

export function frontierSegments(runs: ReportRun[], metric: FrontierMetric): FrontierSegment[] {
  return frontier(frontierCandidates(runs, metric)).segments;
}

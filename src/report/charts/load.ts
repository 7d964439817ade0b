// Throughput and latency percentiles against the offered load, one curve per configuration.
import type { ChartSpec, LoadPoint, ReportRun } from "../model.js";
import { LOAD_MODES } from "../../schedule/shapes/index.js";
import type { RunSummary } from "../../aggregate/types.js";
import { round3 } from "../series.js";
import { latencyMetrics, type LatencyMetric } from "../../aggregate/metricTable.js";
import { baseOption, byConfig, chart, colorOf, loadAxisName, mean, valueAxis } from "./common.js";

type Metric = (s: RunSummary) => number | undefined;

/** The latency metrics charted against load (metric-table entries with `chart`). */
const charted = (): LatencyMetric[] => latencyMetrics().filter((m) => m.chart);
const PERCENTILES = [
  ["p50", "solid"],
  ["p90", "dashed"],
  ["p99", "dotted"],
] as const;

interface Curve {
  config: string;
  /** [x on the load axis, mean over repeats, load label], sorted by x. */
  points: Array<[number, number, string]>;
}

/** Where a run sits on the load axis of `mode`; null when it is not on that axis. */
function loadX(r: ReportRun, mode: LoadPoint["mode"], rateConfigs: Set<string>): { x: number; label: string } | null {
  const l = r.load!;
  const achieved = r.summary!.throughput.requests_per_s;
  // A --profile sweep's synchronous run (c=1) is a rate curve's zero-queueing end; it, and "inf"
  // (no offered rate to plot), sit at the request rate they achieved.
  if (mode === "rate" && l.mode === "concurrency" && l.value === 1 && rateConfigs.has(r.config)) return achieved > 0 ? { x: achieved, label: "sync" } : null;
  if (l.mode !== mode) return null;
  if (Number.isFinite(l.value)) return { x: l.value, label: l.label };
  return mode === "rate" && achieved > 0 ? { x: achieved, label: "inf" } : null;
}

/** Configurations with rate runs: their c=1 run is drawn on the rate axis as "sync". */
function rateConfigsOf(runs: ReportRun[]): Set<string> {
  return new Set(runs.filter((r) => r.summary && r.load?.mode === "rate").map((r) => r.config));
}

/** Mean of `metric` per (config, load), placed on a numeric load axis (see loadX). */
export function curves(runs: ReportRun[], mode: LoadPoint["mode"], metric: Metric): { loads: number[]; labels: number; curves: Curve[] } {
  const rateConfigs = rateConfigsOf(runs);
  const placed = runs.filter((r) => r.summary && r.load).flatMap((r) => {
    const at = loadX(r, mode, rateConfigs);
    return at ? [{ r, ...at }] : [];
  });
  const out: Curve[] = [];
  for (const [config] of byConfig(placed.map((p) => p.r))) {
    const byLoad = new Map<string, Array<{ x: number; y: number }>>();
    for (const p of placed) {
      if (p.r.config !== config) continue;
      const y = metric(p.r.summary!);
      if (typeof y !== "number" || !Number.isFinite(y)) continue;
      byLoad.set(p.label, [...(byLoad.get(p.label) ?? []), { x: p.x, y }]);
    }
    const points = [...byLoad].map(([label, xs]) => [round3(mean(xs.map((v) => v.x))), round3(mean(xs.map((v) => v.y))), label] as [number, number, string]);
    out.push({ config, points: points.sort((a, b) => a[0] - b[0]) });
  }
  const loads = [...new Set(out.flatMap((c) => c.points.map((p) => p[0])))].sort((a, b) => a - b);
  return { loads, labels: new Set(out.flatMap((c) => c.points.map((p) => p[2]))).size, curves: out };
}

/**
 * The numeric load axis: log2 when the loads span 16× or more (1..512 concurrency would
 * otherwise crowd the low loads into the first pixels), linear from 0 below that.
 */
export function loadAxis(mode: LoadPoint["mode"], loads: number[]): Record<string, unknown> {
  const lo = Math.min(...loads);
  const hi = Math.max(...loads);
  return lo > 0 && hi / lo >= 16 ? valueAxis(loadAxisName(mode), { type: "log", logBase: 2, min: lo / 1.2, max: hi * 1.2 }) : valueAxis(loadAxisName(mode));
}

/** A curve's points as ECharts data; the points placed at their achieved rate (sync, inf) are labelled unless `labelled` is false. */
function lineData(c: Curve, labelled = true): unknown[] {
  return c.points.map(([x, y, label]) =>
    labelled && (label === "sync" || label === "inf") ? { value: [x, y], label: { show: true, position: "top", formatter: label, fontSize: 10, color: "#555" } } : [x, y],
  );
}

export function loadModes(runs: ReportRun[]): LoadPoint["mode"][] {
  const rateConfigs = rateConfigsOf(runs);
  return LOAD_MODES.filter((m) =>
    // A concurrency axis holding only sweeps' synchronous runs says nothing the rate axis does not.
    runs.some((r) => r.summary && r.load?.mode === m && !(m === "concurrency" && r.load.value === 1 && rateConfigs.has(r.config))),
  );
}

/** The one load of a single-load chart, as its label. */
function singleLabel(cs: Curve[]): string {
  return cs.find((c) => c.points.length)?.points[0][2] ?? "";
}

const PLACED_NOTE = " On the rate axis a sweep's synchronous run (sync, c=1) and its inf run sit at the request rate they achieved.";

export function throughputVsLoad(runs: ReportRun[], mode: LoadPoint["mode"]): ChartSpec {
  const color = colorOf(runs.map((r) => r.config));
  const { loads, labels, curves: cs } = curves(runs, mode, (s) => s.throughput.output_tokens_per_s);
  // A single load has no curve: grouped bars compare the configurations at that load.
  const bars = labels === 1;
  const option = {
    ...baseOption({}),
    xAxis: bars ? { ...valueAxis(loadAxisName(mode)), type: "category", boundaryGap: true, data: [singleLabel(cs)] } : loadAxis(mode, loads),
    yAxis: valueAxis("output tokens/s", { nameGap: 52 }),
    series: cs.map((c) =>
      bars
        ? { name: c.config, type: "bar", data: [c.points.length ? Math.round(c.points[0][1] * 10) / 10 : null], barMaxWidth: 56, itemStyle: { color: color(c.config) }, label: { show: true, position: "top", fontSize: 11 } }
        : {
            name: c.config,
            type: "line",
            data: lineData(c),
            symbolSize: 8,
            lineStyle: { width: 2.5, color: color(c.config) },
            itemStyle: { color: color(c.config) },
          },
    ),
  };
  return chart(
    `throughput-${mode}`,
    "load",
    bars ? `Output throughput at ${singleLabel(cs)}` : `Output throughput vs ${mode}`,
    bars
      ? "Mean output tokens/s over the run per configuration (mean over repeats)."
      : "Mean output tokens/s over the run at each load (mean over repeats). A curve that flattens marks saturation." + (mode === "rate" ? PLACED_NOTE : ""),
    option,
  );
}

export function latencyVsLoad(runs: ReportRun[], mode: LoadPoint["mode"]): ChartSpec[] {
  const color = colorOf(runs.map((r) => r.config));
  const singleLoad = curves(runs, mode, () => 0).labels === 1;
  return charted().map((m) => {
    const { key, label: short, definition: long } = m;
    if (singleLoad) return latencyBars(runs, mode, m, color);
    const series: unknown[] = [];
    let loads: number[] = [];
    for (const [p, dash] of PERCENTILES) {
      const res = curves(runs, mode, (s) => { const st = m.stats(s); return st?.count ? st[p] : undefined; });
      loads = res.loads;
      for (const c of res.curves) {
        series.push({
          // One configuration: the legend only needs to tell the percentiles apart.
          name: res.curves.length === 1 ? p : `${c.config} ${p}`,
          type: "line",
          // Labelled once per configuration (the p99 line, on top): three stacked labels overlap.
          data: lineData(c, p === "p99"),
          symbol: p === "p50" ? "circle" : p === "p90" ? "triangle" : "diamond",
          symbolSize: 7,
          lineStyle: { width: 2, type: dash, color: color(c.config) },
          itemStyle: { color: color(c.config) },
        });
      }
    }
    const option = {
      ...baseOption({}),
      xAxis: loadAxis(mode, loads),
      yAxis: valueAxis(`${short} (ms)`, { nameGap: 52 }),
      series,
    };
    return chart(
      `latency-${key}-${mode}`,
      "load",
      `${short} percentiles vs ${mode}`,
      `${long[0].toUpperCase()}${long.slice(1)}: p50 solid, p90 dashed, p99 dotted; one colour per configuration.` + (mode === "rate" ? PLACED_NOTE : ""),
      option,
    );
  });
}

/** One load only: percentiles on the x axis, one bar per configuration. */
function latencyBars(
  runs: ReportRun[],
  mode: LoadPoint["mode"],
  m: LatencyMetric,
  color: (k: string) => string,
): ChartSpec {
  const { key, label: short, definition: long } = m;
  const per = PERCENTILES.map(([p]) => curves(runs, mode, (s) => { const st = m.stats(s); return st?.count ? st[p] : undefined; }));
  const option = {
    ...baseOption({}),
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
    xAxis: { type: "category", data: PERCENTILES.map(([p]) => p), axisLabel: { fontSize: 12 } },
    yAxis: valueAxis(`${short} (ms)`, { nameGap: 52 }),
    series: per[0].curves.map((c, i) => ({
      name: c.config,
      type: "bar",
      barMaxWidth: 40,
      data: per.map((x) => x.curves[i].points[0]?.[1] ?? null),
      itemStyle: { color: color(c.config) },
    })),
  };
  return chart(
    `latency-${key}-${mode}`,
    "load",
    `${short} percentiles at ${singleLabel(per[0].curves)}`,
    `${long[0].toUpperCase()}${long.slice(1)}: p50, p90 and p99 per configuration (mean over repeats).`,
    option,
  );
}

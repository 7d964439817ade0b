// Throughput and latency percentiles against the offered load, one curve per configuration.
import type { ChartSpec, LoadPoint, ReportRun } from "../model.js";
import { LOAD_MODES } from "../../schedule/shapes/index.js";
import type { RunSummary } from "../../aggregate/types.js";
import { round3 } from "../series.js";
import { latencyMetrics, type LatencyMetric } from "../../aggregate/metricTable.js";
import { baseOption, byConfig, chart, colorOf, formatLoad, loadAxisName, mean, valueAxis } from "./common.js";

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
  /** Category index -> mean over repeats, null where this config has no run at that load. */
  values: Array<number | null>;
}

/** Mean of `metric` per (config, load); loads become the categories of the x axis. */
export function curves(runs: ReportRun[], mode: LoadPoint["mode"], metric: Metric): { loads: number[]; curves: Curve[] } {
  const atMode = runs.filter((r) => r.summary && r.load?.mode === mode);
  const loads = [...new Set(atMode.map((r) => r.load!.value))].sort((a, b) => a - b);
  const out: Curve[] = [];
  for (const [config, rs] of byConfig(atMode)) {
    const values = loads.map((l) => {
      const xs = rs.filter((r) => r.load!.value === l).map((r) => metric(r.summary!)).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
      return xs.length ? round3(mean(xs)) : null;
    });
    out.push({ config, values });
  }
  return { loads, curves: out };
}

export function loadModes(runs: ReportRun[]): LoadPoint["mode"][] {
  return LOAD_MODES.filter((m) => runs.some((r) => r.summary && r.load?.mode === m));
}

export function throughputVsLoad(runs: ReportRun[], mode: LoadPoint["mode"]): ChartSpec {
  const color = colorOf(runs.map((r) => r.config));
  const { loads, curves: cs } = curves(runs, mode, (s) => s.throughput.output_tokens_per_s);
  // A single load has no curve: grouped bars compare the configurations at that load.
  const bars = loads.length === 1;
  const option = {
    ...baseOption({}),
    xAxis: { ...valueAxis(loadAxisName(mode)), type: "category", boundaryGap: bars, data: loads.map(formatLoad) },
    yAxis: valueAxis("output tokens/s", { nameGap: 52 }),
    series: cs.map((c) =>
      bars
        ? { name: c.config, type: "bar", data: c.values.map((v) => (v === null ? null : Math.round(v * 10) / 10)), barMaxWidth: 56, itemStyle: { color: color(c.config) }, label: { show: true, position: "top", fontSize: 11 } }
        : {
            name: c.config,
            type: "line",
            data: c.values,
            connectNulls: true,
            symbolSize: 8,
            lineStyle: { width: 2.5, color: color(c.config) },
            itemStyle: { color: color(c.config) },
          },
    ),
  };
  return chart(
    `throughput-${mode}`,
    "load",
    bars ? `Output throughput at ${mode} ${formatLoad(loads[0])}` : `Output throughput vs ${mode}`,
    bars
      ? "Mean output tokens/s over the run per configuration (mean over repeats)."
      : "Mean output tokens/s over the run at each load (mean over repeats). A curve that flattens marks saturation.",
    option,
  );
}

export function latencyVsLoad(runs: ReportRun[], mode: LoadPoint["mode"]): ChartSpec[] {
  const color = colorOf(runs.map((r) => r.config));
  const singleLoad = curves(runs, mode, () => 0).loads.length === 1;
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
          data: c.values,
          connectNulls: true,
          symbol: p === "p50" ? "circle" : p === "p90" ? "triangle" : "diamond",
          symbolSize: 7,
          lineStyle: { width: 2, type: dash, color: color(c.config) },
          itemStyle: { color: color(c.config) },
        });
      }
    }
    const option = {
      ...baseOption({}),
      xAxis: { ...valueAxis(loadAxisName(mode)), type: "category", boundaryGap: false, data: loads.map(formatLoad) },
      yAxis: valueAxis(`${short} (ms)`, { nameGap: 52 }),
      series,
    };
    return chart(
      `latency-${key}-${mode}`,
      "load",
      `${short} percentiles vs ${mode}`,
      `${long[0].toUpperCase()}${long.slice(1)}: p50 solid, p90 dashed, p99 dotted; one colour per configuration.`,
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
  const load = per[0].loads[0];
  const option = {
    ...baseOption({}),
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
    xAxis: { type: "category", data: PERCENTILES.map(([p]) => p), axisLabel: { fontSize: 12 } },
    yAxis: valueAxis(`${short} (ms)`, { nameGap: 52 }),
    series: per[0].curves.map((c, i) => ({
      name: c.config,
      type: "bar",
      barMaxWidth: 40,
      data: per.map((x) => x.curves[i].values[0]),
      itemStyle: { color: color(c.config) },
    })),
  };
  return chart(
    `latency-${key}-${mode}`,
    "load",
    `${short} percentiles at ${mode} ${formatLoad(load)}`,
    `${long[0].toUpperCase()}${long.slice(1)}: p50, p90 and p99 per configuration (mean over repeats).`,
    option,
  );
}

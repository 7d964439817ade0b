// Whole distributions, where percentiles alone hide bimodal or long-tailed behaviour.
import type { ChartSpec, ReportRun } from "../model.js";
import { baseOption, chart, runColorOf, runName, valueAxis } from "./common.js";

export function cdfChart(runs: ReportRun[], which: "ttftCdf" | "itlCdf"): ChartSpec {
  const color = runColorOf(runs);
  const name = which === "ttftCdf" ? "TTFT" : "ITL";
  const series = runs
    .filter((r) => r[which].length > 0)
    .map((r) => ({
      name: runName(runs, r),
      type: "line",
      data: r[which],
      showSymbol: false,
      step: "end",
      lineStyle: { width: 2, color: color(r) },
      itemStyle: { color: color(r) },
    }));
  const option = {
    ...baseOption({}),
    grid: { left: 64, right: 28, top: 56, bottom: 64, containLabel: true },
    tooltip: { trigger: "item", confine: true },
    xAxis: valueAxis(`${name} (ms)`),
    yAxis: valueAxis("requests at or below (%)", { max: 100, nameGap: 44 }),
    // Tails stretch the axis; the slider lets a reader zoom into the body of the distribution.
    dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "slider", xAxisIndex: 0, height: 16, bottom: 6, filterMode: "none" }],
    series,
  };
  return chart(
    `cdf-${name.toLowerCase()}`,
    "distribution",
    `${name} distribution (CDF)`,
    which === "ttftCdf"
      ? "Share of successful requests whose first token came within x ms. A long flat tail is queueing."
      : "Share of inter-token gaps up to x ms, over all tokens after the first. Steps reveal batching stalls.",
    option,
  );
}

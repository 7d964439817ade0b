import type { ChartSpec, ReportData } from "../model.js";
import { comparisonChart } from "./comparison.js";
import { cdfChart } from "./distribution.js";
import { FRONTIER_METRICS, frontierChart } from "./frontier.js";
import { curves, latencyVsLoad, loadModes, throughputVsLoad } from "./load.js";
import { inFlightChart, telemetryCharts, tokensPerSecondChart } from "./timeseries.js";

/** Every chart the data supports, in report order; charts without a single data point are left out. */
export function buildCharts(data: ReportData): ChartSpec[] {
  const runs = data.runs;
  const charts: ChartSpec[] = [];
  // One configuration at one load would draw single bars that only repeat the key numbers
  // at the top of the page; such charts, and a frontier of one point, are left out.
  for (const mode of loadModes(runs)) {
    const { labels, curves: cs } = curves(runs, mode, () => 0);
    if (labels > 1 || cs.length > 1) charts.push(throughputVsLoad(runs, mode), ...latencyVsLoad(runs, mode));
  }
  if (runs.filter((r) => r.summary).length > 1) for (const [metric, label] of FRONTIER_METRICS()) charts.push(frontierChart(runs, metric, label));
  if (data.comparison && data.comparison.items.length > 1) charts.push(comparisonChart(data.comparison));
  charts.push(cdfChart(runs, "ttftCdf"), cdfChart(runs, "itlCdf"));
  charts.push(tokensPerSecondChart(runs), inFlightChart(runs));
  charts.push(...telemetryCharts(runs));
  return charts.filter((c) => c.points > 0);
}

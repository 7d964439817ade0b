// What happened during each run: delivered tokens, concurrency actually achieved, telemetry.
import type { ChartSpec, Point, ReportRun } from "../model.js";
import { counterRate, isCounterName } from "../series.js";
import { baseOption, chart, runColorOf, runName, slug, valueAxis } from "./common.js";

function timeChart(
  runs: ReportRun[],
  id: string,
  section: ChartSpec["section"],
  title: string,
  caption: string,
  yName: string,
  lines: Array<{ run: ReportRun; name: string; data: Point[] }>,
  area: boolean,
): ChartSpec {
  const color = runColorOf(runs);
  const distinctRuns = new Set(lines.map((l) => l.run.id)).size;
  const option = {
    ...baseOption({}),
    xAxis: valueAxis("seconds since run start"),
    yAxis: valueAxis(yName, { nameGap: 52 }),
    dataZoom: [{ type: "inside", xAxisIndex: 0 }],
    series: lines.map((l) => ({
      name: l.name,
      type: "line",
      data: l.data,
      showSymbol: l.data.length < 3,
      smooth: false,
      lineStyle: { width: 1.8, ...(distinctRuns === lines.length ? { color: color(l.run) } : {}) },
      ...(distinctRuns === lines.length ? { itemStyle: { color: color(l.run) } } : {}),
      ...(area && lines.length === 1 ? { areaStyle: { opacity: 0.12 } } : {}),
    })),
  };
  return chart(id, section, title, caption, option, 300);
}

export function tokensPerSecondChart(runs: ReportRun[]): ChartSpec {
  return timeChart(
    runs,
    "ts-output-tokens",
    "timeseries",
    "Output tokens/s over the run",
    `Tokens received per ${binText(runs)} bin, as a rate, from each streamed chunk's arrival time (measured requests only).`,
    "output tokens/s",
    runs.filter((r) => r.tokensPerS.length > 0).map((r) => ({ run: r, name: runName(runs, r), data: r.tokensPerS })),
    true,
  );
}

export function inFlightChart(runs: ReportRun[]): ChartSpec {
  return timeChart(
    runs,
    "ts-in-flight",
    "timeseries",
    "Requests in flight over the run",
    `Mean number of requests between send and completion in each ${binText(runs)} bin, as the client saw them.`,
    "requests in flight",
    runs.filter((r) => r.inFlight.length > 0).map((r) => ({ run: r, name: runName(runs, r), data: r.inFlight })),
    true,
  );
}

/** One chart per recorded series name, grouped by source (gpu, server, client, ...). */
export function telemetryCharts(runs: ReportRun[]): ChartSpec[] {
  const keys = new Map<string, { source: string; name: string }>();
  for (const r of runs) for (const s of r.telemetry) keys.set(`${s.source}\u0000${s.name}`, { source: s.source, name: s.name });
  const sorted = [...keys.values()].sort((a, b) => sourceRank(a.source) - sourceRank(b.source) || a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
  return sorted.map(({ source, name }) => {
    const counter = isCounterName(name);
    const lines = runs.flatMap((r) =>
      r.telemetry
        .filter((s) => s.source === source && s.name === name && s.points.length > 0)
        .map((s) => ({
          run: r,
          name: s.labels ? `${runName(runs, r)} ${s.labels}` : runName(runs, r),
          data: counter ? counterRate(s.points) : s.points,
        })),
    );
    return timeChart(
      runs,
      `tel-${slug(source)}-${slug(name)}`,
      "telemetry",
      counter ? `${source}: ${name} (per second)` : `${source}: ${name}`,
      counter
        ? `Rate of the ${source} counter ${name}: increase between consecutive samples divided by the time between them.`
        : `Recorded by the ${source} sampler during the run (${describe(name)}).`,
      counter ? `${name} /s` : name,
      lines,
      false,
    );
  });
}

function sourceRank(source: string): number {
  const i = ["gpu", "server", "client"].indexOf(source);
  return i < 0 ? 3 : i;
}

function describe(name: string): string {
  if (/util/i.test(name)) return "utilisation";
  if (/mem/i.test(name)) return "memory";
  if (/kv|cache|token_usage/i.test(name)) return "KV-cache use";
  if (/wait|queue|deferred/i.test(name)) return "queued requests";
  if (/running|processing|batch/i.test(name)) return "requests being processed";
  return "raw value as sampled";
}

function binText(runs: ReportRun[]): string {
  const widths = [...new Set(runs.filter((r) => r.tokensPerS.length > 0).map((r) => r.binMs / 1000))].sort((a, b) => a - b);
  return widths.length ? `${widths.join(" / ")} s` : "1 s";
}

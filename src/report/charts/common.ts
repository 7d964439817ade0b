// Shared look of every chart. Options are plain JSON (no callbacks) so that the same object
// renders in the browser and, for --png, in ECharts' server-side SVG renderer.
import type { ChartSpec, LoadPoint, ReportRun, ReportSection } from "../model.js";
import { shapeByMode } from "../../schedule/shapes/index.js";
import { dropCommonSegments } from "../series.js";

// Colour-blind-safe (Okabe-Ito based), then ECharts defaults for long lists.
export const PALETTE = [
  "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#332288", "#999933",
  "#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4",
];
// Liberation Sans has Helvetica's metrics, which ECharts' server-side renderer assumes when
// it measures text; with a wider font the PNG legends overlap.
export const FONT = "Liberation Sans, Helvetica, Arial, sans-serif";
export const GOOD = "#009E73";
export const BAD = "#D55E00";
export const NEUTRAL = "#8c8c8c";

export function colorOf(keys: string[]): (key: string) => string {
  const order = [...new Set(keys)];
  return (k) => PALETTE[Math.max(0, order.indexOf(k)) % PALETTE.length];
}

export function baseOption(opts: { legend?: boolean; xName?: string; yName?: string }): Record<string, unknown> {
  return {
    animation: false,
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: FONT },
    color: PALETTE,
    grid: { left: 64, right: 28, top: opts.legend === false ? 24 : 56, bottom: 48, containLabel: true },
    legend: opts.legend === false ? { show: false } : { type: "scroll", top: 4, left: 8, right: 8, textStyle: { fontSize: 12 } },
    tooltip: { trigger: "axis", confine: true },
  };
}

export function valueAxis(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "value",
    name,
    nameLocation: "middle",
    nameGap: 40,
    nameTextStyle: { fontSize: 12, color: "#444" },
    scale: false,
    splitLine: { lineStyle: { color: "#eceff3" } },
    axisLine: { show: true, lineStyle: { color: "#9aa3ad" } },
    ...extra,
  };
}

export function chart(
  id: string,
  section: ReportSection,
  title: string,
  caption: string,
  option: Record<string, unknown>,
  height = 340,
): ChartSpec {
  return { id, section, title, caption, option, points: countPoints(option), height };
}

/** Non-empty data entries over all series; a chart with 0 is never emitted. */
export function countPoints(option: Record<string, unknown>): number {
  const series = (option.series ?? []) as Array<{ data?: unknown[] }>;
  let n = 0;
  for (const s of series) for (const d of s.data ?? []) if (d !== null && d !== undefined && !(Array.isArray(d) && d.some((x) => x === null))) n++;
  return n;
}

export function loadAxisName(mode: LoadPoint["mode"]): string {
  return shapeByMode(mode)?.axis.name ?? mode;
}

export function formatLoad(v: number): string {
  return v === Infinity ? "inf" : String(v);
}

/** Groups runs by configuration, keeping first-seen order so colours are stable. */
export function byConfig(runs: ReportRun[]): Map<string, ReportRun[]> {
  const m = new Map<string, ReportRun[]>();
  for (const r of runs) m.set(r.config, [...(m.get(r.config) ?? []), r]);
  return m;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase().slice(0, 60) || "x";
}

/**
 * Per-run colour: the configuration's hue, lighter for lower loads, so many runs on one time
 * axis stay tellable apart while each configuration keeps its colour.
 */
export function runColorOf(runs: ReportRun[]): (run: ReportRun) => string {
  const base = colorOf(runs.map((r) => r.config));
  const groups = byConfig(runs);
  return (run) => {
    const group = [...(groups.get(run.config) ?? [run])].sort((a, b) => (a.load?.value ?? 0) - (b.load?.value ?? 0));
    const n = group.length;
    const k = group.indexOf(run);
    return n <= 1 || k < 0 ? base(run.config) : mix(base(run.config), "#ffffff", 0.6 * (1 - k / (n - 1)));
  };
}

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return "#" + pa.map((x, i) => Math.round(x + (pb[i] - x) * t).toString(16).padStart(2, "0")).join("");
}

/**
 * A run's name in a legend: its label, plus what tells it apart from runs with the same
 * label (the load, else the end of the id: run ids start with a timestamp).
 */
export function runName(runs: ReportRun[], r: ReportRun): string {
  // Segments all labels share ("workload=short") say nothing in a legend.
  const short = dropCommonSegments(runs.map((x) => x.label))[runs.indexOf(r)] ?? r.label;
  const same = runs.filter((x) => x.label === r.label);
  if (same.length <= 1) return short;
  const load = r.load?.label ?? "";
  const loadUnique = load && same.filter((x) => x.load?.mode === r.load?.mode && x.load?.value === r.load?.value).length === 1;
  return `${short} (${loadUnique ? load : r.id.slice(-6)})`;
}

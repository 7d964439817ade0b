import Table from "cli-table3";
import { likeForLike, type Comparison, type MetricValue } from "./types.js";

function num(x: number): string {
  if (!Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

function cell(v: MetricValue | undefined, baseline: string): string {
  if (!v) return "";
  if (v.id === baseline) return `${num(v.value)}\n(baseline)`;
  const ci = v.ciMethod === "none" ? "no CI" : `[${v.ci95[0].toFixed(2)}, ${v.ci95[1].toFixed(2)}]`;
  if (!Number.isFinite(v.ratio)) return `${num(v.value)}\nno ratio (baseline 0)`;
  return `${num(v.value)}\nx${v.ratio.toFixed(2)} ${ci}${v.significant || v.ciMethod === "none" ? "" : " n.s."}`;
}

/** Console table: one row per metric, one column per item; ratio to the baseline with its 95% CI. */
export function renderComparison(cmp: Comparison): string {
  const differentLoads = cmp.sameLoad === false;
  // At different loads each column names its load: the table is a load curve.
  const head = cmp.items.map((i) => (differentLoads && i.load ? `${i.label}\n@ ${i.load}` : i.label));
  const t = new Table({ head: ["metric", ...head], style: { head: [], border: [] } });
  for (const m of cmp.metrics) {
    const sense = likeForLike(cmp) ? `, ${m.higherIsBetter ? "higher" : "lower"} is better` : "";
    t.push([`${m.metric}\n(${m.unit || "value"}${sense})`, ...cmp.items.map((i) => cell(m.values.find((v) => v.id === i.id), cmp.baseline))]);
  }
  const methods = new Set(cmp.metrics.flatMap((m) => m.values.filter((v) => v.id !== cmp.baseline).map((v) => v.ciMethod)));
  const how = [
    methods.has("repeats") ? "over repeats" : "",
    methods.has("requests") ? "over requests (pooled per item)" : "",
  ].filter(Boolean);
  const legend =
    `ratios are item / baseline (${cmp.items.find((i) => i.id === cmp.baseline)?.label}); [a, b] = 95% bootstrap confidence interval of the ratio` +
    `${how.length ? " " + how.join(" and ") : ""}; n.s. = not significant (interval contains 1)` +
    `${methods.has("none") ? "; no CI = a single value on one side and nothing to resample" : ""}`;
  const notLike = differentLoads
    ? `\nthe items ran at different loads (${[...new Set(cmp.items.map((i) => i.load ?? "?"))].join(", ")}): read the ratios as a load curve, higher or lower, not better or worse`
    : cmp.warnings?.length
      ? `\nthe items asked for different things (${cmp.warnings.join("; ")}): higher or lower, not better or worse`
      : "";
  return `${t.toString()}\n${legend}${notLike}\n`;
}

// Ratio to the baseline per metric with its 95% confidence interval as whiskers.
import { likeForLike, type Comparison, type MetricValue } from "../../compare/types.js";
import type { ChartSpec } from "../model.js";
import { round3 } from "../series.js";
import { BAD, baseOption, chart, GOOD, NEUTRAL, PALETTE, valueAxis } from "./common.js";

const NICE_BOUNDS = [1.1, 1.25, 1.5, 2, 4, 8, 16, 32];

/** better/worse only like for like (same load, API and workload); higher/lower otherwise. */
export type Verdict = "better" | "worse" | "higher" | "lower" | "n.s." | "no CI";

/** compare() leaves the interval empty (null) when it cannot resample, e.g. one run and a per-run metric. */
export function hasCi(v: MetricValue): boolean {
  return Array.isArray(v.ci95) && Number.isFinite(v.ci95[0]) && Number.isFinite(v.ci95[1]);
}

export function verdict(ratio: number, significant: boolean, higherIsBetter: boolean, ci = true, like = true): Verdict {
  if (!ci) return "no CI";
  if (!significant) return "n.s.";
  if (!like) return ratio > 1 ? "higher" : "lower";
  return ratio > 1 === higherIsBetter ? "better" : "worse";
}

/**
 * Drawn as a horizontal boxplot whose box is collapsed onto the ratio: the whiskers are the
 * CI ends and the middle tick is the estimate. That keeps the option pure data (no custom
 * render callback), so the PNG path draws exactly what the browser draws.
 */
export function comparisonChart(cmp: Comparison): ChartSpec {
  const label = new Map(cmp.items.map((i) => [i.id, i.label]));
  const others = cmp.items.filter((i) => i.id !== cmp.baseline);
  const single = others.length === 1;
  const like = likeForLike(cmp);
  // A ratio needs a non-zero baseline (an error rate of 0 has none): such metrics stay in the
  // table but have no place on a ratio axis. ECharts cannot draw a missing boxplot item either.
  const drawable = (m: Comparison["metrics"][number]) =>
    others.every((item) => {
      const v = m.values.find((x) => x.id === item.id);
      return v !== undefined && Number.isFinite(v.ratio) && v.ratio > 0;
    });
  const metrics = cmp.metrics.filter(drawable);
  const categories = [...metrics].reverse().map((m) => {
    if (!single) return m.metric;
    const v = m.values.find((x) => x.id === others[0].id);
    if (!v) return m.metric;
    return hasCi(v) ? `${m.metric}${v.significant ? "" : " (n.s.)"}` : `${m.metric} (no CI)`;
  });
  let lo = Infinity;
  let hi = -Infinity;
  const series = others.map((item, k) => ({
    name: item.label,
    type: "boxplot",
    layout: "horizontal",
    boxWidth: single ? [6, 14] : [4, 10],
    data: [...metrics].reverse().map((m) => {
      const v = m.values.find((x) => x.id === item.id)!;
      const ci = hasCi(v);
      // Without an interval only the estimate is drawn (whiskers collapse onto it).
      const [a, b] = ci ? [Math.max(v.ci95[0], 1e-6), Math.max(v.ci95[1], 1e-6)] : [v.ratio, v.ratio];
      lo = Math.min(lo, a, v.ratio);
      hi = Math.max(hi, b, v.ratio);
      const mark = verdict(v.ratio, v.significant, m.higherIsBetter, ci, like);
      const color = single ? (mark === "better" ? GOOD : mark === "worse" ? BAD : NEUTRAL) : PALETTE[k % PALETTE.length];
      return {
        // The tooltip prints this name ({b}); ECharts HTML-escapes template values.
        name: `${m.metric}: ${v.ratio.toFixed(3)}×${ci ? ` (95% CI ${v.ci95[0].toFixed(3)}–${v.ci95[1].toFixed(3)}×)` : " (no CI)"} ${mark}`,
        value: [round3(a), round3(v.ratio), round3(v.ratio), round3(v.ratio), round3(b)],
        itemStyle: {
          color: "#ffffff",
          borderColor: color,
          borderWidth: v.significant && ci ? 2.5 : 1.5,
          borderType: ci ? (v.significant ? "solid" : "dashed") : "dotted",
          opacity: v.significant && ci ? 1 : 0.75,
        },
      };
    }),
    itemStyle: { borderColor: PALETTE[k % PALETTE.length] },
    markLine: k === 0 ? { silent: true, symbol: "none", label: { formatter: "baseline", position: "end" }, lineStyle: { color: "#333", type: "solid", width: 1 }, data: [{ xAxis: 1 }] } : undefined,
  }));
  // Symmetric range around 1 on a log axis: 0.5x and 2x sit at equal distances.
  const extreme = Math.max(Number.isFinite(hi) ? hi : 1, 1 / (Number.isFinite(lo) ? lo : 1), 1.05);
  const bound = NICE_BOUNDS.find((b) => b >= extreme * 1.04) ?? Math.pow(2, Math.ceil(Math.log2(extreme * 1.04)));
  const option = {
    ...baseOption({ legend: !single }),
    tooltip: { trigger: "item", confine: true, formatter: "{a}<br/>{b}" },
    grid: { left: 16, right: 40, top: single ? 24 : 56, bottom: 48, containLabel: true },
    xAxis: valueAxis(`ratio to baseline (${label.get(cmp.baseline) ?? cmp.baseline}), log scale`, {
      type: "log",
      logBase: 2,
      min: round3(1 / bound),
      max: round3(bound),
    }),
    yAxis: { type: "category", data: categories, axisLabel: { fontSize: 12 }, splitLine: { show: true, lineStyle: { color: "#f2f4f7" } } },
    series,
  };
  return chart(
    "comparison-ratios",
    "comparison",
    "Ratio to the baseline with 95% confidence intervals",
    (single && like
      ? "Tick: ratio; whiskers: 95% CI. Green: significantly better, red: significantly worse, grey dashed and (n.s.): not significant (CI contains 1); (no CI): no interval could be computed."
      : "Tick: ratio; whiskers: 95% CI; dashed and faded: not significant (CI contains 1); dotted tick alone: no interval could be computed.") +
      (cmp.sameLoad === false
        ? " The items ran at different loads: this is a load curve, higher or lower, not better or worse."
        : like ? "" : " The items asked for different things (see the table): higher or lower, not better or worse."),
    option,
    Math.max(260, 60 + metrics.length * (single ? 34 : 18 * others.length + 12)),
  );
}

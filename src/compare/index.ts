import type { Db } from "../store/db.js";
import { getRequests, type StoredRun } from "../store/runs.js";
import type { CommandRunSummary } from "../experiment/commandMetrics.js";
import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { UsageError } from "../errors.js";
import { beyond, MAX_RESAMPLES } from "../limits.js";
import { bootstrapRatio, meanOf, percentileOf, ratioOfSums, type Statistic } from "./bootstrap.js";
import { benchMetrics, type MetricDef, type PerRequest } from "./metrics.js";
import { resolveGroups, type Group } from "./resolve.js";
import { workloadMismatches } from "./sameWorkload.js";
import { storedLoadLabel } from "../schedule/shapes/index.js";
import type { Comparison, MetricComparison, MetricValue } from "./types.js";

export type { Comparison } from "./types.js";
export { BENCH_METRICS } from "./metrics.js";

export interface CompareOptions {
  /** Item id or label to use as reference; default the first. */
  baseline?: string;
  /** Metric names to include; default all that apply. */
  metrics?: string[];
  seed?: number;
  resamples?: number;
}

export const DEFAULT_RESAMPLES = 2000;

/** Unit of resampling for one group and metric. */
interface Sample {
  /** Point estimate: mean over the group's runs of the run's own figure. */
  value: number;
  runs: number;
  /** Per-repeat values (one per run). */
  perRun: number[];
  /** Statistic over per-request (or per-sample) units, and their count. */
  perUnit?: { n: number; stat: Statistic };
}

const isCommand = (r: StoredRun) => r.kind === "command";

/**
 * Compares stored runs, experiment cells (repeats grouped by cell key) or whole experiments:
 * for each metric of BENCH_METRICS that applies (output_tokens_per_s, ttft_p99_ms, ...), each
 * item's value, its ratio to the baseline's (default the first item) and the 95% bootstrap
 * confidence interval of that ratio, over repeats when there are >= 3, else over requests.
 * Unknown ids throw UsageError.
 */
export function compare(db: Db, ids: string[], opts: CompareOptions = {}): Comparison {
  const tooMany = beyond("resamples", opts.resamples ?? 0, MAX_RESAMPLES);
  if (tooMany) throw new UsageError(tooMany);
  const groups = resolveGroups(db, ids);
  const base = pickBaseline(groups, opts.baseline);
  const ordered = [base, ...groups.filter((g) => g !== base)];
  const seed = opts.seed ?? 1;
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const records = new Map<string, RequestRecord[]>();
  const recordsOf = (g: Group) =>
    g.runs.flatMap((r) => {
      if (!records.has(r.id)) records.set(r.id, getRequests(db, r.id).filter((x) => !x.warmup));
      return records.get(r.id)!;
    });

  const defs = metricDefs(ordered);
  const wanted = opts.metrics?.length ? opts.metrics : undefined;
  if (wanted) {
    const unknown = wanted.filter((m) => !defs.some((d) => d.name === m));
    if (unknown.length) throw new UsageError(`unknown metric ${unknown.join(", ")} (available: ${defs.map((d) => d.name).join(", ")})`);
  }
  const metrics: MetricComparison[] = [];
  defs.forEach((def, mi) => {
    if (wanted ? !wanted.includes(def.name) : def.onRequest) return;
    const samples = ordered.map((g) => def.sample(g, recordsOf));
    const b = samples[0];
    // No baseline value: nothing to compare against. A zero baseline (e.g. error_rate 0) still
    // shows the values, without a ratio, so absolute --fail-if limits keep working.
    if (!b) return;
    const values: MetricValue[] = [];
    samples.forEach((s, i) => {
      if (!s) return;
      values.push(i === 0 ? baselineValue(ordered[0].id, s) : ratioValue(ordered[i].id, s, b, { resamples, seed: seed + 7919 * mi + i }));
    });
    if (values.length >= 2) metrics.push({ metric: def.name, higherIsBetter: def.higherIsBetter, unit: def.unit, values });
  });
  const warnings = workloadMismatches(ordered);
  const items = ordered.map((g) => ({ id: g.id, label: g.label, ...loadOfGroup(g) }));
  const loads = new Set(items.map((i) => i.load).filter((l) => l !== undefined));
  return { baseline: base.id, items, metrics, ...(warnings.length ? { warnings } : {}), sameLoad: loads.size <= 1 && !loads.has("mixed") };
}

/** The load label shared by a group's benchmark runs, "mixed" when they differ; none for command cells. */
function loadOfGroup(g: Group): { load?: string } {
  const labels = new Set(g.runs.filter((r) => !isCommand(r)).map((r) => storedLoadLabel(r.summary?.load ?? r.load)));
  if (labels.size === 0) return {};
  return { load: labels.size === 1 ? [...labels][0] : "mixed" };
}

function pickBaseline(groups: Group[], wanted?: string): Group {
  if (!wanted) return groups[0];
  const g = groups.find((x) => x.id === wanted || x.label === wanted) ?? groups.find((x) => x.id.startsWith(wanted) || x.label.startsWith(wanted));
  if (!g) throw new UsageError(`--baseline ${wanted} is none of the compared items (${groups.map((x) => x.label).join(", ")})`);
  return g;
}

function baselineValue(id: string, s: Sample): MetricValue {
  return { id, value: s.value, ratio: 1, ci95: [1, 1], significant: false, ciMethod: method(s, s), runs: s.runs, samples: s.perUnit?.n };
}

/**
 * Repeats are the unit of resampling from 3 per side: with 2, a resample mean takes only 3
 * distinct values and the percentile interval badly understates the spread, so 2 repeats fall
 * back to their pooled requests.
 */
export const MIN_REPEATS_FOR_REPEAT_CI = 3;

function method(a: Sample, b: Sample): "repeats" | "requests" | "none" {
  if (a.perRun.length >= MIN_REPEATS_FOR_REPEAT_CI && b.perRun.length >= MIN_REPEATS_FOR_REPEAT_CI) return "repeats";
  if (a.perUnit && b.perUnit && a.perUnit.n > 1 && b.perUnit.n > 1) return "requests";
  return "none";
}

function ratioValue(id: string, s: Sample, b: Sample, o: { resamples: number; seed: number }): MetricValue {
  if (b.value === 0) return { id, value: s.value, ratio: NaN, ci95: [NaN, NaN], significant: false, ciMethod: "none", runs: s.runs };
  const ratio = s.value / b.value;
  const how = method(s, b);
  let ci95: [number, number] = [NaN, NaN];
  if (how === "repeats") {
    ci95 = bootstrapRatio({ n: s.perRun.length, stat: meanOf(s.perRun) }, { n: b.perRun.length, stat: meanOf(b.perRun) }, o).ci95;
  } else if (how === "requests") {
    const r = bootstrapRatio(s.perUnit!, b.perUnit!, o);
    // The pooled statistic can differ slightly from the mean of the runs' own figures (several
    // runs on one side): the interval is scaled to sit around the reported ratio.
    const k = Number.isFinite(r.ratio) && r.ratio !== 0 ? ratio / r.ratio : 1;
    ci95 = [r.ci95[0] * k, r.ci95[1] * k];
  }
  const significant = how !== "none" && (ci95[0] > 1 || ci95[1] < 1);
  return { id, value: s.value, ratio, ci95, significant, ciMethod: how, runs: s.runs, samples: how === "requests" ? s.perUnit!.n : undefined };
}

interface SampledMetric {
  name: string;
  onRequest?: boolean;
  unit: string;
  higherIsBetter: boolean;
  sample(g: Group, recordsOf: (g: Group) => RequestRecord[]): Sample | undefined;
}

function metricDefs(groups: Group[]): SampledMetric[] {
  const out: SampledMetric[] = [];
  if (groups.some((g) => g.runs.some((r) => !isCommand(r)))) out.push(...benchMetrics().map(benchMetric));
  const cmdNames = new Map<string, { unit: string; higherIsBetter: boolean }>();
  for (const g of groups)
    for (const r of g.runs.filter(isCommand)) {
      const s = r.summary as unknown as CommandRunSummary;
      for (const k of Object.keys(s.metrics ?? {})) if (!cmdNames.has(k)) cmdNames.set(k, { unit: s.units?.[k] ?? "", higherIsBetter: s.higher_is_better?.[k] ?? true });
    }
  for (const [name, m] of cmdNames) out.push(commandMetric(name, m.unit, m.higherIsBetter));
  return out;
}

function finite(xs: Array<number | undefined>): number[] {
  return xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
}

function benchMetric(def: MetricDef): SampledMetric {
  return {
    name: def.name,
    onRequest: def.onRequest,
    unit: def.unit,
    higherIsBetter: def.higherIsBetter,
    sample(g, recordsOf) {
      const runs = g.runs.filter((r) => !isCommand(r) && r.summary);
      const perRun = finite(runs.map((r) => def.from(r.summary as RunSummary)));
      if (perRun.length === 0) return undefined;
      const value = perRun.reduce((a, b) => a + b, 0) / perRun.length;
      const perUnit = def.perRequest ? requestStatistic(def.perRequest, recordsOf(g), value) : undefined;
      return { value, runs: perRun.length, perRun, perUnit };
    },
  };
}

/** Builds the per-request statistic whose value on all requests equals the group's figure (see docs). */
function requestStatistic(p: PerRequest, recs: RequestRecord[], value: number): Sample["perUnit"] {
  if (recs.length < 2) return undefined;
  switch (p.kind) {
    case "latency": {
      const vals = finite(recs.map(p.value));
      if (vals.length < 2) return undefined;
      return { n: vals.length, stat: p.stat === "mean" ? meanOf(vals) : percentileOf(vals, Number(p.stat.slice(1))) };
    }
    case "pooled_mean": {
      const vs = recs.map(p.values).filter((v) => v.length > 0);
      if (vs.length < 2) return undefined;
      return { n: vs.length, stat: ratioOfSums(vs.map((v) => v.reduce((a, b) => a + b, 0)), vs.map((v) => v.length)) };
    }
    case "rate": {
      // Throughput = effective concurrency x amount per busy request-second. The concurrency
      // factor is held at its observed value; the resampling varies the per-request service.
      const amount = recs.map(p.amount);
      const busyS = recs.map((r) => Math.max(0, r.endAt - r.sentAt) / 1000);
      const perBusy = amount.reduce((a, b) => a + b, 0) / busyS.reduce((a, b) => a + b, 0);
      if (!(perBusy > 0)) return undefined;
      return { n: recs.length, stat: ratioOfSums(amount, busyS, value / perBusy) };
    }
    case "mean":
      return { n: recs.length, stat: meanOf(recs.map(p.value)) };
  }
}

function commandMetric(name: string, unit: string, higherIsBetter: boolean): SampledMetric {
  return {
    name,
    unit,
    higherIsBetter,
    sample(g) {
      const sums = g.runs.filter(isCommand).map((r) => r.summary as unknown as CommandRunSummary);
      const withIt = sums.filter((s) => Number.isFinite(s.metrics?.[name]));
      if (withIt.length === 0) return undefined;
      const perRun = withIt.map((s) => s.metrics[name]);
      const value = perRun.reduce((a, b) => a + b, 0) / perRun.length;
      // Printed samples stand in for requests only when the run's value is their mean.
      const pooled = withIt.every((s) => (s.reduce ?? "mean") === "mean") ? withIt.flatMap((s) => s.samples?.[name] ?? []) : [];
      return { value, runs: perRun.length, perRun, perUnit: pooled.length >= 2 ? { n: pooled.length, stat: meanOf(pooled) } : undefined };
    },
  };
}

// Pure derivations from request records; times in records are ms from run start.
import type { RequestRecord } from "../measure/types.js";
import type { ErrorGroup, Point } from "./model.js";

/**
 * Bin width for the over-the-run series: 1 s, or finer (down to 50 ms) when the run is
 * shorter than 20 s, so that even a short run shows at least 20 bins.
 */
export function binMsFor(records: RequestRecord[]): number {
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    start = Math.min(start, r.sentAt);
    end = Math.max(end, r.endAt);
  }
  const span = end - start;
  if (!(span > 0)) return 1000;
  return [1000, 500, 250, 100, 50].find((b) => span / b >= 20) ?? 50;
}

/** Output tokens per second in fixed bins, from every chunk's arrival time. Empty bins are 0. */
export function tokensPerSecond(records: RequestRecord[], binMs = 1000): Point[] {
  const bins = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    for (const [t, n] of r.chunks) {
      const b = Math.floor(t / binMs);
      bins.set(b, (bins.get(b) ?? 0) + n);
      first = Math.min(first, b);
      last = Math.max(last, b);
    }
  }
  const out: Point[] = [];
  for (let b = first; b <= last; b++) out.push([round3((b * binMs) / 1000), round3(((bins.get(b) ?? 0) * 1000) / binMs)]);
  return out;
}

/**
 * Mean number of requests in flight during each bin (time-weighted), from sentAt..endAt.
 * Time-weighting keeps short spikes visible without depending on where a sample falls.
 */
export function inFlight(records: RequestRecord[], binMs = 1000): Point[] {
  const busy = new Map<number, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    const start = r.sentAt;
    const end = Math.max(r.endAt, start);
    const b0 = Math.floor(start / binMs);
    const b1 = Math.floor(end / binMs);
    first = Math.min(first, b0);
    last = Math.max(last, b1);
    for (let b = b0; b <= b1; b++) {
      const overlap = Math.min(end, (b + 1) * binMs) - Math.max(start, b * binMs);
      if (overlap > 0) busy.set(b, (busy.get(b) ?? 0) + overlap);
    }
  }
  const out: Point[] = [];
  for (let b = first; b <= last; b++) out.push([round3((b * binMs) / 1000), round3((busy.get(b) ?? 0) / binMs)]);
  return out;
}

/**
 * Empirical CDF as [value, cumulative %], reduced to at most `maxPoints` quantiles so a run
 * with a million inter-token gaps still embeds in a few kilobytes. Exact min and max are kept.
 */
export function cdf(values: Iterable<number>, maxPoints = 200): Point[] {
  // Typed-array sort: millions of inter-token gaps sort in well under a second.
  const all = Float64Array.from(values);
  let n = 0;
  for (let i = 0; i < all.length; i++) if (Number.isFinite(all[i])) all[n++] = all[i];
  const v = all.subarray(0, n).sort();
  if (n === 0) return [];
  if (n <= maxPoints) return Array.from(v, (x, i) => [round3(x), round3(((i + 1) / n) * 100)] as Point);
  const out: Point[] = [];
  for (let k = 0; k < maxPoints; k++) {
    const i = Math.round((k / (maxPoints - 1)) * (n - 1));
    out.push([round3(v[i]), round3(((i + 1) / n) * 100)]);
  }
  return out;
}

/**
 * At most `max` points: consecutive points are merged into buckets, keeping the first time
 * and the mean value (for per-bin rates the mean is the rate over the wider bin). Long runs
 * stay readable and the embedded report stays small.
 */
export function downsample(points: Point[], max = 1500): Point[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += k) {
    const bucket = points.slice(i, i + k);
    out.push([bucket[0][0], round3(bucket.reduce((a, p) => a + p[1], 0) / bucket.length)]);
  }
  return out;
}

/** Prometheus counters (and histogram _sum/_count) only ever grow; their rate is what a reader wants. */
export function isCounterName(name: string): boolean {
  return /(_total|_count|_sum)$/.test(name);
}

/** Per-second rate between consecutive samples of a counter; a decrease (server restart) starts over. */
export function counterRate(points: Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < points.length; i++) {
    const dt = points[i][0] - points[i - 1][0];
    const dv = points[i][1] - points[i - 1][1];
    if (dt > 0 && dv >= 0) out.push([points[i][0], round3(dv / dt)]);
  }
  return out;
}

/**
 * Drops the '/'-separated segments every name shares ("workload=short" when all configs ran
 * the same workload), so legends show only what differs. Names stay unique.
 */
export function dropCommonSegments(names: string[]): string[] {
  const distinct = [...new Set(names)];
  if (distinct.length < 2) return names;
  const split = distinct.map((n) => n.split("/"));
  const shared = (seg: string) => split.every((parts) => parts.includes(seg));
  const short = new Map(distinct.map((n, i) => [n, split[i].filter((seg) => !shared(seg)).join("/") || n]));
  return new Set(short.values()).size === distinct.length ? names.map((n) => short.get(n)!) : names;
}

/** Failed requests grouped by error kind, with the first message of each kind. */
export function errorGroups(records: RequestRecord[]): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const r of records) {
    if (r.ok) continue;
    const kind = r.errorKind ?? "unknown";
    const g = groups.get(kind) ?? { kind, count: 0, sample: r.error ?? (r.httpStatus ? `HTTP ${r.httpStatus}` : "") };
    g.count++;
    groups.set(kind, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/**
 * One step of the "best configuration by latency budget" answer: for a p99 budget in
 * [fromMs, toMs) the most throughput any measured point gives is this point's.
 */
export interface FrontierSegment {
  /** This point's own p99 latency (ms): the smallest budget it meets. */
  fromMs: number;
  /** The next frontier point's p99 latency (ms), exclusive; Infinity for the last. */
  toMs: number;
  config: string;
  /** Output tokens/s of the point (mean over its repeats). */
  throughput: number;
  load: number | null;
  loadLabel?: string;
  /** Runs averaged into the point (1: a single run). */
  repeats: number;
}

export interface FrontierCandidate {
  config: string;
  latencyMs: number;
  throughput: number;
  load: number | null;
  /** The load's short label ("c=4", "2 req/s"), shown next to the point. */
  loadLabel?: string;
  /** Runs this point is the mean of (mergeRepeats); 1 when absent. */
  repeats?: number;
}

/**
 * Repeats (same configuration, same load) as one point: mean latency and mean throughput,
 * `repeats` = how many. Otherwise a curve zig-zags between repeats and the frontier can
 * pick the luckiest repeat. First-seen order is kept.
 */
export function mergeRepeats(points: FrontierCandidate[]): FrontierCandidate[] {
  const groups = new Map<string, FrontierCandidate[]>();
  for (const p of points) {
    const key = `${p.config}\u0000${p.loadLabel ?? ""}\u0000${p.load}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((g) => {
    const n = g.reduce((a, p) => a + (p.repeats ?? 1), 0);
    const w = (f: (p: FrontierCandidate) => number) => g.reduce((a, p) => a + f(p) * (p.repeats ?? 1), 0) / n;
    return { ...g[0], latencyMs: w((p) => p.latencyMs), throughput: w((p) => p.throughput), repeats: n };
  });
}

/**
 * Pareto frontier (lowest latency, highest throughput) and, along it, the best point for every
 * latency budget: for budget B, the winner is the point with the most throughput among those
 * with latency <= B. One segment per frontier point, starting at that point's own latency, so
 * a row never offers a point for a budget below its own p99 (points of one configuration are
 * not merged: each is a different load with its own latency).
 */
export function frontier(points: FrontierCandidate[]): { pareto: FrontierCandidate[]; segments: FrontierSegment[] } {
  const sorted = points
    .filter((p) => Number.isFinite(p.latencyMs) && Number.isFinite(p.throughput))
    .sort((a, b) => a.latencyMs - b.latencyMs || b.throughput - a.throughput);
  const pareto: FrontierCandidate[] = [];
  for (const p of sorted) {
    if (pareto.length === 0 || p.throughput > pareto[pareto.length - 1].throughput) pareto.push(p);
  }
  const segments = pareto.map((p, i): FrontierSegment => ({
    fromMs: p.latencyMs,
    toMs: i + 1 < pareto.length ? pareto[i + 1].latencyMs : Infinity,
    config: p.config,
    throughput: p.throughput,
    load: p.load,
    ...(p.loadLabel ? { loadLabel: p.loadLabel } : {}),
    repeats: p.repeats ?? 1,
  }));
  return { pareto, segments };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

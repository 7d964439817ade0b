// `tokenbench merge`: shard runs (run --shard I/N) combined into one run. The merged run's
// metrics are those of summarizeRun over the union of the shards' records (the RunAccumulator fold
// a single-process run uses), so they equal one process's figures on those records: exact
// percentiles up to 2^20 values per population, the same histogram beyond (never merged p99s).
import type { ClientHealth, RunSummary, ShardInfo } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { latencyOriginOf, summarizeRun } from "../aggregate/summarize.js";
import { isSameReadReason } from "../measure/clientHealth.js";
import { loadFromJson } from "../schedule/shapes/index.js";

/** One shard's run: its summary (from `--json`) and its measured records (from `--records`). */
export interface ShardRun {
  summary: RunSummary;
  records: RequestRecord[];
}

/** Shard results that cannot be combined (missing or duplicate shards, different runs). */
export class MergeError extends Error {}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Combines the N shard runs of one load into one run with id `id`.
 *
 * - records: the union, ordered by request index (their times already count from the common start);
 * - every record-derived figure (latencies, throughput, goodput, counts): summarizeRun of that union;
 * - warm-up: the sum of the shards' warm-up requests; status: interrupted if any shard was;
 * - client health: saturated if any shard was (reasons prefixed "shard I:"); lags and CPU the
 *   worst shard's (each shard is its own process; a p99 over shards is not recoverable from p99s).
 *
 * @throws MergeError naming the problem: a run without a shard block, shards of different runs
 *   (load, api, model, target, workload, latency origin, start time, shard count), a shard missing or given twice
 */
export function mergeShardRuns(shards: readonly ShardRun[], id: string): ShardRun {
  if (shards.length === 0) throw new MergeError("no shard runs to merge");
  const info = (s: ShardRun): ShardInfo => {
    if (!s.summary.shard) throw new MergeError(`run ${s.summary.id} is not a shard run (no shard block: was it run with --shard I/N?)`);
    return s.summary.shard;
  };
  const first = shards[0].summary;
  const n = info(shards[0]).count;
  const seen = new Map<number, string>();
  for (const s of shards) {
    const i = info(s);
    const what = (["api", "model", "target", "load", "workload"] as const).find((k) => !same(s.summary[k], first[k]));
    if (what) throw new MergeError(`run ${s.summary.id} differs from run ${first.id} in ${what}: not shards of one run`);
    if (latencyOriginOf(s.summary) !== latencyOriginOf(first)) {
      throw new MergeError(`run ${s.summary.id} measures latency from the ${latencyOriginOf(s.summary)} time, run ${first.id} from the ${latencyOriginOf(first)} time: rerun the shards with one --latency-origin`);
    }
    if (i.count !== n) throw new MergeError(`run ${s.summary.id} is shard ${i.index}/${i.count}, run ${first.id} one of ${n}: not shards of one run`);
    if (i.start_at_ms !== info(shards[0]).start_at_ms) throw new MergeError(`run ${s.summary.id} started at ${i.start_at_ms}, run ${first.id} at ${info(shards[0]).start_at_ms}: shards must share --start-at`);
    const dup = seen.get(i.index);
    if (dup !== undefined) throw new MergeError(`shard ${i.index}/${n} given twice (runs ${dup} and ${s.summary.id})`);
    seen.set(i.index, s.summary.id);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new MergeError(`shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${n} missing`);
  const load = loadFromJson(first.load);
  if (!load) throw new MergeError(`run ${first.id}: unknown load ${JSON.stringify(first.load)}`);
  const ordered = [...shards].sort((a, b) => info(a).index - info(b).index);
  const records = ordered.flatMap((s) => s.records).sort(byIndex);
  const i0 = info(ordered[0]);
  const summary = summarizeRun({
    id,
    api: first.api,
    model: first.model,
    target: first.target,
    load,
    workload: first.workload,
    percentiles: i0.percentiles,
    status: ordered.some((s) => s.summary.status === "interrupted") ? "interrupted" : "completed",
    startedAt: new Date(i0.start_at_ms).toISOString(),
    records,
    warmupCount: ordered.reduce((a, s) => a + s.summary.requests.warmup, 0),
    goodput: first.goodput?.bounds,
    client: mergeHealth(ordered.map((s) => [info(s).index, s.summary.client])),
    rampUpS: i0.ramp_up_s,
    lastSendAt: Math.max(...ordered.map((s) => info(s).last_send_at_ms)),
    latencyOrigin: latencyOriginOf(first),
  });
  const conns = ordered.map((s) => s.summary.connections).filter((c): c is NonNullable<RunSummary["connections"]> => c !== undefined);
  if (conns.length === ordered.length) summary.connections = mergeConnections(conns);
  summary.merged = { shards: n, run_ids: ordered.map((s) => s.summary.id) };
  return { summary, records };
}

/** Request index order; ties (none in a proper split) by scheduled time. */
function byIndex(a: RequestRecord, b: RequestRecord): number {
  return a.index - b.index || a.scheduledAt - b.scheduledAt;
}

/**
 * Connection counts add up; connect time's count, min, max, mean and stddev are exact over all
 * shards' connections, its percentiles the highest shard's (an upper bound: the shards' connect
 * times are not in their records).
 */
function mergeConnections(cs: Array<NonNullable<RunSummary["connections"]>>): NonNullable<RunSummary["connections"]> {
  const withAny = cs.filter((c) => c.connect_ms.count > 0);
  const count = withAny.reduce((a, c) => a + c.connect_ms.count, 0);
  const mean = count ? withAny.reduce((a, c) => a + c.connect_ms.mean * c.connect_ms.count, 0) / count : 0;
  // Pooled: E[x²] per shard from its mean and (population) variance.
  const ex2 = count ? withAny.reduce((a, c) => a + (c.connect_ms.stddev ** 2 + c.connect_ms.mean ** 2) * c.connect_ms.count, 0) / count : 0;
  const top = (k: "p50" | "p90" | "p95" | "p99" | "max") => (withAny.length ? Math.max(...withAny.map((c) => c.connect_ms[k])) : 0);
  return {
    opened_before: cs.reduce((a, c) => a + c.opened_before, 0),
    opened_during: cs.reduce((a, c) => a + c.opened_during, 0),
    failed: cs.reduce((a, c) => a + c.failed, 0),
    connect_ms: {
      count,
      mean,
      stddev: Math.sqrt(Math.max(0, ex2 - mean * mean)),
      min: withAny.length ? Math.min(...withAny.map((c) => c.connect_ms.min)) : 0,
      p50: top("p50"),
      p90: top("p90"),
      p95: top("p95"),
      p99: top("p99"),
      max: top("max"),
    },
  };
}

/**
 * One self-check from several event loops (shard processes, or a run's worker threads): saturated
 * if any was (reasons prefixed "LABEL I:"), lags and CPU the worst one's.
 */
export function mergeHealth(shards: Array<[number, ClientHealth]>, label = "shard"): ClientHealth {
  const worst = (pick: (h: ClientHealth) => number) => Math.max(...shards.map(([, h]) => pick(h)));
  // The same-read check is made again over the merged records (accumulator summary): the parts' verdicts are dropped.
  const reasons = shards.flatMap(([i, h]) => h.reasons.filter((r) => !isSameReadReason(r)).map((r) => `${label} ${i}: ${r}`));
  return {
    saturated: reasons.length > 0,
    reasons,
    event_loop_lag_ms: { p99: worst((h) => h.event_loop_lag_ms.p99), max: worst((h) => h.event_loop_lag_ms.max) },
    send_lag_ms: { p99: worst((h) => h.send_lag_ms.p99), max: worst((h) => h.send_lag_ms.max) },
    cpu_percent: worst((h) => h.cpu_percent),
    ...(shards.some(([, h]) => h.event_loop_utilization !== undefined) ? { event_loop_utilization: worst((h) => h.event_loop_utilization ?? 0) } : {}),
  };
}

/**
 * Splits shard result files into runs: summary documents (`--json`: {tool, runs}) and records
 * JSON Lines (`--records`: one snake_case record per line with its run_id). Groups the shard runs
 * by load (one merged run per load) in the order first seen.
 *
 * @throws MergeError when a file is neither, or records name a run no summary has
 */
export function groupShardFiles(files: Array<{ path: string; text: string }>): ShardRun[][] {
  const runs = new Map<string, ShardRun>();
  const recordLines: Array<{ path: string; line: number; rec: Record<string, unknown> }> = [];
  for (const f of files) {
    const doc = tryJson(f.text);
    if (doc && typeof doc === "object" && !Array.isArray(doc) && Array.isArray((doc as { runs?: unknown }).runs)) {
      for (const s of (doc as { runs: RunSummary[] }).runs) {
        if (runs.has(s.id)) throw new MergeError(`run ${s.id} given twice (${f.path})`);
        runs.set(s.id, { summary: s, records: [] });
      }
      continue;
    }
    const lines = f.text.split("\n");
    lines.forEach((l, i) => {
      if (l.trim() === "") return;
      const rec = tryJson(l);
      if (!rec || typeof rec !== "object" || typeof (rec as { run_id?: unknown }).run_id !== "string") {
        throw new MergeError(`${f.path}:${i + 1}: neither a summary document (--json) nor a request record with run_id (--records)`);
      }
      recordLines.push({ path: f.path, line: i + 1, rec: rec as Record<string, unknown> });
    });
  }
  for (const { path, line, rec } of recordLines) {
    const { run_id, ...rest } = rec;
    const run = runs.get(run_id as string);
    if (!run) throw new MergeError(`${path}:${line}: record of run ${run_id}, whose summary (--json file) was not given`);
    run.records.push(camelRecord(rest));
  }
  const byLoad = new Map<string, ShardRun[]>();
  for (const r of runs.values()) {
    const k = JSON.stringify(r.summary.load);
    byLoad.set(k, [...(byLoad.get(k) ?? []), r]);
  }
  return [...byLoad.values()];
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A records-file line back to a RequestRecord: top-level snake_case keys to camelCase (the inverse of snakeKeys). */
export function camelRecord(r: Record<string, unknown>): RequestRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out as unknown as RequestRecord;
}

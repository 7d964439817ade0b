import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type { Db } from "../store/db.js";
import { appendTimeseries, createRun, finishRun } from "../store/runs.js";
import { everyRequestFailed } from "./verdict.js";
import type { RunSummary, WorkloadSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import type { ProtocolAdapter } from "../protocols/types.js";
import type { LoadSpec } from "../schedule/types.js";
import type { WorkItem } from "../workload/types.js";
import { latencyStats } from "../stats.js";
import { loadLabel, loadToJson, shapeOf } from "../schedule/shapes/index.js";
import type { Tokenizer } from "../workload/tokenizer.js";
import { shareOf } from "../schedule/shard.js";
import { Recorder, StorageError } from "./recorder.js";
import { driveShare, type ShareResult } from "./driveShare.js";
import { runWorkers, workersFor } from "./workers.js";
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { redact } from "../store/redact.js";
import type { ResolvedOptions } from "./resolve.js";
import type { ProgressUpdate } from "./options.js";
import { TOOL_VERSION } from "../version.js";

export interface LoadContext {
  o: ResolvedOptions;
  targets: string[];
  adapter: ProtocolAdapter;
  tokenizer: Tokenizer;
  /** How the tokenizer was chosen (tokenizerFromSpec): worker threads load the same one. */
  tokenizerSpec?: string;
  model: string;
  items: WorkItem[];
  db: Db | null;
  meta: { options: unknown; host: unknown; serverInfo: unknown; workload?: WorkloadSummary; experimentId?: string; cellKey?: string; label?: string };
  signal?: AbortSignal;
  onProgress?: (p: ProgressUpdate) => void;
  runIndex: number;
  runCount: number;
  /** Return the measured records in LoadOutcome.records (default true; false: they only reach the store and onRecord). */
  keepRecords?: boolean;
  /** Each measured record as it finishes, with its run's id. */
  onRecord?: (record: RequestRecord, runId: string) => void;
  /** One-line notes for the user (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface LoadOutcome {
  summary: RunSummary;
  /** Measured records when ctx.keepRecords, else empty. */
  records: RequestRecord[];
  interrupted: boolean;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export async function runLoad(ctx: LoadContext, load: LoadSpec): Promise<LoadOutcome> {
  const { o, adapter, tokenizer, items } = ctx;
  const shape = shapeOf(load);
  const id = newRunId();
  const target = ctx.targets.join(",");
  // A shape's own preparation (a trace read and its prompts built): before the run exists and any clock.
  const prepared = await shape.prepare?.(load, { tokenizer, seed: o.seed, count: o.requests });
  ctx.db && createRun(ctx.db, {
    id,
    api: o.api,
    model: ctx.model,
    target,
    load: loadToJson(load),
    options: ctx.meta.options,
    toolVersion: TOOL_VERSION,
    host: ctx.meta.host,
    serverInfo: ctx.meta.serverInfo,
    experimentId: ctx.meta.experimentId,
    cellKey: ctx.meta.cellKey,
    label: ctx.meta.label,
  });
  // The load's own stop: the caller's signal (Ctrl-C, SIGTERM) or a storage failure.
  const stop = new AbortController();
  // One listener per request in flight: more than 10 is normal here, not a leak.
  setMaxListeners(0, stop.signal);
  const forward = () => stop.abort();
  if (ctx.signal?.aborted) stop.abort();
  else ctx.signal?.addEventListener("abort", forward, { once: true });
  const onRecord = ctx.onRecord;
  const recorder = new Recorder(ctx.db, id, () => stop.abort(), {
    goodput: o.goodput,
    keepRecords: ctx.keepRecords ?? true,
    onRecord: onRecord && ((r) => onRecord(r, id)),
  });
  const measuredCount = o.requests;
  const processShare = o.shard ?? { index: 0, count: 1 };
  // One event loop (today's path) or several worker threads, each driving its share (./workers.ts).
  const workers = workersFor(load, o.workers, o);
  // --workers asks for at most that many: a load with less to split runs on fewer, and says so.
  if (o.workers !== undefined && workers < o.workers) {
    ctx.log?.(`note: ${loadLabel(load)} runs on ${workers} client worker(s), not ${o.workers}: each worker needs a share of the load (at most one per concurrent request)`);
  }
  let clock0 = performance.now();
  const now = () => performance.now() - clock0;
  let startLagMs = 0;
  let inFlight = () => 0;
  let progress: NodeJS.Timeout | undefined;
  const emitProgress = () =>
    ctx.onProgress?.({
      runIndex: ctx.runIndex,
      runCount: ctx.runCount,
      load,
      done: recorder.done,
      failed: recorder.failed,
      total: measuredCount === undefined ? null : shareOf(measuredCount, processShare),
      inFlight: inFlight(),
      outputTokensPerS: recorder.outputTokens / Math.max(now() / 1000, 1e-3),
      elapsedS: now() / 1000,
    });
  const hooks = {
    stop,
    onRecord: (r: RequestRecord) => recorder.add(r),
    // With a common start, connections open shortly before it (servers close idle connections).
    beforeConnect: () => (o.startAtMs !== undefined ? sleepUntilEpoch(o.startAtMs - PRECONNECT_LEAD_MS, stop.signal) : Promise.resolve()),
    // With a common start (--start-at), the measured clock's zero is that wall-clock instant in
    // every shard, so their records line up; a shard that gets there late starts at once, its
    // lateness in start_lag_ms (and, open loop, in its requests' client wait).
    start: async (leadMs = 0) => {
      if (o.startAtMs !== undefined) await sleepUntilEpoch(o.startAtMs, stop.signal);
      clock0 = o.startAtMs !== undefined ? performance.now() - (Date.now() - o.startAtMs) : performance.now() + leadMs;
      startLagMs = o.startAtMs !== undefined ? Math.max(0, now()) : 0;
      return clock0;
    },
    onStarted: (count: () => number) => {
      inFlight = count;
      progress = setInterval(emitProgress, 250);
    },
  };

  let interrupted = false;
  try {
    const driving =
      workers > 1
        ? runWorkers({ ...hooks, workers, o, targets: ctx.targets, model: ctx.model, tokenizerSpec: ctx.tokenizerSpec, items, load, prepared })
        : driveShare({ ...hooks, o, targets: ctx.targets, adapter, tokenizer, model: ctx.model, items, load, prepared, share: processShare, warmup: { count: o.warmup, index: (k) => k } });
    const share = await driving;
    clearInterval(progress);
    emitProgress();
    interrupted = Boolean(ctx.signal?.aborted);
    const { samples } = share;
    const health = workers > 1 ? { ...share.health, workers } : share.health;
    // Wall-clock time of the measured phase's start: the origin of every record's times, so
    // telemetry sampled by wall clock (GPU, server metrics) lines up with the requests.
    const startedAt = new Date(o.startAtMs ?? performance.timeOrigin + clock0).toISOString();
    recorder.flush(true);
    const summary = recorder.accumulator.summary({
      id,
      api: o.api,
      model: ctx.model,
      target,
      load,
      workload: ctx.meta.workload,
      percentiles: o.percentiles,
      status: interrupted ? "interrupted" : "completed",
      startedAt,
      warmupCount: recorder.warmupCount,
      client: health,
      rampUpS: o.rampUpS,
      lastSendAt: share.lastSendAt,
      latencyOrigin: o.latencyOrigin,
    });
    summary.connections = connectionSummary(share);
    // A run whose every measured request failed measured nothing: stored as failed, not completed.
    if (!interrupted && everyRequestFailed(summary)) summary.status = "failed";
    if (o.shard || o.startAtMs !== undefined) {
      summary.shard = {
        index: o.shard?.index ?? 0,
        count: o.shard?.count ?? 1,
        start_at_ms: o.startAtMs ?? Math.round(performance.timeOrigin + clock0),
        start_lag_ms: startLagMs,
        last_send_at_ms: share.lastSendAt,
        ramp_up_s: o.rampUpS,
        percentiles: o.percentiles,
      };
    }
    if (recorder.storageFailure) throw storageFailed(ctx, id, recorder, summary);
    if (ctx.db) {
      appendTimeseries(ctx.db, id, samples.map((s) => ({ source: "client", name: s.name, tMs: s.tMs, value: s.value })));
      finishRun(ctx.db, id, summary.status, summary);
    }
    return { summary, records: recorder.measured, interrupted };
  } catch (e) {
    clearInterval(progress);
    stop.abort();
    if (e instanceof StorageError) throw e;
    recorder.flush(true);
    if (recorder.storageFailure) throw storageFailed(ctx, id, recorder);
    if (ctx.db) finishRun(ctx.db, id, "failed");
    throw e;
  } finally {
    ctx.signal?.removeEventListener("abort", forward);
  }
}

/**
 * The store failed mid-run: the load has stopped. What the store did not take is written to a
 * JSON Lines file (beside the database, else in the temp directory), and the error names it.
 */
function storageFailed(ctx: LoadContext, id: string, recorder: Recorder, summary?: RunSummary): StorageError {
  const cause = recorder.storageFailure!.message;
  try {
    finishRun(ctx.db!, id, "failed", summary);
  } catch {
    // The store is what failed; the fallback file has it all.
  }
  const lines = [
    ...(summary ? [JSON.stringify({ run_summary: summary })] : []),
    ...recorder.unstored().map((r) => JSON.stringify({ run_id: id, ...r, error: r.error === undefined ? undefined : redact(r.error) })),
  ];
  const name = `tokenbench-unstored-${id}.jsonl`;
  const dbPath = ctx.db!.name;
  for (const dir of [dbPath && dbPath !== ":memory:" ? dirname(dbPath) : undefined, tmpdir()]) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      writeFileSync(path, lines.join("\n") + "\n", { flag: "wx" });
      return new StorageError(
        `results database write failed (${cause}): load stopped; ${recorder.stored} records stored, the other ${lines.length - (summary ? 1 : 0)}${summary ? " and the run summary" : ""} kept in ${path}`,
      );
    } catch {
      // disk full or unwritable there: try the next place
    }
  }
  return new StorageError(`results database write failed (${cause}): load stopped; ${recorder.stored} records stored, ${recorder.unstored().length} could not be saved anywhere`);
}

/** How long before a common start the connections are opened (enough for thousands of local connects). */
const PRECONNECT_LEAD_MS = 2000;

/** RunSummary.connections: connections opened before the measured phase began (a late shard's is after the common zero) and after. */
function connectionSummary(share: ShareResult): NonNullable<RunSummary["connections"]> {
  const all = share.connects;
  return {
    opened_before: all.filter((c) => c.before).length,
    opened_during: all.filter((c) => !c.before).length,
    failed: share.connectFailures,
    connect_ms: latencyStats(all.map((c) => c.ms)),
  };
}

/** Waits until the wall clock reads `epochMs` (or the signal aborts); long waits in chunks, the last ms by polling. */
async function sleepUntilEpoch(epochMs: number, signal: AbortSignal): Promise<void> {
  for (;;) {
    const left = epochMs - Date.now();
    if (left <= 0 || signal.aborted) return;
    if (left > 2) await sleep(Math.min(left - 1, 2 ** 31 - 1), undefined, { signal }).catch(() => undefined);
    else await new Promise((r) => setImmediate(r));
  }
}

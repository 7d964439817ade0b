import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type { Db } from "../store/db.js";
import { appendTimeseries, createRun, finishRun } from "../store/runs.js";
import type { LoadSpec, ProtocolAdapter, RequestRecord, RunSummary, WorkItem } from "../types.js";
import { closeTargets, createSelector, openTargets } from "../client/targets.js";
import { streamRequest } from "../client/streamRequest.js";
import { buildRecord } from "../measure/record.js";
import { startClientMonitor } from "../measure/clientMonitor.js";
import { summarizeRun } from "../aggregate/summarize.js";
import { arrivalOffsetsMs } from "../schedule/arrivals.js";
import { rampStartOffsetsMs } from "../schedule/closedLoop.js";
import { createRng, deriveSeed } from "../workload/rng.js";
import type { Tokenizer } from "../workload/tokenizer.js";
import { driveClosedLoop, driveOpenLoop, type Dispatcher } from "./drivers.js";
import { Recorder } from "./recorder.js";
import { collectGarbage } from "./gc.js";
import type { ResolvedOptions } from "./resolve.js";
import type { ProgressUpdate } from "./options.js";
import { TOOL_VERSION } from "../version.js";

export interface LoadContext {
  o: ResolvedOptions;
  targets: string[];
  adapter: ProtocolAdapter;
  tokenizer: Tokenizer;
  model: string;
  items: WorkItem[];
  db: Db | null;
  meta: { options: unknown; host: unknown; serverInfo: unknown; experimentId?: string; cellKey?: string; label?: string };
  signal?: AbortSignal;
  onProgress?: (p: ProgressUpdate) => void;
  runIndex: number;
  runCount: number;
}

export interface LoadOutcome {
  summary: RunSummary;
  records: RequestRecord[];
  interrupted: boolean;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** Maximum requests that can be in flight at once under a load: sizes the connection pools. */
function maxInFlight(load: LoadSpec, total: number): number {
  if (load.mode === "concurrency") return load.concurrency;
  return load.maxConcurrency ?? Math.max(1, total);
}

export async function runLoad(ctx: LoadContext, load: LoadSpec): Promise<LoadOutcome> {
  const { o, adapter, tokenizer, items } = ctx;
  const id = newRunId();
  const target = ctx.targets.join(",");
  ctx.db && createRun(ctx.db, {
    id,
    api: o.api,
    model: ctx.model,
    target,
    load,
    options: ctx.meta.options,
    toolVersion: TOOL_VERSION,
    host: ctx.meta.host,
    serverInfo: ctx.meta.serverInfo,
    experimentId: ctx.meta.experimentId,
    cellKey: ctx.meta.cellKey,
    label: ctx.meta.label,
  });
  const recorder = new Recorder(ctx.db, id);
  const measuredCount = o.requests;
  const rate = load.mode === "rate" ? load.rate : undefined;
  const openLoopCount = measuredCount ?? Math.ceil((rate ?? 1) * (o.durationS ?? 0));
  const pools = openTargets(ctx.targets, maxInFlight(load, Math.max(openLoopCount, o.warmup)), o.timeoutMs);
  const select = createSelector(pools, o.balance);
  let clock0 = performance.now();
  const now = () => performance.now() - clock0;

  const sendOne = async (seq: number, scheduledAt: number, warmup: boolean, itemIndex: number) => {
    const item = items[itemIndex % items.length];
    const spec = adapter.buildRequest({
      prompt: item.prompt,
      model: ctx.model,
      maxTokens: item.outputTokens,
      exactOutput: o.exactOutput,
      temperature: o.temperature,
      seed: o.seed + itemIndex,
      extraBody: o.extraBody,
    });
    spec.headers = { ...spec.headers, ...o.headers };
    const t = select();
    const raw = await streamRequest(t, adapter, spec, { timeoutMs: o.timeoutMs, signal: ctx.signal, now });
    recorder.add(buildRecord(raw, { item, target: t.url, scheduledAt, warmup, exactOutput: o.exactOutput, tokenizer }));
  };

  let interrupted = false;
  try {
    // Warm-up at the same load shape, before the measured clock starts.
    if (o.warmup > 0 && !ctx.signal?.aborted) {
      const c = load.mode === "concurrency" ? load.concurrency : load.maxConcurrency ?? o.warmup;
      await driveClosedLoop(
        { now, signal: ctx.signal, send: (seq, at) => sendOne(seq, at, true, seq) },
        { concurrency: Math.min(c, o.warmup), count: o.warmup },
      );
    }
    collectGarbage();
    clock0 = performance.now();
    // Wall-clock time of the measured phase's start: the origin of every record's times, so
    // telemetry sampled by wall clock (GPU, server metrics) lines up with the requests.
    const startedAt = new Date(performance.timeOrigin + clock0).toISOString();
    const monitor = startClientMonitor({ originMs: clock0 });
    const emitProgress = () =>
      ctx.onProgress?.({
        runIndex: ctx.runIndex,
        runCount: ctx.runCount,
        load,
        done: recorder.done,
        failed: recorder.failed,
        total: measuredCount ?? null,
        inFlight: pools.reduce((a, p) => a + p.inFlight, 0),
        outputTokensPerS: recorder.outputTokens / Math.max(now() / 1000, 1e-3),
        elapsedS: now() / 1000,
      });
    const progress = setInterval(emitProgress, 250);
    const dispatcher: Dispatcher = {
      now,
      signal: ctx.signal,
      send: async (seq, scheduledAt, readyAt) => {
        if (load.mode === "rate") monitor.recordSendLag(Math.max(0, now() - readyAt));
        await sendOne(seq, scheduledAt, false, o.warmup + seq);
      },
    };
    const durationMs = o.durationS !== undefined ? o.durationS * 1000 : undefined;
    let drive;
    if (load.mode === "concurrency") {
      drive = await driveClosedLoop(dispatcher, {
        concurrency: load.concurrency,
        count: measuredCount,
        durationMs,
        startOffsetsMs: o.rampUpS > 0 ? rampStartOffsetsMs(load.concurrency, o.rampUpS) : undefined,
      });
    } else {
      const offsetsMs = arrivalOffsetsMs({
        rate: load.rate,
        arrival: load.arrival,
        burstiness: load.burstiness,
        count: openLoopCount,
        rng: createRng(deriveSeed(o.seed, "arrivals")),
        rampUpS: o.rampUpS,
      });
      drive = await driveOpenLoop(dispatcher, { offsetsMs, maxConcurrency: load.maxConcurrency, durationMs });
    }
    clearInterval(progress);
    emitProgress();
    interrupted = Boolean(ctx.signal?.aborted);
    const { health, samples } = monitor.stop();
    recorder.flush();
    const summary = summarizeRun({
      id,
      api: o.api,
      model: ctx.model,
      target,
      load,
      status: interrupted ? "interrupted" : "completed",
      startedAt,
      records: recorder.measured,
      warmupCount: recorder.warmupCount,
      goodput: o.goodput,
      client: health,
      rampUpS: o.rampUpS,
      lastSendAt: drive.lastSendAt,
    });
    if (ctx.db) {
      appendTimeseries(ctx.db, id, samples.map((s) => ({ source: "client", name: s.name, tMs: s.tMs, value: s.value })));
      finishRun(ctx.db, id, interrupted ? "interrupted" : "completed", summary);
    }
    return { summary, records: recorder.measured, interrupted };
  } catch (e) {
    recorder.flush();
    if (ctx.db) finishRun(ctx.db, id, "failed");
    throw e;
  } finally {
    await closeTargets(pools);
  }
}

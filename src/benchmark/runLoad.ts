import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type { Db } from "../store/db.js";
import { appendTimeseries, createRun, finishRun } from "../store/runs.js";
import type { LoadSpec, ProtocolAdapter, RequestRecord, RunSummary, WorkItem, WorkloadSummary } from "../types.js";
import { closeTargets, createSelector, openTargets } from "../client/targets.js";
import { streamRequest, type RawResult } from "../client/streamRequest.js";
import { attributeTokens } from "../client/tokenCounts.js";
import { deriveLatencies } from "../measure/requestMetrics.js";
import { startClientMonitor } from "../measure/clientMonitor.js";
import { summarizeRun } from "../aggregate/summarize.js";
import { loadToJson, shapeOf } from "../schedule/shapes/index.js";
import type { Tokenizer } from "../workload/tokenizer.js";
import { driveClosedLoop, type Dispatcher } from "../schedule/drivers.js";
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
  meta: { options: unknown; host: unknown; serverInfo: unknown; workload?: WorkloadSummary; experimentId?: string; cellKey?: string; label?: string };
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

export async function runLoad(ctx: LoadContext, load: LoadSpec): Promise<LoadOutcome> {
  const { o, adapter, tokenizer, items } = ctx;
  const shape = shapeOf(load);
  const id = newRunId();
  const target = ctx.targets.join(",");
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
  const recorder = new Recorder(ctx.db, id);
  const measuredCount = o.requests;
  const plannedCount = measuredCount ?? (o.durationS !== undefined ? shape.countForDuration(load, o.durationS) : undefined) ?? 0;
  const pools = openTargets(ctx.targets, shape.maxInFlight(load, Math.max(plannedCount, o.warmup)), o.timeoutMs);
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
    recorder.add(toRecord(raw, item, t.url, scheduledAt, warmup, o.exactOutput, tokenizer));
  };

  let interrupted = false;
  try {
    // Warm-up at the same load shape, before the measured clock starts.
    if (o.warmup > 0 && !ctx.signal?.aborted) {
      await driveClosedLoop(
        { now, signal: ctx.signal, send: (seq, at) => sendOne(seq, at, true, seq) },
        { concurrency: shape.warmupConcurrency(load, o.warmup), count: o.warmup },
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
        if (shape.openLoop) monitor.recordSendLag(Math.max(0, now() - readyAt));
        await sendOne(seq, scheduledAt, false, o.warmup + seq);
      },
    };
    const durationMs = o.durationS !== undefined ? o.durationS * 1000 : undefined;
    const drive = await shape.drive(dispatcher, load, { count: measuredCount, durationMs, rampUpS: o.rampUpS, seed: o.seed });
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
      workload: ctx.meta.workload,
      percentiles: o.percentiles,
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

export function toRecord(
  raw: RawResult,
  item: WorkItem,
  target: string,
  scheduledAt: number,
  warmup: boolean,
  exactOutput: boolean,
  tokenizer: Tokenizer,
): RequestRecord {
  const attributed = attributeTokens(raw.chunks, raw.usage?.completionTokens, (s) => tokenizer.count(s));
  const outputTokens = attributed.total;
  const firstTokenAt = attributed.chunks[0]?.[0];
  const lat = deriveLatencies({
    scheduledAt,
    sentAt: raw.sentAt,
    firstTokenAt,
    endAt: raw.endAt,
    chunks: attributed.chunks,
    outputTokens,
    ok: raw.ok,
  });
  const serverPrompt = raw.usage?.promptTokens;
  return {
    index: item.index,
    target,
    warmup,
    scheduledAt,
    sentAt: raw.sentAt,
    firstTokenAt,
    endAt: raw.endAt,
    ok: raw.ok,
    httpStatus: raw.httpStatus,
    errorKind: raw.errorKind,
    error: raw.error,
    inputTokens: serverPrompt ?? item.inputTokens,
    inputTokensSource: serverPrompt !== undefined ? "server" : "workload",
    outputTokens,
    outputTokensSource: attributed.source,
    requestedOutputTokens: item.outputTokens,
    lengthMismatch: raw.ok && exactOutput && outputTokens !== item.outputTokens,
    chunks: attributed.chunks,
    ttftMs: lat.ttftMs,
    tpotMs: lat.tpotMs,
    e2eMs: lat.e2eMs,
    itlMs: lat.itlMs,
    clientWaitMs: lat.clientWaitMs,
    serverTimings: raw.timings,
  };
}

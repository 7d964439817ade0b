// Stores synthetic benchmark runs in a real SQLite database, summarised by the real aggregation code.
import type { Db } from "../../src/store/db.js";
import { appendRequests, createRun, finishRun } from "../../src/store/runs.js";
import { deriveLatencies } from "../../src/measure/requestMetrics.js";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { createRng } from "../../src/workload/rng.js";
import type { WorkloadSummary } from "../../src/aggregate/types.js";
import type { RequestRecord } from "../../src/measure/types.js";
import type { ApiKind } from "../../src/protocols/types.js";

/** Standard normal by Box-Muller from a seeded uniform source. */
export function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface SyntheticRun {
  id: string;
  /** Requests, run one after another per slot (closed loop with `concurrency` slots). */
  requests: number;
  concurrency: number;
  ttftMs: { mean: number; sd: number };
  itlMs: { mean: number; sd: number };
  outputTokens: number;
  seed: number;
  failEvery?: number;
  experimentId?: string;
  cellKey?: string;
  api?: ApiKind;
  workload?: WorkloadSummary;
}

export function storeSyntheticRun(db: Db, s: SyntheticRun): void {
  const gen = createRng(s.seed);
  const rand = () => gen.uniform();
  const z = normal(rand);
  const slotFree = new Array(s.concurrency).fill(0);
  const records: RequestRecord[] = [];
  for (let i = 0; i < s.requests; i++) {
    const slot = i % s.concurrency;
    const sentAt = slotFree[slot];
    const ttft = Math.max(1, s.ttftMs.mean + s.ttftMs.sd * z());
    const itl = Math.max(0.1, s.itlMs.mean + s.itlMs.sd * z());
    const ok = !(s.failEvery && i % s.failEvery === s.failEvery - 1);
    const tokens = ok ? s.outputTokens : 0;
    const chunks: Array<[number, number]> = Array.from({ length: tokens }, (_, k) => [sentAt + ttft + k * itl, 1]);
    const endAt = tokens ? chunks[tokens - 1][0] : sentAt + ttft;
    const base = {
      index: i,
      target: "http://127.0.0.1:1",
      warmup: false,
      scheduledAt: sentAt,
      sentAt,
      firstTokenAt: chunks[0]?.[0],
      endAt,
      ok,
      errorKind: ok ? undefined : ("http" as const),
      inputTokens: 32,
      inputTokensSource: "workload" as const,
      outputTokens: tokens,
      outputTokensSource: "server" as const,
      requestedOutputTokens: s.outputTokens,
      lengthMismatch: false,
      chunks,
    };
    records.push({ ...base, ...deriveLatencies(base) });
    slotFree[slot] = endAt;
  }
  const load = { mode: "concurrency" as const, concurrency: s.concurrency };
  createRun(db, { id: s.id, api: s.api ?? "openai-completions", model: "m", target: "http://127.0.0.1:1", load, toolVersion: "test", experimentId: s.experimentId, cellKey: s.cellKey, label: s.cellKey });
  appendRequests(db, s.id, 0, records);
  const summary = summarizeRun({
    id: s.id,
    api: s.api ?? "openai-completions",
    model: "m",
    target: "http://127.0.0.1:1",
    load,
    workload: s.workload,
    status: "completed",
    startedAt: new Date().toISOString(),
    records,
    warmupCount: 0,
    client: { saturated: false, reasons: [], event_loop_lag_ms: { p99: 0, max: 0 }, send_lag_ms: { p99: 0, max: 0 }, cpu_percent: 0 },
  });
  finishRun(db, s.id, "completed", summary);
}

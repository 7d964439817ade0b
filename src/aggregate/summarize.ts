import type { ClientHealth, GoodputSpec, RunSummary, WorkloadSummary } from "./types.js";
import type { RequestRecord } from "../measure/types.js";
import type { LatencyOrigin } from "../measure/requestMetrics.js";
import type { ApiKind } from "../protocols/types.js";
import type { LoadSpec } from "../schedule/types.js";
import { loadToJson } from "../schedule/shapes/index.js";
import { RunAccumulator } from "./accumulator.js";

export interface SummarizeInput {
  id: string;
  api: ApiKind;
  model: string;
  target: string;
  load: LoadSpec;
  workload?: WorkloadSummary;
  /** Percentiles (0..100) to compute beyond p50/p90/p95/p99, stored in each LatencyStats' `extra`. */
  percentiles?: readonly number[];
  status: "completed" | "interrupted";
  startedAt: string;
  /** Measured requests only (warm-up excluded), with latencies already derived (deriveLatencies). */
  records: RequestRecord[];
  warmupCount: number;
  goodput?: GoodputSpec;
  client: ClientHealth;
  /** Seconds of ramp-up, counted from the first measured send. */
  rampUpS?: number;
  /** Where the records' latencies count from (RunSummary.latency_origin); default "sent". */
  latencyOrigin?: LatencyOrigin;
  /** When the last request was sent (ms from run start); default: latest sentAt among records. */
  lastSendAt?: number;
}

/** Where a summary's latencies count from; runs stored before `latency_origin` existed counted from the scheduled arrival. */
export const latencyOriginOf = (s: Pick<RunSummary, "latency_origin">): LatencyOrigin => s.latency_origin ?? "scheduled";

/** RunSummary.load: the load's JSON form (JSON has no Infinity, so an unbounded rate is written "inf"). */
export const summarizeLoad = (load: LoadSpec): RunSummary["load"] => loadToJson(load);

/**
 * Whether a server's prompt count is really off the requested input length: by more than
 * 2 tokens (a BOS token, a chat template's few) and by more than 5% (relative slack for
 * long prompts). Both must hold, so neither a BOS on a 10-token prompt nor a template's
 * tokens on a 2,000-token prompt count as a mismatch.
 */
export function inputLengthMismatch(serverTokens: number, requestedTokens: number): boolean {
  const diff = Math.abs(serverTokens - requestedTokens);
  return diff > 2 && diff > 0.05 * requestedTokens;
}

/**
 * The summary of a run from its measured records in memory: RunAccumulator over them (the one
 * fold a live run, a shard merge and a worker merge use), so every path gives the same figures.
 */
export function summarizeRun(input: SummarizeInput): RunSummary {
  const acc = new RunAccumulator({ goodput: input.goodput });
  for (const r of input.records) acc.add(r);
  return acc.summary(input);
}

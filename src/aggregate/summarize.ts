import type {
  ApiKind,
  ClientHealth,
  CountSource,
  EndpointSummary,
  GoodputSpec,
  LoadSpec,
  RequestRecord,
  RunSummary,
  WorkloadSummary,
} from "../types.js";
import { latencyStats } from "./stats.js";
import { loadToJson } from "../schedule/shapes/index.js";
import { computeThroughput, type Window } from "./throughput.js";
import { computeGoodput, hasBounds } from "./goodput.js";
import { sessionsSummary } from "./sessions.js";

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
  /** When the last request was sent (ms from run start); default: latest sentAt among records. */
  lastSendAt?: number;
}

/** RunSummary.load: the load's JSON form (JSON has no Infinity, so an unbounded rate is written "inf"). */
export const summarizeLoad = (load: LoadSpec): RunSummary["load"] => loadToJson(load);

function countBy<T extends string>(records: readonly RequestRecord[], key: (r: RequestRecord) => T | undefined): Partial<Record<T, number>> {
  const out: Partial<Record<T, number>> = {};
  for (const r of records) {
    const k = key(r);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function collect(records: readonly RequestRecord[], pick: (r: RequestRecord) => number | undefined): number[] {
  const out: number[] = [];
  for (const r of records) {
    const v = pick(r);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The `reasoning` and `tool_calls` blocks, over completed requests that streamed such output. */
function outputKindBlocks(records: readonly RequestRecord[]): Pick<RunSummary, "reasoning" | "tool_calls"> {
  const ok = records.filter((r) => r.ok);
  const thinking = ok.filter((r) => (r.reasoningTokens ?? 0) > 0);
  const calling = ok.filter((r) => (r.toolCallTokens ?? 0) > 0);
  const out: Pick<RunSummary, "reasoning" | "tool_calls"> = {};
  if (thinking.length) {
    const reasoningTokens = thinking.reduce((a, r) => a + r.reasoningTokens!, 0);
    out.reasoning = {
      requests: thinking.length,
      reasoning_tokens: reasoningTokens,
      answer_tokens: thinking.reduce((a, r) => a + r.outputTokens, 0) - reasoningTokens,
      ttfo_ms: latencyStats(collect(thinking, (r) => r.ttfoMs)),
    };
  }
  if (calling.length) {
    out.tool_calls = {
      requests: calling.length,
      tokens: calling.reduce((a, r) => a + r.toolCallTokens!, 0),
      ttft_ms: latencyStats(collect(calling, (r) => r.toolCallTtftMs)),
    };
  }
  return out;
}

function latencyBlock(records: readonly RequestRecord[], ps: readonly number[]): RunSummary["latency_ms"] {
  const ok = records.filter((r) => r.ok);
  let itlCount = 0;
  for (const r of ok) itlCount += r.itlMs.length;
  const itl = new Float64Array(itlCount);
  let i = 0;
  for (const r of ok) for (const v of r.itlMs) itl[i++] = v;
  return {
    ttft: latencyStats(collect(ok, (r) => r.ttftMs), ps),
    tpot: latencyStats(collect(ok, (r) => r.tpotMs), ps),
    itl: latencyStats(itl, ps),
    e2e: latencyStats(collect(ok, (r) => r.e2eMs), ps),
    // Every measured request waited in the client, whatever its fate.
    client_wait: latencyStats(collect(records, (r) => r.clientWaitMs), ps),
  };
}

/**
 * Per-endpoint figures use the run's whole window as denominator, so the endpoints'
 * throughputs add up to the run's.
 */
function endpointSummaries(records: readonly RequestRecord[], whole: Window | null): EndpointSummary[] | undefined {
  const targets = [...new Set(records.map((r) => r.target))];
  if (targets.length < 2) return undefined;
  const durMs = whole ? whole.end - whole.start : 0;
  return targets.map((target) => {
    const mine = records.filter((r) => r.target === target);
    const ok = mine.filter((r) => r.ok);
    const out = ok.reduce((a, r) => a + r.outputTokens, 0);
    return {
      target,
      requests: { completed: ok.length, failed: mine.length - ok.length },
      throughput: {
        requests_per_s: durMs > 0 ? (ok.length * 1000) / durMs : 0,
        output_tokens_per_s: durMs > 0 ? (out * 1000) / durMs : 0,
      },
      latency_ms: { ttft: latencyStats(collect(ok, (r) => r.ttftMs)), e2e: latencyStats(collect(ok, (r) => r.e2eMs)) },
    };
  });
}

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

/** Server prompt counts against requested input lengths, over requests that have both. */
export function inputLengthCheck(records: readonly RequestRecord[]): { ratio?: number; mismatched: number; compared: number } {
  let server = 0;
  let requested = 0;
  let mismatched = 0;
  let compared = 0;
  for (const r of records) {
    if (r.inputTokensSource !== "server" || r.requestedInputTokens === undefined) continue;
    compared++;
    server += r.inputTokens;
    requested += r.requestedInputTokens;
    if (inputLengthMismatch(r.inputTokens, r.requestedInputTokens)) mismatched++;
  }
  return { ratio: compared > 0 && requested > 0 ? server / requested : undefined, mismatched, compared };
}

/** The most frequent (kind, message) among failed requests; ties go to the first seen. */
export function commonestError(records: readonly RequestRecord[]): { kind: string; message: string; count: number } | undefined {
  const counts = new Map<string, { kind: string; message: string; count: number }>();
  let best: { kind: string; message: string; count: number } | undefined;
  for (const r of records) {
    if (r.ok) continue;
    const kind = r.errorKind ?? "unknown";
    const message = r.error ?? "";
    const key = `${kind}\u0000${message}`;
    const e = counts.get(key) ?? { kind, message, count: 0 };
    e.count++;
    counts.set(key, e);
    if (!best || e.count > best.count) best = e;
  }
  return best && { ...best };
}

export function summarizeRun(input: SummarizeInput): RunSummary {
  const { records } = input;
  const completed = records.filter((r) => r.ok).length;
  const { throughput, whole } = computeThroughput(records, { rampUpS: input.rampUpS, lastSendAt: input.lastSendAt });
  const durationS = whole ? (whole.end - whole.start) / 1000 : 0;
  const inputCheck = inputLengthCheck(records);
  const topError = commonestError(records);
  const summary: RunSummary = {
    id: input.id,
    api: input.api,
    model: input.model,
    target: input.target,
    ...(input.workload ? { workload: input.workload } : {}),
    load: summarizeLoad(input.load),
    status: input.status,
    started_at: input.startedAt,
    requests: {
      sent: records.length,
      completed,
      failed: records.length - completed,
      length_mismatch: records.filter((r) => r.lengthMismatch).length,
      token_count_anomalies: records.filter((r) => r.tokenCountAnomaly !== undefined).length,
      warmup: input.warmupCount,
      errors: countBy(
        records.filter((r) => !r.ok),
        (r) => r.errorKind ?? "unknown",
      ) as Record<string, number>,
      ...(topError ? { commonest_error: topError } : {}),
      retried: records.filter((r) => r.retriedAfter !== undefined).length,
      finish_reasons: countBy(records, (r) => r.finishReason) as Record<string, number>,
      ...(inputCheck.ratio !== undefined ? { input_tokens_ratio: inputCheck.ratio } : {}),
      input_length_mismatch: inputCheck.mismatched,
      token_count_source: {
        input: countBy<CountSource>(records, (r) => r.inputTokensSource),
        output: countBy<CountSource>(records, (r) => r.outputTokensSource),
      },
    },
    duration_s: durationS,
    throughput,
    latency_ms: latencyBlock(records, input.percentiles ?? []),
    client: input.client,
  };
  if (hasBounds(input.goodput)) summary.goodput = computeGoodput(records, input.goodput, durationS);
  Object.assign(summary, outputKindBlocks(records));
  const sessions = sessionsSummary(records);
  if (sessions) summary.sessions = sessions;
  const endpoints = endpointSummaries(records, whole);
  if (endpoints) summary.endpoints = endpoints;
  return summary;
}

// Builds the per-request record, the unit everything downstream (aggregate, store, report)
// reads: the client's raw result -> token attribution -> latencies.

import type { RawResult } from "../client/streamRequest.js";
import { NO_TOKEN } from "../client/streamRequest.js";
import type { RequestRecord } from "./types.js";
import type { WorkItem } from "../workload/types.js";
import type { Tokenizer } from "../workload/tokenizer.js";
import { attributeTokens } from "./attribution.js";
import { deriveLatencies, latencyStart, type LatencyOrigin } from "./requestMetrics.js";

export interface RecordContext {
  item: WorkItem;
  target: string;
  /** Intended send time, ms from the run's start. */
  scheduledAt: number;
  /** When the driver let it out (a concurrency slot free), ms from the run's start; default scheduledAt. */
  dispatchedAt?: number;
  /** Where latencies count from; default "sent". */
  origin?: LatencyOrigin;
  warmup: boolean;
  exactOutput: boolean;
  tokenizer: Tokenizer;
}

export function buildRecord(raw: RawResult, c: RecordContext): RequestRecord {
  const attributed = attributeTokens(raw.chunks, raw.usage?.completionTokens, (s) => c.tokenizer.count(s));
  let { ok, errorKind, error } = raw;
  // A stream whose chunks all turned out to carry no token (e.g. only a final usage chunk).
  if (ok && attributed.chunks.length === 0) (ok = false), (errorKind = "protocol"), (error = NO_TOKEN);
  const outputTokens = attributed.total;
  const lat = deriveLatencies({ scheduledAt: c.scheduledAt, dispatchedAt: c.dispatchedAt, sentAt: raw.sentAt, origin: c.origin, endAt: raw.endAt, chunks: attributed.chunks, ok });
  const serverPrompt = raw.usage?.promptTokens;
  const record: RequestRecord = {
    index: c.item.index,
    target: c.target,
    warmup: c.warmup,
    scheduledAt: c.scheduledAt,
    dispatchedAt: c.scheduledAt + lat.queueMs,
    sentAt: raw.sentAt,
    firstTokenAt: attributed.chunks[0]?.[0],
    lastTokenAt: attributed.chunks.at(-1)?.[0],
    endAt: raw.endAt,
    ok,
    httpStatus: raw.httpStatus,
    errorKind,
    error,
    inputTokens: serverPrompt ?? c.item.inputTokens,
    inputTokensSource: serverPrompt !== undefined ? "server" : "workload",
    outputTokens,
    outputTokensSource: attributed.source,
    requestedOutputTokens: c.item.outputTokens,
    lengthMismatch: ok && c.exactOutput && outputTokens !== c.item.outputTokens,
    chunks: attributed.chunks,
    ttftMs: lat.ttftMs,
    tpotMs: lat.tpotMs,
    e2eMs: lat.e2eMs,
    itlMs: lat.itlMs,
    queueMs: lat.queueMs,
    clientWaitMs: lat.clientWaitMs,
    serverTimings: raw.timings,
    requestedInputTokens: c.item.inputTokens,
    ...cachedInput(raw),
    ...(raw.finishReason !== undefined ? { finishReason: raw.finishReason } : {}),
    ...(raw.retriedAfter !== undefined ? { retriedAfter: raw.retriedAfter } : {}),
    ...(c.item.session !== undefined ? { session: c.item.session, turn: c.item.turn } : {}),
  };
  if (attributed.anomaly) record.tokenCountAnomaly = attributed.anomaly;
  Object.assign(record, outputKinds(raw, attributed, latencyStart({ scheduledAt: c.scheduledAt, sentAt: raw.sentAt }, c.origin ?? "sent")));
  return record;
}

/**
 * The server's count of prompt tokens served from its prefix cache: the usage field where the
 * API has one, else llama.cpp's timings.cache_n (its native and OpenAI-style endpoints).
 */
export function cachedInputTokensOf(raw: Pick<RawResult, "usage" | "timings">): number | undefined {
  const n = raw.usage?.cachedPromptTokens ?? raw.timings?.cache_n;
  return n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function cachedInput(raw: RawResult): Pick<RequestRecord, "cachedInputTokens"> {
  const n = cachedInputTokensOf(raw);
  return n === undefined ? {} : { cachedInputTokens: n };
}

/**
 * Reasoning and tool-call figures of one request, from the kind of each chunk that carried tokens.
 * Empty for plain answers, so ordinary records stay small.
 */
function outputKinds(raw: RawResult, a: ReturnType<typeof attributeTokens>, from: number): Partial<RequestRecord> {
  let reasoning = 0;
  let toolCall = 0;
  let firstOutputAt: number | undefined;
  let firstToolCallAt: number | undefined;
  a.chunks.forEach(([t, k], i) => {
    const kind = raw.chunks[a.from[i]].kind ?? "answer";
    if (kind === "reasoning") reasoning += k;
    else firstOutputAt ??= t;
    if (kind === "tool_call") {
      toolCall += k;
      firstToolCallAt ??= t;
    }
  });
  const out: Partial<RequestRecord> = {};
  if (reasoning > 0) {
    out.reasoningTokens = reasoning;
    if (firstOutputAt !== undefined) out.ttfoMs = firstOutputAt - from;
  }
  if (toolCall > 0) {
    out.toolCallTokens = toolCall;
    out.toolCallTtftMs = firstToolCallAt! - from;
  }
  return out;
}

// The measurement stage's contract: one record per request. Times are ms on the monotonic
// clock (performance.now()) relative to the run's start, so they never jump with wall-clock changes.

import type { ErrorKind } from "../client/streamRequest.js";
export type { ErrorKind };

export type CountSource = "server" | "tokenizer" | "workload";

export interface RequestRecord {
  /** Workload item index. */
  index: number;
  target: string;
  warmup: boolean;
  /** When the schedule meant to send it (ms from run start). */
  scheduledAt: number;
  /**
   * When the driver let it out: a --max-concurrency slot was free (= scheduledAt without a cap
   * or wait). Absent in records stored before it existed (read as scheduledAt).
   */
  dispatchedAt?: number;
  /** When the request was actually written to the connection. */
  sentAt: number;
  /** Arrival of the first chunk with at least one generated token. */
  firstTokenAt?: number;
  /** Arrival of the last chunk with at least one generated token (E2E and TPOT end here). */
  lastTokenAt?: number;
  /** End of the stream (after any trailing usage chunk or [DONE]), or the failure time. */
  endAt: number;
  ok: boolean;
  httpStatus?: number;
  errorKind?: ErrorKind;
  error?: string;
  inputTokens: number;
  inputTokensSource: CountSource;
  outputTokens: number;
  outputTokensSource: CountSource;
  requestedOutputTokens: number;
  /** Output length differs from the one asked for (exact-output runs only). */
  lengthMismatch: boolean;
  /** Every content chunk: [arrival ms from run start, tokens in it]. */
  chunks: Array<[number, number]>;
  /** Derived latencies (ms) from the run's latency origin (RunSummary.latency_origin); undefined when not measurable (e.g. failed before a token). */
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
  /** Inter-token latencies, one per token after the first (a k-token chunk's gap split in k). */
  itlMs: number[];
  /** scheduledAt -> dispatchedAt: waiting for a concurrency slot (ms); absent in records stored before it existed. */
  queueMs?: number;
  /** dispatchedAt -> sentAt: the client's own lag (ms); in records stored before queueMs, scheduledAt -> sentAt. */
  clientWaitMs: number;
  serverTimings?: Record<string, number>;
  /** The server's token counts contradicted themselves; attribution fell back to estimates (why). */
  tokenCountAnomaly?: string;
  /** Tokens of reasoning chunks (reasoning models); present when > 0. */
  reasoningTokens?: number;
  /** Tokens of tool-call chunks; present when > 0. */
  toolCallTokens?: number;
  /** Time to first output token: latency origin (send by default) -> first non-reasoning token (AIPerf's TTFO); present with reasoning. */
  ttfoMs?: number;
  /** Latency origin (send by default) -> first tool-call token, ms; present with tool calls. */
  toolCallTtftMs?: number;
  /**
   * Prompt tokens the server reports it took from its prefix cache (llama.cpp timings.cache_n,
   * OpenAI usage.prompt_tokens_details.cached_tokens, SGLang meta_info.cached_tokens); absent
   * when it reported none.
   */
  cachedInputTokens?: number;
  /** Input length the workload asked for (its tokenizer's count), whatever the server counted. */
  requestedInputTokens?: number;
  /** Why generation stopped, as the server named it (finish_reason, stop_type, done_reason); absent when it said nothing. */
  finishReason?: string;
  /**
   * Sent a second time on a fresh connection because the first attempt died on a reused
   * keep-alive connection before any response byte; the first attempt's error.
   */
  retriedAfter?: string;
  /** Multi-turn sessions: the session (0-based) and the turn within it (0-based); absent otherwise. */
  session?: number;
  turn?: number;
}

/** The client's self-check over a run (docs/metrics.md section 7): whether its own delays could have bent the figures. */
export interface ClientHealth {
  saturated: boolean;
  reasons: string[];
  event_loop_lag_ms: { p99: number; max: number };
  send_lag_ms: { p99: number; max: number };
  cpu_percent: number;
  /**
   * Share of the time the busiest client event loop was running callbacks rather than waiting for
   * I/O, 0..1 (Node's performance.eventLoopUtilization() over the measured phase); absent in runs
   * stored before it existed.
   */
  event_loop_utilization?: number;
  /**
   * Percent of token events (each request's first excepted) that arrived in the same socket read
   * as the previous one: they get one timestamp, so their ITL reads 0. Absent when no request
   * had two token events.
   */
  same_read_pct?: number;
  /** Client event loops (worker threads, `--workers`) the run's streams were spread over; absent: 1. */
  workers?: number;
}

// The aggregation stage's contracts: a run's summary (the JSON every output and the store read).

import type { ApiKind } from "../protocols/types.js";
import type { LengthSpec } from "../workload/types.js";
import type { LoadJson } from "../schedule/types.js";
import type { ClientHealth, CountSource } from "../measure/types.js";
import type { LatencyOrigin } from "../measure/requestMetrics.js";
import type { LatencyStats } from "../stats.js";
export type { ClientHealth, LatencyStats };


export interface GoodputSpec {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}


export interface Throughput {
  requests_per_s: number;
  input_tokens_per_s: number;
  output_tokens_per_s: number;
  total_tokens_per_s: number;
  /** Output tokens/s over the steady-state window (ramp-up and drain excluded). */
  steady_output_tokens_per_s: number;
  /** Completed requests/s over the steady window, each counted by the share of its life [sentAt, endAt] inside it. */
  steady_requests_per_s: number;
  steady_window_s: [number, number];
  /** Present when the steady window was unusable and the steady figures repeat the whole-window ones: why. */
  steady_window_fallback?: string;
}

export interface EndpointSummary {
  target: string;
  requests: { completed: number; failed: number };
  throughput: Pick<Throughput, "requests_per_s" | "output_tokens_per_s">;
  latency_ms: { ttft: LatencyStats; e2e: LatencyStats };
}

/** What a run asked for: its workload and request counts, so a summary says what it measured. */
export interface WorkloadSummary {
  kind: "synthetic" | "dataset";
  /** Prompt length asked for, in tokens of `tokenizer` (synthetic workloads). */
  input_tokens?: LengthSpec;
  /** Output length asked for (max_tokens; exact when `exact_output`), synthetic workloads. */
  output_tokens?: LengthSpec;
  shared_prefix_tokens?: number;
  /** Trace replay: the measured prompts come from this trace (the lengths above then apply to warm-up only). */
  trace?: { path: string; block_size: number };
  /** Shares of requests per distinct shared prefix (several tenants), when more than one. */
  prefix_groups?: number[];
  dataset?: { path: string; format: "jsonl" | "sharegpt"; default_output_tokens?: number };
  /** Measured requests per run asked for; null when the run is bounded by `duration_s` alone. */
  requests: number | null;
  duration_s?: number;
  /** Requests sent before the measured phase and excluded from every figure. */
  warmup: number;
  /** Tokenizer that built the prompts and counts tokens the server does not report. */
  tokenizer: string;
  seed: number;
  /** Whether the server was asked for exactly the output length (ignore_eos / min_tokens). */
  exact_output: boolean;
}

export interface RunSummary {
  id: string;
  api: ApiKind;
  model: string;
  target: string;
  /** Absent in runs stored before tokenbench 0.1.1. */
  workload?: WorkloadSummary;
  /** The load in its JSON form (src/schedule/shapes): {mode:"concurrency",concurrency} or {mode:"rate",rate,arrival,burstiness?,max_concurrency?}. */
  load: LoadJson;
  /** "failed": the run ended normally but every measured request failed (nothing was measured). */
  status: "completed" | "interrupted" | "failed";
  started_at: string;
  requests: {
    sent: number;
    completed: number;
    failed: number;
    length_mismatch: number;
    /** Requests whose server token counts contradicted themselves (see RequestRecord.tokenCountAnomaly); absent in older stored summaries. */
    token_count_anomalies?: number;
    warmup: number;
    errors: Record<string, number>;
    /** The most frequent failure (kind and message), when any request failed. */
    commonest_error?: { kind: string; message: string; count: number };
    // The next three are always written; optional because summaries stored by older versions lack them.
    /** Requests sent again on a fresh connection after their reused connection was found closed. */
    retried?: number;
    /** Requests per stop reason the server gave (e.g. length, stop, eos, limit); requests without one are not counted. */
    finish_reasons?: Record<string, number>;
    /**
     * Server-counted prompt tokens / requested input tokens, summed over requests whose server
     * reported a prompt count; absent when none did.
     */
    input_tokens_ratio?: number;
    /** Requests whose server prompt count is off the requested input length by more than 2 tokens and 5%. */
    input_length_mismatch?: number;
    /**
     * Server-reported prompt tokens taken from its prefix cache / input tokens, summed over the
     * measured requests that reported a cached count (docs/metrics.md, "Prompt cache"); absent
     * when none did (and in summaries stored before it existed).
     */
    prompt_cache_hit_share?: number;
    /**
     * Prompt tokens the workload meant to share (its shared prefix) / input tokens, over the same
     * requests (all measured ones when none reported a cached count); absent when the load's
     * reuse is its own (trace replay, multi-turn sessions), when no request was measured, and in
     * older summaries.
     */
    prompt_cache_intended_share?: number;
    token_count_source: { input: Partial<Record<CountSource, number>>; output: Partial<Record<CountSource, number>> };
  };
  /** First send -> last completion of measured requests, seconds. */
  duration_s: number;
  throughput: Throughput;
  latency_ms: {
    ttft: LatencyStats;
    tpot: LatencyStats;
    itl: LatencyStats;
    e2e: LatencyStats;
    /** Scheduled arrival -> dispatch (waiting for a --max-concurrency slot), every measured request; absent in runs stored before it existed. */
    queue?: LatencyStats;
    /** Dispatch -> send: the client's own lag (before `queue` existed: scheduled arrival -> send). */
    client_wait: LatencyStats;
  };
  /**
   * Where TTFT, E2E, TTFO and tool-call TTFT count from: "sent" (the request's send, as vLLM,
   * GuideLLM and AIPerf count) or "scheduled" (its scheduled arrival, --latency-origin
   * scheduled). Absent in runs stored before it existed, which counted from "scheduled".
   */
  latency_origin?: LatencyOrigin;
  goodput?: { requests_per_s: number; fraction: number; bounds: GoodputSpec };
  /** Present when a completed request streamed reasoning: counts and time to first output (answer) token. */
  reasoning?: { requests: number; reasoning_tokens: number; answer_tokens: number; ttfo_ms: LatencyStats };
  /** Present when a completed request streamed a tool call: counts and time to the first tool-call token. */
  tool_calls?: { requests: number; tokens: number; ttft_ms: LatencyStats };
  /** Present for multi-turn session loads: per-turn latency and per-session totals (src/aggregate/sessions.ts). */
  sessions?: SessionsSummary;
  client: ClientHealth;
  endpoints?: EndpointSummary[];
  /**
   * Connections to the target(s): opened before the measured phase (warm-up and pre-connect, so
   * TTFT excludes TCP set-up) and during it (each such request's TTFT includes its connect), and
   * the TCP (+TLS) set-up time of all of them. Absent in runs stored before it existed.
   */
  connections?: { opened_before: number; opened_during: number; failed: number; connect_ms: LatencyStats };
  /** Present on a shard's run (`run --shard I/N`): which share it sent, from which common start (docs/metrics.md, "Shards and merge"). */
  shard?: ShardInfo;
  /** Present on a run made by `tokenbench merge`: the shard runs it combines. */
  merged?: { shards: number; run_ids: string[] };
}

/** A shard run's place in the whole run; what `tokenbench merge` needs beyond the records. */
export interface ShardInfo {
  index: number;
  count: number;
  /** Common start of the measured phase, epoch ms (--start-at), or this shard's own start when none was given. */
  start_at_ms: number;
  /** How late this shard began its measured phase after start_at_ms (warm-up overran, pod started late), ms. */
  start_lag_ms: number;
  /** Last measured send of this shard, ms from start_at_ms. */
  last_send_at_ms: number;
  /** Ramp-up the run used, seconds (the steady window starts after it). */
  ramp_up_s: number;
  /** Extra percentiles asked for (--percentiles). */
  percentiles: number[];
}

/** Multi-turn sessions of a run (docs/metrics.md, "Multi-turn sessions"). */
export interface SessionsSummary {
  /** Sessions with at least one measured request. */
  sessions: number;
  /** Sessions whose every turn completed. */
  completed: number;
  /** Per turn index (0-based): requests, failures and TTFT (the prefix cache shows as a lower TTFT on later turns). */
  by_turn: Array<{ turn: number; requests: number; failed: number; ttft_ms: LatencyStats; input_tokens_mean: number }>;
  /** Per session: first scheduled send -> last end, ms (think times included). */
  session_duration_ms: LatencyStats;
  /** Per session: sums over its requests. */
  input_tokens_per_session: LatencyStats;
  output_tokens_per_session: LatencyStats;
}

export interface SummaryDocument {
  tool: { name: "tokenbench"; version: string };
  runs: RunSummary[];
  /** Present for a sweep (`run --profile sweep`): one row per point, in load order (src/output/sweepTable.ts). */
  sweep_summary?: SweepSummaryRow[];
}

/** One sweep point (JSON `sweep_summary[]`, snake_case as the summary JSON). Latencies in ms, throughputs per second. */
export interface SweepSummaryRow {
  run_id: string;
  /** The load's short label ("c=1 (synchronous)", "3.5 req/s", "inf req/s"). */
  load: string;
  /** Offered request rate (req/s); "inf" for all at once; null for a closed-loop load. */
  rate: number | "inf" | null;
  requests_per_s: number;
  output_tokens_per_s: number;
  ttft_p50_ms: number | null;
  ttft_p99_ms: number | null;
  itl_p50_ms: number | null;
  itl_p99_ms: number | null;
  /** Requests/s within the run's goodput bounds; present only when the sweep had an SLO (--goodput). */
  goodput_requests_per_s?: number;
}


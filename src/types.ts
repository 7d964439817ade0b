// Shared contracts between the pipeline stages:
// workload -> schedule -> protocol client -> measurement -> aggregation -> store -> report.
// Times inside a run are milliseconds on the monotonic clock (performance.now()),
// relative to the run's start, so they never jump with wall-clock adjustments.

export const API_KINDS = [
  "openai-completions",
  "openai-chat",
  "tgi",
  "llamacpp",
  "ollama",
  "sglang",
  "lightllm",
  "triton",
] as const;
export type ApiKind = (typeof API_KINDS)[number];

// ---------- workload ----------

export interface WorkItem {
  /** Position in the workload; stable for a given seed. */
  index: number;
  prompt: string;
  /** Input length measured with the workload's tokenizer. */
  inputTokens: number;
  /** Output length asked for (max_tokens; also min_tokens when exact output is on). */
  outputTokens: number;
  /**
   * A conversation (multi-turn sessions): chat APIs send these messages; the others send
   * `prompt`, which then holds the same conversation flattened.
   */
  messages?: ChatMessage[];
  /** Multi-turn sessions: which session (0-based) and which turn of it (0-based). */
  session?: number;
  turn?: number;
}

/** One message of a chat conversation, as OpenAI-compatible chat APIs take it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type LengthSpec =
  | { kind: "fixed"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "normal"; mean: number; stddev: number; min?: number; max?: number };

export interface SyntheticWorkloadSpec {
  kind: "synthetic";
  input: LengthSpec;
  output: LengthSpec;
  /** Tokens of common prefix shared by every prompt (prefix-cache studies). */
  sharedPrefixTokens?: number;
  /**
   * Several shared prefixes (tenants' system prompts): the share of requests starting with each
   * of `sharedPrefixTokens` tokens; sums to 1. Absent: one prefix for every request.
   */
  prefixGroups?: number[];
}

export interface DatasetWorkloadSpec {
  kind: "dataset";
  format: "jsonl" | "sharegpt";
  path: string;
  /** Output length when the dataset has none. */
  defaultOutputTokens?: number;
}

export type WorkloadSpec = SyntheticWorkloadSpec | DatasetWorkloadSpec;

// ---------- load (schedule) ----------

export type ArrivalKind = "constant" | "poisson" | "gamma";

/** How requests are spread over several targets. */
export type BalanceStrategy = "round-robin" | "least-inflight";

/** A load (closed loop, open loop, ...): defined by the shape registry in src/schedule/shapes/. */
import type { LoadJson } from "./schedule/shapes/index.js";
export type { LoadSpec, LoadJson } from "./schedule/shapes/index.js";

// ---------- protocol ----------

export interface GenerationRequest {
  prompt: string;
  /** Whole conversation for chat APIs (multi-turn); absent: one user message holding `prompt`. */
  messages?: ChatMessage[];
  model?: string;
  maxTokens: number;
  /** Ask the server to produce exactly maxTokens (ignore_eos / min_tokens) where the API allows. */
  exactOutput: boolean;
  temperature?: number;
  seed?: number;
  /** Merged into the JSON body last, for server-specific knobs. */
  extraBody?: Record<string, unknown>;
}

export interface HttpRequestSpec {
  method: "POST" | "GET";
  /** Path with query, appended to the target's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a protocol parser extracts from the byte stream. */
/**
 * What a chunk's generated output is: the answer (default), reasoning (thinking text of reasoning
 * models) or a tool call (function name and arguments). All are generated tokens.
 */
export type OutputKind = "answer" | "reasoning" | "tool_call";

export type StreamEvent =
  /**
   * Generated output (text, reasoning or tool-call text; may be empty when the server held a
   * token's text back). `tokens`: how many tokens this chunk carries, when the server says so
   * exactly. `cumulative`: the server's running total of generated tokens as of this chunk (usage
   * on a content chunk), which attribution turns into per-chunk counts or reads as the total.
   */
  | { type: "content"; text: string; tokens?: number; cumulative?: number; kind?: OutputKind }
  /** Token counts reported by the server (may repeat; the last one wins). */
  | { type: "usage"; promptTokens?: number; completionTokens?: number; source: string }
  /** Server-side timings (ms unless the name says otherwise), kept as reported. */
  | { type: "timings"; values: Record<string, number> }
  | { type: "error"; message: string }
  /** The server named why generation stopped (finish_reason), whether or not an end marker follows. */
  | { type: "finish"; reason: string }
  /** Explicit end-of-stream marker ([DONE], done:true, final frame). */
  | { type: "done"; finishReason?: string };

export interface StreamParser {
  /** Feed decoded text as it arrives; returns the events completed by it. */
  feed(text: string): StreamEvent[];
  /** The stream ended; flush anything buffered. */
  end(): StreamEvent[];
}

export interface ProtocolAdapter {
  api: ApiKind;
  buildRequest(req: GenerationRequest): HttpRequestSpec;
  createParser(): StreamParser;
  /** Server timings carried in response headers (TGI x-queue-time etc.). */
  parseHeaders?(headers: Record<string, string | string[] | undefined>): Record<string, number>;
  /** Path answering the list of models, when the API has one. */
  modelsPath?: string;
  /** Model ids in the JSON body answered at modelsPath. */
  parseModels?(body: unknown): string[];
  /**
   * Whether the API can be asked for exactly maxTokens (ignore_eos / min_tokens).
   * "unsupported": the runner should warn that exact-output runs may end early.
   */
  exactOutput?: "native" | "unsupported";
}

// ---------- measurement ----------

export type ErrorKind =
  | "connect" // could not connect / connection refused
  | "http" // non-2xx status
  | "timeout" // per-request timeout (stall)
  | "protocol" // malformed stream, server-reported error event
  | "disconnect" // connection closed mid-stream before an end marker or full output
  | "aborted"; // run interrupted

export type CountSource = "server" | "tokenizer" | "workload";

export interface RequestRecord {
  /** Workload item index. */
  index: number;
  target: string;
  warmup: boolean;
  /** When the schedule meant to send it (ms from run start). */
  scheduledAt: number;
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
  /** Derived latencies (ms); undefined when not measurable (e.g. failed before a token). */
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
  /** Inter-token latencies, one per token after the first (a k-token chunk's gap split in k). */
  itlMs: number[];
  /** scheduledAt -> sentAt. */
  clientWaitMs: number;
  serverTimings?: Record<string, number>;
  /** The server's token counts contradicted themselves; attribution fell back to estimates (why). */
  tokenCountAnomaly?: string;
  /** Tokens of reasoning chunks (reasoning models); present when > 0. */
  reasoningTokens?: number;
  /** Tokens of tool-call chunks; present when > 0. */
  toolCallTokens?: number;
  /** Time to first output token: scheduled send -> first non-reasoning token (AIPerf's TTFO); present with reasoning. */
  ttfoMs?: number;
  /** Scheduled send -> first tool-call token, ms; present with tool calls. */
  toolCallTtftMs?: number;
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

// ---------- aggregation ----------

export interface LatencyStats {
  mean: number;
  stddev: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
  /** Percentiles asked for beyond the fixed ones (--percentiles), keyed "p99.9", "p25", ... */
  extra?: Record<string, number>;
  /**
   * Present (false) when the sample outgrew the exact cap (2^20 values) and its percentiles come
   * from an HdrHistogram: within 0.1% + 1 µs of the exact ones (docs/metrics.md); count, min, max exact.
   */
  exact?: false;
}

export interface GoodputSpec {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

export interface ClientHealth {
  saturated: boolean;
  reasons: string[];
  event_loop_lag_ms: { p99: number; max: number };
  send_lag_ms: { p99: number; max: number };
  cpu_percent: number;
  /** Client event loops (worker threads, `--workers`) the run's streams were spread over; absent: 1. */
  workers?: number;
}

export interface Throughput {
  requests_per_s: number;
  input_tokens_per_s: number;
  output_tokens_per_s: number;
  total_tokens_per_s: number;
  /** Output tokens/s over the steady-state window (ramp-up and drain excluded). */
  steady_output_tokens_per_s: number;
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
    client_wait: LatencyStats;
  };
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
}

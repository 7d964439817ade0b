import type { GoodputSpec, RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import type { LatencyOrigin } from "../measure/requestMetrics.js";
import type { ApiKind } from "../protocols/types.js";
import type { BalanceStrategy, LoadSpec } from "../schedule/types.js";
import type { WorkloadSpec } from "../workload/types.js";
import type { HttpClientKind } from "../client/targets.js";

export type { BalanceStrategy, HttpClientKind };

/** Everything `tokenbench run` can do, as a library call. */
export interface BenchmarkOptions {
  /**
   * Base URLs: scheme://host:port, optionally with the OpenAI SDK's "/v1" (dropped: API paths
   * carry it) or a reverse proxy's path prefix (kept). None: start the embedded llama.cpp
   * server for the run.
   */
  targets?: string[];
  api?: ApiKind;
  /** Model name sent to the server; default: first one /v1/models lists, else "default". */
  model?: string;
  /** Sent as `Authorization: Bearer`; never stored or printed. */
  apiKey?: string;
  /** Extra request headers; values are never stored or printed. */
  headers?: Record<string, string>;
  /**
   * What the caller knows about a server it started itself (e.g. EmbeddedTarget.serverInfo for a
   * sweep of the embedded engine), stored in the run's `server_info` over what the server reports.
   */
  serverInfo?: Record<string, unknown>;
  workload?: WorkloadSpec;
  /**
   * Path of a Hugging Face tokenizer.json, a bundled tokenizer's name ("llama3", "mistral") or
   * "bytes" (one token per UTF-8 byte). Default: the bundled Llama 3 tokenizer; for a generated
   * model on the embedded engine, the bundled tokenizer of its vocabulary (PRESETS[p].vocab).
   */
  tokenizer?: string;
  seed?: number;
  /** One run per load, in order. */
  loads?: LoadSpec[];
  /** Measured requests per load (warm-up excluded). */
  requests?: number;
  /** Stop sending after this many seconds (per load) instead of, or as well as, a request count. */
  durationS?: number;
  /** Requests sent first and excluded from the results. */
  warmup?: number;
  /** Seconds over which closed-loop concurrency (or open-loop rate) ramps to its target. */
  rampUpS?: number;
  /** Ask for exact output lengths (ignore_eos / min_tokens). Default true. */
  exactOutput?: boolean;
  temperature?: number;
  /** Per-request timeout, seconds: a stalled request fails with errorKind "timeout". */
  timeoutS?: number;
  goodput?: GoodputSpec;
  balance?: BalanceStrategy;
  /**
   * Which HTTP client streams the measured requests to http: targets: "tokenbench" (default; its own HTTP/1.1 reader,
   * src/client/h1.ts, about a third less client CPU per token event) or "undici" (the well-known one, for an A/B of the
   * client itself). https targets always use undici.
   */
  httpClient?: HttpClientKind;
  /**
   * Latency percentiles (0..100) to compute beyond the fixed p50/p90/p95/p99, e.g. [99.9]:
   * stored under each LatencyStats' `extra` ("p99.9") and shown by the console table.
   */
  percentiles?: number[];
  /** Extra JSON merged into every request body. */
  extraBody?: Record<string, unknown>;
  /**
   * Send one test request to each target before the run and throw PreflightError with the
   * server's message when it fails (wrong URL, API or model). Default true; skipped for the
   * embedded engine.
   */
  preflight?: boolean;
  /**
   * Send only shard `index` of `count` of each load (src/schedule/shard.ts); the summary gets a
   * `shard` block for `tokenbench merge`.
   */
  shard?: { index: number; count: number };
  /**
   * Wall-clock start of the measured phase, epoch ms (shards on several hosts share it): warm-up
   * runs before it, and every record's times count from it. One load per run.
   */
  startAtMs?: number;
  /**
   * Client worker threads (event loops) each load is spread over: 1 is one event loop in the
   * calling thread. Default: one per 256 requests that can be in flight, at most
   * min(cores - 1, 8); fewer when the load has less to split (closed loop: one per concurrent
   * request; sessions: 1). Records, summary and store are one run whatever the number.
   */
  workers?: number;
  /**
   * Run-wide ordinal of this call's first synthetic prompt (default 0). Each load takes the next
   * (warm-up + requests, or the duration pool) ordinals and the test request one more, so the
   * prompts of consecutive calls never repeat when each passes the previous call's
   * `BenchmarkResult.nextPromptOffset` (sweeps and `--profile sweep` do). Integer in [0, 2^53).
   */
  promptOffset?: number;
  /**
   * Where TTFT, E2E, TTFO and tool-call TTFT count from: "sent" (default; the request's send, as
   * vLLM's benchmark_serving, GuideLLM and AIPerf count) or "scheduled" (its scheduled arrival,
   * so waiting for a --max-concurrency slot or a late client shows in the latencies: the
   * coordinated-omission-free open-loop view). The wait for a slot is always reported apart
   * (latency_ms.queue). Stored as RunSummary.latency_origin. UsageError on another value.
   */
  latencyOrigin?: LatencyOrigin;
  /** Results database path; null: do not store. */
  db?: string | null;
  /** Grouping for experiments. */
  experimentId?: string;
  cellKey?: string;
  label?: string;
  /** The command line that started the run, stored (secrets masked) for the record. */
  command?: string[];
  /**
   * Embedded-server settings, used when no target is given. `engine`: "auto" (default:
   * llama.cpp's own llama-server binary when one is found, else node-llama-cpp), "llama-server"
   * (UsageError without a binary) or "node-llama-cpp"; `llamaServer`: the binary's path. The
   * engine that ran is stored with each run (server_info.engine, server_info.engine_reason).
   */
  embedded?: { preset?: string; model?: string; parallel?: number; threads?: number; context?: number; engine?: "auto" | "llama-server" | "node-llama-cpp"; llamaServer?: string };
  /**
   * Return every measured record in BenchmarkResult.records (default true). They are held in
   * memory for the whole run (about 100 bytes per streamed token): set false for long runs, whose
   * statistics are folded as requests finish in bounded memory (docs/reliability.md, "Memory");
   * the records then reach only the store (getRequests) and `onRecord`.
   */
  keepRecords?: boolean;
  /** Called with each measured record as it finishes, and its run's id (e.g. to write them out as the run goes). */
  onRecord?: (record: RequestRecord, runId: string) => void;
  signal?: AbortSignal;
  onProgress?: (p: ProgressUpdate) => void;
  /** Status lines (embedded server start, warnings); default: none from the library. */
  log?: (line: string) => void;
}

export interface ProgressUpdate {
  runIndex: number;
  runCount: number;
  load: LoadSpec;
  done: number;
  failed: number;
  total: number | null;
  inFlight: number;
  outputTokensPerS: number;
  elapsedS: number;
}

export interface BenchmarkResult {
  summaries: RunSummary[];
  /** Measured (non-warm-up) records per run, same order as summaries; empty arrays with keepRecords: false. */
  records: RequestRecord[][];
  interrupted: boolean;
  /** The promptOffset a following call should pass so that its prompts are not this call's. */
  nextPromptOffset?: number;
}

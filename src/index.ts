/**
 * tokenbench as a library: everything `tokenbench run | runs | compare | report | serve | model
 * | experiment | sweep` does, as functions. The CLI (src/cli) only parses flags and prints.
 *
 * Units throughout: latencies in milliseconds (`*_ms`, `*Ms`), durations in seconds (`*_s`,
 * `*S`), rates per second (`*_per_s`), token counts in the workload tokenizer's or the server's
 * tokens (each record says which: `inputTokensSource`, `outputTokensSource`). Times inside a
 * request record are monotonic ms from the start of the run's measured phase. Invalid input
 * (options, files, ids) throws {@link UsageError}; faults of the server under test never throw:
 * they are recorded per request and counted in the summary.
 *
 * ```ts
 * import { runBenchmark, openDb, listRuns } from "tokenbench";
 * const { summaries } = await runBenchmark({ targets: ["http://127.0.0.1:8000"], loads: [{ mode: "concurrency", concurrency: 8 }], requests: 100 });
 * console.log(summaries[0].throughput.output_tokens_per_s, summaries[0].latency_ms.ttft.p99);
 * ```
 *
 * @packageDocumentation
 */

// ---------- benchmark ----------
/**
 * `runBenchmark(options?: BenchmarkOptions): Promise<BenchmarkResult>` runs one benchmark per
 * load against `targets`, or against the embedded llama.cpp engine (started in a child process)
 * when none is given; each run is stored in the results DB (`db`, default
 * ~/.tokenbench/results.db; `null` to not store). Resolves with one RunSummary and the measured
 * RequestRecords per load.
 */
export { runBenchmark } from "./benchmark/run.js";
export type { BenchmarkOptions, BenchmarkResult, ProgressUpdate } from "./benchmark/options.js";
/** Defaults against a user's server (256 in / 256 out, 100 requests, concurrency 1) and for the embedded engine (64 / 32, 12 requests, concurrency 1 and 4). */
export { DEFAULTS, EMBEDDED_DEFAULTS } from "./benchmark/resolve.js";
export { API_KINDS } from "./protocols/types.js";
export type { SessionsSummary, ClientHealth, EndpointSummary, GoodputSpec, LatencyStats, RunSummary, ShardInfo, SummaryDocument, Throughput } from "./aggregate/types.js";
export type { CountSource, ErrorKind, RequestRecord } from "./measure/types.js";
export { LATENCY_ORIGINS, type LatencyOrigin } from "./measure/requestMetrics.js";
export type { ApiKind } from "./protocols/types.js";
export type { ArrivalKind, BalanceStrategy } from "./schedule/types.js";
export type { ChatMessage, DatasetWorkloadSpec, LengthSpec, SyntheticWorkloadSpec, WorkItem, WorkloadSpec } from "./workload/types.js";
export { UsageError } from "./errors.js";
export { TOOL_VERSION } from "./version.js";

// ---------- loads ----------
/**
 * Load shapes (src/schedule/shapes): `LoadSpec` is `{ mode: "concurrency", concurrency }` (closed
 * loop) or `{ mode: "rate", rate (req/s, Infinity = all at t=0), arrival, burstiness?, maxConcurrency? }`
 * (open loop), `{ mode: "trace", path, speedup, blockSize, maxConcurrency? }` (trace replay at the
 * recorded times) or `{ mode: "sessions", sessions, turns, concurrency, thinkTimeMs }` (multi-turn
 * conversations carrying the real answers; docs/workloads.md). `loadLabel` gives "c=4" / "2 req/s"; `loadToJson` / `loadFromJson` convert to and
 * from the snake_case form stored in summaries and the DB.
 */
export {
  describeLoad,
  LOAD_MODES,
  loadFromJson,
  loadLabel,
  loadProblem,
  loadSchema,
  loadToJson,
  parseLoadJson,
  type LoadJson,
  type LoadMode,
  type LoadShape,
  type LoadSpec,
} from "./schedule/shapes/index.js";

// ---------- results store ----------
/**
 * The SQLite results store. `openDb(path?, { readonly? })` opens (and migrates, unless read-only)
 * a DB; `listRuns(db, { limit?, experimentId?, status? })` lists runs newest first;
 * `getRun(db, idOrUniquePrefix)`; `getRequests(db, runId)` gives the RequestRecords in send
 * order; `getTimeseries(db, runId)` the client / server / GPU samples (tMs from run start).
 * Close the DB with `db.close()`.
 */
export { defaultDbPath, openDb, type Db } from "./store/db.js";
export { getRequests, getRun, getTimeseries, listRuns, type RunStatus, type StoredRun, type TimeseriesPoint } from "./store/runs.js";

// ---------- compare ----------
/**
 * `compare(db, ids, { baseline?, metrics?, seed?, resamples? }): Comparison` compares runs,
 * experiment cells or experiments: each metric's value per item, its ratio to the baseline and a
 * 95% bootstrap confidence interval of that ratio. Unknown ids throw UsageError.
 */
export { BENCH_METRICS, compare, type CompareOptions } from "./compare/index.js";
export type { ComparedItem, Comparison, MetricComparison, MetricValue } from "./compare/types.js";

// ---------- reports ----------
import type { Db as DbType } from "./store/db.js";
import { buildReport as buildReportWith, type Report } from "./report/index.js";
import type { ReportDataOptions } from "./report/data.js";
import { defaultCompare } from "./report/compareProvider.js";

/**
 * A self-contained HTML report (charts inlined, works from file://) of stored runs or
 * experiments: `ids` are run ids (or unique prefixes), cell keys or experiment ids. Returns
 * `{ html, charts, data }`; write `html` to a file. Several runs are compared against `baseline`
 * (default the first). Unknown ids throw UnknownIdError. PNG export: import
 * `writeChartPngs` from tokenbench's report/png module (kept out of here: ECharts loads in ~0.7 s).
 */
export function buildReport(db: DbType, ids: string[], opts: Omit<ReportDataOptions, "compare"> = {}): Report {
  return buildReportWith(db, ids, { compare: defaultCompare, ...opts });
}
export { renderReport, UnknownIdError, type ChartSpec, type Report, type ReportData } from "./report/index.js";

// ---------- embedded engine ----------
import type { EmbeddedServer, EmbeddedServerOptions } from "./engine/index.js";
export type { EmbeddedServer, EmbeddedServerOptions } from "./engine/index.js";

/**
 * Starts the embedded OpenAI-compatible llama.cpp server (`/v1/completions`,
 * `/v1/chat/completions`, `/v1/models`, `/metrics`) in this process, on `host:port` (default
 * 127.0.0.1 and a free port), with a generated `preset` model (default "small", cached under
 * TOKENBENCH_HOME) or a GGUF `model` file. Resolves with `{ url, modelName, engine, engineReason,
 * close() }` once it listens. `engine`: "node-llama-cpp" (default; in this process), "llama-server"
 * (llama.cpp's own server binary as a child process, found as `findLlamaServer` says; its API and
 * `llamacpp:*` metrics) or "auto" (llama-server when a binary is found). Bad options, an unusable
 * model or `engine: "llama-server"` without a binary throw UsageError. node-llama-cpp is loaded on the
 * first call only, so importing tokenbench stays fast.
 */
export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const engine = await import("./engine/index.js");
  return engine.startEmbeddedServer(opts);
}

// ---------- generated models ----------
/**
 * Models with random weights in real architectures (llama, qwen2, ...): `PRESETS` / `PRESET_NAMES`
 * list them; `generatePresetModel(preset, { seed?, out?, force?, log?, signal? })` writes the GGUF
 * (atomically; skipped when present) and resolves with `{ path, generated, seconds, bytes }`;
 * `presetCachePath(preset, seed?)` is where it is cached; `parameterCount(shape)`.
 */
export { generatePresetModel, presetCachePath } from "./engine/models.js";
export { parameterCount, PRESET_NAMES, PRESETS, type ModelShape, type PresetName } from "./engine/gguf/presets.js";
export { tokenbenchHome } from "./home.js";

// ---------- performance model ----------
// (src/predict, added separately: export its entry points here.)

// ---------- experiments and sweeps ----------
/** Experiment files: `loadExperimentFile(path)` validates one (UsageError naming the key); `runExperiment({ spec, file, db, ... })` runs its matrix, resuming stored cells. */
export { loadExperimentFile } from "./experiment/load.js";
export { runExperiment, type ExperimentResult, type RunExperimentOptions } from "./experiment/runner.js";
export type { ExperimentSpec } from "./experiment/schema.js";
/** `runSweep({ bench, config, slo })`: raises the load until throughput stops growing or the SLO fails; each point is a stored run. */
export { runSweep, type SweepOptions, type SweepResult } from "./sweep/run.js";
export type { SweepConfig, SweepPoint, SweepState } from "./sweep/strategy.js";
/**
 * GuideLLM-style sweep profile: `runSweepProfile({ ...BenchmarkOptions, rates: N })` runs at
 * concurrency 1, then rate inf, then N rates (req/s) evenly between the two request rates
 * measured (`sweepRates(sync, max, N)`); resolves with every run in that order.
 */
export { runSweepProfile, sweepRates } from "./benchmark/profile.js";
/**
 * The table a sweep ends with: `sweepSummary(summaries)` -> one SweepSummaryRow per run in load
 * order (figures read from the summaries: req/s, output tok/s, TTFT/ITL p50/p99 ms, goodput req/s);
 * `renderSweepTable(rows)` -> the console text.
 */
export { renderSweepTable, sweepSummary, type SweepSummaryRow } from "./output/sweepTable.js";

// ---------- workload and outputs ----------
/** Prompts of exact token length and datasets: `buildWorkload(spec, { count, seed, tokenizer })` resolves with WorkItems. */
export { buildWorkload, byteTokenizer, loadTokenizer, type Tokenizer } from "./workload/index.js";
/**
 * Request traces: `readTrace(file)` parses JSONL (Mooncake `timestamp` ms / `input_length` /
 * `output_length` / `hash_ids`, or `timestamp` + `prompt`) into TraceEntry[] sorted by time,
 * throwing "file:line: what" on a bad line; `tracePrompts(entries, { tokenizer, seed, blockSize })`
 * builds WorkItems whose equal hash ids are identical blocks of blockSize tokens;
 * `traceStats(entries, { blockSize, windows? })` gives lengths (tokens), arrival rate per window
 * (req/s) and the share of reused prefix blocks (0-1).
 */
export { readTrace, tracePrompts, traceStats, DEFAULT_BLOCK_SIZE, type TraceEntry, type TraceStats } from "./workload/trace.js";
/** Per-turn TTFT and per-session totals of multi-turn records (RunSummary.sessions). */
export { sessionsSummary } from "./aggregate/sessions.js";
/**
 * Run statistics in bounded memory (docs/metrics.md section 3): `new RunAccumulator({ goodput })`,
 * `add(record)` per measured RequestRecord, `merge(other)` across processes, `summary(input)` gives
 * the RunSummary that `summarizeRun({ ...input, records })` gives. `Distribution`: one latency
 * population (ms), exact up to EXACT_VALUES_CAP values, then an HdrHistogram (`stats().exact === false`).
 */
export { RunAccumulator, type SummaryInput } from "./aggregate/accumulator.js";
export { summarizeRun, type SummarizeInput } from "./aggregate/summarize.js";
export { Distribution, EXACT_VALUES_CAP } from "./aggregate/distribution.js";
/** `new RecordsJsonlWriter(path)`: `write(record)` as a run's onRecord (whole lines appended to `path` at least every second), `close()` flushes and closes. */
export { RecordsJsonlWriter } from "./output/jsonl.js";
/**
 * The metric table: every run-level metric an output shows, with its key (`ttft`,
 * `output_tokens_per_s`, ...), label, unit, better direction, accessor from a RunSummary and the
 * docs/metrics.md section defining it (src/aggregate/metricTable.ts).
 */
export { METRICS, latencyMetrics, valueMetrics, type Metric, type LatencyMetric, type ValueMetric, type Better, type Stat } from "./aggregate/metricTable.js";
/**
 * Outputs behind one interface: `OutputSink { name, check?(), onRecord?(runId, record),
 * write({ summaries, records }), close?() }`; FILE_SINKS is the registry of file outputs (flag,
 * description, create(path, { db })), consoleSink(opts) the console table; checkSinks before the
 * work, writeSinks after it.
 */
export { FILE_SINKS, consoleSink, checkSinks, writeSinks, sinksFromFlags, type OutputSink, type FileSinkKind, type SinkContext, type SinkResult } from "./output/sinks.js";
/** The CLI's outputs: console table, JSON summary document, JSONL records, CSV. */
export { renderRunTable } from "./output/consoleTable.js";
export { summaryDocument, writeJsonSummary } from "./output/jsonSummary.js";
export { withRunIds, writeRecordsJsonl } from "./output/jsonl.js";
export { flattenSummary, writeCsv } from "./output/csv.js";

// ---- Beyond one process: shards, merge, the Kubernetes Job (docs/client-capacity.md) ----
// runBenchmark({ shard: {index, count}, startAtMs }) runs one shard; these combine and launch them.
export { mergeShardRuns, groupShardFiles, camelRecord, MergeError, type ShardRun } from "./benchmark/merge.js";
export { parseShard, planShard, shareOf, MAX_SHARDS, type ShardSpec, type ShardPlan } from "./schedule/shard.js";
export { buildShardJob, JOB_OWNED_FLAGS, type ShardJobOptions } from "./k8s/job.js";

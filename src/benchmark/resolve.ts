import { z } from "zod";
import { UsageError } from "../errors.js";
import { type GoodputSpec } from "../aggregate/types.js";
import { API_KINDS, type ApiKind } from "../protocols/types.js";
import { type LoadSpec } from "../schedule/types.js";
import { type LengthSpec, type WorkloadSpec } from "../workload/types.js";
import { describeLoad, loadProblem, loadSchema, ownsRequests, shapeOf } from "../schedule/shapes/index.js";
import { MAX_SHARDS, planShard } from "../schedule/shard.js";
import { MAX_WORKERS, workersProblem } from "./workers.js";

/** A load's description for an error message, even when it does not validate. */
function describeLoadLoose(l: unknown): string {
  const r = loadSchema.safeParse(l);
  return r.success ? describeLoad(r.data) : JSON.stringify(l, (_k, v) => (v === Infinity ? "inf" : v));
}
import type { BalanceStrategy, BenchmarkOptions } from "./options.js";
import { HTTP_CLIENTS, normalizeBaseUrl, type HttpClientKind } from "../client/targets.js";
import { LATENCY_ORIGINS, type LatencyOrigin } from "../measure/requestMetrics.js";
import { beyond, MAX_CONCURRENCY, MAX_REQUESTS, MAX_TIMER_S, TIMER_WHY } from "../limits.js";

/** Defaults against a user's server: the studies' 256 in / 256 out shape. */
export const DEFAULTS = {
  api: "openai-completions" as ApiKind,
  seed: 42,
  requests: 100,
  warmup: 2,
  inputTokens: 256,
  outputTokens: 256,
  concurrency: 1,
  timeoutS: 600,
  balance: "round-robin" as BalanceStrategy,
  httpClient: "tokenbench" as HttpClientKind,
  latencyOrigin: "sent" as LatencyOrigin,
};

/**
 * Defaults for the embedded engine on a 2-core laptop: small enough that model generation plus
 * two load levels finish in about a minute, big enough to show batching at work.
 */
export const EMBEDDED_DEFAULTS = {
  preset: "small",
  parallel: 4,
  requests: 12,
  warmup: 1,
  inputTokens: 64,
  outputTokens: 32,
  concurrencies: [1, 4],
};

/** A synthetic workload, lengths not given taken from the defaults for the kind of target. */
export function syntheticWorkload(embedded: boolean, input?: LengthSpec, output?: LengthSpec, sharedPrefixTokens?: number): WorkloadSpec {
  const d = embedded ? EMBEDDED_DEFAULTS : DEFAULTS;
  return {
    kind: "synthetic",
    input: input ?? { kind: "fixed", value: d.inputTokens },
    output: output ?? { kind: "fixed", value: d.outputTokens },
    sharedPrefixTokens,
  };
}

/** APIs the embedded engine (`tokenbench serve`) answers. */
export const EMBEDDED_APIS: readonly ApiKind[] = ["openai-completions", "openai-chat"];

/** JSONL lines without an output length take the default output length of the kind of target. */
function withDefaultOutput(w: WorkloadSpec, embedded: boolean): WorkloadSpec {
  if (w.kind !== "dataset" || w.format !== "jsonl" || w.defaultOutputTokens !== undefined) return w;
  return { ...w, defaultOutputTokens: (embedded ? EMBEDDED_DEFAULTS : DEFAULTS).outputTokens };
}

export interface ResolvedOptions {
  targets: string[] | null;
  api: ApiKind;
  model?: string;
  headers: Record<string, string>;
  workload: WorkloadSpec;
  tokenizer?: string;
  seed: number;
  loads: LoadSpec[];
  requests?: number;
  durationS?: number;
  warmup: number;
  rampUpS: number;
  exactOutput: boolean;
  temperature?: number;
  timeoutMs: number;
  goodput?: GoodputSpec;
  balance: BalanceStrategy;
  httpClient: HttpClientKind;
  extraBody?: Record<string, unknown>;
  preflight: boolean;
  /** Percentiles computed beyond p50/p90/p95/p99 (ascending, deduplicated). */
  percentiles: number[];
  db: string | null | undefined;
  shard?: { index: number; count: number };
  startAtMs?: number;
  /** Client worker threads per load (undefined: the default, workersFor in ./workers.ts). */
  workers?: number;
  latencyOrigin: LatencyOrigin;
}

const positive = z.number().positive();
const count = z.number().int().nonnegative();

/**
 * Every key BenchmarkOptions has: a library caller's typo (`inputTokens` instead of a workload)
 * must not be ignored silently. The two type checks below keep the list and the interface equal.
 */
const OPTION_KEYS = [
  "targets", "api", "model", "apiKey", "headers", "serverInfo", "workload", "tokenizer", "seed", "loads", "requests", "durationS", "warmup",
  "rampUpS", "exactOutput", "temperature", "timeoutS", "goodput", "balance", "httpClient", "percentiles", "extraBody", "preflight", "shard",
  "startAtMs", "workers", "promptOffset", "latencyOrigin", "db", "experimentId", "cellKey", "label", "command", "embedded", "keepRecords", "onRecord", "signal",
  "onProgress", "log",
] as const satisfies ReadonlyArray<keyof BenchmarkOptions>;
type MissingKeys = Exclude<keyof BenchmarkOptions, (typeof OPTION_KEYS)[number]>;
const allKeysListed: [MissingKeys] extends [never] ? true : MissingKeys = true;
void allKeysListed;

/** Unknown option keys and a malformed workload, named in one line (library callers have no type checker at run time). */
function checkShape(opts: BenchmarkOptions): void {
  const unknown = Object.keys(opts).filter((k) => !(OPTION_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (options: ${OPTION_KEYS.join(", ")})`);
  const w = opts.workload as { kind?: unknown } | undefined;
  if (w !== undefined && w.kind !== "synthetic" && w.kind !== "dataset") {
    throw new UsageError(`invalid workload: kind must be "synthetic" (input, output: {kind:"fixed",value} ...) or "dataset" (format, path); got ${JSON.stringify(opts.workload)}`);
  }
}

export function resolveOptions(opts: BenchmarkOptions): ResolvedOptions {
  checkShape(opts);
  const embedded = !opts.targets || opts.targets.length === 0;
  const targets = (opts.targets ?? []).map((t) => {
    try {
      return normalizeBaseUrl(t);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  if (opts.api && !API_KINDS.includes(opts.api)) throw new UsageError(`unknown api "${opts.api}" (one of ${API_KINDS.join(", ")})`);
  if (opts.httpClient !== undefined && !HTTP_CLIENTS.includes(opts.httpClient)) {
    throw new UsageError(`unknown http client "${opts.httpClient}" (one of ${HTTP_CLIENTS.join(", ")})`);
  }
  if (opts.latencyOrigin !== undefined && !LATENCY_ORIGINS.includes(opts.latencyOrigin)) {
    throw new UsageError(`unknown latency origin "${opts.latencyOrigin}" (one of ${LATENCY_ORIGINS.join(", ")})`);
  }
  if (embedded && opts.api && !EMBEDDED_APIS.includes(opts.api)) {
    throw new UsageError(`the embedded engine speaks ${EMBEDDED_APIS.join(" and ")}; give a target to use the ${opts.api} API`);
  }
  const loads = opts.loads ?? (embedded ? EMBEDDED_DEFAULTS.concurrencies : [DEFAULTS.concurrency]).map((c) => ({ mode: "concurrency" as const, concurrency: c }));
  loads.forEach((l, i) => {
    const problem = loadProblem(l, { requests: opts.requests, durationS: opts.durationS });
    if (problem) throw new UsageError(`invalid load #${i + 1} (${describeLoadLoose(l)}): ${problem}`);
  });
  const check = (name: string, v: number | undefined, schema: z.ZodNumber) => {
    if (v !== undefined && !schema.safeParse(v).success) throw new UsageError(`invalid ${name}: ${v}`);
  };
  check("requests", opts.requests, z.number().int().positive());
  check("duration", opts.durationS, positive);
  check("warmup", opts.warmup, count);
  check("ramp-up", opts.rampUpS, z.number().nonnegative());
  check("timeout", opts.timeoutS, positive);
  const tooBig =
    beyond("timeout", opts.timeoutS ?? 0, MAX_TIMER_S, "s", TIMER_WHY) ??
    beyond("ramp-up", opts.rampUpS ?? 0, MAX_TIMER_S, "s", TIMER_WHY) ??
    beyond("duration", opts.durationS ?? 0, MAX_TIMER_S, "s", TIMER_WHY) ??
    beyond("requests + warmup", (opts.requests ?? (opts.durationS !== undefined ? 0 : embedded ? EMBEDDED_DEFAULTS.requests : DEFAULTS.requests)) + (opts.warmup ?? (embedded ? EMBEDDED_DEFAULTS.warmup : DEFAULTS.warmup)), MAX_REQUESTS, "", "each gets a prompt and a record in memory") ??
    loads.map((l) => beyond("concurrency", "concurrency" in l ? l.concurrency : l.maxConcurrency ?? 0, MAX_CONCURRENCY)).find(Boolean) ??
    loads
      .map((l) =>
        l.mode === "rate" && Number.isFinite(l.rate) && opts.requests === undefined && opts.durationS !== undefined
          ? beyond(`rate ${l.rate}/s x duration ${opts.durationS} s: arrivals`, Math.ceil(l.rate * opts.durationS), MAX_REQUESTS, "", "each gets a prompt and a record in memory")
          : undefined,
      )
      .find(Boolean);
  if (tooBig) throw new UsageError(tooBig);
  for (const l of loads) {
    if (l.mode === "rate" && !Number.isFinite(l.rate) && opts.requests === undefined && opts.durationS !== undefined) {
      throw new UsageError("rate inf needs --requests (an infinite rate for a duration has no end)");
    }
  }
  for (const p of opts.percentiles ?? []) check("percentile", p, z.number().min(0).max(100));
  if (opts.promptOffset !== undefined && (!Number.isSafeInteger(opts.promptOffset) || opts.promptOffset < 0)) throw new UsageError(`invalid prompt offset: ${opts.promptOffset} (an integer >= 0)`);
  if (opts.startAtMs !== undefined && (!Number.isSafeInteger(opts.startAtMs) || opts.startAtMs <= 0)) throw new UsageError(`invalid start time: ${opts.startAtMs} (epoch milliseconds)`);
  if (opts.startAtMs !== undefined && loads.length > 1) throw new UsageError("--start-at takes one load per run (one --concurrency or --rate value)");
  if (opts.shard) {
    const { index, count } = opts.shard;
    if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS || !Number.isInteger(index) || index < 0 || index >= count) throw new UsageError(`invalid shard ${index}/${count}`);
    for (const l of loads) {
      try {
        planShard(shapeOf(l), l, opts.requests, opts.shard);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
  }
  if (opts.workers !== undefined) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > MAX_WORKERS) throw new UsageError(`invalid workers: ${opts.workers} (1..${MAX_WORKERS})`);
    for (const l of loads) {
      const problem = workersProblem(l, opts.workers);
      if (problem) throw new UsageError(problem);
    }
  }
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  // Written verbatim into the request head by tokenbench's HTTP/1.1 client: a CR or LF would split it.
  // The value is left out of the message: it may be a key.
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new UsageError(`invalid header name ${JSON.stringify(name.slice(0, 60))}`);
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) throw new UsageError(`header ${name}: the value must be one line of text`);
  }
  // Loads that bring their own requests (a trace, sessions x turns) run them all unless told otherwise.
  const requests = opts.requests ?? (opts.durationS !== undefined || loads.every(ownsRequests) ? undefined : embedded ? EMBEDDED_DEFAULTS.requests : DEFAULTS.requests);
  return {
    targets: embedded ? null : targets,
    api: opts.api ?? DEFAULTS.api,
    model: opts.model,
    headers,
    workload: withDefaultOutput(opts.workload ?? syntheticWorkload(embedded), embedded),
    tokenizer: opts.tokenizer,
    seed: opts.seed ?? DEFAULTS.seed,
    loads,
    requests,
    durationS: opts.durationS,
    warmup: opts.warmup ?? (embedded ? EMBEDDED_DEFAULTS.warmup : DEFAULTS.warmup),
    rampUpS: opts.rampUpS ?? 0,
    exactOutput: opts.exactOutput ?? true,
    temperature: opts.temperature,
    timeoutMs: (opts.timeoutS ?? DEFAULTS.timeoutS) * 1000,
    goodput: opts.goodput,
    balance: opts.balance ?? DEFAULTS.balance,
    httpClient: opts.httpClient ?? DEFAULTS.httpClient,
    extraBody: opts.extraBody,
    preflight: opts.preflight ?? true,
    latencyOrigin: opts.latencyOrigin ?? DEFAULTS.latencyOrigin,
    percentiles: [...new Set(opts.percentiles ?? [])].sort((a, b) => a - b),
    db: opts.db,
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(opts.startAtMs !== undefined ? { startAtMs: opts.startAtMs } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
  };
}

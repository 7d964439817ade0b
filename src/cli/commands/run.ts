import { Command, InvalidArgumentError, Option } from "commander";
import { HTTP_CLIENTS, type HttpClientKind } from "../../client/targets.js";
import { prefixGroupsProblem } from "../../workload/synthetic.js";
import { runBenchmark } from "../../benchmark/run.js";
import { runSweepProfile } from "../../benchmark/profile.js";
import { DEFAULTS, EMBEDDED_DEFAULTS, syntheticWorkload } from "../../benchmark/resolve.js";
import type { BenchmarkOptions } from "../../benchmark/options.js";
import type { ApiKind } from "../../protocols/types.js";
import type { LoadSpec } from "../../schedule/types.js";
import type { WorkloadSpec } from "../../workload/types.js";
import { addEmbeddedOptions, addRequestOptions, addStoreOptions, addTargetOptions, apiKeyFromEnv, type LatencyOrigin } from "../sharedOptions.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";
import { createProgress } from "../../output/progress.js";
import { addSinkOptions, checkSinks, consoleSink, sinksFromFlags, tableStream, writeSinks } from "../../output/sinks.js";
import { latencyMetrics } from "../../aggregate/metricTable.js";
import { defaultDbPath } from "../../store/db.js";
import { runFailure } from "../../benchmark/verdict.js";

interface RunFlags {
  target?: string[];
  api: ApiKind;
  model?: string;
  apiKey?: string;
  header?: Record<string, string>;
  inputTokens?: ReturnType<typeof p.lengthSpec>;
  outputTokens?: ReturnType<typeof p.lengthSpec>;
  sharedPrefix?: number;
  prefixGroups?: number[];
  dataset?: string;
  datasetFormat?: "jsonl" | "sharegpt";
  tokenizer?: string;
  seed?: number;
  concurrency?: number[];
  rate?: number[];
  arrival: "constant" | "poisson" | "gamma";
  burstiness?: number;
  maxConcurrency?: number;
  requests?: number;
  duration?: number;
  warmup?: number;
  rampUp?: number;
  exactOutput: boolean;
  temperature?: number;
  timeout?: number;
  extraBody?: Record<string, unknown>;
  preflight: boolean;
  latencyOrigin: LatencyOrigin;
  maxErrorRate?: number;
  goodput?: ReturnType<typeof p.goodput>;
  balance: "round-robin" | "least-inflight";
  httpClient: HttpClientKind;
  db?: string;
  store: boolean;
  label?: string;
  preset?: string;
  modelFile?: string;
  parallel?: number;
  threads?: number;
  engine?: "auto" | "llama-server" | "node-llama-cpp";
  llamaServer?: string;
  progress: boolean;
  percentiles?: number[];
  percentileMetrics?: string[];
  trace?: string;
  speedup?: number;
  blockSize?: number;
  sessions?: number;
  turns?: number;
  thinkTime?: number;
  profile?: "sweep";
  profileRates?: number;
  shard?: { index: number; count: number };
  startAt?: number;
  workers?: number;
}

export function register(program: Command): void {
  const cmd = program.command("run").description("benchmark a server (or, with no --target, the embedded llama.cpp engine)");
  addTargetOptions(cmd);
  addRequestOptions(cmd);
  addStoreOptions(cmd);
  addEmbeddedOptions(cmd);
  cmd
    .option("--shared-prefix <n>", "tokens of common prefix in every synthetic prompt", p.nonNegativeInt)
    .option("--prefix-groups <n|shares>", "several shared prefixes (tenants' system prompts): N equal groups, or shares like 0.5,0.3,0.2; needs --shared-prefix", prefixGroupsFlag)
    .option("--dataset <file>", "prompts from a JSONL or ShareGPT JSON file")
    .addOption(new Option("--dataset-format <fmt>", "dataset format").choices(["jsonl", "sharegpt"]))
    .option("-c, --concurrency <list>", `closed loop: concurrent requests, one run per value, e.g. 1,2,4 (default ${DEFAULTS.concurrency}; embedded engine ${EMBEDDED_DEFAULTS.concurrencies.join(",")})`, p.intList)
    .option("-r, --rate <list>", "open loop: requests/s, one run per value, e.g. 2,8,inf (inf: all at once); vLLM's --request-rate", p.rateList)
    .option("--arrival <kind>", "open-loop arrivals: constant | poisson | gamma", p.arrival, "poisson")
    .option("--burstiness <shape>", "gamma shape (1 = Poisson, <1 burstier)", p.positiveNumber)
    .option("--max-concurrency <n>", "open loop: cap on requests in flight", p.positiveInt)
    .option("--ramp-up <s>", "seconds to ramp up to the target load", p.nonNegativeNumber)
    .option("--no-exact-output", "do not ask for exact output lengths (ignore_eos/min_tokens)")
    .option("--temperature <t>", "sampling temperature", p.nonNegativeNumber)
    .option("--goodput <bounds>", "SLO bounds, e.g. 'ttft:500 tpot:50 e2e:10000' (ms)", p.goodput)
    .option("--max-error-rate <f>", "exit 1 when a run's failed fraction is above this (0-1; CI use); a run where every request failed always exits 1", p.fraction)
    .option("--percentiles <list>", "latency percentile columns, e.g. 50,90,99.9 (default 50,90,99; p50/p90/p95/p99 are always stored); vLLM's --metric-percentiles", p.percentileList)
    .option("--percentile-metrics <list>", `latency rows shown: ${latencyMetrics().map((m) => m.key).join(",")} (e2el for e2e; default all)`, p.latencyMetricList)
    .addOption(new Option("--balance <strategy>", "spreading over targets").choices(["round-robin", "least-inflight"]).default("round-robin"))
    .addOption(new Option("--http-client <client>", "client for http: targets: tokenbench's own HTTP/1.1 reader or undici (https: always undici)").choices([...HTTP_CLIENTS]).default("tokenbench"));
  addSinkOptions(cmd);
  cmd
    .option("--label <text>", "label stored with the runs")
    .option("--trace <file>", "replay a JSONL trace (Mooncake: timestamp ms, input_length, output_length, hash_ids) at its recorded times; docs/workloads.md")
    .option("--speedup <x>", "trace: replay this many times faster (default 1)", p.positiveNumber)
    .option("--block-size <n>", "trace: tokens per hash id (default 512, as in the Mooncake traces)", p.positiveInt)
    .option("--sessions <n>", "multi-turn: this many conversations, --concurrency of them at once; each turn carries the history with the real answers", p.positiveInt)
    .option("--turns <k>", "multi-turn: turns per conversation (default 3)", p.positiveInt)
    .option("--think-time <ms>", "multi-turn: pause between an answer and the next turn (default 0)", p.nonNegativeNumber)
    .addOption(new Option("--profile <name>", "sweep: a synchronous run (c=1), a maximum-throughput run (rate inf), then --profile-rates rates evenly between them (GuideLLM's sweep)").choices(["sweep"]))
    .option("--profile-rates <n>", "sweep: rates between synchronous and maximum (default 8)", p.positiveInt)
    .option("--model-file <gguf>", "embedded engine: a GGUF file instead of a preset")
    .option("--no-progress", "no live progress line")
    .option("--shard <I/N>", "send only shard I (from 0) of N of the load: open loop, arrivals i with i mod N = I of the full timetable; closed loop, a 1/N share of concurrency and requests (combine with tokenbench merge)", p.shard)
    .option("--workers <n>", "client event loops (worker threads) each load's streams are spread over, records merged into one run; 1: one event loop (default: one per 256 requests in flight, at most min(cores-1, 8))", p.positiveInt)
    .option("--start-at <epoch-ms>", "wall-clock start of the measured phase (epoch ms), shared by shards; warm-up runs before it", p.epochMs)
    .action(async (flags: RunFlags) => {
      const options = toOptions(flags);
      const sinks = [
        consoleSink({ percentiles: flags.percentiles, metrics: flags.percentileMetrics }, tableStream(flags as { json?: unknown })),
        // File outputs (--json, --records, --csv, --report): the registry reads its own flags.
        ...sinksFromFlags(flags as unknown as Record<string, unknown>, { db: options.db === null ? null : (options.db ?? defaultDbPath()) }),
      ];
      checkSinks(sinks);
      if (flags.startAt !== undefined && flags.startAt < Date.now()) {
        process.stderr.write(`warning: --start-at is ${((Date.now() - flags.startAt) / 1000).toFixed(1)} s in the past: this run starts late (its summary's shard.start_lag_ms says by how much)\n`);
      }
      const controller = new AbortController();
      let interrupts = 0;
      // SIGTERM (timeout(1), CI cancellation, container stop) is handled like Ctrl-C: partial
      // results are stored and the embedded engine is stopped.
      const onSigint = (signal: NodeJS.Signals) => {
        if (++interrupts > 1) process.exit(signal === "SIGTERM" ? 143 : 130);
        process.stderr.write(`\ninterrupted${signal === "SIGTERM" ? " (SIGTERM)" : ""}: finishing in-flight requests' bookkeeping and storing partial results (Ctrl-C again to quit at once)\n`);
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      const progress = flags.progress ? createProgress() : undefined;
      // Progressive sinks (--records) take records as they finish, not held for the run's end (bounded memory).
      const progressive = sinks.filter((s) => s.onRecord);
      let finished = false;
      try {
        const run = flags.profile === "sweep" ? (o: BenchmarkOptions) => runSweepProfile({ ...o, rates: flags.profileRates ?? 8, arrival: flags.arrival }) : runBenchmark;
        const result = await run({
          ...options,
          command: ["tokenbench", ...process.argv.slice(2)],
          keepRecords: false,
          onRecord: progressive.length ? (r, runId) => progressive.forEach((s) => s.onRecord!(runId, r)) : undefined,
          signal: controller.signal,
          onProgress: progress?.update,
          log: (line) => {
            progress?.clear?.();
            process.stderr.write(`${line}\n`);
          },
        });
        finished = true;
        progress?.stop();
        await writeSinks(sinks, flags.profile === "sweep" ? { ...result, sweep: true } : result);
        if (options.db !== null && result.summaries.length) {
          process.stderr.write(`stored ${result.summaries.length} run(s): ${result.summaries.map((s) => s.id).join(", ")}\n`);
          process.stderr.write(nextSteps(result.summaries.map((s) => s.id), flags.db) + "\n");
        }
        for (const s of result.summaries) {
          const failure = runFailure(s, flags.maxErrorRate);
          if (!failure) continue;
          process.stderr.write(`tokenbench: error: ${failure}\n`);
          process.exitCode = 1;
        }
        if (result.interrupted) process.exitCode = 130;
      } finally {
        // Whatever was measured is kept, also when the run failed part way (the store's fallback file has the same).
        // (On success writeSinks has closed every sink already.)
        if (!finished) for (const s of progressive) await Promise.resolve().then(() => s.close?.(false)).catch(() => undefined);
        progress?.stop();
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}

/**
 * Where to look after stored runs: an HTML report of them and the results browser, with --db
 * repeated when the runs are not in the default database (so the commands work as printed).
 */
export function nextSteps(ids: string[], db?: string): string {
  const dbFlag = db ? ` --db ${/^[\w./@:=+-]+$/.test(db) ? db : JSON.stringify(db)}` : "";
  return `next: tokenbench report ${ids.join(" ")}${dbFlag} --out report.html   (charts, per-request CDFs)\n      tokenbench ui${dbFlag}   (browse and compare all stored runs)`;
}

/** "4" -> four equal shares; "0.5,0.3,0.2" -> those shares (summing to 1). */
function prefixGroupsFlag(v: string): number[] {
  const shares = /^\d+$/.test(v.trim()) ? Array.from({ length: p.positiveInt(v) }, (_, _i, n = Number(v)) => 1 / n) : v.split(",").map((x) => p.positiveNumber(x.trim()));
  const problem = prefixGroupsProblem(shares);
  if (problem) throw new InvalidArgumentError(problem.replace(/^prefix groups: /, ""));
  return shares;
}

/** --trace and --sessions loads, with their flags checked; undefined when neither is given. */
function loadShapeFlags(f: RunFlags): LoadSpec[] | undefined {
  if (f.trace === undefined && (f.speedup !== undefined || f.blockSize !== undefined)) throw new UsageError("--speedup and --block-size apply to --trace");
  if (f.sessions === undefined && (f.turns !== undefined || f.thinkTime !== undefined)) throw new UsageError("--turns and --think-time apply to --sessions");
  if (f.trace !== undefined) {
    if (f.sessions !== undefined) throw new UsageError("--trace and --sessions are exclusive");
    if (f.concurrency || f.rate) throw new UsageError("--trace sets its own arrival times: drop --concurrency/--rate (--max-concurrency caps what is in flight)");
    if (f.dataset) throw new UsageError("--trace brings its own prompts: drop --dataset");
    return [{ mode: "trace", path: f.trace, speedup: f.speedup ?? 1, blockSize: f.blockSize ?? 512, ...(f.maxConcurrency ? { maxConcurrency: f.maxConcurrency } : {}) }];
  }
  if (f.sessions !== undefined) {
    if (f.rate || f.maxConcurrency) throw new UsageError("--sessions runs closed loop: give --concurrency (sessions at once), not --rate");
    return (f.concurrency ?? [1]).map((c) => ({ mode: "sessions", sessions: f.sessions!, turns: f.turns ?? 3, concurrency: c, thinkTimeMs: f.thinkTime ?? 0 }));
  }
  return undefined;
}

export function toOptions(f: RunFlags): BenchmarkOptions {
  if (f.concurrency && f.rate) {
    // AIPerf's --concurrency with --request-rate caps what is in flight; ours picks closed loop.
    const cap = f.concurrency.length === 1 ? ` (AIPerf's --concurrency with --request-rate is a cap: here --rate ${f.rate.join(",")} --max-concurrency ${f.concurrency[0]})` : "";
    throw new UsageError(`--concurrency and --rate are exclusive: pick closed loop or open loop${cap}`);
  }
  if (f.maxConcurrency && !f.rate && !f.trace) {
    throw new UsageError(`--max-concurrency applies to open loop (--rate) runs: for vLLM's --max-concurrency ${f.maxConcurrency} alone use --rate inf --max-concurrency ${f.maxConcurrency} (or closed loop --concurrency ${f.maxConcurrency})`);
  }
  if (f.burstiness !== undefined && f.arrival !== "gamma") throw new UsageError("--burstiness needs --arrival gamma");
  if ((f.dataset === undefined) !== (f.datasetFormat === undefined) && f.datasetFormat !== undefined) throw new UsageError("--dataset-format needs --dataset");
  const embedded = !f.target?.length;
  if (!embedded && (f.preset || f.modelFile || f.parallel || f.threads || f.engine || f.llamaServer)) {
    throw new UsageError("--preset, --model-file, --parallel, --threads, --engine and --llama-server apply to the embedded engine (no --target)");
  }
  if (f.profile && (f.concurrency || f.rate || f.trace || f.sessions)) throw new UsageError("--profile sweep chooses its own loads: drop --concurrency/--rate/--trace/--sessions");
  if (f.profileRates !== undefined && !f.profile) throw new UsageError("--profile-rates applies to --profile sweep");
  let loads: LoadSpec[] | undefined;
  const shapeFlags = loadShapeFlags(f);
  if (shapeFlags) loads = shapeFlags;
  else if (f.rate) loads = f.rate.map((rate) => ({ mode: "rate", rate, arrival: f.arrival, burstiness: f.burstiness, maxConcurrency: f.maxConcurrency }));
  else if (f.concurrency) loads = f.concurrency.map((c) => ({ mode: "concurrency", concurrency: c }));
  let workload: WorkloadSpec | undefined;
  if (f.dataset) {
    workload = { kind: "dataset", path: f.dataset, format: f.datasetFormat ?? (f.dataset.endsWith(".jsonl") ? "jsonl" : "sharegpt"), defaultOutputTokens: f.outputTokens?.kind === "fixed" ? f.outputTokens.value : undefined };
  } else if (f.inputTokens || f.outputTokens || f.sharedPrefix) {
    workload = syntheticWorkload(embedded, f.inputTokens, f.outputTokens, f.sharedPrefix);
  }
  if (f.prefixGroups) {
    if (!f.sharedPrefix || workload?.kind !== "synthetic") throw new UsageError("--prefix-groups needs --shared-prefix (synthetic prompts)");
    workload.prefixGroups = f.prefixGroups;
  }
  return {
    targets: f.target,
    api: f.api,
    model: f.model,
    apiKey: apiKeyFromEnv(f.apiKey),
    headers: f.header,
    workload,
    tokenizer: f.tokenizer,
    seed: f.seed,
    loads,
    requests: f.requests,
    durationS: f.duration,
    warmup: f.warmup,
    rampUpS: f.rampUp,
    exactOutput: f.exactOutput,
    temperature: f.temperature,
    timeoutS: f.timeout,
    extraBody: f.extraBody,
    preflight: f.preflight,
    latencyOrigin: f.latencyOrigin,
    goodput: f.goodput,
    percentiles: f.percentiles,
    balance: f.balance,
    httpClient: f.httpClient,
    db: f.store ? f.db : null,
    label: f.label,
    shard: f.shard,
    startAtMs: f.startAt,
    workers: f.workers,
    embedded: embedded ? { preset: f.modelFile ? undefined : f.preset, model: f.modelFile, parallel: f.parallel, threads: f.threads, engine: f.engine, llamaServer: f.llamaServer } : undefined,
  };
}

import { Option, type Command } from "commander";
import { runSweep } from "../../sweep/run.js";
import type { SweepConfig } from "../../sweep/strategy.js";
import type { GoodputSpec } from "../../aggregate/types.js";
import type { ApiKind } from "../../protocols/types.js";
import type { LengthSpec } from "../../workload/types.js";
import { checkOutputFile } from "../../output/paths.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";
import { presetTokenizer, startEmbeddedTarget, type EmbeddedTarget } from "../../benchmark/embeddedTarget.js";
import { syntheticWorkload } from "../../benchmark/resolve.js";
import type { ProgressUpdate } from "../../benchmark/options.js";
import { createProgress, type Progress } from "../../output/progress.js";
import { snakeKeys } from "../../output/snakeCase.js";
import { STDOUT, writeJsonText } from "../../output/jsonSummary.js";
import { tableStream } from "../../output/sinks.js";
import { renderSweepTable, sweepSummary } from "../../output/sweepTable.js";
import { loadLabel } from "../../schedule/shapes/index.js";
import { addEmbeddedOptions, addRequestOptions, addStoreOptions, addTargetOptions, apiKeyFromEnv, type LatencyOrigin } from "../sharedOptions.js";

interface Flags {
  target?: string[];
  api: ApiKind;
  model?: string;
  apiKey?: string;
  header?: Record<string, string>;
  tokenizer?: string;
  mode: "concurrency" | "rate";
  start?: number;
  max?: number;
  factor: number;
  refine: number;
  minGain: number;
  goodput?: GoodputSpec;
  sloFraction: number;
  maxErrorRate: number;
  arrival: "constant" | "poisson" | "gamma";
  inputTokens?: LengthSpec;
  outputTokens?: LengthSpec;
  requests?: number;
  duration?: number;
  warmup?: number;
  timeout?: number;
  extraBody?: Record<string, unknown>;
  preflight: boolean;
  latencyOrigin: LatencyOrigin;
  seed?: number;
  db?: string;
  store: boolean;
  json?: string;
  preset?: string;
  parallel?: number;
  threads?: number;
  engine?: "auto" | "llama-server" | "node-llama-cpp";
  llamaServer?: string;
  progress: boolean;
  label?: string;
}

export function register(program: Command): void {
  const cmd = program.command("sweep").description("find the load (concurrency or rate) with the most throughput that still meets an SLO");
  addTargetOptions(cmd);
  addRequestOptions(cmd);
  addStoreOptions(cmd);
  addEmbeddedOptions(cmd);
  cmd
    .addOption(new Option("--mode <mode>", "what to vary").choices(["concurrency", "rate"]).default("concurrency"))
    .option("--start <n>", "first load (default 1)", p.positiveNumber)
    .option("--max <n>", "largest load to try (default 512 concurrency / 1000 req/s)", p.positiveNumber)
    .option("--factor <x>", "geometric step between loads", p.positiveNumber, 2)
    .option("--refine <n>", "bisection steps around the boundary", p.nonNegativeInt, 3)
    .option("--min-gain <pct>", "throughput gain (percent) below which a step counts as saturated", p.nonNegativeNumber, 5)
    .option("--goodput <bounds>", "SLO bounds per request, e.g. 'ttft:500 tpot:50 e2e:10000' (ms)", p.goodput)
    .option("--slo-fraction <f>", "fraction of requests that must meet the bounds", p.positiveNumber, 0.95)
    .option("--max-error-rate <f>", "largest tolerated fraction of failed requests", p.nonNegativeNumber, 0.01)
    .option("--arrival <kind>", "rate mode arrivals: constant | poisson | gamma", p.arrival, "poisson")
    .option("--json <file>", "write the curve and the chosen point as JSON (snake_case keys); - for stdout (the table then goes to stderr)")
    .option("--label <text>", "label stored with every run of the sweep (default: \"sweep\" and the point's load)")
    .option("--no-progress", "no live progress while a point runs")
    .action(async (f: Flags) => {
      if (f.factor <= 1) throw new UsageError(`--factor must be greater than 1, got ${f.factor}`);
      if (f.sloFraction > 1) throw new UsageError(`--slo-fraction must be at most 1, got ${f.sloFraction}`);
      const start = f.start ?? 1;
      if (f.mode === "concurrency" && !Number.isInteger(start)) throw new UsageError(`--start must be an integer in concurrency mode, got ${start}`);
      const config: SweepConfig = { mode: f.mode, start, max: f.max ?? (f.mode === "concurrency" ? 512 : 1000), factor: f.factor, minGain: f.minGain / 100, refineSteps: f.refine };
      if (config.max < start) throw new UsageError(`--max (${config.max}) is below --start (${start})`);
      if (f.json && f.json !== STDOUT) checkOutputFile(f.json, "--json");
      const out = tableStream(f);
      const ac = new AbortController();
      // SIGTERM (timeout(1), CI cancellation) is handled like Ctrl-C.
      const onSigint = () => ac.abort();
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      let embedded: EmbeddedTarget | undefined;
      try {
        let targets = f.target;
        if (!targets?.length) {
          const log = (l: string) => process.stderr.write(`${l}\n`);
          embedded = await startEmbeddedTarget({ preset: f.preset ?? "small", parallel: f.parallel, threads: f.threads, engine: f.engine, llamaServer: f.llamaServer, signal: ac.signal, log });
          targets = [embedded.url];
          log(`no --target: sweeping the embedded engine at ${embedded.url}`);
          log(`engine: ${embedded.engine} (${embedded.engineReason})`);
        } else if (f.preset || f.parallel || f.threads || f.engine || f.llamaServer) {
          throw new UsageError("--preset, --parallel, --threads, --engine and --llama-server apply to the embedded engine (no --target)");
        }
        const workload = syntheticWorkload(Boolean(embedded), f.inputTokens, f.outputTokens);
        // A point takes a minute or more: show its progress, one bar (or plain line) per point.
        let progress: Progress | undefined;
        let progressLoad: unknown;
        let points = 0;
        const onProgress = (u: ProgressUpdate) => {
          if (u.load !== progressLoad) {
            progress?.stop();
            progressLoad = u.load;
            process.stderr.write(`sweep point ${++points}: ${loadLabel(u.load)}\n`);
            progress = createProgress();
          }
          progress?.update(u);
        };
        const res = await runSweep({
          bench: {
            targets,
            serverInfo: embedded?.serverInfo,
            api: f.api,
            model: f.model,
            apiKey: apiKeyFromEnv(f.apiKey),
            headers: f.header,
            workload,
            // a generated model is counted with the tokenizer of its own vocabulary
            tokenizer: f.tokenizer ?? (embedded ? presetTokenizer(f.preset ?? "small") : undefined),
            requests: f.requests ?? (f.duration ? undefined : embedded ? 16 : 100),
            durationS: f.duration,
            warmup: f.warmup,
            timeoutS: f.timeout,
            extraBody: f.extraBody,
            preflight: f.preflight,
            latencyOrigin: f.latencyOrigin,
            seed: f.seed,
            label: f.label,
            goodput: f.goodput,
            db: f.store ? f.db : null,
            onProgress: f.progress ? onProgress : undefined,
            log: (l) => {
              progress?.stop();
              process.stderr.write(`${l}\n`);
            },
          },
          config,
          slo: { bounds: f.goodput ?? {}, fraction: f.sloFraction, maxErrorRate: f.maxErrorRate },
          arrival: f.arrival,
          signal: ac.signal,
          onPoint: (pt) => {
            progress?.stop();
            progress = undefined;
            process.stderr.write(`${f.mode} ${pt.load}: ${pt.outputTokensPerS.toFixed(1)} output tok/s, e2e p50 ${pt.e2eP50Ms.toFixed(0)} ms, ${pt.meetsSlo ? "meets SLO" : "misses SLO"} (${pt.sloDetail})${pt.clientSaturated ? ", client saturated" : ""}\n`);
          },
        });
        const st = res.state;
        // One table: each point's stored figures, then what the search decided from them.
        const summary = sweepSummary(res.summaries);
        const verdicts = new Map(st.points.map((pt) => [pt.runId ?? "", [pt.meetsSlo ? "met" : `missed: ${pt.sloDetail}`, pt.clientSaturated ? "saturated" : "ok", pt === st.chosen ? "<==" : ""]]));
        if (summary.length) out.write(renderSweepTable(summary, { columns: ["SLO", "client", "chosen"], byRunId: verdicts }) + "\n");
        if (res.interrupted) {
          out.write("interrupted: the curve above is incomplete\n");
          process.exitCode = 130;
        } else out.write(`${st.chosen ? "chosen" : "no point chosen"}: ${st.reason}\n`);
        if (f.json) writeJsonText(f.json, JSON.stringify(snakeKeys({ mode: f.mode, config, slo: { bounds: f.goodput ?? {}, fraction: f.sloFraction, maxErrorRate: f.maxErrorRate }, points: st.points, chosen: st.chosen ?? null, reason: st.reason ?? null, sweepSummary: summary }, true), null, 2) + "\n");
        if (!st.chosen && !res.interrupted) process.exitCode = 1;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
        await embedded?.close();
      }
    });
}

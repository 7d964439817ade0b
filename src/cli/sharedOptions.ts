import { Option, type Command } from "commander";
import { API_KINDS } from "../protocols/types.js";
import * as p from "./parse.js";
import { DEFAULTS, EMBEDDED_DEFAULTS } from "../benchmark/resolve.js";
import { ENGINE_KINDS } from "../engine/llamaServer.js";
import { LATENCY_ORIGINS, type LatencyOrigin } from "../measure/requestMetrics.js";

export type { LatencyOrigin };

// Flags shared by the commands that run benchmarks (run, sweep), defined once so they read and
// behave the same everywhere.

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option("-t, --target <url>", "server base URL, e.g. http://host:8000 (a trailing /v1 is dropped); repeat to spread requests over several servers (none: the embedded engine); vLLM's --base-url", p.collect)
    .addOption(new Option("--api <kind>", "wire protocol").choices([...API_KINDS]).default("openai-completions"))
    .option("-m, --model <name>", "model name to send (default: what the server lists)")
    .option("--api-key <key>", "bearer token (or TOKENBENCH_API_KEY / OPENAI_API_KEY); never stored")
    .option("-H, --header <header>", "extra request header 'Name: value' (repeatable); values never stored", p.header);
}

/** "(default 256; embedded engine 64)": defaults differ by target, so help states both. */
const byTarget = (external: unknown, embedded: unknown) => `(default ${external}; embedded engine ${embedded})`;

export function addRequestOptions(cmd: Command): Command {
  const d = DEFAULTS;
  const e = EMBEDDED_DEFAULTS;
  return cmd
    .option("--input-tokens <spec>", `prompt length: N | MIN:MAX | normal:MEAN:SD[:MIN:MAX] ${byTarget(d.inputTokens, e.inputTokens)}`, p.lengthSpec)
    .option("--output-tokens <spec>", `output length: N | MIN:MAX | normal:MEAN:SD[:MIN:MAX] ${byTarget(d.outputTokens, e.outputTokens)}`, p.lengthSpec)
    .option("--tokenizer <tokenizer.json>", "HF tokenizer.json, or a bundled one: llama3, mistral; or bytes (default: llama3; for a generated model, its own vocabulary's)")
    .option("--seed <n>", `seed for prompts and arrivals (default ${d.seed})`, p.nonNegativeInt)
    .option("-n, --requests <n>", `measured requests per run ${byTarget(d.requests, e.requests)}; vLLM's --num-prompts`, p.positiveInt)
    .option("-d, --duration <s>", "stop sending after S seconds per run", p.positiveNumber)
    .option("--warmup <n>", `requests sent first and excluded from results ${byTarget(d.warmup, e.warmup)}`, p.nonNegativeInt)
    .option("--timeout <s>", `per-request timeout in seconds (default ${d.timeoutS})`, p.positiveNumber)
    .option("--extra-body <json>", "JSON object merged into every request body (null removes a field), e.g. '{\"top_k\": 1}'", p.jsonObject)
    .option("--no-preflight", "skip the test request sent to each target before measuring")
    .addOption(
      new Option("--latency-origin <origin>", "TTFT/E2E count from the request's send (sent, as vLLM/GuideLLM/AIPerf) or its scheduled arrival (scheduled: a --max-concurrency wait counts, coordinated-omission-free); the wait for a slot is the queue metric either way")
        .choices([...LATENCY_ORIGINS])
        .default(DEFAULTS.latencyOrigin),
    );
}

export function addStoreOptions(cmd: Command): Command {
  return cmd.option("--db <path>", "results database (default ~/.tokenbench/results.db, or TOKENBENCH_HOME / TOKENBENCH_DB)").option("--no-store", "do not store results");
}

export function addEmbeddedOptions(cmd: Command): Command {
  return cmd
    .option("--preset <name>", `embedded engine: generated model preset (default ${EMBEDDED_DEFAULTS.preset})`)
    .option("--parallel <n>", `embedded engine: sequences decoded together (default ${EMBEDDED_DEFAULTS.parallel})`, p.positiveInt)
    .option("--threads <n>", "embedded engine: llama.cpp threads", p.positiveInt)
    .addOption(engineOption())
    .option("--llama-server <path>", "embedded engine: llama-server binary (default: scripts/build-llama-server.sh's cache, or $TOKENBENCH_LLAMA_SERVER)");
}

/** --engine for serve, run and sweep: the embedded engine's back-end (docs/engine.md, "Engine back-ends"). */
export function engineOption(prefix = "embedded engine: "): Option {
  return new Option("--engine <name>", `${prefix}llama-server (llama.cpp's own server binary), node-llama-cpp (in-process binding) or auto (llama-server when its binary is found; default)`)
    .choices([...ENGINE_KINDS]);
}

export function apiKeyFromEnv(flag?: string): string | undefined {
  return flag ?? process.env.TOKENBENCH_API_KEY ?? process.env.OPENAI_API_KEY;
}

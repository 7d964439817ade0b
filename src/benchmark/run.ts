import { defaultDbPath, openDb, type Db } from "../store/db.js";
import { UsageError } from "../errors.js";
import { redactArgv, redactValues, secretValues } from "../store/redact.js";
import { getAdapter } from "../protocols/index.js";
import { buildWorkload } from "../workload/index.js";
import { chatTemplateOverhead, tokenizerFromSpec, type Tokenizer } from "../workload/tokenizer.js";
import type { BenchmarkOptions, BenchmarkResult } from "./options.js";
import type { WorkloadSummary } from "../aggregate/types.js";
import { EMBEDDED_DEFAULTS, resolveOptions, type ResolvedOptions } from "./resolve.js";
import { fetchServerInfo, hostInfo } from "./environment.js";
import { runLoad } from "./runLoad.js";
import { countForDuration, loadLabel, loadToJson, ownPrompts, ownsRequests } from "../schedule/shapes/index.js";
import { describeWorkload } from "../output/workloadText.js";
import { presetTokenizer, startEmbeddedTarget, type EmbeddedTarget } from "./embeddedTarget.js";
import { preflight } from "./preflight.js";
import type { RunSummary } from "../aggregate/types.js";

/** Closed-loop runs bounded by duration cycle through this many distinct prompts. */
const DURATION_PROMPT_POOL = 1024;

/**
 * Runs one benchmark per load against the target(s), or against the embedded llama.cpp server
 * when no target is given. Each run is stored as soon as it finishes.
 */
export async function runBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const o = resolveOptions(options);
  const log = options.log ?? (() => undefined);
  const db: Db | null = o.db === null ? null : openDb(o.db ?? defaultDbPath());
  let embedded: EmbeddedTarget | undefined;
  try {
    let targets = o.targets;
    // User files first (tokenizer, dataset): a typo fails at once, not after the engine started.
    const preset = targets || options.embedded?.model ? undefined : options.embedded?.preset ?? EMBEDDED_DEFAULTS.preset;
    if (!targets && options.embedded?.model && !o.tokenizer) {
      log("warning: prompt lengths are counted with the bundled Llama 3 tokenizer; pass --tokenizer with this model's tokenizer.json for exact token lengths");
    }
    // A generated preset is counted with the bundled tokenizer of its own vocabulary.
    const tokenizerSpec = o.tokenizer ?? (preset ? presetTokenizer(preset) : undefined);
    const tokenizer: Tokenizer = await resolveTokenizer(tokenizerSpec);
    // On chat endpoints the server counts the chat template's frame too: with a tokenizer that has
    // the model's template, prompts are built that much shorter so the server counts the length asked for.
    const templateTokens = o.api === "openai-chat" ? chatTemplateOverhead(tokenizer) : undefined;
    if (templateTokens) log(`chat template of ${tokenizer.name}: ${templateTokens} tokens around each prompt; prompts built that much shorter so the server counts the input length asked for`);
    // Each load draws its own range of prompt ordinals (warm-up included), so no load re-sends
    // another's prompts and a server's prefix cache cannot stand in for prefill; the test request
    // takes one ordinal after them. Datasets keep their prompts (the file is the workload).
    const perLoad = promptCount(o);
    const firstOrdinal = options.promptOffset ?? 0;
    const build = (promptOffset: number, count = perLoad) =>
      asUsage(buildWorkload(o.workload, { count, seed: o.seed, tokenizer, log, inputOffset: templateTokens, promptOffset }));
    let items = await build(firstOrdinal);
    const nextPromptOffset = firstOrdinal + perLoad * o.loads.length + 1;
    if (!targets) {
      const server = await startEmbeddedTarget({
        preset,
        model: options.embedded?.model,
        parallel: options.embedded?.parallel ?? EMBEDDED_DEFAULTS.parallel,
        threads: options.embedded?.threads,
        context: options.embedded?.context,
        engine: options.embedded?.engine,
        llamaServer: options.embedded?.llamaServer,
        log,
        signal: options.signal,
      }).catch((e) => {
        if (options.signal?.aborted) return undefined;
        throw e;
      });
      if (!server) return { summaries: [], records: [], interrupted: true };
      embedded = server;
      targets = [server.url];
      log(`no --target given: started the embedded llama.cpp server (${preset ?? options.embedded?.model}) at ${server.url}; it stops after the run`);
      log(`engine: ${server.engine} (${server.engineReason})`);
    }
    const adapter = getAdapter(o.api);
    if (o.exactOutput && adapter.exactOutput === "unsupported") {
      log(`warning: the ${o.api} API cannot be asked for exact output lengths; requests may end early (counted as length mismatches)`);
    }
    const serverInfo = await fetchServerInfo(targets[0], adapter, o.headers);
    const model = o.model ?? embedded?.modelName ?? serverInfo.firstModel ?? "default";
    const meta = {
      options: storedOptions(o, options, tokenizer.name),
      host: hostInfo(),
      serverInfo: { ...serverInfo, ...(embedded?.serverInfo ?? options.serverInfo) },
      workload: workloadSummary(o, tokenizer.name),
      experimentId: options.experimentId,
      cellKey: options.cellKey,
      label: options.label,
    };
    log(`${o.loads.length} run(s) (${o.loads.map(loadLabel).join(", ")}), ${o.api} at ${targets.join(", ")}, model ${model}: ${describeWorkload(meta.workload)}`);
    if (o.preflight && !embedded && items.length > 0 && !options.signal?.aborted) {
      const test = o.workload.kind === "synthetic" ? (await build(nextPromptOffset - 1, 1))[0] : items[0];
      await preflight(targets, adapter, test, model, o, options.signal);
    }
    const result: BenchmarkResult = { summaries: [], records: [], interrupted: false, nextPromptOffset };
    let cacheWarned = false;
    for (let i = 0; i < o.loads.length; i++) {
      if (options.signal?.aborted) break;
      if (i > 0 && o.workload.kind === "synthetic") items = await build(firstOrdinal + perLoad * i);
      const out = await runLoad(
        {
          o,
          targets,
          adapter,
          tokenizer,
          tokenizerSpec,
          model,
          items,
          db,
          meta,
          signal: options.signal,
          onProgress: options.onProgress,
          runIndex: i,
          runCount: o.loads.length,
          keepRecords: options.keepRecords ?? true,
          onRecord: options.onRecord,
          log,
        },
        o.loads[i],
      );
      result.summaries.push(out.summary);
      const warning = inputLengthWarning(out.summary, tokenizer.name, o.api);
      if (warning) log(warning);
      const cacheWarning = cacheWarned ? undefined : promptCacheWarning(out.summary);
      if (cacheWarning) {
        cacheWarned = true;
        log(cacheWarning);
      }
      result.records.push(out.records);
      if (out.interrupted) {
        result.interrupted = true;
        break;
      }
    }
    result.interrupted ||= Boolean(options.signal?.aborted);
    return result;
  } finally {
    await embedded?.close();
    db?.close();
  }
}

/**
 * One line when the server counted prompts off the requested input length (see
 * inputLengthMismatch): input throughput and prefill figures then describe other prompts than
 * the ones asked for, usually because the workload's tokenizer is not the model's.
 */
export function inputLengthWarning(s: RunSummary, tokenizerName: string, api: string): string | undefined {
  const n = s.requests.input_length_mismatch ?? 0;
  if (n === 0 || s.requests.input_tokens_ratio === undefined) return undefined;
  const why = api === "openai-chat" ? "the chat template's tokens, or a tokenizer that is not the model's" : "a tokenizer that is not the model's";
  return (
    `warning: run ${s.id}: the server counted ${s.requests.input_tokens_ratio.toFixed(2)}x the requested prompt tokens ` +
    `(${n} of ${s.requests.sent} requests off by more than 2 tokens and 5%; prompts were measured with ${tokenizerName}): ` +
    `likely ${why}; pass --tokenizer with the model's tokenizer.json`
  );
}

/** How far the server-reported prompt-cache hit share may exceed the intended share before a warning. */
export const PROMPT_CACHE_MARGIN = 0.1;

/**
 * One line (code PROMPT_CACHE_EXCESS) when the server answered more of the prompts from its
 * prefix cache than the workload meant to share (requests.prompt_cache_hit_share above
 * prompt_cache_intended_share + PROMPT_CACHE_MARGIN): TTFT then measures the cache, not prefill.
 * Undefined when the server reported no cached tokens or the intent is unknown (traces, sessions).
 */
export function promptCacheWarning(s: RunSummary): string | undefined {
  const hit = s.requests.prompt_cache_hit_share;
  const intended = s.requests.prompt_cache_intended_share;
  if (hit === undefined || intended === undefined) return undefined;
  if (hit <= intended + PROMPT_CACHE_MARGIN) return undefined;
  return (
    `warning: PROMPT_CACHE_EXCESS: run ${s.id}: the server took ${(hit * 100).toFixed(1)}% of the prompt tokens from its prefix cache, ` +
    `the workload meant ${(intended * 100).toFixed(1)}% to be shared: TTFT and prefill figures measure the cache; ` +
    `were these prompts sent before (same seed and prompt offset)?`
  );
}

function resolveTokenizer(spec: string | undefined): Promise<Tokenizer> {
  return asUsage(tokenizerFromSpec(spec));
}

/** Tokenizer and dataset files are user input: their errors are usage errors (exit 2). */
async function asUsage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

function promptCount(o: ResolvedOptions): number {
  if (o.requests !== undefined) return o.warmup + o.requests;
  // Loads with their own requests draw what they say (sessions: one user message per turn; a trace: none).
  if (o.durationS === undefined && o.loads.every(ownsRequests)) return o.warmup + Math.max(0, ...o.loads.map(ownPrompts));
  const bounded = o.loads.map((l) => countForDuration(l, o.durationS ?? 0) ?? 0);
  return o.warmup + Math.max(...bounded, DURATION_PROMPT_POOL);
}

/** The workload a run asked for, as its summary states it (RunSummary.workload). */
export function workloadSummary(o: ResolvedOptions, tokenizerName: string): WorkloadSummary {
  const w = o.workload;
  return {
    kind: w.kind,
    ...(w.kind === "synthetic"
      ? { input_tokens: w.input, output_tokens: w.output, ...(w.sharedPrefixTokens ? { shared_prefix_tokens: w.sharedPrefixTokens } : {}), ...(w.prefixGroups && w.prefixGroups.length > 1 ? { prefix_groups: w.prefixGroups } : {}) }
      : { dataset: { path: w.path, format: w.format, ...(w.defaultOutputTokens !== undefined ? { default_output_tokens: w.defaultOutputTokens } : {}) } }),
    ...traceOf(o),
    requests: o.requests ?? null,
    ...(o.durationS !== undefined ? { duration_s: o.durationS } : {}),
    warmup: o.warmup,
    tokenizer: tokenizerName,
    seed: o.seed,
    exact_output: o.exactOutput,
  };
}

/** The trace every load replays, when they all replay the same one (what the measured prompts are). */
function traceOf(o: ResolvedOptions): Pick<WorkloadSummary, "trace"> {
  const t = o.loads[0];
  if (t?.mode !== "trace" || !o.loads.every((l) => l.mode === "trace" && l.path === t.path && l.blockSize === t.blockSize)) return {};
  return { trace: { path: t.path, block_size: t.blockSize } };
}

/** What is stored about the run's options: everything but secrets (header values are dropped). */
function storedOptions(o: ResolvedOptions, raw: BenchmarkOptions, tokenizerName: string) {
  return {
    targets: o.targets,
    api: o.api,
    model: o.model,
    header_names: Object.keys(o.headers),
    workload: o.workload,
    tokenizer: tokenizerName,
    seed: o.seed,
    loads: o.loads.map(loadToJson),
    requests: o.requests,
    duration_s: o.durationS,
    warmup: o.warmup,
    ramp_up_s: o.rampUpS,
    exact_output: o.exactOutput,
    temperature: o.temperature,
    timeout_s: o.timeoutMs / 1000,
    goodput: o.goodput,
    balance: o.balance,
    http_client: o.httpClient,
    extra_body: o.extraBody,
    preflight: o.preflight,
    workers: o.workers,
    latency_origin: o.latencyOrigin,
    embedded: o.targets ? undefined : raw.embedded ?? { preset: EMBEDDED_DEFAULTS.preset },
    command: raw.command ? redactValues(redactArgv(raw.command).join(" "), secretValues(o.headers)) : undefined,
  };
}

import { existsSync } from "node:fs";
import { UsageError } from "./errors.js";

// Flags that users of other benchmark clients type out of habit: vLLM's `vllm bench serve`,
// GuideLLM's `guidellm benchmark` and AIPerf's `aiperf profile`. One table per peer. A flag
// whose meaning and value are the same here is an alias; one whose value needs rewriting (a
// GuideLLM profile, `--data prompt_tokens=...`) is translated, with a note on stderr saying what
// it became; one without an equivalent stops with a one-line hint naming what to use instead.
// Our own flags are never reinterpreted, except where their combination is an error in
// tokenbench (`run --profile sweep --rate N`), so nothing a tokenbench user types changes meaning.
// Facts about the peers' flags: their documentation (GuideLLM docs/getting-started/benchmark.md
// and docs/guides/cli.md, AIPerf docs/cli_options.md, vLLM benchmarks/README).

/** What the walk hands a translation: the command, and the other flags of the line. */
export interface PeerContext {
  /** The subcommand (run, sweep, ...), or undefined before one. */
  command?: string;
  /** The flag being translated, as typed (--rate-type or --profile), for messages. */
  flag: string;
  /** The value of the first `name` (or any of `names`) on the line, removing it; undefined when absent. */
  take(...names: string[]): string | undefined;
  /** Whether a flag is on the line (any form). */
  has(...names: string[]): boolean;
}

export type PeerFlag =
  /** Same meaning and value: renamed. */
  | { alias: string }
  /** No equivalent: stop with this hint. */
  | { hint: string }
  /** A flag without value whose meaning tokenbench always has (e.g. AIPerf's --streaming): dropped. */
  | { always: string }
  /** Value rewritten to tokenbench flags (a note on stderr says what it became). */
  | { translate: (value: string, ctx: PeerContext) => string[] }
  /** Only meaningful with flag `partOf`, whose translation takes it; alone it is an error. */
  | { partOf: string };

/** vLLM's `vllm bench serve` (benchmarks/benchmark_serving.py). */
export const VLLM_FLAGS: Readonly<Record<string, PeerFlag>> = {
  "--num-prompts": { alias: "--requests" },
  "--request-rate": { alias: "--rate" }, // AIPerf's too, same meaning
  "--base-url": { alias: "--target" },
  "--metric-percentiles": { alias: "--percentiles" },
  "--random-input-len": { alias: "--input-tokens" },
  "--random-output-len": { alias: "--output-tokens" },
  "--dataset-path": { alias: "--dataset" },
  "--dataset-name": { translate: vllmDatasetName },
  "--save-detailed": { hint: "tokenbench stores every request in the results DB; write them to a file with --records FILE.jsonl" },
  "--save-result": { hint: "tokenbench stores every run in the results DB; write the summary with --json FILE" },
  "--result-filename": { hint: "use --json FILE (summary) and --records FILE.jsonl (per request)" },
  "--backend": { hint: "the wire protocol is --api (openai-completions, openai-chat, tgi, llamacpp, ...)" },
};

/** GuideLLM's `guidellm benchmark` (--rate-type was renamed --profile in GuideLLM 0.4). */
export const GUIDELLM_FLAGS: Readonly<Record<string, PeerFlag>> = {
  "--rate-type": { translate: guidellmProfile },
  // Ours too: `--profile sweep` is GuideLLM's sweep; GuideLLM's other profiles become loads.
  "--profile": { translate: guidellmProfile },
  "--max-requests": { alias: "--requests" },
  "--max-seconds": { alias: "--duration" },
  "--data": { translate: guidellmData },
  "--processor": { alias: "--tokenizer" },
  "--backend-type": { translate: guidellmBackend },
  "--output-path": { hint: "write the summary with --json FILE, per-request records with --records FILE.jsonl, an HTML report with --report FILE.html" },
  "--output-dir": { hint: "write the summary with --json FILE, per-request records with --records FILE.jsonl, an HTML report with --report FILE.html" },
  "--outputs": { hint: "each output has its flag: --json FILE, --csv FILE, --records FILE.jsonl, --report FILE.html" },
  "--warmup-percent": { hint: "warm-up is a request count here: --warmup N (sent first, excluded from results)" },
  "--cooldown-percent": { hint: "tokenbench has no cool-down phase; the steady-state window is reported as steady_output_tokens_per_s" },
  "--backend-args": { hint: "headers are -H 'Name: value', the key --api-key, body fields --extra-body JSON" },
};

/** AIPerf's `aiperf profile` (docs/cli_options.md). */
export const AIPERF_FLAGS: Readonly<Record<string, PeerFlag>> = {
  "--synthetic-input-tokens-mean": { translate: (v, ctx) => ["--input-tokens", aiperfLength(v, ctx.take(...INPUT_STDDEV), "input")] },
  "--prompt-input-tokens-mean": { translate: (v, ctx) => ["--input-tokens", aiperfLength(v, ctx.take(...INPUT_STDDEV), "input")] },
  "--isl": { translate: (v, ctx) => ["--input-tokens", aiperfLength(v, ctx.take(...INPUT_STDDEV), "input")] },
  "--synthetic-input-tokens-stddev": { partOf: "--synthetic-input-tokens-mean" },
  "--prompt-input-tokens-stddev": { partOf: "--synthetic-input-tokens-mean" },
  "--isl-stddev": { partOf: "--synthetic-input-tokens-mean" },
  "--output-tokens-mean": { translate: (v, ctx) => ["--output-tokens", aiperfLength(v, ctx.take(...OUTPUT_STDDEV), "output")] },
  "--prompt-output-tokens-mean": { translate: (v, ctx) => ["--output-tokens", aiperfLength(v, ctx.take(...OUTPUT_STDDEV), "output")] },
  "--osl": { translate: (v, ctx) => ["--output-tokens", aiperfLength(v, ctx.take(...OUTPUT_STDDEV), "output")] },
  "--output-tokens-stddev": { partOf: "--output-tokens-mean" },
  "--prompt-output-tokens-stddev": { partOf: "--output-tokens-mean" },
  "--osl-stddev": { partOf: "--output-tokens-mean" },
  "--streaming": { always: "tokenbench always streams (TTFT and ITL need it)" },
  "--request-count": { alias: "--requests" },
  "--num-requests": { alias: "--requests" },
  "--warmup-request-count": { alias: "--warmup" },
  "--num-warmup-requests": { alias: "--warmup" },
  "--benchmark-duration": { alias: "--duration" },
  "--request-timeout-seconds": { alias: "--timeout" },
  "--random-seed": { alias: "--seed" }, // GuideLLM's too, same meaning
  "--arrival-pattern": { alias: "--arrival" },
  "--request-rate-mode": { alias: "--arrival" },
  "--arrival-smoothness": { alias: "--burstiness" },
  "--url": { translate: aiperfUrl },
  "-u": { translate: aiperfUrl },
  "--model-names": { translate: aiperfModel },
  "--endpoint-type": { translate: aiperfEndpointType },
  "--extra-inputs": { hint: "body fields are --extra-body JSON, e.g. --extra-body '{\"temperature\": 0.7}'" },
  "--input-file": { hint: "a prompt file is --dataset FILE (JSONL with \"prompt\" per line, or ShareGPT JSON); a Mooncake trace is --trace FILE" },
  "--custom-dataset-type": { hint: "a prompt file is --dataset FILE with --dataset-format jsonl|sharegpt; a Mooncake trace is --trace FILE; multi-turn is --sessions N --turns K" },
  "--public-dataset": { hint: "tokenbench downloads nothing: fetch the ShareGPT JSON elsewhere and pass --dataset FILE --dataset-format sharegpt" },
  "--profile-export-file": { hint: "write the summary with --json FILE, per-request records with --records FILE.jsonl, one CSV row per run with --csv FILE" },
  "--output-artifact-dir": { hint: "write the summary with --json FILE, per-request records with --records FILE.jsonl, one CSV row per run with --csv FILE" },
};

const INPUT_STDDEV = ["--synthetic-input-tokens-stddev", "--prompt-input-tokens-stddev", "--isl-stddev"];
const OUTPUT_STDDEV = ["--output-tokens-stddev", "--prompt-output-tokens-stddev", "--osl-stddev"];

export const PEERS: ReadonlyArray<{ peer: string; flags: Readonly<Record<string, PeerFlag>> }> = [
  { peer: "vLLM", flags: VLLM_FLAGS },
  { peer: "GuideLLM", flags: GUIDELLM_FLAGS },
  { peer: "AIPerf", flags: AIPERF_FLAGS },
];

function lookup(name: string): { peer: string; flag: PeerFlag } | undefined {
  for (const { peer, flags } of PEERS) if (Object.prototype.hasOwnProperty.call(flags, name)) return { peer, flag: flags[name] };
  return undefined;
}

const usage = (peer: string, name: string, text: string) => new UsageError(`${name} is ${peer === "AIPerf" ? "an" : "a"} ${peer}${peer === "vLLM" ? " client" : ""} flag: ${text}`);

/**
 * Rewrites peers' flags in `args` (the command line after `node main.js`: the subcommand first)
 * to tokenbench flags. Returns the rewritten line and one note per translated value (what it
 * became, for stderr). Throws a one-line UsageError for a flag without an equivalent. Both
 * `--flag value` and `--flag=value` are read; nothing after "--" is touched.
 */
export function translatePeerFlags(args: readonly string[]): { args: string[]; notes: string[] } {
  const end = args.indexOf("--");
  const tokens = end === -1 ? [...args] : args.slice(0, end);
  const rest = end === -1 ? [] : args.slice(end);
  const command = tokens[0] !== undefined && !tokens[0].startsWith("-") ? tokens[0] : undefined;
  const split = (t: string): [string, string | undefined] => {
    const i = t.indexOf("=");
    return t.startsWith("-") && i > 0 ? [t.slice(0, i), t.slice(i + 1)] : [t, undefined];
  };
  const consumed = new Set<number>();
  /** Position of the first unconsumed flag named in `names`, with its inline (--flag=value) value. */
  const find = (names: string[]): { at: number; value?: string } | undefined => {
    for (let i = 0; i < tokens.length; i++) {
      if (consumed.has(i)) continue;
      const [name, inline] = split(tokens[i]);
      if (!names.includes(name)) continue;
      return { at: i, value: inline };
    }
    return undefined;
  };
  const valueOf = (at: number, inline: string | undefined, name: string, peer: string): string => {
    consumed.add(at);
    if (inline !== undefined) return inline;
    const next = tokens[at + 1];
    if (next === undefined || (next.startsWith("--") && next.length > 2)) throw usage(peer, name, "it needs a value");
    consumed.add(at + 1);
    return next;
  };
  const ctx: PeerContext = {
    command,
    flag: "",
    take: (...names) => {
      const f = find(names);
      return f ? valueOf(f.at, f.value, split(tokens[f.at])[0], "tokenbench") : undefined;
    },
    has: (...names) => tokens.some((t) => names.includes(split(t)[0])),
  };
  const slots: Array<string[] | undefined> = tokens.map(() => undefined);
  const notes: string[] = [];
  // Pass 1: translations (they may take other flags of the line, e.g. a GuideLLM profile its --rate).
  for (let i = 0; i < tokens.length; i++) {
    if (consumed.has(i)) continue;
    const [name, inline] = split(tokens[i]);
    const found = lookup(name);
    if (!found || !("translate" in found.flag)) continue;
    const already = new Set(consumed);
    const value = valueOf(i, inline, name, found.peer);
    ctx.flag = name;
    const out = found.flag.translate(value, ctx);
    slots[i] = out;
    // What this translation read: its flag and value, then the flags it took, as typed.
    const taken = [...consumed].filter((j) => !already.has(j) && j !== i && !(inline === undefined && j === i + 1)).sort((a, b) => a - b);
    const said = [name, value, ...taken.map((j) => tokens[j])].join(" ");
    if (said !== out.join(" ")) notes.push(`note: ${found.peer} ${said} read as ${out.length ? out.join(" ") : "nothing (tokenbench's default)"}`);
  }
  // Pass 2: aliases, hints and everything else as typed.
  for (let i = 0; i < tokens.length; i++) {
    if (consumed.has(i)) continue;
    const [name, inline] = split(tokens[i]);
    const found = lookup(name);
    if (!found) {
      slots[i] = [tokens[i]];
      continue;
    }
    const f = found.flag;
    if ("hint" in f) throw usage(found.peer, name, f.hint);
    if ("partOf" in f) throw usage(found.peer, name, `it goes with ${f.partOf} (the mean), which is missing`);
    if ("always" in f) slots[i] = [];
    else if ("alias" in f) slots[i] = [inline === undefined ? f.alias : `${f.alias}=${inline}`];
  }
  return { args: [...slots.flatMap((s) => s ?? []), ...rest], notes };
}

// --- vLLM ---------------------------------------------------------------------------------------

/** --dataset-name: sharegpt reads --dataset-path as ShareGPT JSON; random is our default; others have no equivalent. */
function vllmDatasetName(name: string, ctx: PeerContext): string[] {
  if (name === "random") return [];
  if (name === "sharegpt") {
    if (!ctx.has("--dataset-path", "--dataset")) throw usage("vLLM", "--dataset-name sharegpt", "it needs --dataset-path FILE (ShareGPT JSON; tokenbench downloads nothing)");
    return ["--dataset-format", "sharegpt"];
  }
  throw usage(
    "vLLM",
    `--dataset-name ${name}`,
    "synthetic prompts are the default (--input-tokens / --output-tokens; vLLM's random); files are --dataset FILE with --dataset-format jsonl|sharegpt; traces --trace FILE",
  );
}

// --- GuideLLM -----------------------------------------------------------------------------------

const GUIDELLM_PROFILES = ["synchronous", "concurrent", "throughput", "constant", "async", "poisson", "sweep"];

/**
 * A GuideLLM profile (--rate-type / --profile) with its --rate, as `run` loads: synchronous is
 * one request at a time (-c 1); concurrent --rate N is -c N; constant/poisson --rate R are open
 * loop at R req/s with those arrivals; throughput is everything at once (--rate inf, --rate N
 * caps the streams: --max-concurrency N); sweep --rate N counts every run, the synchronous and
 * throughput ones included, so N-2 rates lie between them (--profile-rates N-2).
 */
function guidellmProfile(profile: string, ctx: PeerContext): string[] {
  if (!GUIDELLM_PROFILES.includes(profile)) return ["--profile", profile]; // commander names the choices
  if (ctx.command !== "run") {
    throw usage("GuideLLM", `${ctx.flag} ${profile}`, "GuideLLM's profiles are loads of `tokenbench run` (sweep: run --profile sweep); `tokenbench sweep` searches for the best load under an SLO");
  }
  const rate = ctx.take("--rate", "-r");
  const needRate = () => {
    if (rate === undefined) throw usage("GuideLLM", `${ctx.flag} ${profile}`, "it needs --rate (GuideLLM's value for this profile)");
    return rate;
  };
  switch (profile) {
    case "synchronous":
      if (rate !== undefined) throw usage("GuideLLM", `${ctx.flag} synchronous`, "it takes no --rate (one request at a time: --concurrency 1)");
      return ["--concurrency", "1"];
    case "concurrent":
      return ["--concurrency", needRate()];
    case "constant":
    case "async":
      return ["--rate", needRate(), "--arrival", "constant"];
    case "poisson":
      return ["--rate", needRate(), "--arrival", "poisson"];
    case "throughput":
      return ["--rate", "inf", ...(rate === undefined ? [] : ["--max-concurrency", rate])];
    default: {
      // sweep
      if (rate === undefined) return ["--profile", "sweep"];
      const n = Number(rate);
      if (!Number.isInteger(n) || n < 3) throw usage("GuideLLM", `${ctx.flag} sweep --rate ${rate}`, `GuideLLM's --rate counts every run of the sweep, the synchronous and throughput ones too: give an integer >= 3, got "${rate}"`);
      return ["--profile", "sweep", "--profile-rates", String(n - 2)];
    }
  }
}

const GUIDELLM_LENGTH_KEYS = ["tokens", "tokens_stdev", "tokens_min", "tokens_max"];

/**
 * --data: synthetic key=value pairs or JSON (prompt_tokens, output_tokens, each with _stdev,
 * _min, _max) as --input-tokens/--output-tokens, or a JSONL file as --dataset. GuideLLM samples a
 * length as: no stdev, the mean (or uniform between _min and _max when they differ); with a
 * stdev, a normal clipped to [_min, _max], which default to mean -/+ 5 stdev.
 */
function guidellmData(data: string, _ctx: PeerContext): string[] {
  const trimmed = data.trim();
  if (trimmed.startsWith("{") || trimmed.includes("=")) {
    const config = parseGuidellmConfig(trimmed);
    const known = new Set(["samples", ...["prompt", "output"].flatMap((p) => GUIDELLM_LENGTH_KEYS.map((k) => `${p}_${k}`))]);
    const unknown = Object.keys(config).filter((k) => !known.has(k));
    if (unknown.length) {
      throw usage("GuideLLM", `--data ${unknown[0]}=`, "tokenbench reads prompt_tokens and output_tokens here (with _stdev, _min, _max); shared prefixes are --shared-prefix N / --prefix-groups");
    }
    const out: string[] = [];
    for (const [side, flag] of [["prompt", "--input-tokens"], ["output", "--output-tokens"]] as const) {
      const spec = guidellmLength(config, side);
      if (spec) out.push(flag, spec);
    }
    if (!out.length) throw usage("GuideLLM", "--data", "give prompt_tokens=N and/or output_tokens=N");
    return out;
  }
  if (existsSync(data)) {
    if (data.endsWith(".jsonl")) return ["--dataset", data];
    throw usage("GuideLLM", `--data ${data}`, "tokenbench reads JSONL files (one {\"prompt\": ..., \"output_tokens\": N} per line) and ShareGPT JSON: --dataset FILE [--dataset-format jsonl|sharegpt]");
  }
  if (/^[\w.-]+\/[\w.-]+$/.test(data)) {
    throw usage("GuideLLM", `--data ${data}`, "this looks like a Hugging Face dataset id, and tokenbench downloads nothing: fetch the file elsewhere and pass --dataset FILE");
  }
  throw usage("GuideLLM", `--data ${data}`, "no such file (GuideLLM's --data is a file, prompt_tokens=N,output_tokens=N, or a Hugging Face dataset id)");
}

function parseGuidellmConfig(text: string): Record<string, unknown> {
  if (text.startsWith("{")) {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw usage("GuideLLM", "--data", `invalid JSON (${(e as Error).message})`);
    }
    if (!o || typeof o !== "object" || Array.isArray(o)) throw usage("GuideLLM", "--data", "expected a JSON object like {\"prompt_tokens\": 256}");
    return o as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const pair of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const i = pair.indexOf("=");
    if (i <= 0) throw usage("GuideLLM", "--data", `expected key=value pairs, got "${pair}"`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/** One side's length spec in our syntax (N, MIN:MAX, normal:MEAN:SD:MIN:MAX), or undefined when not given. */
function guidellmLength(config: Record<string, unknown>, side: "prompt" | "output"): string | undefined {
  const num = (k: string): number | undefined => {
    const v = config[`${side}_${k}`];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw usage("GuideLLM", `--data ${side}_${k}`, `expected a number >= 0, got "${String(v)}"`);
    return n;
  };
  const mean = num("tokens");
  const [stdev, min, max] = [num("tokens_stdev"), num("tokens_min"), num("tokens_max")];
  if (mean === undefined) {
    if (stdev !== undefined || min !== undefined || max !== undefined) throw usage("GuideLLM", `--data ${side}_tokens`, `${side}_tokens_stdev/_min/_max need ${side}_tokens (the mean)`);
    return undefined;
  }
  const m = Math.round(mean);
  if (!stdev) {
    const lo = Math.round(min ?? m);
    const hi = Math.round(max ?? m);
    return lo === hi ? String(lo) : `${lo}:${hi}`;
  }
  const lo = Math.round(min ?? Math.max(1, mean - 5 * stdev));
  const hi = Math.round(max ?? mean + 5 * stdev);
  return `normal:${mean}:${stdev}:${Math.max(1, lo)}:${hi}`;
}

/** --backend-type: openai_http is what tokenbench talks to; others have no equivalent. */
function guidellmBackend(type: string): string[] {
  if (type === "openai_http") return [];
  throw usage("GuideLLM", `--backend-type ${type}`, "tokenbench talks to HTTP servers: --target URL with --api (openai-completions, openai-chat, tgi, llamacpp, ...)");
}

// --- AIPerf -------------------------------------------------------------------------------------

/** Mean with optional stddev (AIPerf draws a normal) as our length spec. */
function aiperfLength(mean: string, stddev: string | undefined, what: string): string {
  const sd = stddev === undefined ? 0 : Number(stddev);
  if (!Number.isFinite(sd) || sd < 0) throw usage("AIPerf", `--${what === "input" ? "synthetic-input" : "output"}-tokens-stddev`, `expected a number >= 0, got "${stddev}"`);
  return sd === 0 ? mean : `normal:${mean}:${sd}`;
}

/** --url: AIPerf's default form is host:port without a scheme; ours is a URL. */
function aiperfUrl(url: string): string[] {
  return ["--target", /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`];
}

function aiperfModel(names: string): string[] {
  if (names.includes(",")) throw usage("AIPerf", "--model-names", "tokenbench sends one model per run: --model NAME (compare models with tokenbench experiment)");
  return ["--model", names];
}

/** --endpoint-type: chat and completions are our openai-chat and openai-completions. */
function aiperfEndpointType(type: string): string[] {
  if (type === "chat") return ["--api", "openai-chat"];
  if (type === "completions") return ["--api", "openai-completions"];
  throw usage("AIPerf", `--endpoint-type ${type}`, "tokenbench benchmarks text generation: --api openai-completions, openai-chat, tgi, llamacpp, ...");
}

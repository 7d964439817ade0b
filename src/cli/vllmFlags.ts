import { UsageError } from "./errors.js";

// Flags that users of vLLM's benchmark client (`vllm bench serve`) type out of habit: the ones
// with a tokenbench equivalent are accepted as aliases, the others get a one-line hint.

/** vLLM flag -> tokenbench flag, same meaning and value. */
export const VLLM_ALIASES: Readonly<Record<string, string>> = {
  "--num-prompts": "--requests",
  "--request-rate": "--rate",
  "--base-url": "--target",
  "--metric-percentiles": "--percentiles",
  "--random-input-len": "--input-tokens",
  "--random-output-len": "--output-tokens",
  "--dataset-path": "--dataset",
};

/** vLLM flags without a direct equivalent: what to use instead. */
export const VLLM_HINTS: Readonly<Record<string, string>> = {
  "--save-detailed": "tokenbench stores every request in the results DB; write them to a file with --records FILE.jsonl",
  "--save-result": "tokenbench stores every run in the results DB; write the summary with --json FILE",
  "--result-filename": "use --json FILE (summary) and --records FILE.jsonl (per request)",
  "--dataset-name": "synthetic prompts are the default (--input-tokens / --output-tokens); a file is --dataset FILE with --dataset-format jsonl|sharegpt",
  "--backend": "the wire protocol is --api (openai-completions, openai-chat, tgi, llamacpp, ...)",
};

/** Rewrites vLLM aliases (also in --flag=value form) to tokenbench flags; a flag with a hint throws it. Stops at "--". */
export function translateVllmFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const [name, ...rest] = a.split("=");
    if (name in VLLM_HINTS) throw new UsageError(`${name} is a vLLM client flag: ${VLLM_HINTS[name]}`);
    const alias = VLLM_ALIASES[name];
    out.push(alias ? [alias, ...rest].join("=") : a);
  }
  return out;
}

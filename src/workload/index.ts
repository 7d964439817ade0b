// Turns a WorkloadSpec into the WorkItems a run sends, reproducibly for a seed.
import type { DatasetWorkloadSpec, LengthSpec, SyntheticWorkloadSpec, WorkItem, WorkloadSpec } from "./types.js";
import { readJsonl, readShareGpt, type DatasetEntry } from "./dataset.js";
import { createRng, deriveSeed } from "./rng.js";
import { sampleOutputLengths, syntheticPrompts } from "./synthetic.js";
import type { Tokenizer } from "./tokenizer.js";

export interface BuildWorkloadOptions {
  count: number;
  seed: number;
  tokenizer: Tokenizer;
  /**
   * Tokens the server adds around every prompt (a chat template's frame, chatTemplateOverhead):
   * synthetic prompts are built this much shorter so that the server's count is the length
   * asked for, and every item's inputTokens includes it. Default 0.
   */
  inputOffset?: number;
  /**
   * Run-wide ordinal of the first synthetic prompt (default 0): the text of item i is a pure
   * function of (seed, promptOffset + i), so calls with disjoint ranges send no prompt twice
   * (lengths and shared prefixes do not move). Datasets ignore it: their prompts are the file's.
   */
  promptOffset?: number;
  /** Notices such as "n conversations skipped"; default: silent. */
  log?: (line: string) => void;
}

export async function buildWorkload(spec: WorkloadSpec, opts: BuildWorkloadOptions): Promise<WorkItem[]> {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new Error(`request count must be an integer >= 0, got ${opts.count}`);
  switch (spec.kind) {
    case "synthetic":
      return buildSynthetic(spec, opts);
    case "dataset":
      return buildFromDataset(spec, opts);
    default:
      throw new Error(`unknown workload kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

function buildSynthetic(spec: SyntheticWorkloadSpec, opts: BuildWorkloadOptions): WorkItem[] {
  const off = opts.inputOffset ?? 0;
  const prompts = syntheticPrompts({
    count: opts.count,
    input: off > 0 ? shorter(spec.input, off) : spec.input,
    sharedPrefixTokens: spec.sharedPrefixTokens,
    prefixGroups: spec.prefixGroups,
    seed: opts.seed,
    tokenizer: opts.tokenizer,
    promptOffset: opts.promptOffset,
    ...(off > 0 && opts.tokenizer.chatCount ? { countText: chatContentCount(opts.tokenizer, off) } : {}),
  });
  const outputs = sampleOutputLengths(spec.output, opts.count, opts.seed);
  return prompts.map((p, index) => ({ index, prompt: p.prompt, inputTokens: p.inputTokens + off, outputTokens: outputs[index] }));
}

/** Content tokens of a one-message chat prompt as the server counts it: through the template, less its frame. */
function chatContentCount(tok: Tokenizer, frame: number): (text: string) => number {
  return (text) => tok.chatCount!([{ role: "user", content: text }]) - frame;
}

/** A length spec `off` tokens shorter; every length must stay >= 1. */
function shorter(l: LengthSpec, off: number): LengthSpec {
  const lowest = l.kind === "fixed" ? l.value : l.kind === "uniform" ? l.min : l.min ?? off + 1;
  if (lowest - off < 1) throw new Error(`input length ${lowest} is not above the chat template's ${off} tokens around each prompt: ask for more input tokens`);
  if (l.kind === "fixed") return { kind: "fixed", value: l.value - off };
  if (l.kind === "uniform") return { kind: "uniform", min: l.min - off, max: l.max - off };
  return { ...l, mean: l.mean - off, ...(l.min !== undefined ? { min: l.min - off } : {}), ...(l.max !== undefined ? { max: l.max - off } : {}) };
}

/**
 * Entries are shuffled with the seed and taken in that order; when the run needs more requests
 * than the dataset has usable entries, the same shuffled order is repeated. Only sampled
 * entries are tokenized, so a short run over a large ShareGPT file stays cheap.
 */
async function buildFromDataset(spec: DatasetWorkloadSpec, opts: BuildWorkloadOptions): Promise<WorkItem[]> {
  const def = spec.defaultOutputTokens;
  if (def !== undefined && (!Number.isInteger(def) || def < 1)) {
    throw new Error(`default output length must be an integer >= 1, got ${def}`);
  }
  let loaded;
  if (spec.format === "jsonl") loaded = await readJsonl(spec.path);
  else if (spec.format === "sharegpt") loaded = await readShareGpt(spec.path);
  else throw new Error(`unknown dataset format ${JSON.stringify(spec.format)} (expected jsonl or sharegpt)`);
  const { entries, skipped } = loaded;
  if (skipped > 0) {
    opts.log?.(`${spec.path}: ${skipped} of ${skipped + entries.length} conversations skipped (no human turn followed by a gpt turn)`);
  }
  if (spec.format === "sharegpt" && def !== undefined) {
    opts.log?.(`${spec.path}: output lengths come from the reference answers; the default output length (${def}) is not used`);
  }
  const order = createRng(deriveSeed(opts.seed, "dataset-order")).shuffle(entries.map((_, i) => i));
  const tok = opts.tokenizer;
  // Per entry: its item shape, or null when it cannot be used (empty completion after tokenizing).
  const resolved = new Map<number, { prompt: string; inputTokens: number; outputTokens: number } | null>();
  const resolve = (e: DatasetEntry) => {
    let outputTokens: number;
    if (e.completion !== undefined) outputTokens = tok.count(e.completion);
    else if (e.outputTokens !== undefined) outputTokens = e.outputTokens;
    else if (def !== undefined) outputTokens = def;
    else throw new Error(`${spec.path}:${e.line}: no output length in the entry and no default output length given`);
    if (outputTokens < 1) return null;
    return { prompt: e.prompt, inputTokens: tok.count(e.prompt) + (opts.inputOffset ?? 0), outputTokens };
  };
  const items: WorkItem[] = [];
  let cursor = 0;
  let unusableStreak = 0;
  while (items.length < opts.count) {
    const idx = order[cursor % order.length];
    cursor++;
    let item = resolved.get(idx);
    if (item === undefined) {
      item = resolve(entries[idx]);
      resolved.set(idx, item);
    }
    if (item === null) {
      if (++unusableStreak >= order.length) throw new Error(`${spec.path}: no entry has a usable output length`);
      continue;
    }
    unusableStreak = 0;
    items.push({ index: items.length, ...item });
  }
  return items;
}

export { loadTokenizer, byteTokenizer, DEFAULT_TOKENIZER_NAME, type Tokenizer } from "./tokenizer.js";
export { createRng, deriveSeed, type Rng } from "./rng.js";
export { syntheticPrompts, sampleOutputLengths, promptOfLength, promptVocabulary, promptTextSeed } from "./synthetic.js";
export { sampleLength, validateLengthSpec, lengthBounds } from "./lengths.js";
export { readJsonl, readShareGpt, OUTPUT_LENGTH_FIELDS, type DatasetEntry, type LoadedDataset } from "./dataset.js";

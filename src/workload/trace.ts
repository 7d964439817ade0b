// Request traces (Mooncake format and any JSONL with a timestamp): reading, prompt building with
// shared prefix blocks, and the statistics `tokenbench trace summary` prints. Pure but for reading.
import type { WorkItem } from "./types.js";
import type { Tokenizer } from "./tokenizer.js";
import { createRng, deriveSeed } from "./rng.js";
import { promptOfLength, promptVocabulary } from "./synthetic.js";
import { ensureReadable, fileLines, MAX_JSONL_LINE_BYTES, OUTPUT_LENGTH_FIELDS } from "./dataset.js";
import { latencyStats } from "../stats.js";

/** Tokens per hash id in Mooncake traces (their `--block-size`). */
export const DEFAULT_BLOCK_SIZE = 512;

/** One request of a trace. */
export interface TraceEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  /** Arrival, ms from the trace's start. */
  timestampMs: number;
  /** Prompt length in tokens (Mooncake `input_length`); absent when the line has a prompt text. */
  inputLength?: number;
  /** Output length asked for, tokens. */
  outputLength: number;
  /** One id per block of block-size tokens: equal ids are identical blocks (a shared prefix). */
  hashIds?: number[];
  /** The prompt itself, for datasets with a timestamp field instead of lengths. */
  prompt?: string;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * Reads a JSONL trace: one request per line, `timestamp` (ms from the start) and either
 * `input_length` (+ optional `hash_ids`) or `prompt`; output length from `output_length` (or
 * output_tokens / output_len / max_tokens). Blank lines are skipped. Entries come back sorted
 * by timestamp (stable). Throws `file:line: what` on the first bad line.
 */
export async function readTrace(file: string): Promise<TraceEntry[]> {
  await ensureReadable(file);
  const out: TraceEntry[] = [];
  let line = 0;
  for await (const raw of fileLines(file, MAX_JSONL_LINE_BYTES)) {
    line++;
    if (raw.trim() === "") continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw);
    } catch {
      throw new Error(`${file}:${line}: not a JSON object`);
    }
    if (!o || typeof o !== "object" || Array.isArray(o)) throw new Error(`${file}:${line}: not a JSON object`);
    const bad = (what: string) => new Error(`${file}:${line}: ${what}`);
    const ts = o.timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0) throw bad(`"timestamp" must be a number of ms >= 0`);
    const outKey = ["output_length", ...OUTPUT_LENGTH_FIELDS].find((k) => o[k] !== undefined);
    const output = outKey ? o[outKey] : undefined;
    if (!isCount(output) || output < 1) throw bad(`needs "output_length" (an integer >= 1)`);
    const e: TraceEntry = { line, timestampMs: ts, outputLength: output };
    if (typeof o.prompt === "string" && o.prompt !== "") e.prompt = o.prompt;
    else if (isCount(o.input_length) && o.input_length >= 1) e.inputLength = o.input_length;
    else throw bad(`needs "input_length" (an integer >= 1) or a "prompt" text`);
    if (o.hash_ids !== undefined) {
      if (!Array.isArray(o.hash_ids) || !o.hash_ids.every(isCount)) throw bad(`"hash_ids" must be a list of integers >= 0`);
      if (e.prompt !== undefined) throw bad(`"hash_ids" apply to "input_length", not to a "prompt" text`);
      e.hashIds = o.hash_ids as number[];
    }
    out.push(e);
  }
  if (out.length === 0) throw new Error(`${file}: no requests in the trace`);
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].timestampMs - b[0].timestampMs || a[1] - b[1]).map(([e]) => e);
}

/** Checks that `hash_ids` fit the input length at this block size (too many ids: the wrong --block-size). */
function checkBlocks(e: TraceEntry, blockSize: number, file: string): void {
  if (!e.hashIds || e.inputLength === undefined) return;
  const most = Math.ceil(e.inputLength / blockSize);
  if (e.hashIds.length > most) {
    throw new Error(`${file}:${e.line}: ${e.hashIds.length} hash ids for ${e.inputLength} tokens: at most ${most} blocks of ${blockSize} tokens (is --block-size right?)`);
  }
}

/**
 * The prompts of a trace. A hash id is one block of `blockSize` tokens, drawn from a random
 * stream of (seed, id), so equal ids give byte-identical text wherever they occur; the last
 * block of a prompt may be shorter (the first tokens of the id's stream, then fixed up to the
 * length). Tokens beyond the hash ids, or prompts without any, come from the request's own
 * stream. `inputTokens` is the sum of the blocks' exact lengths (the blocks are joined at word
 * boundaries, so the count of the whole holds when the tokenizer is additive on words).
 */
export function tracePrompts(entries: readonly TraceEntry[], o: { tokenizer: Tokenizer; seed: number; blockSize: number; file?: string }): WorkItem[] {
  const tok = o.tokenizer;
  const sep = promptVocabulary(tok).separator;
  const blocks = new Map<string, string>();
  const block = (id: number, length: number): string => {
    const key = `${id}:${length}`;
    let text = blocks.get(key);
    if (text === undefined) {
      text = promptOfLength(length, tok, createRng(deriveSeed(o.seed, `trace-block-${id}`))).text;
      blocks.set(key, text);
    }
    return text;
  };
  return entries.map((e, index) => {
    if (e.prompt !== undefined) return { index, prompt: e.prompt, inputTokens: tok.count(e.prompt), outputTokens: e.outputLength };
    checkBlocks(e, o.blockSize, o.file ?? "trace");
    const total = e.inputLength!;
    const parts: string[] = [];
    let done = 0;
    for (const id of e.hashIds ?? []) {
      const n = Math.min(o.blockSize, total - done);
      parts.push(block(id, n));
      done += n;
    }
    if (done < total) parts.push(promptOfLength(total - done, tok, createRng(deriveSeed(o.seed, `trace-request-${index}`))).text);
    return { index, prompt: parts.join(sep), inputTokens: total, outputTokens: e.outputLength };
  });
}

/** Distribution of lengths in a trace summary: tokens. */
export interface LengthDistribution {
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What `tokenbench trace summary` prints (docs/metrics.md, "Traces"). */
export interface TraceStats {
  requests: number;
  /** First to last timestamp, s. */
  duration_s: number;
  /** requests / duration_s (0 for a one-instant trace). */
  mean_rate_per_s: number;
  input_length: LengthDistribution;
  output_length: LengthDistribution;
  /** Arrivals per window: window start s, requests in it, their rate per s. */
  arrival_rate: Array<{ start_s: number; requests: number; rate_per_s: number }>;
  window_s: number;
  /** Prefix blocks (hash ids): all, distinct, and the share that repeat an id seen in an earlier request. */
  blocks?: { block_size: number; total: number; distinct: number; reused_share: number; requests_with_reuse: number };
}

function distribution(values: number[]): LengthDistribution {
  const s = latencyStats(values);
  return { mean: s.mean, min: s.min, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max };
}

/** Statistics of a trace; `windows` arrival-rate buckets over its duration (default 10). */
export function traceStats(entries: readonly TraceEntry[], o: { blockSize: number; tokenizer?: Tokenizer; windows?: number }): TraceStats {
  const t0 = entries[0]?.timestampMs ?? 0;
  const last = entries.at(-1)?.timestampMs ?? 0;
  const durationS = (last - t0) / 1000;
  const n = o.windows ?? 10;
  const windowS = durationS > 0 ? durationS / n : 1;
  const buckets = Array.from({ length: durationS > 0 ? n : 1 }, (_, i) => ({ start_s: i * windowS, requests: 0, rate_per_s: 0 }));
  for (const e of entries) buckets[Math.min(buckets.length - 1, Math.floor((e.timestampMs - t0) / 1000 / windowS))].requests++;
  for (const b of buckets) b.rate_per_s = b.requests / windowS;
  const inputs = entries.map((e) => e.inputLength ?? (o.tokenizer ? o.tokenizer.count(e.prompt ?? "") : 0));
  const seen = new Set<number>();
  let total = 0;
  let reused = 0;
  let withReuse = 0;
  for (const e of entries) {
    if (!e.hashIds) continue;
    let any = false;
    for (const id of e.hashIds) {
      total++;
      if (seen.has(id)) reused++, (any = true);
    }
    for (const id of e.hashIds) seen.add(id);
    if (any) withReuse++;
  }
  return {
    requests: entries.length,
    duration_s: durationS,
    mean_rate_per_s: durationS > 0 ? entries.length / durationS : 0,
    input_length: distribution(inputs),
    output_length: distribution(entries.map((e) => e.outputLength)),
    arrival_rate: buckets,
    window_s: windowS,
    ...(total > 0 ? { blocks: { block_size: o.blockSize, total, distinct: seen.size, reused_share: reused / total, requests_with_reuse: withReuse } } : {}),
  };
}

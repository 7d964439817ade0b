// Dataset files: JSONL prompts and ShareGPT conversations, parsed into plain entries.
// Token counting happens later, only for the entries a run actually samples.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { jsonArrayElements } from "./jsonArrayStream.js";

export interface DatasetEntry {
  prompt: string;
  /** Output length given by the file (JSONL). */
  outputTokens?: number;
  /** Reference answer whose token count is the output length (ShareGPT). */
  completion?: string;
  /** 1-based line of the entry in its file, for messages. */
  line: number;
}

export interface LoadedDataset {
  entries: DatasetEntry[];
  /** Entries left out (ShareGPT conversations without a human turn followed by a model turn). */
  skipped: number;
}

/** Accepted names for a JSONL line's output length, first match wins. */
export const OUTPUT_LENGTH_FIELDS = ["output_tokens", "output_len", "max_tokens"] as const;

export async function ensureReadable(file: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch {
    throw new Error(`dataset file not found or unreadable: ${file}`);
  }
  if (!isFile) throw new Error(`dataset path is not a file: ${file}`);
}

/**
 * Longest accepted JSONL line, bytes. Far above any prompt a model takes (a million tokens is a
 * few MiB) and far below V8's string limit (~512 Mi characters), beyond which reading the line
 * would crash instead of failing with a message.
 */
export const MAX_JSONL_LINE_BYTES = 64 * 1024 * 1024;

/** Lines of a file (LF or CRLF), each decoded once; a line over `maxBytes` is an error naming it. */
export async function* fileLines(file: string, maxBytes: number): AsyncGenerator<string> {
  let pieces: Buffer[] = [];
  let size = 0;
  let lineNo = 1;
  const emit = () => {
    const b = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size);
    pieces = [];
    size = 0;
    const end = b.length > 0 && b[b.length - 1] === 13 ? b.length - 1 : b.length;
    return b.toString("utf8", 0, end);
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (size + nl - start > maxBytes) break;
      pieces.push(chunk.subarray(start, nl));
      size += nl - start;
      yield emit();
      lineNo++;
      start = nl + 1;
    }
    const rest = chunk.length - start;
    if (size + rest > maxBytes || (start < chunk.length && chunk.indexOf(10, start) !== -1)) {
      throw new Error(`${file}:${lineNo}: line longer than ${maxBytes / 1048576} MiB (the limit for one dataset line)`);
    }
    if (rest > 0) {
      pieces.push(chunk.subarray(start));
      size += rest;
    }
  }
  if (size > 0) yield emit();
}

/** One JSON object per line: {"prompt": "...", "output_tokens"?: N}; blank lines are ignored. */
export async function readJsonl(file: string, opts: { maxLineBytes?: number } = {}): Promise<LoadedDataset> {
  await ensureReadable(file);
  const entries: DatasetEntry[] = [];
  let lineNo = 0;
  for await (const raw of fileLines(file, opts.maxLineBytes ?? MAX_JSONL_LINE_BYTES)) {
    lineNo++;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() === "") continue;
    const fail = (msg: string): never => {
      throw new Error(`${file}:${lineNo}: ${msg}`);
    };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(`invalid JSON: ${(err as Error).message.split("\n")[0]}`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) fail("expected a JSON object per line");
    const obj = value as Record<string, unknown>;
    if (typeof obj.prompt !== "string" || obj.prompt.length === 0) fail(`"prompt" must be a non-empty string`);
    const entry: DatasetEntry = { prompt: obj.prompt as string, line: lineNo };
    const field = OUTPUT_LENGTH_FIELDS.find((f) => obj[f] !== undefined && obj[f] !== null);
    if (field) {
      const n = obj[field];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1) fail(`"${field}" must be an integer >= 1, got ${JSON.stringify(n)}`);
      entry.outputTokens = n as number;
    }
    entries.push(entry);
  }
  if (entries.length === 0) throw new Error(`${file}: dataset has no prompts`);
  return { entries, skipped: 0 };
}

const HUMAN = new Set(["human", "user"]);
const MODEL = new Set(["gpt", "assistant", "chatgpt", "bard", "model"]);

/**
 * ShareGPT JSON: [{"conversations": [{"from": "human", "value": ...}, {"from": "gpt", ...}]}].
 * Prompt = first human turn; completion = the turn right after it, when it is the model's.
 */
export async function readShareGpt(file: string): Promise<LoadedDataset> {
  await ensureReadable(file);
  const entries: DatasetEntry[] = [];
  let skipped = 0;
  for await (const { value, line } of jsonArrayElements(file)) {
    const pair = firstExchange(value);
    if (pair) entries.push({ prompt: pair.prompt, completion: pair.completion, line });
    else skipped++;
  }
  if (entries.length === 0) {
    throw new Error(`${file}: no usable conversations (need a human turn followed by a gpt turn; ${skipped} skipped)`);
  }
  return { entries, skipped };
}

function firstExchange(value: unknown): { prompt: string; completion: string } | undefined {
  if (!value || typeof value !== "object") return undefined;
  const turns = (value as { conversations?: unknown }).conversations;
  if (!Array.isArray(turns)) return undefined;
  const at = turns.findIndex((t) => HUMAN.has(roleOf(t)));
  if (at < 0 || at + 1 >= turns.length) return undefined;
  const prompt = textOf(turns[at]);
  const next = turns[at + 1];
  const completion = textOf(next);
  if (!prompt || !completion || !MODEL.has(roleOf(next))) return undefined;
  return { prompt, completion };
}

function roleOf(turn: unknown): string {
  const from = turn && typeof turn === "object" ? (turn as { from?: unknown }).from : undefined;
  return typeof from === "string" ? from.toLowerCase() : "";
}

function textOf(turn: unknown): string {
  const v = turn && typeof turn === "object" ? (turn as { value?: unknown }).value : undefined;
  return typeof v === "string" ? v : "";
}

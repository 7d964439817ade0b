// Dataset files: JSONL prompts and ShareGPT conversations, parsed into plain entries.
// Token counting happens later, only for the entries a run actually samples.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
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

async function ensureReadable(file: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch {
    throw new Error(`dataset file not found or unreadable: ${file}`);
  }
  if (!isFile) throw new Error(`dataset path is not a file: ${file}`);
}

/** One JSON object per line: {"prompt": "...", "output_tokens"?: N}; blank lines are ignored. */
export async function readJsonl(file: string): Promise<LoadedDataset> {
  await ensureReadable(file);
  const entries: DatasetEntry[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() === "") continue;
    const fail = (msg: string): never => {
      lines.close();
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

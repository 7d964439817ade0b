// Writes a llama-architecture GGUF with seeded random weights, streaming tensor data to disk.
import { open } from "node:fs/promises";
import { bytesPerElement, elementCount, encodeHeader, type GgufValue, type TensorInfo } from "./format.js";
import type { ModelShape } from "./presets.js";
import { float32ToFloat16Bits, normalTableF16, normalTableF32, weightStream } from "./random.js";
import { loadVocab, type Vocab } from "./vocab.js";

/** Bumped whenever the bytes written for a (preset, seed) change, so stale cache entries are not reused. */
export const GENERATED_FORMAT_VERSION = 3;

/** Weight scale: small enough that activations stay finite through any depth. */
const WEIGHT_STD = 0.02;
const CHUNK_ELEMENTS = 1 << 20;

/*
 * Banned tokens (Vocab.banned: specials, byte-fallback and incomplete-UTF-8 pieces) are kept out of
 * generation by the weights themselves, so that any engine (llama.cpp's server, vLLM, ...) samples
 * only tokens that are whole printable text, with no sampler setting needed:
 * - every token's embedding holds EMBED_BIAS in dimension 0, and no layer writes dimension 0 (the
 *   output rows 0 of attn_output and ffn_down are zero), so the final residual stream keeps exactly
 *   EMBED_BIAS there, at every position;
 * - the final norm scales dimension 0 by OUTPUT_NORM_BIAS, so the normed hidden state h has
 *   h[0] = OUTPUT_NORM_BIAS * EMBED_BIAS / rms(residual) > 0;
 * - output.weight holds -BAN_WEIGHT in dimension 0 of banned tokens and 0 for all others, so a banned
 *   token's logit is lowered by BAN_WEIGHT * h[0] (hundreds to thousands, against a spread of the
 *   other logits of about WEIGHT_STD * sqrt(embedding) ~ 0.3-1.3): never sampled at any temperature.
 * Values stay well inside float16's range (65504) for engines that accumulate in half precision.
 */
const BIAS_DIM = 0;
const EMBED_BIAS = 1;
const OUTPUT_NORM_BIAS = 10;
const BAN_WEIGHT = 500;

export function modelMetadata(name: string, shape: ModelShape, preset: string, seed: number, vocab: Vocab = loadVocab(shape.vocab)): Array<[string, GgufValue]> {
  const headDim = shape.embedding / shape.heads;
  const tokenizer: Array<[string, GgufValue]> = [
    ["tokenizer.ggml.model", { type: "string", value: vocab.model }],
    ...(vocab.pre ? [["tokenizer.ggml.pre", { type: "string", value: vocab.pre }] as [string, GgufValue]] : []),
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ...(vocab.scores ? [["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }] as [string, GgufValue]] : []),
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ...(vocab.merges ? [["tokenizer.ggml.merges", { type: "string[]", value: vocab.merges }] as [string, GgufValue]] : []),
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: vocab.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: vocab.eos }],
    ...(vocab.unk !== undefined ? [["tokenizer.ggml.unknown_token_id", { type: "u32", value: vocab.unk }] as [string, GgufValue]] : []),
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ...(vocab.model === "llama" ? [["tokenizer.ggml.add_space_prefix", { type: "bool", value: vocab.addSpacePrefix === true }] as [string, GgufValue]] : []),
  ];
  return [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: name }],
    ["general.file_type", { type: "u32", value: shape.matrixType === "f32" ? 0 : 1 }],
    ["general.alignment", { type: "u32", value: 32 }],
    ["tokenbench.preset", { type: "string", value: preset }],
    ["tokenbench.seed", { type: "u32", value: seed >>> 0 }],
    ["tokenbench.format_version", { type: "u32", value: GENERATED_FORMAT_VERSION }],
    ["tokenbench.vocab", { type: "string", value: vocab.name }],
    ["llama.vocab_size", { type: "u32", value: vocab.tokens.length }],
    ["llama.context_length", { type: "u32", value: shape.contextLength }],
    ["llama.embedding_length", { type: "u32", value: shape.embedding }],
    ["llama.block_count", { type: "u32", value: shape.layers }],
    ["llama.feed_forward_length", { type: "u32", value: shape.feedForward }],
    ["llama.attention.head_count", { type: "u32", value: shape.heads }],
    ["llama.attention.head_count_kv", { type: "u32", value: shape.kvHeads }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.rope.freq_base", { type: "f32", value: shape.ropeFreqBase }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: shape.rmsEpsilon }],
    ...tokenizer,
  ];
}

export function modelTensors(shape: ModelShape, vocabSize: number): TensorInfo[] {
  const e = shape.embedding;
  const kv = (e / shape.heads) * shape.kvHeads;
  const m = shape.matrixType;
  const tensors: TensorInfo[] = [{ name: "token_embd.weight", dims: [e, vocabSize], type: m }];
  for (let i = 0; i < shape.layers; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [e], type: "f32" },
      { name: `${p}attn_q.weight`, dims: [e, e], type: m },
      { name: `${p}attn_k.weight`, dims: [e, kv], type: m },
      { name: `${p}attn_v.weight`, dims: [e, kv], type: m },
      { name: `${p}attn_output.weight`, dims: [e, e], type: m },
      { name: `${p}ffn_norm.weight`, dims: [e], type: "f32" },
      { name: `${p}ffn_gate.weight`, dims: [e, shape.feedForward], type: m },
      { name: `${p}ffn_up.weight`, dims: [e, shape.feedForward], type: m },
      { name: `${p}ffn_down.weight`, dims: [shape.feedForward, e], type: m },
    );
  }
  tensors.push({ name: "output_norm.weight", dims: [e], type: "f32" }, { name: "output.weight", dims: [e, vocabSize], type: m });
  return tensors;
}

function isNorm(t: TensorInfo): boolean {
  return t.name.endsWith("_norm.weight");
}

/** Overrides (element index within the tensor -> value) that keep banned tokens out of generation. */
type Override = (start: number, n: number, put: (i: number, v: number) => void) => void;

function banOverride(t: TensorInfo, bannedMask: Uint8Array): Override | undefined {
  const ne0 = t.dims[0];
  // Every (ne0)-th element from BIAS_DIM: dimension BIAS_DIM of each token's row.
  const perToken = (value: (token: number) => number): Override => (start, n, put) => {
    let k = start + ((BIAS_DIM - (start % ne0) + ne0) % ne0);
    for (; k < start + n; k += ne0) put(k - start, value(Math.floor(k / ne0)));
  };
  // The ne0 elements of output row BIAS_DIM.
  const zeroRow: Override = (start, n, put) => {
    const from = Math.max(start, BIAS_DIM * ne0);
    const to = Math.min(start + n, (BIAS_DIM + 1) * ne0);
    for (let k = from; k < to; k++) put(k - start, 0);
  };
  if (t.name === "token_embd.weight") return perToken(() => EMBED_BIAS);
  if (t.name === "output.weight") return perToken((token) => (bannedMask[token] ? -BAN_WEIGHT : 0));
  if (t.name === "output_norm.weight") return (start, n, put) => (BIAS_DIM >= start && BIAS_DIM < start + n ? put(BIAS_DIM - start, OUTPUT_NORM_BIAS) : undefined);
  if (t.name.endsWith("attn_output.weight") || t.name.endsWith("ffn_down.weight")) return zeroRow;
  return undefined;
}

/** Yields a tensor's bytes in bounded chunks (norms = 1, matrices ~ N(0, WEIGHT_STD), then the ban overrides). */
function* tensorChunks(
  t: TensorInfo,
  seed: number,
  stream: number,
  tables: { f32: Float32Array; f16: Uint16Array },
  override: Override | undefined,
): Generator<Buffer> {
  const total = elementCount(t);
  const rng = weightStream(seed, stream);
  // 16 random bits per element: each word gives two table lookups.
  const words = new Uint32Array(Math.ceil(Math.min(CHUNK_ELEMENTS, total) / 2));
  for (let done = 0; done < total; done += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, total - done);
    const w = words.length === Math.ceil(n / 2) ? words : words.subarray(0, Math.ceil(n / 2));
    if (t.type === "f32") {
      const a = new Float32Array(n);
      if (isNorm(t)) a.fill(1);
      else {
        const table = tables.f32;
        rng.fill(w);
        for (let i = 0; i < n; i += 2) {
          const r = w[i >>> 1];
          a[i] = table[r & 0xffff];
          if (i + 1 < n) a[i + 1] = table[r >>> 16];
        }
      }
      override?.(done, n, (i, v) => (a[i] = v));
      yield Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    } else {
      const a = new Uint16Array(n);
      if (isNorm(t)) a.fill(0x3c00); // 1.0 in binary16
      else {
        const table = tables.f16;
        rng.fill(w);
        for (let i = 0; i < n; i += 2) {
          const r = w[i >>> 1];
          a[i] = table[r & 0xffff];
          if (i + 1 < n) a[i + 1] = table[r >>> 16];
        }
      }
      override?.(done, n, (i, v) => (a[i] = float32ToFloat16Bits(v)));
      yield Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    }
  }
}

export interface GenerateProgress {
  bytesWritten: number;
  totalBytes: number;
}

/** Header, tensor list and total file size of a preset's model (no weights computed). */
export function modelLayout(opts: { name: string; preset: string; shape: ModelShape; seed: number }): {
  header: Buffer;
  offsets: number[];
  tensors: TensorInfo[];
  fileBytes: number;
  vocab: Vocab;
} {
  const vocab = loadVocab(opts.shape.vocab);
  const tensors = modelTensors(opts.shape, vocab.tokens.length);
  const { header, offsets, dataBytes } = encodeHeader(modelMetadata(opts.name, opts.shape, opts.preset, opts.seed, vocab), tensors);
  return { header, offsets, tensors, fileBytes: header.length + dataBytes, vocab };
}

/** Writes the model to `path` (the caller handles temp names/renames). Returns the file size. */
export async function writeRandomModel(
  path: string,
  opts: { name: string; preset: string; shape: ModelShape; seed: number; onProgress?: (p: GenerateProgress) => void; signal?: AbortSignal },
): Promise<number> {
  const { header, offsets, tensors, fileBytes: totalBytes, vocab } = modelLayout(opts);
  const bannedMask = new Uint8Array(vocab.tokens.length);
  for (const id of vocab.banned) bannedMask[id] = 1;
  const tables = { f32: normalTableF32(WEIGHT_STD), f16: normalTableF16(WEIGHT_STD) };
  const fh = await open(path, "w");
  let pos = 0;
  try {
    const write = async (buf: Buffer): Promise<void> => {
      opts.signal?.throwIfAborted();
      await fh.write(buf, 0, buf.length, pos);
      pos += buf.length;
      opts.onProgress?.({ bytesWritten: pos, totalBytes });
    };
    await write(header);
    for (let i = 0; i < tensors.length; i++) {
      const start = header.length + offsets[i];
      if (pos < start) await write(Buffer.alloc(start - pos));
      for (const chunk of tensorChunks(tensors[i], opts.seed, i, tables, banOverride(tensors[i], bannedMask))) await write(chunk);
    }
    const lastEnd = header.length + offsets[tensors.length - 1] + elementCount(tensors[tensors.length - 1]) * bytesPerElement(tensors[tensors.length - 1].type);
    if (lastEnd !== pos) throw new Error(`internal: wrote ${pos} bytes, expected ${lastEnd}`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return pos;
}

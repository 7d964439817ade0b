// Writes a llama-architecture GGUF with seeded random weights, streaming tensor data to disk.
import { open } from "node:fs/promises";
import { bytesPerElement, elementCount, encodeHeader, type GgufValue, type TensorInfo } from "./format.js";
import type { ModelShape } from "./presets.js";
import { createRng, normalTableF16, normalTableF32 } from "./random.js";
import { BOS_ID, byteVocab, EOS_ID, UNK_ID } from "./vocab.js";

/** Bumped whenever the bytes written for a (preset, seed) change, so stale cache entries are not reused. */
export const GENERATED_FORMAT_VERSION = 1;

/** Weight scale: small enough that activations stay finite through any depth. */
const WEIGHT_STD = 0.02;
const CHUNK_ELEMENTS = 1 << 20;

export function modelMetadata(name: string, shape: ModelShape, preset: string, seed: number): Array<[string, GgufValue]> {
  const vocab = byteVocab();
  const headDim = shape.embedding / shape.heads;
  return [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: name }],
    ["general.file_type", { type: "u32", value: shape.matrixType === "f32" ? 0 : 1 }],
    ["general.alignment", { type: "u32", value: 32 }],
    ["tokenbench.preset", { type: "string", value: preset }],
    ["tokenbench.seed", { type: "u32", value: seed >>> 0 }],
    ["tokenbench.format_version", { type: "u32", value: GENERATED_FORMAT_VERSION }],
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
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: BOS_ID }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: EOS_ID }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: UNK_ID }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    // Without this SPM prepends a space to every prompt, adding a token the client did not send.
    ["tokenizer.ggml.add_space_prefix", { type: "bool", value: false }],
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

/** Yields a tensor's bytes in bounded chunks (norms = 1, matrices ~ N(0, WEIGHT_STD)). */
function* tensorChunks(t: TensorInfo, seed: number, stream: number, tables: { f32: Float32Array; f16: Uint16Array }): Generator<Buffer> {
  const total = elementCount(t);
  const rng = createRng(seed, stream);
  for (let done = 0; done < total; done += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, total - done);
    if (t.type === "f32") {
      const a = new Float32Array(n);
      if (isNorm(t)) a.fill(1);
      else {
        const table = tables.f32;
        for (let i = 0; i < n; i += 2) {
          const r = rng();
          a[i] = table[r & 0xffff];
          if (i + 1 < n) a[i + 1] = table[r >>> 16];
        }
      }
      yield Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    } else {
      const a = new Uint16Array(n);
      if (isNorm(t)) a.fill(0x3c00); // 1.0 in binary16
      else {
        const table = tables.f16;
        for (let i = 0; i < n; i += 2) {
          const r = rng();
          a[i] = table[r & 0xffff];
          if (i + 1 < n) a[i + 1] = table[r >>> 16];
        }
      }
      yield Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    }
  }
}

export interface GenerateProgress {
  bytesWritten: number;
  totalBytes: number;
}

/** Writes the model to `path` (the caller handles temp names/renames). Returns the file size. */
export async function writeRandomModel(
  path: string,
  opts: { name: string; preset: string; shape: ModelShape; seed: number; onProgress?: (p: GenerateProgress) => void; signal?: AbortSignal },
): Promise<number> {
  const vocabSize = byteVocab().tokens.length;
  const tensors = modelTensors(opts.shape, vocabSize);
  const { header, offsets, dataBytes } = encodeHeader(modelMetadata(opts.name, opts.shape, opts.preset, opts.seed), tensors);
  const totalBytes = header.length + dataBytes;
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
      for (const chunk of tensorChunks(tensors[i], opts.seed, i, tables)) await write(chunk);
    }
    const lastEnd = header.length + offsets[tensors.length - 1] + elementCount(tensors[tensors.length - 1]) * bytesPerElement(tensors[tensors.length - 1].type);
    if (lastEnd !== pos) throw new Error(`internal: wrote ${pos} bytes, expected ${lastEnd}`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return pos;
}

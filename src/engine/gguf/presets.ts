// Model shapes for generated GGUF files, each with a real tokenizer vocabulary (vocab.ts) so the
// embedding and output matrices, and the file size, are the real model's.
import type { TensorType } from "./format.js";
import { VOCAB_SIZES, type VocabName } from "./vocab.js";

export interface ModelShape {
  /** Human name written to general.name. */
  title: string;
  embedding: number;
  layers: number;
  heads: number;
  kvHeads: number;
  feedForward: number;
  contextLength: number;
  ropeFreqBase: number;
  rmsEpsilon: number;
  /** Storage type of the weight matrices (norms are always F32). */
  matrixType: TensorType;
  /** Tokenizer vocabulary; also the client tokenizer that counts tokens like the server does. */
  vocab: VocabName;
}

export const PRESETS = {
  tiny: {
    title: "tokenbench tiny (random weights)",
    embedding: 256,
    layers: 4,
    heads: 4,
    kvHeads: 2,
    feedForward: 768,
    contextLength: 2048,
    ropeFreqBase: 10000,
    rmsEpsilon: 1e-5,
    matrixType: "f32",
    vocab: "mistral",
  },
  small: {
    title: "tokenbench small (random weights)",
    embedding: 768,
    layers: 12,
    heads: 12,
    kvHeads: 12,
    feedForward: 2048,
    contextLength: 2048,
    ropeFreqBase: 10000,
    rmsEpsilon: 1e-5,
    matrixType: "f16",
    vocab: "mistral",
  },
  "llama-2-7b": {
    title: "Llama-2-7B shape (random weights, 32,000-piece SentencePiece vocab)",
    embedding: 4096,
    layers: 32,
    heads: 32,
    kvHeads: 32,
    feedForward: 11008,
    contextLength: 4096,
    ropeFreqBase: 10000,
    rmsEpsilon: 1e-5,
    matrixType: "f16",
    vocab: "mistral",
  },
  "llama-3-8b": {
    title: "Llama-3-8B shape (random weights, Llama 3 vocab)",
    embedding: 4096,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    feedForward: 14336,
    contextLength: 8192,
    ropeFreqBase: 500000,
    rmsEpsilon: 1e-5,
    matrixType: "f16",
    vocab: "llama3",
  },
  "mistral-7b": {
    title: "Mistral-7B (v0.2) shape (random weights, Mistral vocab)",
    embedding: 4096,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    feedForward: 14336,
    contextLength: 32768,
    ropeFreqBase: 1000000,
    rmsEpsilon: 1e-5,
    matrixType: "f16",
    vocab: "mistral",
  },
} as const satisfies Record<string, ModelShape>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

/** Parameters (embedding and output matrices included) of a shape with its vocabulary. */
export function parameterCount(shape: ModelShape, vocabSize = VOCAB_SIZES[shape.vocab]): number {
  const headDim = shape.embedding / shape.heads;
  const kv = headDim * shape.kvHeads;
  const perLayer =
    2 * shape.embedding + // norms
    2 * shape.embedding * shape.embedding + // q, output
    2 * shape.embedding * kv + // k, v
    3 * shape.embedding * shape.feedForward;
  return shape.layers * perLayer + 2 * vocabSize * shape.embedding + shape.embedding;
}

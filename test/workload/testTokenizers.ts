// Small, real Hugging Face tokenizer.json files for the synthetic-prompt paths the bundled
// Llama 3 tokenizer does not exercise.
import { writeFile } from "node:fs/promises";
import path from "node:path";

const WORDS = ["the", "cat", "dog", "sat", "ran", "big", "red", "sun", "map", "cup", "hat", "pen", "box", "car", "bus", "key", "toy", "bed", "jar", "fox"];

/**
 * BPE without a pre-tokenizer whose merges join whole words across spaces
 * (" the" + " cat" -> " the cat"): token counts are not additive over words.
 */
export async function writeMergingTokenizer(dir: string): Promise<string> {
  const vocab: Record<string, number> = {};
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  };
  add(" ");
  for (const c of "abcdefghijklmnopqrstuvwxyz") add(c);
  const merges: Array<[string, string]> = [];
  for (const w of WORDS) {
    let cur = " ";
    for (const c of w) {
      merges.push([cur, c]);
      cur += c;
      add(cur);
    }
  }
  for (const a of WORDS) {
    for (const b of WORDS) {
      merges.push([` ${a}`, ` ${b}`]);
      add(` ${a} ${b}`);
    }
  }
  const json = {
    version: "1.0",
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const file = path.join(dir, "merging-tokenizer.json");
  await writeFile(file, JSON.stringify(json));
  return file;
}

/**
 * SentencePiece-style BPE (Metaspace pre-tokenizer and decoder, like Llama 2 / Mistral): words
 * are "▁word" tokens that decode without their space when alone. Its post-processor adds BOS
 * "<s>" (id 1) when special tokens are requested.
 */
export async function writeMetaspaceTokenizer(dir: string): Promise<string> {
  const vocab: Record<string, number> = { "<unk>": 0, "<s>": 1 };
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  };
  add("▁");
  for (const c of "abcdefghijklmnopqrstuvwxyz") add(c);
  const merges: Array<[string, string]> = [];
  for (const w of WORDS) {
    let cur = "▁";
    for (const c of w) {
      merges.push([cur, c]);
      cur += c;
      add(cur);
    }
  }
  const json = {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<unk>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true, prepend_scheme: "always" },
    // Like Llama 2: BOS "<s>" in front of every sequence when special tokens are asked for.
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: { type: "Metaspace", replacement: "▁", add_prefix_space: true, prepend_scheme: "always" },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: false, vocab, merges },
  };
  const file = path.join(dir, "metaspace-tokenizer.json");
  await writeFile(file, JSON.stringify(json));
  return file;
}

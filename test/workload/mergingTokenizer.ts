// Writes a small, real Hugging Face BPE tokenizer.json without a pre-tokenizer, whose merges
// join whole words across spaces (" the" + " cat" -> " the cat"): the hard case for
// exact-length prompts, since token counts are not additive over words.
import { writeFile } from "node:fs/promises";
import path from "node:path";

const WORDS = ["the", "cat", "dog", "sat", "ran", "big", "red", "sun", "map", "cup", "hat", "pen", "box", "car", "bus", "key", "toy", "bed", "jar", "fox"];

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

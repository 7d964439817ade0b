// Token biases: which tokens may be sampled, including suppressing end-of-sequence for min_tokens.
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";
import { isVocabName, loadVocab } from "./gguf/vocab.js";

/**
 * Tokens a generated (random-weight) model must never sample: its vocabulary's specials,
 * byte-fallback and incomplete-UTF-8 pieces (Vocab.banned). The weights already rule them out
 * (generate.ts); the sampler bans them too, so the contract "one streamed chunk of text per
 * generated token" holds even for a file written by another tokenbench version.
 * `vocab` is the file's tokenbench.vocab metadata; files without it have no bans here.
 */
export function bannedTokensForGeneratedModel(vocab: unknown): Token[] {
  return isVocabName(vocab) ? (loadVocab(vocab).banned as Token[]) : [];
}

/** End-of-generation tokens the model declares (EOS, EOT). */
export function endOfGenerationTokens(model: LlamaModel): Token[] {
  const out = new Set<Token>();
  for (const t of [model.tokens.eos, model.tokens.eot]) if (t != null && model.isEogToken(t)) out.add(t);
  return [...out];
}

interface TokenBiasInternals {
  _biases: Map<Token, number>;
}

/**
 * node-llama-cpp's TokenBias.set() deliberately ignores EOS/EOT, but exact output lengths need
 * exactly that, so the end tokens go straight into its bias map (-Infinity logit = never sampled).
 * Checked at construction so a node-llama-cpp upgrade that changes the internals fails loudly.
 */
export function makeTokenBias(model: LlamaModel, banned: readonly Token[], banEndOfGeneration: boolean): TokenBias {
  const bias = new TokenBias(model.tokenizer);
  for (const t of banned) bias.set(t, "never");
  if (banEndOfGeneration) {
    const internals = bias as unknown as Partial<TokenBiasInternals>;
    if (!(internals._biases instanceof Map)) throw new Error("node-llama-cpp TokenBias internals changed: cannot suppress end-of-sequence (min_tokens/ignore_eos)");
    for (const t of endOfGenerationTokens(model)) internals._biases.set(t, -Infinity);
  }
  return bias;
}

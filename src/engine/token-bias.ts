// Token biases: which tokens may be sampled, including suppressing end-of-sequence for min_tokens.
import { TokenBias, type LlamaModel, type Token } from "node-llama-cpp";
import { BOS_ID, byteOfToken, SPACE_ID, UNK_ID } from "./gguf/vocab.js";

/**
 * Tokens a generated (random-weight) model must never sample: the unknown and BOS tokens (no text)
 * and the byte tokens outside printable ASCII, whose lone bytes are not valid UTF-8. That keeps the
 * contract "one streamed chunk of text per generated token" which token-accurate clients rely on.
 */
export function bannedTokensForGeneratedModel(): Token[] {
  const banned: Token[] = [UNK_ID as Token, BOS_ID as Token];
  for (let id = 0; id < SPACE_ID; id++) {
    const b = byteOfToken(id);
    if (b === undefined) continue;
    const printable = b === 0x0a || (b >= 0x20 && b <= 0x7e);
    if (!printable) banned.push(id as Token);
  }
  return banned;
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

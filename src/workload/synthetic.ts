// Synthetic prompts whose token count under a given tokenizer is exactly the length asked for.
//
// Method: pick "units" from the tokenizer's own vocabulary that are plain lowercase words and
// encode to one token on their own (e.g. Llama 3's "Ġword" tokens, decoded " word"). Words
// separated at pre-tokenizer boundaries encode independently, so n units usually make n
// tokens. Every prompt is still re-encoded and fixed up (units added/removed) until its
// count is exact, so tokenizers that merge across words only cost extra iterations.
import type { LengthSpec } from "./types.js";
import { lengthBounds, sampleLength, validateLengthSpec } from "./lengths.js";
import { createRng, deriveSeed, type Rng } from "./rng.js";
import { splitmix32 } from "../splitmix32.js";
import type { Tokenizer } from "./tokenizer.js";

export interface PromptVocabulary {
  /** Placed between units (" " for SentencePiece-style vocabularies whose words decode bare). */
  separator: string;
  units: string[];
  /** Whether a probe of joined units counted exactly one token per unit. */
  additive: boolean;
}

interface Mode {
  separator: string;
  pattern: RegExp;
}

// In order of preference: byte-level BPE words (" word"), SentencePiece words ("word", joined
// with spaces), and single characters as the last resort (byte-level vocabularies).
const MODES: Mode[] = [
  { separator: "", pattern: /^ [a-z]{2,12}$/ },
  { separator: " ", pattern: /^[a-z]{2,12}$/ },
  { separator: "", pattern: /^[ a-z]{1,12}$/ },
];
const MAX_UNITS = 4096;
const MIN_UNITS = 16;
const PROBE_UNITS = 64;

const vocabularies = new WeakMap<Tokenizer, PromptVocabulary>();

/** The units synthetic prompts are built from; computed once per tokenizer (lowest ids first). */
export function promptVocabulary(tok: Tokenizer): PromptVocabulary {
  const cached = vocabularies.get(tok);
  if (cached) return cached;
  const candidates: string[][] = MODES.map(() => []);
  const seen: Array<Set<string>> = MODES.map(() => new Set());
  // Low ids are the most frequent merges, i.e. common words; stop once the first mode is full.
  for (let id = 0; id < tok.vocabSize && candidates[0].length < MAX_UNITS; id++) {
    let text: string;
    try {
      text = tok.decode([id]);
    } catch {
      continue; // holes in the id space
    }
    MODES.forEach((mode, m) => {
      if (candidates[m].length < MAX_UNITS && mode.pattern.test(text) && !seen[m].has(text) && tok.count(text) === 1) {
        seen[m].add(text);
        candidates[m].push(text);
      }
    });
  }
  let best: PromptVocabulary | undefined;
  for (let m = 0; m < MODES.length; m++) {
    const units = candidates[m];
    if (units.length === 0) continue;
    const vocab = { separator: MODES[m].separator, units, additive: probeAdditive(tok, MODES[m].separator, units) };
    if (vocab.additive && units.length >= MIN_UNITS) {
      best = vocab;
      break;
    }
    // No clean mode: the largest pool gives the fix-up loop the most room.
    if (!best || units.length > best.units.length) best = vocab;
  }
  if (!best) throw new Error(`tokenizer ${tok.name} has no plain-word tokens to build synthetic prompts from`);
  vocabularies.set(tok, best);
  return best;
}

function probeAdditive(tok: Tokenizer, separator: string, units: string[]): boolean {
  const rng = createRng(0x5eed);
  const sample = Array.from({ length: PROBE_UNITS }, () => units[rng.int(0, units.length - 1)]);
  return tok.count(sample.join(separator)) === PROBE_UNITS;
}

/** A shared prefix: its units and exact token count, reused verbatim at the head of prompts. */
export interface PromptPrefix {
  units: string[];
  tokens: number;
}

const MAX_FIXUPS = 200;

/**
 * A prompt of exactly `length` tokens (content tokens, as `count` measures: tok.count() unless
 * given), optionally starting with `prefix`. Throws when the tokenizer cannot reach the length exactly.
 */
export function promptOfLength(
  length: number,
  tok: Tokenizer,
  rng: Rng,
  prefix?: PromptPrefix,
  count: (text: string) => number = (t) => tok.count(t),
): { text: string; units: string[] } {
  if (!Number.isInteger(length) || length < 1) throw new Error(`prompt length must be an integer >= 1, got ${length}`);
  const vocab = promptVocabulary(tok);
  const head = prefix?.units ?? [];
  const headTokens = prefix?.tokens ?? 0;
  if (length < headTokens) throw new Error(`prompt length ${length} is shorter than the shared prefix (${headTokens} tokens)`);
  const pick = (): string => vocab.units[rng.int(0, vocab.units.length - 1)];
  const tail: string[] = [];
  for (let i = 0; i < length - headTokens; i++) tail.push(pick());
  for (let attempt = 0; attempt <= MAX_FIXUPS; attempt++) {
    const units = head.concat(tail);
    const text = units.join(vocab.separator);
    const diff = length - count(text);
    if (diff === 0) return { text, units };
    if (diff > 0) for (let i = 0; i < diff; i++) tail.push(pick());
    else tail.splice(Math.max(0, tail.length + diff), -diff);
    // Past a few rounds the count is oscillating around the target: reshuffle the last unit.
    if (attempt >= 4 && tail.length > 0) tail[tail.length - 1] = pick();
  }
  throw new Error(`could not build a prompt of exactly ${length} tokens with tokenizer ${tok.name}`);
}

export interface SyntheticPrompt {
  prompt: string;
  inputTokens: number;
  /** Which shared prefix it starts with, with several prefix groups. */
  prefixGroup?: number;
}

/** Why a list of prefix-group shares is unusable (empty, not positive, not summing to 1), or undefined. */
export function prefixGroupsProblem(shares: readonly number[]): string | undefined {
  if (shares.length === 0) return "prefix groups: at least one share";
  if (!shares.every((x) => Number.isFinite(x) && x > 0)) return `prefix groups: shares must be positive, got ${shares.join(",")}`;
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) return `prefix groups: shares must sum to 1, got ${shares.join(",")} (sum ${+sum.toFixed(6)})`;
  return undefined;
}

/** The group whose cumulative share first exceeds u (u uniform in [0, 1)). */
function pickGroup(shares: readonly number[], u: number): number {
  let acc = 0;
  for (let g = 0; g < shares.length; g++) if (u < (acc += shares[g])) return g;
  return shares.length - 1;
}

/** Largest prompt ordinal (Number.MAX_SAFE_INTEGER): ordinals are split in two 32-bit words. */
export const MAX_PROMPT_ORDINAL = Number.MAX_SAFE_INTEGER;

/**
 * Seed of the text of the prompt with run-wide `ordinal` (an integer in [0, 2^53)). For one seed
 * and one high word (ordinals below 2^32 apart in the same 2^32 block) the map is a bijection, so
 * two ordinals of one run never draw the same text stream; different high words (experiment
 * cells) collide only by 32-bit chance.
 */
export function promptTextSeed(seed: number, ordinal: number): number {
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) throw new Error(`prompt ordinal must be an integer in [0, 2^53), got ${ordinal}`);
  const hi = Math.floor(ordinal / 2 ** 32);
  const lo = ordinal >>> 0;
  const base = splitmix32((deriveSeed(seed, "prompt-text") ^ hi) >>> 0)();
  return splitmix32((base ^ lo) >>> 0)();
}

/**
 * `count` prompts with lengths drawn from `input`. Every random stream is derived from `seed`
 * (lengths, text and prefix separately). Lengths and prefix groups are drawn in order of the
 * prompt's position i; the text of prompt i is a pure function of (seed, promptOffset + i)
 * (promptTextSeed), so the first N prompts of a larger count equal the N prompts of a smaller
 * one, and calls with disjoint ranges [promptOffset, promptOffset + count) never share a
 * prompt's unique part: the loads of one run, sweep points and experiment cells draw disjoint
 * ranges so that a server's prefix cache cannot answer one load with another's prompts. The
 * shared prefix does not move with the offset: it is meant to be shared.
 */
export function syntheticPrompts(opts: {
  count: number;
  input: LengthSpec;
  sharedPrefixTokens?: number;
  /** Shares of requests per distinct prefix (see SyntheticWorkloadSpec.prefixGroups). */
  prefixGroups?: number[];
  seed: number;
  tokenizer: Tokenizer;
  /** Run-wide ordinal of the first prompt (default 0); see above. */
  promptOffset?: number;
  /**
   * How the server will count a prompt's content (default tokenizer.count): a chat template's
   * frame can merge with the content's first or last token, so a frame measured once on a probe
   * text is not always additive, and the fit must count each prompt in its frame.
   */
  countText?: (text: string) => number;
}): SyntheticPrompt[] {
  const { count, tokenizer: tok, seed } = opts;
  const offset = opts.promptOffset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + count > MAX_PROMPT_ORDINAL) {
    throw new Error(`prompt offset must be an integer >= 0 with offset + count below 2^53, got ${offset}`);
  }
  validateLengthSpec(opts.input, "input");
  const k = opts.sharedPrefixTokens ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new Error(`shared prefix must be an integer >= 0 tokens, got ${k}`);
  // An open-ended normal is clipped at the prefix length rather than refused, so that
  // `normal:MEAN:SD` works with a shared prefix; explicit bounds below it are a mistake.
  const input: LengthSpec = opts.input.kind === "normal" && opts.input.min === undefined && k > 1 ? { ...opts.input, min: k } : opts.input;
  const { min: lowest, max: highest } = lengthBounds(input);
  if (k > highest) throw new Error(`shared prefix of ${k} tokens is longer than the longest input length (${highest})`);
  if (k > lowest) {
    throw new Error(`shared prefix of ${k} tokens needs every input length >= ${k}, but input lengths go down to ${lowest}`);
  }
  const lengthRng = createRng(deriveSeed(seed, "input-lengths"));
  const shares = opts.prefixGroups ?? [1];
  const problem = prefixGroupsProblem(shares);
  if (problem) throw new Error(problem);
  if (shares.length > 1 && k === 0) throw new Error("prefix groups need a shared prefix length (--shared-prefix)");
  // Group 0 draws from the stream a single shared prefix always used, so one group = the old behaviour.
  const prefixes: Array<PromptPrefix | undefined> = shares.map((_, g) => {
    if (k === 0) return undefined;
    const built = promptOfLength(k, tok, createRng(deriveSeed(seed, g === 0 ? "shared-prefix" : `shared-prefix-${g}`)));
    return { units: built.units, tokens: k };
  });
  const groupRng = createRng(deriveSeed(seed, "prefix-groups"));
  const out: SyntheticPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const n = sampleLength(input, lengthRng);
    const g = shares.length > 1 ? pickGroup(shares, groupRng.uniform()) : 0;
    const textRng = createRng(promptTextSeed(seed, offset + i));
    out.push({ prompt: promptOfLength(n, tok, textRng, prefixes[g], opts.countText).text, inputTokens: n, ...(shares.length > 1 ? { prefixGroup: g } : {}) });
  }
  return out;
}

/** Output lengths for `count` requests, from their own stream of `seed`. */
export function sampleOutputLengths(spec: LengthSpec, count: number, seed: number): number[] {
  validateLengthSpec(spec, "output");
  const rng = createRng(deriveSeed(seed, "output-lengths"));
  return Array.from({ length: count }, () => sampleLength(spec, rng));
}

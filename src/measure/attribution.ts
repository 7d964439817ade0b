// Per-chunk token attribution. Servers differ in what they report: exact per-chunk counts
// (llama.cpp's token ids, TGI's one token per event), running totals on every chunk (vLLM's
// continuous usage stats, SGLang's meta_info), a final total only (OpenAI include_usage,
// llama.cpp's OpenAI endpoints), or nothing. Latency math needs a count per chunk that sums to
// the request's total. The rule that holds for every shape: each chunk that carries generated
// output keeps its own arrival time; server counts only decide how many tokens each such chunk
// carried, they never move a token to another chunk's time. A chunk with output carries at
// least one token.

import type { RawChunk } from "../client/streamRequest.js";

export interface AttributedChunks {
  /** Chunks that carried tokens: [arrival ms, tokens], in arrival order; counts sum to `total`. */
  chunks: Array<[number, number]>;
  /** For each entry of `chunks`, the index of the raw chunk it came from. */
  from: number[];
  total: number;
  source: "server" | "tokenizer";
  /** Why the server's counts were not used as given (contradictory counts); undefined when they were. */
  anomaly?: string;
}

/**
 * Attributes a request's generated tokens to the chunks that carried them.
 * - Exact per-chunk counts (`tokens`) are used as given.
 * - Running totals (`cumulative`) give per-chunk counts when every chunk with text carries one
 *   (vLLM continuous usage, SGLang): then a chunk whose total rose carries tokens even if its text
 *   was held back (incomplete UTF-8). A total that appears only on a chunk without text (llama.cpp's
 *   final `{"text":"", "usage":…}` chunk) is the request's total, not that chunk's count.
 * - Otherwise each chunk with text is estimated with `count` (at least 1) and the estimates are
 *   reconciled to the server's total by largest remainder, keeping at least one token per chunk.
 * Contradictory counts (a running total that goes down, stays flat while text arrives, or never
 * reaches the final total; per-chunk counts that disagree with the total; a total smaller than
 * the number of chunks with text) are reported in `anomaly`, and attribution falls back to the
 * estimate rule. `serverTotal` is the final `completion_tokens` (or equivalent), when reported.
 */
export function attributeTokens(raw: readonly RawChunk[], serverTotal: number | undefined, count: (text: string) => number): AttributedChunks {
  const anomalies: string[] = [];
  const fromServer = serverCounts(raw, serverTotal, anomalies);
  if (fromServer) return finish(raw, fromServer, "server", anomalies);
  if (serverTotal !== undefined && raw.some((c) => c.tokens !== undefined)) {
    // Per-chunk counts that disagree with the total still say which chunks carried tokens.
    const weights = raw.map((c) => c.tokens ?? (c.text.length > 0 ? 1 : 0));
    const carrying = weights.filter((w) => w > 0).length;
    return finish(raw, carrying <= serverTotal ? rescaleAtLeastOne(weights, serverTotal) : rescale(weights, serverTotal), "server", anomalies);
  }

  // Estimate rule: every chunk with text weighs at least one token. The common shape, one token
  // per chunk with the server's total equal to the number of chunks, skips the tokenizer (it costs
  // the client more than everything else it does per chunk).
  const withText = raw.filter((c) => c.text.length > 0).length;
  const onePerChunk = serverTotal === withText;
  const estimates = raw.map((c) => (c.text.length === 0 ? 0 : onePerChunk ? 1 : Math.max(1, count(c.text))));
  if (serverTotal === undefined) return finish(raw, estimates, "tokenizer", anomalies);
  if (withText > serverTotal) {
    anomalies.push(`server counted ${serverTotal} tokens for ${withText} chunks with text`);
    return finish(raw, rescale(estimates, serverTotal), "server", anomalies);
  }
  return finish(raw, rescaleAtLeastOne(estimates, serverTotal), "server", anomalies);
}

/** Per-chunk counts straight from the server, or undefined when it gave none usable (anomalies say why). */
function serverCounts(raw: readonly RawChunk[], serverTotal: number | undefined, anomalies: string[]): number[] | undefined {
  if (raw.length === 0) return undefined;
  if (raw.some((c) => c.tokens !== undefined)) {
    // Exact per-chunk counts; a chunk with text but no count carries one token.
    const counts = raw.map((c) => c.tokens ?? (c.text.length > 0 ? 1 : 0));
    const sum = counts.reduce((a, b) => a + b, 0);
    if (serverTotal === undefined || serverTotal === sum) return counts;
    anomalies.push(`per-chunk counts sum to ${sum}, the server's total is ${serverTotal}`);
    return undefined;
  }
  const textChunks = raw.filter((c) => c.text.length > 0);
  const withTotal = textChunks.filter((c) => c.cumulative !== undefined).length;
  if (withTotal === 0) return undefined;
  if (withTotal < textChunks.length) {
    anomalies.push(`running token count on ${withTotal} of ${textChunks.length} chunks with text`);
    return undefined;
  }
  const counts: number[] = [];
  let prev = 0;
  for (const c of raw) {
    if (c.cumulative === undefined) {
      counts.push(0);
      continue;
    }
    const d = c.cumulative - prev;
    if (d < 0) {
      anomalies.push(`running token count went down from ${prev} to ${c.cumulative}`);
      return undefined;
    }
    if (d === 0 && c.text.length > 0) {
      anomalies.push(`running token count stayed at ${prev} while text arrived`);
      return undefined;
    }
    counts.push(d);
    prev = c.cumulative;
  }
  if (serverTotal !== undefined && serverTotal !== prev) {
    anomalies.push(`running token count ended at ${prev}, the server's total is ${serverTotal}`);
    return undefined;
  }
  return counts;
}

function finish(raw: readonly RawChunk[], counts: number[], source: AttributedChunks["source"], anomalies: string[]): AttributedChunks {
  const chunks: Array<[number, number]> = [];
  const from: number[] = [];
  let total = 0;
  raw.forEach((c, i) => {
    if (counts[i] > 0) {
      chunks.push([c.t, counts[i]]);
      from.push(i);
      total += counts[i];
    }
  });
  return { chunks, from, total, source, ...(anomalies.length ? { anomaly: anomalies.join("; ") } : {}) };
}

/**
 * Integer counts summing to `total` with at least one per positive estimate (requires total >=
 * their number); the rest is shared in proportion to estimate - 1, evenly when all are 1. Zero
 * estimates (chunks without output) stay zero, so with none positive nothing carries a token.
 */
export function rescaleAtLeastOne(estimates: readonly number[], total: number): number[] {
  const base = estimates.map((e): number => (e > 0 ? 1 : 0));
  const carrying = base.reduce((a, b) => a + b, 0);
  const extra = total - carrying;
  if (extra <= 0 || carrying === 0) return base;
  const weights = estimates.map((e) => (e > 0 ? e - 1 : 0));
  const share = weights.some((w) => w > 0) ? rescale(weights, extra) : rescale(base, extra);
  return base.map((b, i) => b + share[i]);
}

/**
 * Largest-remainder rescaling: integer counts proportional to the weights, summing to total.
 * Zero weights stay zero unless every weight is zero (then the total is spread evenly, earliest first).
 */
export function rescale(weights: readonly number[], total: number): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const w = sum > 0 ? weights : weights.map(() => 1);
  const wsum = sum > 0 ? sum : weights.length;
  const exact = w.map((x) => (x * total) / wsum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}

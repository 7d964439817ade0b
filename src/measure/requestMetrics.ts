// Per-request latency math. Pure: the protocol client records raw times, this derives metrics.
// Every latency is measured from scheduledAt (the intended send time) so an open-loop run
// cannot hide queueing inside the client (coordinated omission); the client's own delay is
// reported separately as clientWaitMs.

export interface RawTiming {
  scheduledAt: number;
  sentAt: number;
  firstTokenAt?: number;
  endAt: number;
  /** [arrival ms, tokens] per content chunk. */
  chunks: Array<[number, number]>;
  /** Final output length (server usage or tokenizer); authoritative over chunk counts. */
  outputTokens: number;
  ok: boolean;
}

export interface DerivedLatencies {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
  itlMs: number[];
  clientWaitMs: number;
}

/**
 * Token count per chunk, reconciled with the final output length. When the stream's own
 * counts do not add up to `outputTokens` (e.g. the server's usage disagrees with per-chunk
 * tokenizer counts), counts are scaled proportionally by rounding the scaled cumulative sum,
 * which keeps them integers that add up exactly to `outputTokens`. With no usable counts
 * (all zero) every chunk weighs the same. `outputTokens` <= 0 keeps the stream's counts.
 */
export function reconcileChunkTokens(chunks: ReadonlyArray<readonly [number, number]>, outputTokens: number): number[] {
  const raw = chunks.map(([, k]) => (Number.isFinite(k) && k > 0 ? k : 0));
  const total = raw.reduce((a, b) => a + b, 0);
  if (outputTokens <= 0 || total === outputTokens || chunks.length === 0) return raw;
  const weights = total > 0 ? raw : raw.map(() => 1);
  const weightSum = total > 0 ? total : weights.length;
  const out: number[] = [];
  let cum = 0;
  let prevRounded = 0;
  for (const w of weights) {
    cum += w;
    const rounded = Math.round((cum * outputTokens) / weightSum);
    out.push(rounded - prevRounded);
    prevRounded = rounded;
  }
  return out;
}

/**
 * Inter-token latencies: a chunk carrying k tokens, arriving g ms after the previous
 * token-bearing chunk, contributes k values of g/k; the first chunk's extra tokens arrived
 * with the first token and contribute zeros. Yields N-1 values whose mean is
 * (last chunk - first chunk) / (N-1).
 */
export function interTokenLatencies(chunks: ReadonlyArray<readonly [number, number]>, outputTokens: number): number[] {
  const counts = reconcileChunkTokens(chunks, outputTokens);
  const itl: number[] = [];
  let prevAt: number | undefined;
  for (let i = 0; i < chunks.length; i++) {
    const k = counts[i];
    if (k <= 0) continue;
    const at = chunks[i][0];
    if (prevAt === undefined) {
      for (let j = 1; j < k; j++) itl.push(0);
    } else {
      const g = Math.max(0, at - prevAt) / k;
      for (let j = 0; j < k; j++) itl.push(g);
    }
    prevAt = at;
  }
  return itl;
}

/**
 * TTFT/E2E/TPOT/ITL of one request. Failed requests keep TTFT when a token arrived (useful
 * for diagnosis) but get no E2E, TPOT or ITL: those describe completed responses only.
 * TPOT is undefined for fewer than two output tokens.
 */
export function deriveLatencies(r: RawTiming): DerivedLatencies {
  const clientWaitMs = Math.max(0, r.sentAt - r.scheduledAt);
  const ttftMs = r.firstTokenAt !== undefined ? r.firstTokenAt - r.scheduledAt : undefined;
  if (!r.ok) return { ttftMs, itlMs: [], clientWaitMs };
  const e2eMs = r.endAt - r.scheduledAt;
  const n = r.outputTokens;
  const tpotMs = ttftMs !== undefined && n >= 2 ? (e2eMs - ttftMs) / (n - 1) : undefined;
  return { ttftMs, tpotMs, e2eMs, itlMs: n >= 2 ? interTokenLatencies(r.chunks, n) : [], clientWaitMs };
}

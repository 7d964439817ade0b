// Per-request latency math. Pure: the protocol client records raw times, attribution says how
// many tokens each chunk carried (src/measure/attribution.ts), this derives the metrics.
// Every latency is measured from scheduledAt (the intended send time) so an open-loop run
// cannot hide queueing inside the client (coordinated omission); the client's own delay is
// reported separately as clientWaitMs.

export interface RawTiming {
  scheduledAt: number;
  sentAt: number;
  /** Arrival of the stream's end (after any trailing usage chunk or [DONE]). */
  endAt: number;
  /** [arrival ms, tokens] per chunk that carried tokens, in arrival order; counts sum to the output length. */
  chunks: ReadonlyArray<readonly [number, number]>;
  ok: boolean;
}

export interface DerivedLatencies {
  /** Scheduled send -> first chunk with a token, ms. */
  ttftMs?: number;
  /** (last token - first token) / (output tokens - 1), ms; needs >= 2 tokens. */
  tpotMs?: number;
  /** Scheduled send -> last chunk with a token, ms (a trailing usage chunk or [DONE] is not output). */
  e2eMs?: number;
  itlMs: number[];
  clientWaitMs: number;
}

/**
 * Inter-token latencies: a chunk carrying k tokens, arriving g ms after the previous
 * token-bearing chunk, contributes k values of g/k; the first chunk's extra tokens arrived
 * with the first token and contribute zeros. Yields N-1 values whose mean is
 * (last chunk - first chunk) / (N-1).
 */
export function interTokenLatencies(chunks: ReadonlyArray<readonly [number, number]>): number[] {
  const itl: number[] = [];
  let prevAt: number | undefined;
  for (const [at, k] of chunks) {
    if (!(k > 0)) continue;
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
 * TPOT spans the first to the last token, so a trailing usage chunk does not stretch it.
 */
export function deriveLatencies(r: RawTiming): DerivedLatencies {
  const clientWaitMs = Math.max(0, r.sentAt - r.scheduledAt);
  const first = r.chunks[0]?.[0];
  const last = r.chunks.at(-1)?.[0];
  const ttftMs = first !== undefined ? first - r.scheduledAt : undefined;
  if (!r.ok || first === undefined || last === undefined) return { ttftMs, itlMs: [], clientWaitMs };
  const n = r.chunks.reduce((a, [, k]) => a + k, 0);
  const e2eMs = last - r.scheduledAt;
  const tpotMs = n >= 2 ? (last - first) / (n - 1) : undefined;
  return { ttftMs, tpotMs, e2eMs, itlMs: n >= 2 ? interTokenLatencies(r.chunks) : [], clientWaitMs };
}

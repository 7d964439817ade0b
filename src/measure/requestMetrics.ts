// Per-request latency math. Pure: the protocol client records raw times, attribution says how
// many tokens each chunk carried (src/measure/attribution.ts), this derives the metrics.
// TTFT and E2E count from the send by default, as vLLM's client does (its clock starts just
// before the POST, inside the concurrency semaphore), so a --max-concurrency cap does not add
// the client's own queue to the server's latency; the wait for a slot is queueMs, the client's
// lag after it clientWaitMs. Origin "scheduled" counts from the intended arrival instead: the
// open-loop view that hides no queueing (coordinated omission).

/** Where request latencies (TTFT, E2E, TTFO, tool-call TTFT) start: the actual send, or the scheduled arrival. */
export type LatencyOrigin = "sent" | "scheduled";
export const LATENCY_ORIGINS: readonly LatencyOrigin[] = ["sent", "scheduled"];

export interface RawTiming {
  scheduledAt: number;
  /** When the driver let it out (a --max-concurrency slot was free), ms; default: scheduledAt. */
  dispatchedAt?: number;
  sentAt: number;
  /** Default "sent". */
  origin?: LatencyOrigin;
  /** Arrival of the stream's end (after any trailing usage chunk or [DONE]). */
  endAt: number;
  /** [arrival ms, tokens] per chunk that carried tokens, in arrival order; counts sum to the output length. */
  chunks: ReadonlyArray<readonly [number, number]>;
  ok: boolean;
}

export interface DerivedLatencies {
  /** Origin (send, or scheduled arrival) -> first chunk with a token, ms. */
  ttftMs?: number;
  /** (last token - first token) / (output tokens - 1), ms; needs >= 2 tokens. */
  tpotMs?: number;
  /** Origin -> last chunk with a token, ms (a trailing usage chunk or [DONE] is not output). */
  e2eMs?: number;
  itlMs: number[];
  /** Scheduled arrival -> dispatch: waiting for a concurrency slot, ms (0 without a cap). */
  queueMs: number;
  /** Dispatch -> send: the client's own lag, ms. */
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
 * Token-bearing chunks after a request's first (`later`), and how many of them arrived in the same
 * socket read as the previous one (`sameRead`: equal arrival times, as the client gives every chunk
 * of one read its time): the client self-check's same_read_pct.
 */
export function sameReadEvents(chunks: ReadonlyArray<readonly [number, number]>): { later: number; sameRead: number } {
  let later = 0;
  let sameRead = 0;
  let prevAt: number | undefined;
  for (const [at, k] of chunks) {
    if (!(k > 0)) continue;
    if (prevAt !== undefined) {
      later++;
      if (at === prevAt) sameRead++;
    }
    prevAt = at;
  }
  return { later, sameRead };
}

/**
 * TTFT/E2E/TPOT/ITL of one request. Failed requests keep TTFT when a token arrived (useful
 * for diagnosis) but get no E2E, TPOT or ITL: those describe completed responses only.
 * TPOT spans the first to the last token, so a trailing usage chunk does not stretch it.
 */
export function deriveLatencies(r: RawTiming): DerivedLatencies {
  const dispatchedAt = Math.min(r.sentAt, Math.max(r.scheduledAt, r.dispatchedAt ?? r.scheduledAt));
  const queueMs = dispatchedAt - r.scheduledAt;
  const clientWaitMs = Math.max(0, r.sentAt - dispatchedAt);
  const from = latencyStart(r, r.origin ?? "sent");
  const first = r.chunks[0]?.[0];
  const last = r.chunks.at(-1)?.[0];
  const ttftMs = first !== undefined ? first - from : undefined;
  if (!r.ok || first === undefined || last === undefined) return { ttftMs, itlMs: [], queueMs, clientWaitMs };
  const n = r.chunks.reduce((a, [, k]) => a + k, 0);
  const e2eMs = last - from;
  const tpotMs = n >= 2 ? (last - first) / (n - 1) : undefined;
  return { ttftMs, tpotMs, e2eMs, itlMs: n >= 2 ? interTokenLatencies(r.chunks) : [], queueMs, clientWaitMs };
}

/** The instant (ms on the run clock) a request's latencies count from under `origin`. */
export function latencyStart(r: { scheduledAt: number; sentAt: number }, origin: LatencyOrigin): number {
  return origin === "sent" ? r.sentAt : r.scheduledAt;
}

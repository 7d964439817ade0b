import { Pool } from "undici";
import type { BalanceStrategy } from "../types.js";

export interface Target {
  url: string;
  pool: Pool;
  inFlight: number;
}

/**
 * One undici pool per target URL. `connections` is sized to the most requests that can be
 * in flight, so the client never queues requests behind a hidden connection cap; undici
 * already sets TCP_NODELAY on every socket.
 */
export function openTargets(urls: string[], maxInFlight: number, timeoutMs: number): Target[] {
  return urls.map((url) => ({
    url,
    inFlight: 0,
    pool: new Pool(url, {
      connections: Math.max(1, maxInFlight),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      // Streams can legitimately idle between tokens (queueing at the server), so both bounds
      // follow the per-request timeout instead of undici's 300 s defaults.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 10_000),
    }),
  }));
}

export function createSelector(targets: Target[], strategy: BalanceStrategy): () => Target {
  let next = 0;
  if (strategy === "least-inflight") {
    return () => {
      // Ties go round-robin so equal targets share load evenly.
      let best = targets[next % targets.length];
      for (let i = 1; i < targets.length; i++) {
        const t = targets[(next + i) % targets.length];
        if (t.inFlight < best.inFlight) best = t;
      }
      next++;
      return best;
    };
  }
  return () => targets[next++ % targets.length];
}

export async function closeTargets(targets: Target[]): Promise<void> {
  await Promise.all(targets.map((t) => t.pool.destroy().catch(() => undefined)));
}

// Upper bounds for comparing tokenbench's times with what the scripted server recorded (the rules
// in docs/testing.md). Lower bounds need none of this: a token is never read before it was written.

/**
 * Median over many requests of (tokenbench's time - the server's), ms: a request's trip to the
 * server and the chunk's read back, on a 2-core machine at load ~4.
 */
export const MEDIAN_LAG_MS = 15;

/**
 * Extra allowance, ms, for a machine loaded beyond that, as this run's client measured it: each
 * of those trips waits for an event-loop turn of this process (the scripted server runs in it),
 * and `client.event_loop_lag_ms.p99` is how late such turns ran. Two turns' worth (the send and
 * the read), capped at 100 ms so that a fault of a few hundred ms (e.g. a slot wait counted in
 * TTFT, ~250 ms) stays outside any bound. Measured on the 2-core machine (latencyOrigin's run):
 * at load ~9 the p99 was 8-26 ms and the TTFT median 1-10 ms after the server's write; at load ~14
 * the median was 26.5 ms after it, past the fixed 15 ms.
 * @param s a run summary (`RunSummary`), only `client.event_loop_lag_ms.p99` (ms) is read
 */
export function loadAllowanceMs(s: { client: { event_loop_lag_ms: { p99: number } } }): number {
  return Math.min(2 * s.client.event_loop_lag_ms.p99, 100);
}

/** `MEDIAN_LAG_MS` plus this run's load allowance, ms. */
export function medianLagBoundMs(s: { client: { event_loop_lag_ms: { p99: number } } }): number {
  return MEDIAN_LAG_MS + loadAllowanceMs(s);
}

// Closed-loop (fixed concurrency) start times.

/**
 * When each of `concurrency` workers starts (ms from run start). Without ramp-up all start at
 * 0; with it, worker i starts at i·T/concurrency, so active workers rise linearly from 1 to the
 * target over T seconds and the last one starts one step before T.
 */
export function rampStartOffsetsMs(concurrency: number, rampUpS: number): number[] {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
  if (!Number.isFinite(rampUpS) || rampUpS < 0) throw new Error(`ramp-up must be >= 0 seconds, got ${rampUpS}`);
  return Array.from({ length: concurrency }, (_, i) => (i * rampUpS * 1000) / concurrency);
}

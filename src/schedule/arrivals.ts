// Open-loop send times. Pure: the same rng state gives the same schedule.
import type { ArrivalKind } from "./types.js";
import type { Rng } from "../workload/rng.js";

export const ARRIVAL_KINDS: readonly ArrivalKind[] = ["constant", "poisson", "gamma"];

export interface ArrivalOptions {
  /** Target requests per second; Infinity sends everything at offset 0. */
  rate: number;
  arrival: ArrivalKind;
  /** Gamma shape (vLLM's --burstiness): 1 = Poisson, < 1 burstier, > 1 smoother. Default 1. */
  burstiness?: number;
  count: number;
  rng: Rng;
  /** Seconds over which the instantaneous rate rises linearly from 0 to `rate`. */
  rampUpS?: number;
}

/**
 * Cumulative send offsets (ms from run start), non-decreasing, the first at 0 (as vLLM's
 * benchmark sends its first request at once and then waits one gap per request).
 *
 * Gaps at the target rate: constant 1/rate; poisson exponential(rate); gamma with
 * shape = burstiness and scale = 1/(rate * burstiness), so the mean gap is 1/rate and the
 * gaps' coefficient of variation is 1/sqrt(burstiness).
 *
 * Ramp-up is a time change: with target intensity rising linearly, λ(t) = rate·t/T for t < T,
 * the expected count is Λ(t) = rate·t²/(2T) before T and rate·(t − T/2) after. Offsets u of the
 * stationary process map to t = Λ⁻¹(rate·u): t = sqrt(2·T·u) for u < T/2, else u + T/2. For
 * Poisson this is exactly the inhomogeneous Poisson process with intensity λ(t); for the other
 * kinds it keeps their gap shape while stretching early gaps.
 */
export function arrivalOffsetsMs(opts: ArrivalOptions): number[] {
  const { rate, arrival, count, rng } = opts;
  const rampS = opts.rampUpS ?? 0;
  if (!Number.isInteger(count) || count < 0) throw new Error(`request count must be an integer >= 0, got ${count}`);
  if (typeof rate !== "number" || Number.isNaN(rate) || rate <= 0) throw new Error(`rate must be > 0 requests/s (or inf), got ${rate}`);
  if (!ARRIVAL_KINDS.includes(arrival)) throw new Error(`arrival must be one of ${ARRIVAL_KINDS.join(", ")}, got ${JSON.stringify(arrival)}`);
  if (!Number.isFinite(rampS) || rampS < 0) throw new Error(`ramp-up must be >= 0 seconds, got ${rampS}`);
  const shape = opts.burstiness ?? 1;
  if (!Number.isFinite(shape) || shape <= 0) throw new Error(`burstiness must be a number > 0, got ${shape}`);
  if (arrival !== "gamma" && opts.burstiness !== undefined && opts.burstiness !== 1) {
    throw new Error(`burstiness applies to gamma arrivals only (got arrival ${arrival})`);
  }
  // Everything at once: there is no rate to ramp towards, so ramp-up does not apply.
  if (rate === Infinity) return new Array<number>(count).fill(0);

  const gap: () => number =
    arrival === "constant" ? () => 1 / rate : arrival === "poisson" ? () => rng.exponential(rate) : () => rng.gamma(shape, 1 / (rate * shape));
  const out = new Array<number>(count);
  let u = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) u += gap();
    out[i] = rampTime(u, rampS) * 1000;
  }
  return out;
}

/** Seconds on the ramped clock for a stationary-process time u (seconds). */
function rampTime(u: number, rampS: number): number {
  if (rampS === 0) return u;
  return u < rampS / 2 ? Math.sqrt(2 * rampS * u) : u + rampS / 2;
}

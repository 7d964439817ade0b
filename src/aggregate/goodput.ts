import type { GoodputSpec } from "./types.js";
import type { RequestRecord } from "../measure/types.js";

export function hasBounds(spec: GoodputSpec | undefined): spec is GoodputSpec {
  return !!spec && (spec.ttftMs !== undefined || spec.tpotMs !== undefined || spec.e2eMs !== undefined);
}

/**
 * A completed request meeting every given bound. An undefined TPOT (fewer than two output
 * tokens) cannot violate a TPOT bound, as in vLLM, which counts it as 0 for goodput.
 * A TTFT or E2E bound needs the value: a completed request without a first token fails it.
 */
export function meetsBounds(r: RequestRecord, spec: GoodputSpec): boolean {
  if (!r.ok) return false;
  if (spec.ttftMs !== undefined && !(r.ttftMs !== undefined && r.ttftMs <= spec.ttftMs)) return false;
  if (spec.tpotMs !== undefined && r.tpotMs !== undefined && r.tpotMs > spec.tpotMs) return false;
  if (spec.e2eMs !== undefined && !(r.e2eMs !== undefined && r.e2eMs <= spec.e2eMs)) return false;
  return true;
}

/** The goodput block from the count of good requests among `n` measured over `durationS`. */
export function goodputOf(good: number, n: number, spec: GoodputSpec, durationS: number) {
  return {
    requests_per_s: durationS > 0 ? good / durationS : 0,
    fraction: n > 0 ? good / n : 0,
    bounds: { ...spec },
  };
}

/** Good requests per second over `durationS`, and their fraction of all measured requests. */
export function computeGoodput(records: readonly RequestRecord[], spec: GoodputSpec, durationS: number) {
  return goodputOf(records.filter((r) => meetsBounds(r, spec)).length, records.length, spec, durationS);
}

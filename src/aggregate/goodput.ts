import type { GoodputSpec, RequestRecord } from "../types.js";
import { UsageError } from "../cli/errors.js";

/** Metric names accepted by `--goodput NAME:MS` ("e2el" is vLLM's spelling of e2e). */
const KEYS: Record<string, keyof GoodputSpec> = { ttft: "ttftMs", tpot: "tpotMs", e2e: "e2eMs", e2el: "e2eMs" };

/**
 * Parses `ttft:500 tpot:50 e2e:10000` (one or several arguments, space or comma separated).
 * Throws UsageError (one line, exit 2) on bad input.
 */
export function parseGoodputSpec(args: string | readonly string[]): GoodputSpec {
  const parts = (typeof args === "string" ? [args] : args).flatMap((a) => a.split(/[\s,]+/)).filter(Boolean);
  if (parts.length === 0) throw new UsageError("--goodput needs at least one bound, e.g. ttft:500 tpot:50 e2e:10000 (ms)");
  const spec: GoodputSpec = {};
  for (const part of parts) {
    const m = /^([a-z0-9]+):([0-9]*\.?[0-9]+)$/i.exec(part);
    const key = m ? KEYS[m[1].toLowerCase()] : undefined;
    if (!m || !key) throw new UsageError(`bad --goodput bound "${part}": expected ttft:MS, tpot:MS or e2e:MS`);
    const ms = Number(m[2]);
    if (!(ms > 0)) throw new UsageError(`bad --goodput bound "${part}": the limit must be a positive number of ms`);
    spec[key] = ms;
  }
  return spec;
}

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

/** Good requests per second over `durationS`, and their fraction of all measured requests. */
export function computeGoodput(records: readonly RequestRecord[], spec: GoodputSpec, durationS: number) {
  const good = records.filter((r) => meetsBounds(r, spec)).length;
  return {
    requests_per_s: durationS > 0 ? good / durationS : 0,
    fraction: records.length > 0 ? good / records.length : 0,
    bounds: { ...spec },
  };
}

import { InvalidArgumentError } from "commander";
import type { GoodputSpec } from "../aggregate/types.js";
import type { ArrivalKind } from "../schedule/types.js";
import type { LengthSpec } from "../workload/types.js";
import { parseShard } from "../schedule/shard.js";
import { latencyKeyOf, latencyMetrics } from "../aggregate/metricTable.js";

// Option parsers: each turns one CLI string into a typed value or a one-line error.

/** A parser for one kind of number; `what` completes "expected ..." in its error. */
function numberParser(ok: (n: number) => boolean, what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!ok(n)) throw new InvalidArgumentError(`expected ${what}, got "${v}"`);
    return n;
  };
}

export const positiveInt = numberParser((n) => Number.isInteger(n) && n > 0, "a positive integer");
export const nonNegativeInt = numberParser((n) => Number.isInteger(n) && n >= 0, "an integer >= 0");
export const positiveNumber = numberParser((n) => Number.isFinite(n) && n > 0, "a positive number");
export const nonNegativeNumber = numberParser((n) => Number.isFinite(n) && n >= 0, "a number >= 0");

/** "1,2,4" -> [1,2,4] */
export function intList(v: string): number[] {
  return v.split(",").map((x) => positiveInt(x.trim()));
}

/** "50,90,99.9" -> [50,90,99.9]: percentiles in 0..100. */
export function percentileList(v: string): number[] {
  return v.split(",").map((x) => {
    const n = Number(x.trim());
    if (x.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError(`expected percentiles between 0 and 100, got "${x.trim()}"`);
    return n;
  });
}

/** "ttft,tpot,e2el" -> latency rows, keys of the metric table (vLLM's names: e2el is E2E). */
export function latencyMetricList(v: string): string[] {
  return v.split(",").map((x) => {
    const m = latencyKeyOf(x);
    if (!m) throw new InvalidArgumentError(`expected some of ${latencyMetrics().map((l) => l.key).join(", ")} (e2el for e2e), got "${x.trim()}"`);
    return m;
  });
}

/** "2,8,inf" -> [2,8,Infinity] */
export function rateList(v: string): number[] {
  return v.split(",").map((x) => {
    const s = x.trim().toLowerCase();
    return s === "inf" || s === "infinity" ? Infinity : positiveNumber(s);
  });
}

/** "256" fixed; "128:512" uniform; "normal:256:32" normal (mean, stddev), "normal:256:32:128:512" clipped to [min, max]. */
export function lengthSpec(v: string): LengthSpec {
  const parts = v.split(":");
  if (parts.length === 1) return { kind: "fixed", value: positiveInt(parts[0]) };
  if (parts.length === 2) {
    const [min, max] = parts.map(positiveInt);
    if (min > max) throw new InvalidArgumentError(`uniform length "${v}": min > max`);
    return { kind: "uniform", min, max };
  }
  if (parts.length === 3 && parts[0] === "normal") return { kind: "normal", mean: positiveNumber(parts[1]), stddev: nonNegativeNumber(parts[2]) };
  if (parts.length === 5 && parts[0] === "normal") {
    const [min, max] = [parts[3], parts[4]].map(positiveInt);
    if (min > max) throw new InvalidArgumentError(`normal length "${v}": min > max`);
    return { kind: "normal", mean: positiveNumber(parts[1]), stddev: nonNegativeNumber(parts[2]), min, max };
  }
  throw new InvalidArgumentError(`expected N, MIN:MAX, normal:MEAN:STDDEV or normal:MEAN:STDDEV:MIN:MAX, got "${v}"`);
}

export function arrival(v: string): ArrivalKind {
  if (v === "constant" || v === "poisson" || v === "gamma") return v;
  throw new InvalidArgumentError(`expected constant, poisson or gamma, got "${v}"`);
}

/** "ttft:500 tpot:50 e2e:10000" (space or comma separated), milliseconds, as in vLLM's --goodput. */
export function goodput(v: string): GoodputSpec {
  const out: GoodputSpec = {};
  for (const part of v.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(ttft|tpot|e2e):(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected ttft:MS, tpot:MS or e2e:MS, got "${part}"`);
    const key = ({ ttft: "ttftMs", tpot: "tpotMs", e2e: "e2eMs" } as const)[m[1] as "ttft" | "tpot" | "e2e"];
    out[key] = Number(m[2]);
  }
  if (Object.keys(out).length === 0) throw new InvalidArgumentError("empty --goodput");
  return out;
}

/** "Name: value" -> [name, value] */
export function header(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf(":");
  if (i <= 0) throw new InvalidArgumentError(`expected "Name: value", got a header without a name`);
  return { ...prev, [v.slice(0, i).trim().toLowerCase()]: v.slice(i + 1).trim() };
}

/** A JSON object (what --extra-body merges into request bodies). */
export function jsonObject(v: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(v);
  } catch (e) {
    throw new InvalidArgumentError(`expected a JSON object, got invalid JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new InvalidArgumentError(`expected a JSON object like '{"top_k": 1}', got ${v.length > 40 ? v.slice(0, 40) + "…" : v}`);
  return o as Record<string, unknown>;
}

/** A fraction in [0, 1]. */
export const fraction = numberParser((n) => Number.isFinite(n) && n >= 0 && n <= 1, "a fraction between 0 and 1");

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** "I/N": shard I (from 0) of N. */
export function shard(v: string): { index: number; count: number } {
  try {
    return parseShard(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--shard( takes)?:? ?/, ""));
  }
}

/** Epoch milliseconds (Date.now() form), e.g. $(( $(date +%s) * 1000 + 30000 )). */
export const epochMs = numberParser((n) => Number.isSafeInteger(n) && n > 1e12, "epoch milliseconds (13 digits, e.g. $(( $(date +%s) * 1000 + 30000 )))");

import { z } from "zod";
import { driveOpenLoop } from "../drivers.js";
import { arrivalOffsetsMs, ARRIVAL_KINDS } from "../arrivals.js";
import { createRng, deriveSeed } from "../../workload/rng.js";
import type { ArrivalKind } from "../types.js";
import { defineShape, fromJsonNumber, jsonNumber } from "./shape.js";

export interface RateLoadJson {
  mode: "rate";
  rate: number | "inf";
  arrival: ArrivalKind;
  burstiness?: number;
  max_concurrency?: number;
}

/**
 * Open loop: requests leave at arrival times drawn for `rate` requests/s whatever the server does
 * (vLLM --request-rate, GuideLLM "constant"/"poisson"). `rate: Infinity` sends every request at
 * t = 0 (vLLM's default, GuideLLM "throughput"), `maxConcurrency` then bounds what is in flight.
 */
export const rateShape = defineShape({
  mode: "rate",
  schema: z.object({
    mode: z.literal("rate"),
    /** Requests per second; Infinity sends everything at once. */
    rate: z.union([z.number().positive(), z.literal(Infinity)]),
    arrival: z.enum(ARRIVAL_KINDS as [ArrivalKind, ...ArrivalKind[]]),
    /** Gamma shape; 1 = Poisson, <1 burstier, >1 smoother (vLLM's --burstiness). */
    burstiness: z.number().positive().optional(),
    /** Cap on requests in flight; a request due while the cap is reached waits (counted as client wait). */
    maxConcurrency: z.number().int().positive().optional(),
  }),
  label: (s) => `${jsonNumber(s.rate)} req/s`,
  describe: (s) =>
    [
      `rate ${jsonNumber(s.rate)} req/s`,
      Number.isFinite(s.rate) ? s.arrival : "all at t=0",
      s.burstiness !== undefined ? `burstiness ${s.burstiness}` : "",
      s.maxConcurrency !== undefined ? `max concurrency ${s.maxConcurrency}` : "",
    ]
      .filter(Boolean)
      .join(", "),
  key: (s) => `r${jsonNumber(s.rate)}`,
  toJson: (s) => {
    const out: RateLoadJson = { mode: "rate", rate: jsonNumber(s.rate), arrival: s.arrival };
    if (s.burstiness !== undefined) out.burstiness = s.burstiness;
    if (s.maxConcurrency !== undefined) out.max_concurrency = s.maxConcurrency;
    return out;
  },
  fromJson: (raw) => {
    if (raw.mode !== "rate") return null;
    const rate = fromJsonNumber(raw.rate);
    if (rate === undefined || Number.isNaN(rate)) return null;
    const arrival = (ARRIVAL_KINDS as readonly unknown[]).includes(raw.arrival) ? (raw.arrival as ArrivalKind) : "poisson";
    const max = raw.max_concurrency ?? raw.maxConcurrency;
    return {
      mode: "rate" as const,
      rate,
      arrival,
      ...(typeof raw.burstiness === "number" ? { burstiness: raw.burstiness } : {}),
      ...(typeof max === "number" ? { maxConcurrency: max } : {}),
    };
  },
  axis: { name: "request rate (req/s)", value: (s) => s.rate },
  maxInFlight: (s, count) => s.maxConcurrency ?? Math.max(1, count),
  countForDuration: (s, durationS) => (Number.isFinite(s.rate) ? Math.ceil(s.rate * durationS) : undefined),
  warmupConcurrency: (s, warmup) => Math.min(s.maxConcurrency ?? warmup, warmup),
  openLoop: true,
  // The in-flight cap is the run's: each shard holds its round-robin share of it (at least 1).
  shard: (s, sh) =>
    s.maxConcurrency === undefined ? s : { ...s, maxConcurrency: Math.max(1, Math.floor(s.maxConcurrency / sh.count) + (sh.index < s.maxConcurrency % sh.count ? 1 : 0)) },
  check: (s, o) =>
    !Number.isFinite(s.rate) && o.requests === undefined && o.durationS !== undefined
      ? "rate inf needs --requests (an infinite rate for a duration has no end)"
      : undefined,
  drive: (d, s, c) => {
    const count = c.count ?? (Number.isFinite(s.rate) ? Math.ceil(s.rate * (c.durationMs ?? 0) / 1000) : 0);
    const offsetsMs = arrivalOffsetsMs({
      rate: s.rate,
      arrival: s.arrival,
      burstiness: s.burstiness,
      count,
      rng: createRng(deriveSeed(c.seed, "arrivals")),
      rampUpS: c.rampUpS,
    });
    return driveOpenLoop(d, { offsetsMs, maxConcurrency: s.maxConcurrency, durationMs: c.durationMs });
  },
});

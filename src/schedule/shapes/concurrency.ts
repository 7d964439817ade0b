import { z } from "zod";
import { driveClosedLoop } from "../drivers.js";
import { rampStartOffsetsMs } from "../closedLoop.js";
import { defineShape } from "./shape.js";

/** Closed loop: `concurrency` workers, each sending its next request when its last one ends (vLLM --max-concurrency with --request-rate inf, GuideLLM "concurrent"). */
export const concurrencyShape = defineShape({
  mode: "concurrency",
  schema: z.object({
    mode: z.literal("concurrency"),
    /** Requests in flight at once. */
    concurrency: z.number().int().positive(),
  }),
  label: (s) => `c=${s.concurrency}`,
  describe: (s) => `concurrency ${s.concurrency}`,
  key: (s) => `c${s.concurrency}`,
  toJson: (s) => ({ mode: "concurrency" as const, concurrency: s.concurrency }),
  fromJson: (raw) => (raw.mode === "concurrency" && typeof raw.concurrency === "number" ? { mode: "concurrency" as const, concurrency: raw.concurrency } : null),
  axis: { name: "concurrency (requests in flight)", value: (s) => s.concurrency },
  maxInFlight: (s) => s.concurrency,
  countForDuration: () => undefined,
  warmupConcurrency: (s, warmup) => Math.min(s.concurrency, warmup),
  openLoop: false,
  // Shard I runs floor(c/N) (+1 for the first c mod N shards) of the c loops (c >= N is checked by the run).
  shard: (s, sh) => ({ ...s, concurrency: Math.floor(s.concurrency / sh.count) + (sh.index < s.concurrency % sh.count ? 1 : 0) }),
  drive: (d, s, c) =>
    driveClosedLoop(d, {
      concurrency: s.concurrency,
      count: c.count,
      durationMs: c.durationMs,
      startOffsetsMs: c.rampUpS > 0 ? rampStartOffsetsMs(s.concurrency, c.rampUpS) : undefined,
    }),
});

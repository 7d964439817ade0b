import { z } from "zod";
import { basename } from "node:path";
import { driveOpenLoop } from "../drivers.js";
import { readTrace, tracePrompts, DEFAULT_BLOCK_SIZE } from "../../workload/trace.js";
import { UsageError } from "../../errors.js";
import type { WorkItem } from "../../workload/types.js";
import { defineShape } from "./shape.js";

export interface TraceLoadJson {
  mode: "trace";
  path: string;
  speedup: number;
  block_size: number;
  max_concurrency?: number;
}

/** A trace read and its prompts built: what prepare() hands to drive(). */
interface PreparedTrace {
  offsetsMs: number[];
  items: WorkItem[];
}

/**
 * Trace replay, open loop: each line of a JSONL trace (Mooncake format: `timestamp` ms,
 * `input_length`, `output_length`, `hash_ids`) is sent at its recorded time divided by
 * `speedup`, counted from the first line's; prompts share blocks where hash ids are equal
 * (src/workload/trace.ts). AIPerf's `--custom-dataset-type mooncake_trace` with fixed schedule.
 * `--requests` takes the first N lines; a duration stops sending past it.
 */
export const traceShape = defineShape({
  mode: "trace",
  schema: z.object({
    mode: z.literal("trace"),
    /** JSONL trace file. */
    path: z.string().min(1),
    /** Time compression: 2 replays the trace twice as fast. */
    speedup: z.number().positive().finite(),
    /** Tokens per hash id (512 in the Mooncake traces). */
    blockSize: z.number().int().positive(),
    /** Cap on requests in flight; a request due while it is reached waits (client wait). */
    maxConcurrency: z.number().int().positive().optional(),
  }),
  label: (s) => `trace ${basename(s.path)}${s.speedup !== 1 ? ` x${s.speedup}` : ""}`,
  describe: (s) =>
    [`trace ${s.path}`, `speedup ${s.speedup}`, `block size ${s.blockSize}`, s.maxConcurrency !== undefined ? `max concurrency ${s.maxConcurrency}` : ""].filter(Boolean).join(", "),
  // The file name is part of the key: two traces at one speedup are two cells.
  key: (s) => `trace-${basename(s.path).replace(/\.jsonl?$/, "")}-x${s.speedup}`,
  toJson: (s) => {
    const out: TraceLoadJson = { mode: "trace", path: s.path, speedup: s.speedup, block_size: s.blockSize };
    if (s.maxConcurrency !== undefined) out.max_concurrency = s.maxConcurrency;
    return out;
  },
  fromJson: (raw) => {
    if (raw.mode !== "trace" || typeof raw.path !== "string" || typeof raw.speedup !== "number") return null;
    const block = raw.block_size ?? raw.blockSize;
    const max = raw.max_concurrency ?? raw.maxConcurrency;
    return {
      mode: "trace" as const,
      path: raw.path,
      speedup: raw.speedup,
      blockSize: typeof block === "number" ? block : DEFAULT_BLOCK_SIZE,
      ...(typeof max === "number" ? { maxConcurrency: max } : {}),
    };
  },
  axis: { name: "trace speedup (x)", value: (s) => s.speedup },
  // The trace's length is known only once read: pools grow to what the trace needs, up to 1024.
  maxInFlight: (s, count) => s.maxConcurrency ?? Math.max(1024, count),
  countForDuration: () => undefined,
  warmupConcurrency: (s, warmup) => Math.min(s.maxConcurrency ?? warmup, warmup),
  openLoop: true,
  ownRequests: () => ({ prompts: 0 }),
  prepare: async (s, env): Promise<PreparedTrace> => {
    let entries;
    try {
      entries = await readTrace(s.path);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (env.count !== undefined) entries = entries.slice(0, env.count);
    let items: WorkItem[];
    try {
      items = tracePrompts(entries, { tokenizer: env.tokenizer, seed: env.seed, blockSize: s.blockSize, file: s.path });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const t0 = entries[0].timestampMs;
    return { offsetsMs: entries.map((e) => (e.timestampMs - t0) / s.speedup), items };
  },
  drive: (d, s, c) => {
    const p = c.prepared as PreparedTrace;
    return driveOpenLoop(
      { ...d, send: (seq, at, ready) => d.send(seq, at, ready, p.items[seq]) },
      { offsetsMs: p.offsetsMs, maxConcurrency: s.maxConcurrency, durationMs: c.durationMs },
    );
  },
});

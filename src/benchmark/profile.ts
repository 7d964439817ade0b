// GuideLLM-style sweep profile: a synchronous run, a maximum-throughput run, then rates spaced
// between the two, in one call. Each step is an ordinary runBenchmark (stored, summarized alike).
import type { BenchmarkOptions, BenchmarkResult } from "./options.js";
import { runBenchmark } from "./run.js";
import { UsageError } from "../errors.js";
import type { ArrivalKind } from "../schedule/types.js";

/**
 * The rates between a synchronous and a maximum throughput, `n` of them, evenly spaced and
 * excluding both ends (GuideLLM's sweep: linspace(sync, max, n + 2)[1:-1]), rounded to 4
 * significant digits. Empty when max <= sync (the server does not scale with load).
 */
export function sweepRates(syncPerS: number, maxPerS: number, n: number): number[] {
  if (!(maxPerS > syncPerS) || !(syncPerS >= 0)) return [];
  return Array.from({ length: n }, (_, i) => Number((syncPerS + ((maxPerS - syncPerS) * (i + 1)) / (n + 1)).toPrecision(4)));
}

/**
 * `--profile sweep`: runs at concurrency 1 (synchronous), then every request at once (rate inf,
 * the maximum throughput), then `rates` open-loop runs at rates evenly spaced between the two
 * request rates measured. `options.loads` must be unset. Resolves with every run in that order;
 * stops early when interrupted or when a step completed no request.
 */
export async function runSweepProfile(options: BenchmarkOptions & { rates: number; arrival?: ArrivalKind }): Promise<BenchmarkResult> {
  if (options.loads) throw new UsageError("--profile sweep chooses its own loads: drop --concurrency/--rate/--trace/--sessions");
  if (!Number.isInteger(options.rates) || options.rates < 1) throw new UsageError(`sweep rates must be an integer >= 1, got ${options.rates}`);
  const log = options.log ?? (() => undefined);
  const { rates, arrival, ...base } = options;
  const out: BenchmarkResult = { summaries: [], records: [], interrupted: false };
  const step = async (loads: NonNullable<BenchmarkOptions["loads"]>): Promise<boolean> => {
    // Each step continues the previous one's prompt ordinals: no step re-sends a prompt.
    const r = await runBenchmark({ ...base, loads, promptOffset: out.nextPromptOffset ?? base.promptOffset });
    out.nextPromptOffset = r.nextPromptOffset;
    out.summaries.push(...r.summaries);
    out.records.push(...r.records);
    out.interrupted ||= r.interrupted;
    return !r.interrupted && r.summaries.length === loads.length && r.summaries.every((s) => s.requests.completed > 0);
  };
  if (!(await step([{ mode: "concurrency", concurrency: 1 }]))) return out;
  if (!(await step([{ mode: "rate", rate: Infinity, arrival: "constant" }]))) return out;
  const sync = out.summaries[0].throughput.requests_per_s;
  const max = out.summaries[1].throughput.requests_per_s;
  const between = sweepRates(sync, max, rates);
  log(`sweep: synchronous ${sync.toFixed(3)} req/s, maximum ${max.toFixed(3)} req/s${between.length ? `; rates ${between.join(", ")}` : ": no rate between them, sweep ends"}`);
  if (between.length) await step(between.map((rate) => ({ mode: "rate" as const, rate, arrival: arrival ?? "constant" })));
  return out;
}

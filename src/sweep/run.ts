import { runBenchmark } from "../benchmark/run.js";
import type { BenchmarkOptions } from "../benchmark/options.js";
import type { LoadSpec } from "../schedule/types.js";
import type { RunSummary } from "../aggregate/types.js";
import { loadLabel } from "../schedule/shapes/index.js";
import { checkSloSummary, type Slo } from "./slo.js";
import { hasBounds } from "../aggregate/goodput.js";
import { advance, initialState, type SweepConfig, type SweepPoint, type SweepState } from "./strategy.js";

export interface SweepOptions {
  /** Everything of a benchmark but the loads; targets required (start the embedded server first). */
  bench: Omit<BenchmarkOptions, "loads" | "signal">;
  config: SweepConfig;
  slo: Slo;
  /** Rate mode: arrival process of the open loop. */
  arrival?: "constant" | "poisson" | "gamma";
  signal?: AbortSignal;
  /** Called after each measured point. */
  onPoint?: (p: SweepPoint, state: SweepState) => void;
  /** Safety stop on the number of runs. */
  maxRuns?: number;
  /**
   * Times a point whose client could not keep up is measured again before the sweep takes that
   * verdict (default 1): other processes on a shared machine starve the client for a while,
   * which says nothing about the server.
   */
  clientRetries?: number;
}

export interface SweepResult {
  state: SweepState;
  /** The stored summary of every point, in the order measured (a point measured again: its last measurement). */
  summaries: RunSummary[];
  interrupted: boolean;
}

/** Measures loads chosen by the strategy until it is done. Each point is a stored run. */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  let state = initialState(o.config);
  const maxRuns = o.maxRuns ?? 30;
  let runs = 0;
  const summaries: RunSummary[] = [];
  // Every point (and re-measure) continues the prompt ordinals where the last one stopped, so no
  // point is answered from the prefix cache the previous ones filled.
  let promptOffset = o.bench.promptOffset;
  while (state.next !== undefined && runs < maxRuns) {
    if (o.signal?.aborted) return { state, summaries, interrupted: true };
    const load: LoadSpec =
      o.config.mode === "concurrency" ? { mode: "concurrency", concurrency: state.next } : { mode: "rate", rate: state.next, arrival: o.arrival ?? "poisson" };
    const measure = async () => {
      const r = await runBenchmark({
        ...o.bench,
        loads: [load],
        promptOffset,
        // One test request per sweep, not per point: the target does not change between points.
        preflight: runs === 0 ? o.bench.preflight : false,
        label: o.bench.label ?? `sweep ${loadLabel(load)}`,
        // The SLO's bounds are the run's goodput, so the summary counts the requests within them
        // and no record needs to be kept.
        goodput: hasBounds(o.slo.bounds) ? o.slo.bounds : o.bench.goodput,
        keepRecords: false,
        signal: o.signal,
      });
      promptOffset = r.nextPromptOffset ?? promptOffset;
      return r;
    };
    let res = await measure();
    runs++;
    for (let retry = 0; retry < (o.clientRetries ?? 1) && runs < maxRuns && !res.interrupted && res.summaries[0]?.client.saturated; retry++) {
      o.bench.log?.(`sweep: the client could not keep up at ${loadLabel(load)} (${res.summaries[0].client.reasons.join("; ")}); measuring it again`);
      res = await measure();
      runs++;
    }
    if (res.interrupted || !res.summaries[0]) return { state, summaries, interrupted: true };
    const s = res.summaries[0];
    summaries.push(s);
    const slo = checkSloSummary(s, o.slo);
    const point: SweepPoint = {
      load: state.next,
      outputTokensPerS: s.throughput.output_tokens_per_s,
      meetsSlo: slo.meets,
      sloDetail: slo.detail,
      clientSaturated: s.client.saturated,
      clientReasons: s.client.reasons,
      e2eP50Ms: s.latency_ms.e2e.p50,
      runId: s.id,
    };
    state = advance(state, o.config, point);
    o.onPoint?.(point, state);
  }
  return { state, summaries, interrupted: false };
}

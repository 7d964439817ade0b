import type { StoredRun } from "../store/runs.js";
import type { WorkloadSummary } from "../aggregate/types.js";
import { lengths } from "../output/workloadText.js";
import { latencyOriginOf } from "../aggregate/summarize.js";

// A comparison means something only between runs that asked the same thing: same API (chat
// templates add prompt tokens, some APIs cannot force output lengths) and same workload
// (lengths, dataset, exact output), latencies counted from the same instant (--latency-origin:
// from the send vs from the scheduled arrival differ by the client's queue). The load may
// differ: comparing loads is a scaling study.

/** What a run asked for, from its summary or, for runs stored before summaries had it, its stored options. */
function workloadOf(run: StoredRun): WorkloadSummary | undefined {
  const s = run.summary?.workload;
  if (s) return s;
  const o = run.options as { workload?: Record<string, unknown>; requests?: number; duration_s?: number; warmup?: number; tokenizer?: string; seed?: number; exact_output?: boolean } | null;
  const w = o?.workload;
  if (!w) return undefined;
  return {
    kind: w.kind === "dataset" ? "dataset" : "synthetic",
    ...(w.kind === "dataset"
      ? { dataset: { path: String(w.path), format: w.format as "jsonl" | "sharegpt", ...(typeof w.defaultOutputTokens === "number" ? { default_output_tokens: w.defaultOutputTokens } : {}) } }
      : { input_tokens: w.input as WorkloadSummary["input_tokens"], output_tokens: w.output as WorkloadSummary["output_tokens"], ...(w.sharedPrefixTokens ? { shared_prefix_tokens: w.sharedPrefixTokens as number } : {}) }),
    requests: o?.requests ?? null,
    warmup: o?.warmup ?? 0,
    tokenizer: o?.tokenizer ?? "?",
    seed: o?.seed ?? 0,
    exact_output: o?.exact_output ?? true,
  };
}

/** The part of a workload that changes what is measured (not the request count, warm-up or seed). */
function measuredShape(w: WorkloadSummary | undefined): string {
  if (!w) return "unknown";
  const { kind, input_tokens, output_tokens, shared_prefix_tokens, prefix_groups, dataset, trace, exact_output } = w;
  return JSON.stringify({ kind, input_tokens, output_tokens, shared_prefix_tokens, prefix_groups, dataset, trace, exact_output });
}

/**
 * Why the items should not be compared: one line per difference in API, workload or latency origin between an
 * item's runs and the baseline's first run; empty when they all asked the same thing.
 */
export function workloadMismatches(items: Array<{ label: string; runs: StoredRun[] }>): string[] {
  const base = items[0]?.runs[0];
  if (!base) return [];
  const out: string[] = [];
  const baseShape = measuredShape(workloadOf(base));
  const seen = new Set<string>();
  for (const item of items) {
    for (const r of item.runs) {
      if (r.kind === "command") continue;
      if (r.api !== base.api && !seen.has(`api:${item.label}`)) {
        seen.add(`api:${item.label}`);
        out.push(`different APIs: ${item.label} used ${r.api}, the baseline ${base.api}`);
      }
      const origin = r.summary ? latencyOriginOf(r.summary) : undefined;
      const baseOrigin = base.summary ? latencyOriginOf(base.summary) : undefined;
      if (origin !== baseOrigin && origin && baseOrigin && !seen.has(`o:${item.label}`)) {
        seen.add(`o:${item.label}`);
        out.push(`different latency origins: ${item.label} counts TTFT/E2E from the ${origin} time, the baseline from the ${baseOrigin} time (--latency-origin)`);
      }
      const w = workloadOf(r);
      if (measuredShape(w) !== baseShape && !seen.has(`w:${item.label}`)) {
        seen.add(`w:${item.label}`);
        const text = (x: WorkloadSummary | undefined) => (x ? lengths(x) + (x.exact_output ? "" : " (lengths not forced)") : "unknown workload");
        out.push(`different workloads: ${item.label} ran ${text(w)}; the baseline ${text(workloadOf(base))}`);
      }
    }
  }
  return out;
}

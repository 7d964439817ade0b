import type { WorkloadSummary } from "../aggregate/types.js";
import type { LengthSpec } from "../workload/types.js";

// The workload of a run in words: one long line for the run header, one short cell for tables.

/** "256", "128-512", "normal(256, sd 32)", "normal(256, sd 32, 128-512)" (clipped). */
export function lengthText(l: LengthSpec): string {
  if (l.kind === "fixed") return String(l.value);
  if (l.kind === "uniform") return `${l.min}-${l.max}`;
  const bounds = l.min !== undefined || l.max !== undefined ? `, ${l.min ?? 1}-${l.max ?? "inf"}` : "";
  return `normal(${l.mean}, sd ${l.stddev}${bounds})`;
}

/** "256 in / 256 out tokens", "dataset x.jsonl (jsonl)": what the requests asked for. */
export function lengths(w: WorkloadSummary): string {
  if (w.trace) return `trace ${w.trace.path} (block size ${w.trace.block_size})`;
  if (w.kind === "dataset" && w.dataset) {
    const out = w.dataset.default_output_tokens !== undefined ? `, ${w.dataset.default_output_tokens} out where the dataset has none` : "";
    return `dataset ${w.dataset.path} (${w.dataset.format}${out})`;
  }
  const groups = w.prefix_groups && w.prefix_groups.length > 1 ? ` x${w.prefix_groups.length} groups: ${w.prefix_groups.join("/")}` : "";
  const prefix = w.shared_prefix_tokens ? ` (${w.shared_prefix_tokens} shared prefix${groups})` : "";
  return `${w.input_tokens ? lengthText(w.input_tokens) : "?"} in${prefix} / ${w.output_tokens ? lengthText(w.output_tokens) : "?"} out tokens`;
}

/** "256 in / 256 out tokens, 100 requests + 2 warm-up, tokenizer llama3 (bundled), seed 42, exact output lengths". */
export function describeWorkload(w: WorkloadSummary): string {
  const count = w.requests !== null ? `${w.requests} requests` : w.duration_s !== undefined ? `for ${w.duration_s} s` : "every request of the load";
  const bound = w.requests !== null && w.duration_s !== undefined ? ` (at most ${w.duration_s} s)` : "";
  return (
    `${lengths(w)}, ${count}${bound} + ${w.warmup} warm-up, tokenizer ${w.tokenizer}, seed ${w.seed}, ` +
    (w.exact_output ? "exact output lengths" : "output lengths not forced")
  );
}

/** "256/256 x100", "dataset x100", "256/256 30s": a table cell. */
export function workloadShort(w: WorkloadSummary | undefined): string {
  if (!w) return "";
  const what = w.trace ? "trace" : w.kind === "dataset" ? "dataset" : `${w.input_tokens ? lengthText(w.input_tokens) : "?"}/${w.output_tokens ? lengthText(w.output_tokens) : "?"}`;
  return `${what} ${w.requests !== null ? `x${w.requests}` : w.duration_s !== undefined ? `${w.duration_s}s` : "all"}`;
}

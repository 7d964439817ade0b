import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { positiveInt } from "../parse.js";
import { DEFAULT_BLOCK_SIZE, readTrace, traceStats, type LengthDistribution, type TraceStats } from "../../workload/trace.js";

/** The statistics of a trace as text: lengths, arrival rate over time, prefix-block reuse. */
export function renderTraceStats(path: string, s: TraceStats): string {
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const dist = (d: LengthDistribution) => `mean ${f(d.mean)}  min ${f(d.min)}  p50 ${f(d.p50)}  p90 ${f(d.p90)}  p99 ${f(d.p99)}  max ${f(d.max)}`;
  const digits = s.window_s < 1 ? 2 : 1;
  const lines = [
    `trace ${path}: ${s.requests} requests over ${s.duration_s.toFixed(1)} s (mean ${s.mean_rate_per_s.toFixed(2)} req/s)`,
    `input tokens   ${dist(s.input_length)}`,
    `output tokens  ${dist(s.output_length)}`,
    `arrival rate per ${s.window_s.toFixed(digits)} s window (req/s):`,
    ...s.arrival_rate.map((w) => `  ${w.start_s.toFixed(digits).padStart(8)} s  ${w.rate_per_s.toFixed(2).padStart(8)}  ${"#".repeat(Math.round((40 * w.requests) / Math.max(1, ...s.arrival_rate.map((x) => x.requests))))}`),
  ];
  if (s.blocks) {
    const b = s.blocks;
    lines.push(
      `prefix blocks (${b.block_size} tokens): ${b.total} in all, ${b.distinct} distinct; ${(100 * b.reused_share).toFixed(1)}% repeat an earlier request's block (hit rate of an unbounded prefix cache); ${b.requests_with_reuse} of ${s.requests} requests reuse one`,
    );
  } else lines.push("prefix blocks: none (no hash_ids in the trace)");
  return lines.join("\n");
}

export function register(program: Command): void {
  const trace = program.command("trace").description("request traces (JSONL, Mooncake format): see docs/workloads.md");
  for (const name of ["summary", "stats"]) {
    trace
      .command(name)
      .description("length distributions, arrival rate over time and prefix-block reuse of a trace")
      .argument("<file>", "JSONL trace")
      .option("--block-size <n>", `tokens per hash id (default ${DEFAULT_BLOCK_SIZE})`, positiveInt)
      .option("--windows <n>", "arrival-rate windows over the trace's duration (default 10)", positiveInt)
      .option("--json", "print JSON")
      .action(async (file: string, f: { blockSize?: number; windows?: number; json?: boolean }) => {
        let entries;
        try {
          entries = await readTrace(file);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const s = traceStats(entries, { blockSize: f.blockSize ?? DEFAULT_BLOCK_SIZE, windows: f.windows });
        process.stdout.write((f.json ? JSON.stringify(s, null, 2) : renderTraceStats(file, s)) + "\n");
      });
  }
}

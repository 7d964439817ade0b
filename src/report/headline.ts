// The key numbers of one run, shown first in a single-run report: what a reader looks for
// before any chart. Plain strings; html.ts escapes them.
import { describeWorkload } from "../output/workloadText.js";
import { fmt } from "./format.js";
import type { ReportRun } from "./model.js";

export interface HeadlineItem {
  /** "output tok/s", "TTFT p50 / p99 ms". */
  name: string;
  /** Formatted value(s): "812", "41.2 / 97.0" (p50 / p99). */
  value: string;
}

export interface Headline {
  run: string;
  items: HeadlineItem[];
  /** "256 in / 256 out tokens, 100 requests + 2 warm-up, ..." or null for runs stored before workloads were. */
  workload: string | null;
  /** The load's full description: "concurrency 4", "rate 2 req/s, poisson". */
  load: string | null;
  /** api · model · target, the parts that are known. */
  server: string;
}

/** Key numbers of a run with a benchmark summary; null for runs without one (command cells, running runs). */
export function headline(r: ReportRun): Headline | null {
  const s = r.summary;
  if (!s) return null;
  const l = s.latency_ms;
  const pair = (x: { p50: number; p99: number; count: number }) => (x.count > 0 ? `${fmt(x.p50)} / ${fmt(x.p99)}` : "–");
  return {
    run: r.id,
    items: [
      { name: "output tok/s", value: fmt(s.throughput.output_tokens_per_s) },
      { name: "requests/s", value: fmt(s.throughput.requests_per_s) },
      { name: "completed / failed", value: `${s.requests.completed} / ${s.requests.failed}` },
      { name: "TTFT p50 / p99 ms", value: pair(l.ttft) },
      { name: "TPOT p50 / p99 ms", value: pair(l.tpot) },
      { name: "ITL p50 / p99 ms", value: pair(l.itl) },
      { name: "E2E p50 / p99 ms", value: pair(l.e2e) },
      { name: "duration s", value: fmt(s.duration_s) },
    ],
    workload: s.workload ? describeWorkload(s.workload) : null,
    load: r.load?.description ?? null,
    server: [r.api, r.model, r.target].filter(Boolean).join(" · "),
  };
}

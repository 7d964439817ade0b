// Contract between compare (statistics) and its consumers (console output, HTML report).

export interface ComparedItem {
  /** Run id, cell key or experiment id. */
  id: string;
  /** Display name; runs that share a label get their short id appended ("x (ab2917)"). */
  label: string;
  /** The load of the item's runs ("c=4", "2 req/s"), "mixed" when they differ; absent for command cells. */
  load?: string;
}

export interface MetricValue {
  id: string;
  /** Point estimate (mean over repeats, or the run's value). */
  value: number;
  /** Ratio to the baseline's value; 1 for the baseline. */
  ratio: number;
  /** 95% bootstrap confidence interval of the ratio. */
  ci95: [number, number];
  /** false when the interval contains 1 (no significant difference). */
  significant: boolean;
  /**
   * How ci95 was obtained (docs/experiments.md): "repeats" = bootstrap over repeated runs,
   * "requests" = bootstrap over per-request values (or a command's printed samples),
   * "none" = no interval possible (ci95 is [NaN, NaN], significant false).
   */
  ciMethod?: "repeats" | "requests" | "none";
  /** Runs behind the value, and requests (or samples) when ciMethod is "requests". */
  runs?: number;
  samples?: number;
}

export interface MetricComparison {
  /** e.g. "output_tokens_per_s", "ttft_p99_ms". */
  metric: string;
  /** Whether larger is better for this metric. */
  higherIsBetter: boolean;
  unit: string;
  values: MetricValue[];
}

export interface Comparison {
  baseline: string;
  items: ComparedItem[];
  metrics: MetricComparison[];
  /** Items that asked for different things (API, workload): one line each; absent when none. */
  warnings?: string[];
  /**
   * false when the items ran at different loads: their differences are a load curve (higher,
   * lower), not better or worse. Absent in comparisons built before it existed (same load).
   */
  sameLoad?: boolean;
}

/**
 * Whether a difference may be called better or worse: only between items measured at the same
 * load with the same API and workload. Otherwise it is just higher or lower.
 */
export function likeForLike(cmp: Comparison): boolean {
  return cmp.sameLoad !== false && !cmp.warnings?.length;
}

// Contract between compare (statistics) and its consumers (console output, HTML report).

export interface ComparedItem {
  /** Run id, cell key or experiment id. */
  id: string;
  label: string;
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
}

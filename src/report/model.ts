import type { MeasuredVsPredicted } from "../predict/index.js";
import type { Comparison } from "../compare/types.js";
import type { RunSummary } from "../aggregate/types.js";
import type { LoadMode } from "../schedule/shapes/index.js";

/**
 * Fewest samples a telemetry series needs to be charted: a cell shorter than a few scrape
 * intervals yields one to three points, which a line chart draws as a dot or a misleading slope.
 */
export const MIN_TELEMETRY_SAMPLES = 4;

/** [x, y] pair as ECharts takes it. */
export type Point = [number, number];

export interface LoadPoint {
  /** The load shape's mode (src/schedule/shapes): "concurrency", "rate", ... */
  mode: LoadMode;
  /** Position on the shape's load axis: concurrency, or requests/s (Infinity for "send all at once"). */
  value: number;
  /** The shape's short label: "c=4", "2 req/s". */
  label: string;
  /** The shape's full description: "rate 2 req/s, poisson, max concurrency 8". */
  description: string;
}

export interface TelemetrySeries {
  /** gpu | server | client | ... */
  source: string;
  name: string;
  /** Labels rendered as `k=v,...`; empty when the series had none. */
  labels: string;
  /** [seconds from run start, value] */
  points: Point[];
}

export interface ErrorGroup {
  kind: string;
  count: number;
  /** First message seen for this kind, as the server sent it (escaped when rendered). */
  sample: string;
}

/** Everything the report shows about one stored run; plain data, safe to embed as JSON. */
export interface ReportRun {
  id: string;
  /** Display name: label, else cell key, else short id. */
  label: string;
  /** Runs with the same config differ only in load or repeat; they form one curve. */
  config: string;
  status: string;
  kind: string;
  createdAt: string;
  api: string | null;
  model: string | null;
  target: string | null;
  load: LoadPoint | null;
  summary: RunSummary | null;
  /** Command-cell metrics or anything else stored that is not a RunSummary. */
  extraMetrics: Record<string, number>;
  meta: {
    command: string | null;
    options: unknown;
    toolVersion: string;
    host: unknown;
    serverInfo: unknown;
    experimentId: string | null;
    cellKey: string | null;
  };
  /** Width of the bins of tokensPerS and inFlight (1000 ms, finer for runs under 20 s). */
  binMs: number;
  /** Output tokens/s per bin: [bin start s, tokens/s]. */
  tokensPerS: Point[];
  /** Mean requests in flight per bin. */
  inFlight: Point[];
  /** [latency ms, cumulative %] */
  ttftCdf: Point[];
  itlCdf: Point[];
  /** Series with at least MIN_TELEMETRY_SAMPLES samples (charted). */
  telemetry: TelemetrySeries[];
  /** `source name` of the series recorded with fewer samples: too few to show a trend, so not charted. */
  shortTelemetry: string[];
  errors: ErrorGroup[];
  measuredRequests: number;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  toolVersion: string;
  /** The ids as the user gave them. */
  ids: string[];
  runs: ReportRun[];
  experiments: Array<{ id: string; name: string }>;
  comparison: Comparison | null;
  /** Why there is no comparison when one was expected. */
  comparisonNote: string | null;
  /** One line when telemetry series were too short to chart (fewer than MIN_TELEMETRY_SAMPLES samples); null otherwise. */
  telemetryNote?: string | null;
  /** Measured vs predicted per concurrency run, when the model and GPU were given (null otherwise). */
  hardware?: { model: string; gpu: string; rows: Array<MeasuredVsPredicted & { run: string }>; skipped: string[] } | null;
}

/** One chart: a JSON-only ECharts option (no functions) so the browser and the PNG renderer draw the same thing. */
export interface ChartSpec {
  id: string;
  section: ReportSection;
  title: string;
  /** Short sentence under the chart saying how to read it. */
  caption: string;
  option: Record<string, unknown>;
  /** Data points across all series; a chart is only emitted when this is > 0. */
  points: number;
  height: number;
}

export const SECTIONS = [
  ["load", "Throughput and latency vs load"],
  ["frontier", "Throughput vs p99 latency frontier"],
  ["comparison", "Comparison to the baseline"],
  ["distribution", "Latency distributions"],
  ["timeseries", "Over the run"],
  ["telemetry", "Telemetry"],
] as const;
export type ReportSection = (typeof SECTIONS)[number][0];

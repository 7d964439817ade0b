import { measuredRun, predictRuns, type GpuSpec, type MeasuredRun, type ModelSpec } from "../predict/index.js";
// Store -> ReportData. The only part of the report that touches the database.
import { getExperiment } from "../store/experiments.js";
import type { Db } from "../store/db.js";
import { getRequests, getRun, getTimeseries, listRuns, statusText, type StoredRun, type TimeseriesPoint } from "../store/runs.js";
import { redact } from "../store/redact.js";
import { TOOL_VERSION } from "../version.js";
import type { Comparison } from "../compare/types.js";
import { MIN_TELEMETRY_SAMPLES, type LoadPoint, type Point, type ReportData, type ReportRun, type TelemetrySeries } from "./model.js";
import { loadFromJson, shapeOf } from "../schedule/shapes/index.js";
import { binMsFor, cdf, downsample, dropCommonSegments, errorGroups, inFlight, round3, tokensPerSecond } from "./series.js";

export class UnknownIdError extends Error {}

export type CompareFn = (db: Db, ids: string[], opts: { baseline?: string }) => Comparison;

export interface ReportDataOptions {
  baseline?: string;
  title?: string;
  /** Comparison provider (src/compare); injected so the report does not own the statistics. */
  compare?: CompareFn;
  /** Fixed timestamp for reproducible output (tests). */
  now?: Date;
  /** The model and GPU the runs served: adds measured vs predicted (src/predict) per concurrency run. */
  hardware?: { model: ModelSpec; gpu: GpuSpec };
}

/** Runs, experiments and `experimentId:cellKeyPrefix` selections, in the order given, without duplicates. */
export function resolveIds(db: Db, ids: string[]): { runs: StoredRun[]; experiments: Array<{ id: string; name: string }> } {
  const runs = new Map<string, StoredRun>();
  const experiments: Array<{ id: string; name: string }> = [];
  for (const id of ids) {
    const found = getExperiment(db, id);
    const exp = found && { id: found.id, name: found.name };
    const expRuns = listRuns(db, { experimentId: id, limit: 100_000 });
    if (exp || expRuns.length > 0) {
      experiments.push(exp ?? { id, name: id });
      for (const r of expRuns.reverse()) runs.set(r.id, r);
      continue;
    }
    const run = getRun(db, id);
    if (run) {
      runs.set(run.id, run);
      continue;
    }
    const colon = id.indexOf(":");
    if (colon > 0) {
      const [expId, prefix] = [id.slice(0, colon), id.slice(colon + 1)];
      const cells = listRuns(db, { experimentId: expId, limit: 100_000 })
        .filter((r) => (r.cell_key ?? "").startsWith(prefix))
        .reverse();
      if (cells.length > 0) {
        for (const r of cells) runs.set(r.id, r);
        continue;
      }
    }
    throw new UnknownIdError(`no run, experiment or cell matches "${id}"`);
  }
  return { runs: [...runs.values()], experiments };
}

export function loadReportData(db: Db, ids: string[], opts: ReportDataOptions = {}): ReportData {
  if (ids.length === 0) throw new UnknownIdError("give at least one run, experiment or cell id");
  const { runs, experiments } = resolveIds(db, ids);
  const reportRuns = runs.map((r) => toReportRun(r, getRequests(db, r.id), getTimeseries(db, r.id)));
  const shortConfigs = dropCommonSegments(reportRuns.map((r) => r.config));
  reportRuns.forEach((r, i) => (r.config = shortConfigs[i]));

  let comparison: Comparison | null = null;
  let comparisonNote: string | null = null;
  const configs = new Set(reportRuns.map((r) => r.config));
  if (ids.length >= 2 || configs.size >= 2) {
    if (!opts.compare) comparisonNote = "comparison not computed";
    else {
      try {
        comparison = opts.compare(db, ids, { baseline: opts.baseline });
      } catch (e) {
        comparisonNote = `comparison not available: ${(e as Error).message}`;
      }
    }
  }
  let hardware: ReportData["hardware"] = null;
  if (opts.hardware) {
    const measured = reportRuns.map((r) => measuredRun(r.id, r.summary));
    const usable = measured.filter((m): m is MeasuredRun => typeof m !== "string");
    hardware = {
      model: opts.hardware.model.name,
      gpu: opts.hardware.gpu.name,
      rows: usable.length ? predictRuns(opts.hardware.model, opts.hardware.gpu, usable).rows : [],
      skipped: measured.filter((m): m is string => typeof m === "string"),
    };
  }
  const title =
    opts.title ??
    (experiments.length === 1 && ids.length === 1
      ? `Experiment ${experiments[0].name}`
      : reportRuns.length === 1
        ? `Run ${reportRuns[0].label}`
        : `${reportRuns.length} runs: ${[...configs].slice(0, 4).join(" vs ")}${configs.size > 4 ? " ..." : ""}`);
  return {
    title: redact(title),
    generatedAt: (opts.now ?? new Date()).toISOString(),
    toolVersion: TOOL_VERSION,
    ids,
    runs: reportRuns,
    experiments,
    comparison,
    comparisonNote,
    telemetryNote: telemetryNote(reportRuns),
    hardware,
  };
}

export function toReportRun(run: StoredRun, allRecords: import("../measure/types.js").RequestRecord[], points: TimeseriesPoint[]): ReportRun {
  const records = allRecords.filter((r) => !r.warmup);
  const binMs = binMsFor(records);
  const ok = records.filter((r) => r.ok);
  const summary = run.summary && typeof run.summary === "object" && "latency_ms" in run.summary ? run.summary : null;
  const options = (run.options ?? null) as Record<string, unknown> | null;
  // Command cells (training/fine-tuning runs) store { kind: "command", command, args, metrics, ... }.
  const cmd = !summary && run.summary && typeof run.summary === "object" ? (run.summary as unknown as Record<string, unknown>) : null;
  const isCommand = cmd?.kind === "command";
  const command = isCommand
    ? [cmd!.command, ...(Array.isArray(cmd!.args) ? cmd!.args : [])]
    : options && typeof options === "object" ? (options.command ?? options.argv ?? null) : null;
  // The store redacted options at write time; values are masked again here because server
  // info, error bodies and older databases may still carry a key. Key-based redaction is not
  // applied to the whole run: it would blank metric names such as output_tokens_per_s.
  return {
    id: run.id,
    label: redact(displayLabel(run)),
    config: redact(configOf(run)),
    status: statusText(run),
    kind: run.kind,
    createdAt: run.created_at,
    api: run.api,
    model: run.model,
    target: run.target,
    load: loadOf(summary?.load ?? run.load),
    summary,
    extraMetrics: summary
      ? {}
      : isCommand
        ? { ...numericFields(cmd!.metrics), duration_s: Number(cmd!.duration_s) }
        : numericFields(run.summary),
    meta: redact({
      command: command == null ? null : Array.isArray(command) ? command.map(String).join(" ") : String(command),
      options: run.options,
      toolVersion: run.tool_version,
      host: run.host,
      serverInfo: run.server_info,
      experimentId: run.experiment_id,
      cellKey: run.cell_key,
    }),
    binMs,
    tokensPerS: downsample(tokensPerSecond(records, binMs)),
    inFlight: downsample(inFlight(records, binMs)),
    ttftCdf: cdf(ok.map((r) => r.ttftMs ?? NaN)),
    itlCdf: cdf(itlValues(ok)),
    ...telemetryOf(points),
    errors: errorGroups(records).map((g) => ({ ...g, sample: redact(g.sample) })),
    measuredRequests: records.length,
  };
}

export function displayLabel(run: StoredRun): string {
  // The whole id: its first 12 characters are only the minute it started, shared by runs of one minute.
  return run.label ?? run.cell_key ?? run.id;
}

// Load and repeat parts of a label or cell key ("c=8", "rate=2", "rep=1", and the experiment
// runner's "load=c8" / "load=r2.5" / "load=rinf") are what varies along a curve; everything
// else names the configuration.
const LOAD_PART = /^load[=:](c|r)?([\d.]+|inf)$|^(c|conc|concurrency|rate|qps|rps|r|repeat|rep|run)[=:]?([\d.]+|inf)$/i;

/** Key grouping runs into one curve: label or cell key without its load/repeat parts, else model @ target (the embedded engine without its port). */
export function configOf(run: StoredRun): string {
  const named = run.label ?? run.cell_key;
  if (named) {
    // parts alternate token, separator, token, ...; a dropped token takes its leading separator with it.
    const parts = named.split(/([\s/,;|]+)/);
    let key = "";
    for (let i = 0; i < parts.length; i += 2) {
      if (!parts[i] || LOAD_PART.test(parts[i])) continue;
      key += (key ? (parts[i - 1] ?? "") : "") + parts[i];
    }
    if (key.trim()) return key.trim();
  }
  return [run.model, engineOf(run)].filter(Boolean).join(" @ ") || run.id;
}

/**
 * Where a run's server was, as a configuration names it. The embedded engine listens on a
 * random port per run: its URL would split one engine and model into a configuration per run,
 * so it is named by what it is instead.
 */
function engineOf(run: StoredRun): string | null {
  const info = run.server_info as { embedded?: unknown; engine?: unknown; parallel?: unknown; threads?: unknown } | null;
  if (!info || typeof info !== "object" || info.embedded !== true) return run.target;
  // Back-end, slots and threads change the figures: each is its own configuration. Runs stored
  // before these were recorded keep the plain name.
  const parts = [
    typeof info.engine === "string" ? info.engine : "",
    typeof info.parallel === "number" ? `parallel ${info.parallel}` : "",
    typeof info.threads === "number" ? `${info.threads} threads` : "",
  ].filter(Boolean);
  return parts.length ? `embedded engine (${parts.join(", ")})` : "embedded engine";
}

/** A stored load (summary JSON, or the older stored form) as a point on its shape's axis; null when unreadable. */
export function loadOf(load: unknown): LoadPoint | null {
  const l = loadFromJson(load);
  if (!l) return null;
  const shape = shapeOf(l);
  return { mode: l.mode, value: shape.axis.value(l), label: shape.label(l), description: shape.describe(l) };
}

/** The run's telemetry split into charted series and the names of those too short to chart. */
function telemetryOf(points: TimeseriesPoint[]): { telemetry: TelemetrySeries[]; shortTelemetry: string[] } {
  const all = telemetrySeries(points);
  return {
    telemetry: all.filter((s) => s.points.length >= MIN_TELEMETRY_SAMPLES),
    shortTelemetry: [...new Set(all.filter((s) => s.points.length < MIN_TELEMETRY_SAMPLES).map((s) => `${s.source} ${s.name}`))],
  };
}

/** One line naming the telemetry left out of the charts for having too few samples; null when none was. */
export function telemetryNote(runs: ReportRun[]): string | null {
  const short = runs.filter((r) => r.shortTelemetry.length > 0);
  if (short.length === 0) return null;
  const names = [...new Set(short.flatMap((r) => r.shortTelemetry))];
  return (
    `Not charted: ${names.length} telemetry series with fewer than ${MIN_TELEMETRY_SAMPLES} samples in ${short.length} run${short.length === 1 ? "" : "s"} ` +
    `(runs shorter than a few scrape intervals): ${names.slice(0, 6).join(", ")}${names.length > 6 ? ", ..." : ""}.`
  );
}

function telemetrySeries(points: TimeseriesPoint[]): TelemetrySeries[] {
  const map = new Map<string, TelemetrySeries>();
  for (const p of points) {
    // `metric` only records the raw exporter name behind a normalised one: noise in a legend.
    const labels = p.labels ? Object.entries(p.labels).filter(([k]) => k !== "metric").map(([k, v]) => `${k}=${v}`).join(",") : "";
    const key = `${p.source}\u0000${p.name}\u0000${labels}`;
    let s = map.get(key);
    if (!s) map.set(key, (s = { source: p.source, name: p.name, labels, points: [] }));
    s.points.push([round3(p.tMs / 1000), p.value] as Point);
  }
  for (const s of map.values()) s.points = downsample(s.points);
  return [...map.values()].sort((a, b) => a.source.localeCompare(b.source) || a.name.localeCompare(b.name) || a.labels.localeCompare(b.labels));
}

function numericFields(v: unknown, prefix = "", out: Record<string, number> = {}): Record<string, number> {
  if (!v || typeof v !== "object") return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof x === "number" && Number.isFinite(x)) out[key] = x;
    else if (x && typeof x === "object" && !Array.isArray(x)) numericFields(x, key, out);
  }
  return out;
}

function* itlValues(records: import("../measure/types.js").RequestRecord[]): Generator<number> {
  for (const r of records) yield* r.itlMs;
}

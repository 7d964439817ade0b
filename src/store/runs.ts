import type { Db } from "./db.js";
import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { redact } from "./redact.js";
import { hostname } from "node:os";
import { ownerGone, ownerIdentity } from "./db.js";

export type RunStatus = "running" | "completed" | "interrupted" | "failed";

export interface RunMeta {
  id: string;
  kind?: "bench" | "command";
  api?: string;
  model?: string;
  target?: string;
  load?: unknown;
  options?: unknown;
  toolVersion: string;
  host?: unknown;
  serverInfo?: unknown;
  experimentId?: string;
  cellKey?: string;
  label?: string;
}

export interface StoredRun {
  id: string;
  created_at: string;
  status: RunStatus;
  kind: string;
  api: string | null;
  model: string | null;
  target: string | null;
  load: unknown;
  options: unknown;
  tool_version: string;
  host: unknown;
  server_info: unknown;
  summary: RunSummary | null;
  experiment_id: string | null;
  cell_key: string | null;
  label: string | null;
  /** Host whose process writes (or wrote) the run; null for runs stored before it was kept. */
  owner_host: string | null;
}

/**
 * A run's (or experiment's) status as users read it: "running on HOST" for a running run owned by another host
 * (whether that process lives cannot be told from here, so it is neither assumed dead nor
 * silently listed as running here); otherwise the status itself.
 */
export function statusText(run: { status: string; owner_host: string | null }): string {
  return run.status === "running" && run.owner_host && run.owner_host !== hostname() ? `running on ${run.owner_host}` : run.status;
}

export interface TimeseriesPoint {
  source: string;
  name: string;
  tMs: number;
  value: number;
  labels?: Record<string, string>;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(redact(v)));
const parse = (s: string | null) => (s == null ? null : JSON.parse(s));

export function createRun(db: Db, meta: RunMeta): void {
  const owner = ownerIdentity();
  db.prepare(
    `INSERT INTO runs (id, created_at, status, kind, api, model, target, load_json, options_json,
       tool_version, host_json, server_info_json, experiment_id, cell_key, label, owner_pid, owner_host, owner_start)
     VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    meta.id,
    new Date().toISOString(),
    meta.kind ?? "bench",
    meta.api ?? null,
    meta.model ?? null,
    meta.target ?? null,
    json(meta.load),
    json(meta.options),
    meta.toolVersion,
    json(meta.host),
    json(meta.serverInfo),
    meta.experimentId ?? null,
    meta.cellKey ?? null,
    meta.label ?? null,
    owner.pid,
    owner.host,
    owner.start,
  );
}

/** Records are appended as they finish so an interrupted run keeps what it measured. */
export function appendRequests(db: Db, runId: string, firstSeq: number, records: RequestRecord[]): void {
  const stmt = db.prepare(`INSERT INTO requests (run_id, seq, record_json) VALUES (?, ?, ?)`);
  db.transaction(() => {
    records.forEach((r, i) => stmt.run(runId, firstSeq + i, JSON.stringify(r)));
  })();
}

export function appendTimeseries(db: Db, runId: string, points: TimeseriesPoint[]): void {
  const stmt = db.prepare(`INSERT INTO timeseries (run_id, source, name, t_ms, value, labels_json) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const p of points) stmt.run(runId, p.source, p.name, p.tMs, p.value, p.labels ? JSON.stringify(p.labels) : null);
  })();
}

export function finishRun(db: Db, runId: string, status: RunStatus, summary?: RunSummary, model?: string): void {
  db.prepare(`UPDATE runs SET status = ?, summary_json = ?, model = COALESCE(?, model) WHERE id = ?`).run(
    status,
    summary ? JSON.stringify(summary) : null,
    model ?? null,
    runId,
  );
}

/** Ends a command-cell run, whose summary has its own shape (src/experiment/commandMetrics.ts). */
export function finishCommandRun(db: Db, runId: string, status: RunStatus, summary: unknown): void {
  db.prepare(`UPDATE runs SET status = ?, summary_json = ? WHERE id = ?`).run(status, JSON.stringify(summary), runId);
}

function rowToRun(r: Record<string, string | null>): StoredRun {
  // A read-only open cannot rewrite a stale row: it is shown as what it is.
  const stale = r.status === "running" && ownerGone(r.owner_pid as unknown as number | null, r.owner_host, r.owner_start ?? null);
  return {
    id: r.id!,
    created_at: r.created_at!,
    status: stale ? "interrupted" : (r.status as RunStatus),
    kind: r.kind!,
    api: r.api,
    model: r.model,
    target: r.target,
    load: parse(r.load_json),
    options: parse(r.options_json),
    tool_version: r.tool_version!,
    host: parse(r.host_json),
    server_info: parse(r.server_info_json),
    summary: parse(r.summary_json),
    experiment_id: r.experiment_id,
    cell_key: r.cell_key,
    label: r.label,
    owner_host: r.owner_host ?? null,
  };
}

/** One stored run by id or unique id prefix (as with git hashes); undefined when none or ambiguous. */
export function getRun(db: Db, id: string): StoredRun | undefined {
  const row = db.prepare(`SELECT * FROM runs WHERE id = ?`).get(id) as Record<string, string | null> | undefined;
  if (row) return rowToRun(row);
  // Unique prefixes are accepted, as with git hashes.
  const rows = db.prepare(`SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2`).all(id.replace(/[%_\\]/g, "\\$&") + "%") as Record<string, string | null>[];
  return rows.length === 1 ? rowToRun(rows[0]) : undefined;
}

/** Stored runs, newest first (default at most 1000), optionally of one experiment or status. `summary` is null until a run finishes. */
export function listRuns(db: Db, filter: { limit?: number; experimentId?: string; status?: RunStatus } = {}): StoredRun[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.experimentId) (where.push("experiment_id = ?"), args.push(filter.experimentId));
  // A `running` row of a dead owner reads as `interrupted` (rowToRun): filter on what is shown.
  if (filter.status) (where.push("status IN (?, 'running')"), args.push(filter.status));
  const sql = `SELECT * FROM runs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, rowid DESC`;
  const limit = filter.limit ?? 1000;
  const out: StoredRun[] = [];
  for (const row of db.prepare(sql).iterate(...args) as IterableIterator<Record<string, string | null>>) {
    const run = rowToRun(row);
    if (filter.status && run.status !== filter.status) continue;
    out.push(run);
    if (out.length >= limit) break;
  }
  return out;
}

/** A run's request records (warm-up included, `warmup: true`), in the order they finished; times in ms from the run's measured start. */
export function getRequests(db: Db, runId: string): RequestRecord[] {
  return (db.prepare(`SELECT record_json FROM requests WHERE run_id = ? ORDER BY seq`).all(runId) as { record_json: string }[]).map(
    (r) => JSON.parse(r.record_json),
  );
}

/** A run's time series (client event-loop lag, server and GPU telemetry): `tMs` from the run's measured start, ordered by time. */
export function getTimeseries(db: Db, runId: string): TimeseriesPoint[] {
  return (
    db.prepare(`SELECT source, name, t_ms, value, labels_json FROM timeseries WHERE run_id = ? ORDER BY t_ms`).all(runId) as {
      source: string;
      name: string;
      t_ms: number;
      value: number;
      labels_json: string | null;
    }[]
  ).map((r) => ({ source: r.source, name: r.name, tMs: r.t_ms, value: r.value, labels: r.labels_json ? JSON.parse(r.labels_json) : undefined }));
}

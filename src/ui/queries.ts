// Read-only queries behind the UI's JSON endpoints. Rows are trimmed to what the list shows.
import { listExperiments, type ExperimentRow } from "../store/experiments.js";
export type { ExperimentRow };
import { storedLoadLabel } from "../schedule/shapes/index.js";
import type { Db } from "../store/db.js";
import { listRuns, statusText, type RunStatus } from "../store/runs.js";
import { listColumns } from "../aggregate/metricTable.js";
export { listColumns, type ListColumn } from "../aggregate/metricTable.js";

export interface RunRow {
  id: string;
  createdAt: string;
  status: string;
  kind: string;
  api: string | null;
  model: string | null;
  target: string | null;
  load: string;
  label: string | null;
  cellKey: string | null;
  experimentId: string | null;
  completed: number | null;
  failed: number | null;
  /** One figure per list column (listColumns(): metric-table entries marked `list`), by column key; null without a summary. */
  metrics: Record<string, number | null>;
}


export interface RunFilter {
  q?: string;
  status?: string;
  experiment?: string;
  limit?: number;
}

const STATUSES: RunStatus[] = ["running", "completed", "interrupted", "failed"];

const loadText = storedLoadLabel;

export function queryRuns(db: Db, f: RunFilter): RunRow[] {
  const status = STATUSES.includes(f.status as RunStatus) ? (f.status as RunStatus) : undefined;
  const needle = (f.q ?? "").trim().toLowerCase();
  const limit = Math.min(Math.max(f.limit ?? 500, 1), 5000);
  // Text filtering happens after the indexed query; a results DB holds thousands of runs, not millions.
  const rows = listRuns(db, { experimentId: f.experiment || undefined, status, limit: needle ? 100_000 : limit });
  const out: RunRow[] = [];
  const columns = listColumns();
  for (const r of rows) {
    const s = r.summary && typeof r.summary === "object" && "latency_ms" in r.summary ? r.summary : null;
    const row: RunRow = {
      id: r.id,
      createdAt: r.created_at,
      status: statusText(r),
      kind: r.kind,
      api: r.api,
      model: r.model,
      target: r.target,
      load: loadText(s?.load ?? r.load),
      label: r.label,
      cellKey: r.cell_key,
      experimentId: r.experiment_id,
      completed: s?.requests.completed ?? null,
      failed: s?.requests.failed ?? null,
      metrics: Object.fromEntries(columns.map((c) => [c.key, s ? c.value(s) : null])),
    };
    if (needle && ![row.id, row.label, row.cellKey, row.model, row.target, row.api, row.experimentId].some((x) => x?.toLowerCase().includes(needle))) continue;
    out.push(row);
    if (out.length >= limit) break;
  }
  return out;
}

export const queryExperiments = listExperiments;

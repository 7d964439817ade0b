// Experiments and their cells in the results store (SQL lives in src/store only).
import type { Db } from "./db.js";
import { ownerGone, ownerIdentity } from "./db.js";
import { redact } from "./redact.js";

export interface StoredCell {
  experimentId: string;
  cellKey: string;
  fingerprint: string;
  status: "completed" | "failed";
  runId: string | null;
  error: string | null;
  logPath: string | null;
  updatedAt: string;
}

export function experimentIdFor(name: string): string {
  return name;
}

export function upsertExperiment(db: Db, id: string, name: string, file: string | undefined, spec: unknown, status: string): void {
  const owner = ownerIdentity();
  db.prepare(
    `INSERT INTO experiments (id, name, file, spec_json, created_at, status, owner_pid, owner_host, owner_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET file = excluded.file, spec_json = excluded.spec_json, status = excluded.status,
       owner_pid = excluded.owner_pid, owner_host = excluded.owner_host, owner_start = excluded.owner_start`,
  ).run(id, name, file ?? null, JSON.stringify(redact(spec)), new Date().toISOString(), status, owner.pid, owner.host, owner.start);
}

/** `status` reads `interrupted` for a running experiment whose owner is gone; `ownerHost` is the host that runs or ran it. */
export function getExperiment(db: Db, id: string): { id: string; name: string; file: string | null; spec: unknown; status: string; ownerHost: string | null } | undefined {
  const r = db.prepare(`SELECT * FROM experiments WHERE id = ?`).get(id) as
    | { id: string; name: string; file: string | null; spec_json: string; status: string; owner_pid?: number | null; owner_host?: string | null; owner_start?: string | null }
    | undefined;
  const stale = r?.status === "running" && ownerGone(r.owner_pid ?? null, r.owner_host ?? null, r.owner_start ?? null);
  return r && { id: r.id, name: r.name, file: r.file, spec: JSON.parse(r.spec_json), status: stale ? "interrupted" : r.status, ownerHost: r.owner_host ?? null };
}

export function setExperimentStatus(db: Db, id: string, status: string): void {
  db.prepare(`UPDATE experiments SET status = ? WHERE id = ?`).run(status, id);
}

export function putCell(db: Db, c: Omit<StoredCell, "updatedAt">): void {
  db.prepare(
    `INSERT INTO experiment_cells (experiment_id, cell_key, fingerprint, status, run_id, error, log_path, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(experiment_id, cell_key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
       run_id = excluded.run_id, error = excluded.error, log_path = excluded.log_path, updated_at = excluded.updated_at`,
  ).run(c.experimentId, c.cellKey, c.fingerprint, c.status, c.runId, c.error === null ? null : redact(c.error), c.logPath, new Date().toISOString());
}

export function getCells(db: Db, experimentId: string): StoredCell[] {
  return (db.prepare(`SELECT * FROM experiment_cells WHERE experiment_id = ? ORDER BY rowid`).all(experimentId) as Record<string, string | null>[]).map(
    (r) => ({
      experimentId: r.experiment_id!,
      cellKey: r.cell_key!,
      fingerprint: r.fingerprint!,
      status: r.status as StoredCell["status"],
      runId: r.run_id,
      error: r.error,
      logPath: r.log_path,
      updatedAt: r.updated_at!,
    }),
  );
}

/** Runs of an experiment left "running" by a killed earlier attempt: marked interrupted; how many. */
export function markStaleExperimentRuns(db: Db, experimentId: string): number {
  return db.prepare(`UPDATE runs SET status = 'interrupted' WHERE experiment_id = ? AND status = 'running'`).run(experimentId).changes;
}

export interface ExperimentRow {
  id: string;
  name: string;
  status: string;
  createdAt: string;
  runs: number;
}

/** Every experiment, newest first, including those known only through their runs (no experiments row). */
export function listExperiments(db: Db): ExperimentRow[] {
  return db
    .prepare(
      `SELECT e.id AS id, COALESCE(x.name, e.id) AS name, COALESCE(x.status, '') AS status,
              COALESCE(x.created_at, e.first) AS createdAt, e.runs AS runs
         FROM (SELECT experiment_id AS id, COUNT(*) AS runs, MIN(created_at) AS first FROM runs
                WHERE experiment_id IS NOT NULL GROUP BY experiment_id
               UNION ALL
               SELECT id, 0, created_at FROM experiments
                WHERE id NOT IN (SELECT experiment_id FROM runs WHERE experiment_id IS NOT NULL)) e
         LEFT JOIN experiments x ON x.id = e.id
        ORDER BY createdAt DESC`,
    )
    .all() as ExperimentRow[];
}

export function deleteCells(db: Db, experimentId: string): void {
  db.prepare(`DELETE FROM experiment_cells WHERE experiment_id = ?`).run(experimentId);
}

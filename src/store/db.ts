import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { tokenbenchHome } from "../home.js";

export type Db = Database.Database;

/** Default results database, under TOKENBENCH_HOME; TOKENBENCH_DB overrides, --db overrides both. */
export function defaultDbPath(): string {
  return process.env.TOKENBENCH_DB || join(tokenbenchHome(), "results.db");
}

// Append-only: each entry upgrades user_version N-1 -> N. Never edit a shipped entry,
// databases in the field already ran it.
const MIGRATIONS: string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     status TEXT NOT NULL,              -- running | completed | interrupted | failed
     kind TEXT NOT NULL DEFAULT 'bench', -- bench | command
     api TEXT, model TEXT, target TEXT,
     load_json TEXT,
     options_json TEXT,                 -- redacted: no keys, no auth headers
     tool_version TEXT,
     host_json TEXT,
     server_info_json TEXT,
     summary_json TEXT,
     experiment_id TEXT,
     cell_key TEXT,
     label TEXT
   );
   CREATE INDEX runs_created ON runs(created_at);
   CREATE INDEX runs_experiment ON runs(experiment_id, cell_key);
   CREATE TABLE requests (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     record_json TEXT NOT NULL,
     PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE timeseries (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     source TEXT NOT NULL,              -- client | gpu | server | ...
     name TEXT NOT NULL,
     t_ms REAL NOT NULL,                -- ms from run start
     value REAL NOT NULL,
     labels_json TEXT
   );
   CREATE INDEX timeseries_run ON timeseries(run_id, source, name);
   CREATE TABLE experiments (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     file TEXT,
     spec_json TEXT NOT NULL,
     created_at TEXT NOT NULL,
     status TEXT NOT NULL
   );`,
  // v2: experiment cells (src/experiment). One row per cell key: what resume skips, and why a cell failed
  // (failed cells may have no run at all, e.g. a server that never became ready).
  `CREATE TABLE experiment_cells (
     experiment_id TEXT NOT NULL,
     cell_key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,         -- hash of the cell's configuration; a changed cell is re-run
     status TEXT NOT NULL,              -- completed | failed
     run_id TEXT,
     error TEXT,
     log_path TEXT,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (experiment_id, cell_key)
   );`,
];

/**
 * Opens the results DB at `path` (default ~/.tokenbench/results.db, or $TOKENBENCH_HOME/results.db),
 * creating and migrating it unless `readonly`; WAL mode, so a reader (the UI) works while a
 * benchmark writes. Close it with `db.close()`.
 */
export function openDb(path: string = defaultDbPath(), opts: { readonly?: boolean } = {}): Db {
  if (path !== ":memory:" && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new Error(`cannot open results database ${path}: ${(e as Error).message}`);
  }
  // WAL lets `tokenbench ui` read while a benchmark writes.
  if (!opts.readonly) db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  if (!opts.readonly) migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`results database schema v${current} is newer than this tokenbench (v${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

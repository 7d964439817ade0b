import Database from "better-sqlite3";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostname } from "node:os";
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
  // v3: the process that owns a running run or experiment, so that one killed outright (SIGKILL,
  // OOM, power loss) is shown as interrupted instead of running forever.
  `ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
   ALTER TABLE runs ADD COLUMN owner_host TEXT;
   ALTER TABLE experiments ADD COLUMN owner_pid INTEGER;
   ALTER TABLE experiments ADD COLUMN owner_host TEXT;`,
  // v4: the owner's process start time (Linux: /proc/PID/stat field 22, clock ticks since boot),
  // so a recycled pid is not taken for the owner: pid + start time identify a process on a host.
  `ALTER TABLE runs ADD COLUMN owner_start TEXT;
   ALTER TABLE experiments ADD COLUMN owner_start TEXT;`,
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
  if (opts.readonly) db = readableSnapshotIfNeeded(db, path);
  // WAL lets `tokenbench ui` read while a benchmark writes.
  if (!opts.readonly) db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  if (!opts.readonly) {
    migrate(db);
    markStaleRuns(db);
  }
  return db;
}

/**
 * Start time of process `pid` as the kernel keeps it (Linux: field 22 of /proc/PID/stat, clock
 * ticks since boot, as a decimal string); null where it cannot be read (no such process, no /proc).
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const field = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
    return field && /^\d+$/.test(field) ? field : null;
  } catch {
    return null;
  }
}

/** Who owns a run or experiment this process writes: pid, host and process start time (null off Linux). */
export function ownerIdentity(): { pid: number; host: string; start: string | null } {
  return { pid: process.pid, host: hostname(), start: processStartTime(process.pid) };
}

/**
 * Whether a row owned by (pid, host, start) belongs to a process that is gone. Only judged on
 * this host (a row of another host is its owner's business: shown as running on that host). A
 * live process with that pid but another start time took over a recycled pid: the owner is gone.
 */
export function ownerGone(pid: number | null, host: string | null, start: string | null = null): boolean {
  if (pid == null || host !== hostname()) return false;
  let alive: boolean;
  if (pid === process.pid) alive = true;
  else {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (e) {
      // EPERM: alive, owned by another user.
      alive = (e as NodeJS.ErrnoException).code !== "ESRCH";
    }
  }
  if (!alive) return true;
  if (start == null) return false;
  const now = processStartTime(pid);
  return now !== null && now !== start;
}

/** Runs and experiments left `running` by a process of this host that no longer exists become `interrupted`. */
function markStaleRuns(db: Db): void {
  for (const table of ["runs", "experiments"]) {
    const rows = db.prepare(`SELECT id, owner_pid, owner_host, owner_start FROM ${table} WHERE status = 'running' AND owner_pid IS NOT NULL`).all() as {
      id: string;
      owner_pid: number;
      owner_host: string;
      owner_start: string | null;
    }[];
    const stale = rows.filter((r) => ownerGone(r.owner_pid, r.owner_host, r.owner_start));
    if (stale.length === 0) continue;
    const stmt = db.prepare(`UPDATE ${table} SET status = 'interrupted' WHERE id = ? AND status = 'running'`);
    try {
      db.transaction(() => stale.forEach((r) => stmt.run(r.id)))();
    } catch {
      // Busy or read-only: readers still show them as interrupted (see ownerGone in runs.ts).
    }
  }
}

/**
 * A reader of a WAL database needs its -shm index file, which SQLite creates in the database's
 * directory: where the user cannot write (a shared results directory, a read-only mount) even a
 * read fails ("attempt to write a readonly database"). Then, when there is no -wal file (so the
 * main file holds every committed write), the file is read into memory as a snapshot.
 */
function readableSnapshotIfNeeded(db: Db, path: string): Db {
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (!/^SQLITE_(READONLY|CANTOPEN|IOERR)/.test(code) || path === ":memory:") throw e;
    db.close();
    if (existsSync(`${path}-wal`)) {
      throw new Error(`cannot read results database ${path}: its directory is not writable and its write-ahead log (${path}-wal) needs an index file there; copy the database somewhere writable`);
    }
    const bytes = readFileSync(path);
    // Header bytes 18-19 = 2 mark WAL mode, which an in-memory database cannot use; 1 = rollback journal.
    if (bytes.length >= 20) bytes[18] = bytes[19] = 1;
    return new Database(bytes, { readonly: true });
  }
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

import type { Db } from "../store/db.js";
import { appendRequests } from "../store/runs.js";
import type { GoodputSpec } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { RunAccumulator } from "../aggregate/accumulator.js";

/** How long writes may stay blocked by another process's lock before the run is stopped. */
export const STORE_BUSY_LIMIT_MS = 30_000;
/**
 * SQLite's busy wait during the load, per write attempt. better-sqlite3 is synchronous: a long
 * busy wait would freeze the event loop and every request's timing with it, so a busy database is
 * retried at the next flush instead (records stay buffered in memory meanwhile).
 */
const LOAD_BUSY_TIMEOUT_MS = 100;
const NORMAL_BUSY_TIMEOUT_MS = 5000;

/** The store failed during a run: the load was stopped and what was measured kept elsewhere. */
export class StorageError extends Error {}

/** What a Recorder does with each measured record besides folding it. */
export interface RecorderOptions {
  /** Goodput bounds the accumulator counts per record. */
  goodput?: GoodputSpec;
  /** Keep measured records in `measured` (the library's BenchmarkResult.records); default false. */
  keepRecords?: boolean;
  /** Called with each measured record as it finishes (e.g. a --records file written as the run goes). */
  onRecord?: (r: RequestRecord) => void;
}

/**
 * Takes finished requests: folds each measured one into `accumulator` (the run's statistics),
 * keeps live counters for progress, and writes every record to the store in small batches so an
 * interrupted or crashed run keeps what it measured. Once stored a record is dropped: memory
 * stays bounded whatever the run's length, unless `keepRecords` asks for them.
 *
 * A busy database (another process holds the write lock) is waited for up to
 * STORE_BUSY_LIMIT_MS with the records buffered; any other storage error (disk full, I/O error,
 * read-only file) or a lock held longer fails the store: `onStorageFailure` is called once (the
 * caller stops the load) and the records not stored (`unstored()`) are kept in memory, never
 * lost and never thrown at the request that finished.
 */
export class Recorder {
  readonly accumulator: RunAccumulator;
  /** Measured records, kept only with `keepRecords`. */
  readonly measured: RequestRecord[] = [];
  warmupCount = 0;
  done = 0;
  failed = 0;
  outputTokens = 0;
  /** Records written to the store so far (the first `stored` of warm-up + measured, in order). */
  stored = 0;
  /** Set once the store has failed. */
  storageFailure: Error | undefined;
  /** Records not yet stored, in run order (all of them after a storage failure). */
  private pending: RequestRecord[] = [];
  private lastFlush = Date.now();
  private busySince: number | undefined;

  constructor(
    private readonly db: Db | null,
    private readonly runId: string,
    private readonly onStorageFailure: (e: Error) => void = () => undefined,
    private readonly opts: RecorderOptions = {},
  ) {
    this.accumulator = new RunAccumulator({ goodput: opts.goodput });
  }

  add(r: RequestRecord): void {
    if (r.warmup) {
      this.warmupCount++;
    } else {
      this.accumulator.add(r);
      if (this.opts.keepRecords) this.measured.push(r);
      this.opts.onRecord?.(r);
      this.done++;
      if (!r.ok) this.failed++;
      else this.outputTokens += r.outputTokens;
    }
    if (!this.db) return;
    this.pending.push(r);
    if (this.storageFailure) return;
    if (this.pending.length >= 256 || Date.now() - this.lastFlush > 1000) this.flush();
  }

  /** Writes buffered records; never throws (see the class comment). Returns whether all are stored. */
  flush(final = false): boolean {
    if (!this.db || this.storageFailure) return !this.db;
    if (this.pending.length === 0) return true;
    this.lastFlush = Date.now();
    try {
      withBusyTimeout(this.db, final ? NORMAL_BUSY_TIMEOUT_MS : LOAD_BUSY_TIMEOUT_MS, () => appendRequests(this.db!, this.runId, this.stored, this.pending));
      this.stored += this.pending.length;
      this.pending = [];
      this.busySince = undefined;
      return true;
    } catch (e) {
      const busy = isBusy(e);
      this.busySince ??= Date.now();
      if (busy && !final && Date.now() - this.busySince < STORE_BUSY_LIMIT_MS) return false;
      const why = busy ? `the database stayed locked by another process for over ${STORE_BUSY_LIMIT_MS / 1000} s` : (e as Error).message;
      this.storageFailure = new Error(why);
      this.onStorageFailure(this.storageFailure);
      return false;
    }
  }

  /** Records not in the store (everything after the first `stored`), in run order. */
  unstored(): RequestRecord[] {
    return this.pending;
  }
}

export function isBusy(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? "";
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

function withBusyTimeout<T>(db: Db, ms: number, fn: () => T): T {
  db.pragma(`busy_timeout = ${ms}`);
  try {
    return fn();
  } finally {
    db.pragma(`busy_timeout = ${NORMAL_BUSY_TIMEOUT_MS}`);
  }
}

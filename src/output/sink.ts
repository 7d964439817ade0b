// The contract every output of a benchmark run meets (console table, summary JSON, records,
// CSV, HTML report): the CLI builds the requested sinks, checks them all before measuring, and
// hands each the result. A sink may also take records one by one as they finish (onRecord), for
// outputs written as the run goes; close() ends that.
import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";

/** What a finished command hands its outputs: runs in order, and each run's measured records. */
export interface SinkResult {
  summaries: readonly RunSummary[];
  /** Per run (same order as summaries): its measured (non-warm-up) records. */
  records: ReadonlyArray<readonly RequestRecord[]>;
  /** The runs are the points of one sweep (`run --profile sweep`): outputs add the sweep summary (src/output/sweepTable.ts). */
  sweep?: boolean;
}

export interface OutputSink {
  /** How messages name it: the flag and its value ("--csv runs.csv"), or "console". */
  readonly name: string;
  /**
   * Before any work: throws a UsageError (one line) when the sink could not write its output
   * (an unwritable path, a report without a results database), so a run never measures for an
   * hour and then loses its results to a typo.
   */
  check?(): void;
  /** A measured record as it finishes (optional; outputs written progressively). */
  onRecord?(runId: string, record: RequestRecord): void;
  /** After the runs: writes the output (atomically for files). */
  write(result: SinkResult): void | Promise<void>;
  /**
   * Ends a progressive output (flush, rename into place). Called after write; also called with
   * `completed` false when the command failed part way, to keep what was written so far.
   */
  close?(completed?: boolean): void | Promise<void>;
}

/** What a file sink may need from the command beyond its path. */
export interface SinkContext {
  /** The results database the runs were stored in; null with --no-store (or for unstored results). */
  db: string | null;
}

/** A kind of file output: its flag and how to build the sink from the flag's value. */
export interface FileSinkKind {
  /** The commander flag, e.g. "--csv <file>"; its long name (camelCased) is the key in the parsed flags. */
  flag: string;
  description: string;
  create(path: string, ctx: SinkContext): OutputSink;
}

/** Runs check() of every sink, in order; the first problem throws. */
export function checkSinks(sinks: readonly OutputSink[]): void {
  for (const s of sinks) s.check?.();
}

/**
 * Writes every sink in order, then closes them all. One output failing (a full disk under --csv)
 * does not stop the others from being written; the first failure is thrown afterwards.
 */
export async function writeSinks(sinks: readonly OutputSink[], result: SinkResult): Promise<void> {
  const failures: unknown[] = [];
  for (const s of sinks) await Promise.resolve().then(() => s.write(result)).catch((e: unknown) => failures.push(e));
  for (const s of sinks) await Promise.resolve().then(() => s.close?.()).catch((e: unknown) => failures.push(e));
  if (failures.length) throw failures[0];
}

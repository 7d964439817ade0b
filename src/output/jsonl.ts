import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { redact } from "../store/redact.js";
import { AtomicFileWriter, writeFileAtomic } from "./atomicWrite.js";
import { snakeKeys } from "./snakeCase.js";

export type RecordLine = RequestRecord & { run_id?: string };

/** Tags each run's records with its id so a multi-run file can be split again. */
export function withRunIds(summaries: readonly RunSummary[], records: readonly RequestRecord[][]): RecordLine[] {
  return summaries.flatMap((s, i) => (records[i] ?? []).map((r) => ({ run_id: s.id, ...r })));
}

/** One record's line (with its newline). */
function recordLine(r: RecordLine): string {
  // Error text comes from the server and may echo request headers; only it is redacted,
  // because redact() also masks innocent keys such as inputTokens.
  const line = r.error !== undefined ? { ...r, error: redact(r.error) } : r;
  return JSON.stringify(snakeKeys(line)) + "\n";
}

function* lines(records: Iterable<RecordLine>): Generator<string> {
  let batch = "";
  for (const r of records) {
    batch += recordLine(r);
    if (batch.length > 1 << 20) {
      yield batch;
      batch = "";
    }
  }
  if (batch) yield batch;
}

/**
 * One JSON object per request per line (JSON Lines), written atomically; keys in snake_case
 * (sent_at, ttft_ms, itl_ms, ...: RequestRecord's fields), server timings as the server named them.
 */
export function writeRecordsJsonl(path: string, records: Iterable<RecordLine>): void {
  writeFileAtomic(path, lines(records));
}

/**
 * writeRecordsJsonl as records arrive (a run's `onRecord`), so no record is held: lines are
 * batched up to 1 MiB and appended to a temporary file that `close()` renames into place (the
 * file appears complete or not at all). `close(false)` with no record written leaves no file
 * (a run that failed before its first request).
 */
export class RecordsJsonlWriter {
  private readonly file: AtomicFileWriter;
  private batch = "";
  /** Records written so far. */
  count = 0;
  /** The first write error (disk full...): later records are dropped here (the store has them) and close() throws it. */
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.file = new AtomicFileWriter(path);
  }

  /** Never throws: it runs inside a finished request's bookkeeping (see `failure`). */
  write(r: RecordLine): void {
    if (this.failure) return;
    this.batch += recordLine(r);
    this.count++;
    if (this.batch.length > 1 << 20) this.flush();
  }

  /** @throws Error naming the file when a write failed during the run or at close */
  close(evenEmpty = true): void {
    if (!this.failure) {
      if (this.count === 0 && !evenEmpty) return this.file.discard();
      this.flush();
    }
    if (!this.failure) {
      try {
        this.file.commit();
      } catch (e) {
        this.failure = e as Error;
      }
    }
    if (this.failure) throw new Error(`could not write ${this.path}: ${this.failure.message}`);
  }

  private flush(): void {
    try {
      this.file.write(this.batch);
    } catch (e) {
      this.failure = e as Error;
      this.file.discard();
    }
    this.batch = "";
  }
}

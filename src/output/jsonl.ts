import type { RunSummary } from "../aggregate/types.js";
import type { RequestRecord } from "../measure/types.js";
import { redact } from "../store/redact.js";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { outputTarget, writeFileAtomic } from "./atomicWrite.js";
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
 * writeRecordsJsonl as records arrive (a run's `onRecord`), so no record is held. Lines go to the
 * named file itself (a symlink followed, a device written through), appended at least every
 * second (or 64 KiB): a run killed outright (SIGKILL, out of memory) leaves the lines measured
 * until then, a complete JSON Lines file up to its last line. The file is opened (and an older
 * one truncated) at the first record: `close(false)` with no record written leaves any older
 * file untouched (a run that failed before its first request).
 */
export class RecordsJsonlWriter {
  private fd: number | undefined;
  private batch = "";
  private lastFlush = Date.now();
  /** Records written so far. */
  count = 0;
  /** The first write error (disk full...): later records are dropped here (the store has them) and close() throws it. */
  private failure: Error | undefined;

  constructor(readonly path: string) {}

  /** Never throws: it runs inside a finished request's bookkeeping (see `failure`). */
  write(r: RecordLine): void {
    if (this.failure) return;
    this.batch += recordLine(r);
    this.count++;
    if (this.batch.length > 1 << 16 || Date.now() - this.lastFlush >= 1000) this.flush();
  }

  /** @throws Error naming the file when a write failed during the run or at close */
  close(evenEmpty = true): void {
    if (!this.failure && (this.count > 0 || evenEmpty)) this.flush();
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch (e) {
        this.failure ??= e as Error;
      }
      this.fd = undefined;
    }
    if (this.failure) throw new Error(`could not write ${this.path}: ${this.failure.message}`);
  }

  private flush(): void {
    this.lastFlush = Date.now();
    try {
      if (this.fd === undefined) {
        const target = outputTarget(this.path);
        if (!target.inPlace) mkdirSync(dirname(target.path), { recursive: true });
        this.fd = openSync(target.path, "w", 0o644);
      }
      if (this.batch) writeSync(this.fd, this.batch);
    } catch (e) {
      this.failure = e as Error;
    }
    this.batch = "";
  }
}

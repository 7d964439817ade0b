import type { RequestRecord, RunSummary } from "../types.js";
import { redact } from "../store/redact.js";
import { writeFileAtomic } from "./atomicWrite.js";
import { snakeKeys } from "./snakeCase.js";

export type RecordLine = RequestRecord & { run_id?: string };

/** Tags each run's records with its id so a multi-run file can be split again. */
export function withRunIds(summaries: readonly RunSummary[], records: readonly RequestRecord[][]): RecordLine[] {
  return summaries.flatMap((s, i) => (records[i] ?? []).map((r) => ({ run_id: s.id, ...r })));
}

function* lines(records: Iterable<RecordLine>): Generator<string> {
  let batch = "";
  for (const r of records) {
    // Error text comes from the server and may echo request headers; only it is redacted,
    // because redact() also masks innocent keys such as inputTokens.
    const line = r.error !== undefined ? { ...r, error: redact(r.error) } : r;
    batch += JSON.stringify(snakeKeys(line)) + "\n";
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

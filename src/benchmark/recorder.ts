import type { Db } from "../store/db.js";
import { appendRequests } from "../store/runs.js";
import type { RequestRecord } from "../types.js";

/**
 * Collects finished requests, keeps live counters for progress, and writes records to the
 * store in small batches so an interrupted or crashed run keeps what it measured.
 */
export class Recorder {
  readonly measured: RequestRecord[] = [];
  warmupCount = 0;
  done = 0;
  failed = 0;
  outputTokens = 0;
  private pending: RequestRecord[] = [];
  private seq = 0;
  private lastFlush = Date.now();

  constructor(
    private readonly db: Db | null,
    private readonly runId: string,
  ) {}

  add(r: RequestRecord): void {
    if (r.warmup) this.warmupCount++;
    else {
      this.measured.push(r);
      this.done++;
      if (!r.ok) this.failed++;
      else this.outputTokens += r.outputTokens;
    }
    if (!this.db) return;
    this.pending.push(r);
    if (this.pending.length >= 256 || Date.now() - this.lastFlush > 1000) this.flush();
  }

  flush(): void {
    if (!this.db || this.pending.length === 0) return;
    appendRequests(this.db, this.runId, this.seq, this.pending);
    this.seq += this.pending.length;
    this.pending = [];
    this.lastFlush = Date.now();
  }
}

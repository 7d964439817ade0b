import { performance } from "node:perf_hooks";

/** Longest stretch (ms) the queue runs before it lets the event loop poll its sockets again. */
export const OFF_PATH_SLICE_MS = 0.5;

/**
 * Runs the work a finished request leaves (building its record: token attribution, latencies;
 * folding and storing it, or posting it to the parent thread) off the read path: in FIFO order,
 * in slices of at most `sliceMs` between the event loop's polls (setImmediate runs after the
 * poll phase).
 *
 * Why: a token's timestamp is taken when the loop reads it. In a closed loop of equal requests
 * the streams finish in waves; done inline, a wave of 256 completions held the loop for
 * ~25 ms on a 2-core machine, and every stream still running read its next token that much
 * late (the ITL p99 tail of docs/client-capacity.md). Only the next request's send stays on the
 * completion path, so the schedule is unchanged.
 *
 * A job that throws does not stop the jobs after it (their records are not lost): the first error
 * is kept, `onError` is called once (the caller stops the load) and flush() throws it.
 */
export class OffPathQueue {
  private jobs: Array<() => void> = [];
  private head = 0;
  private scheduled = false;
  private error: unknown;
  private failed = false;

  constructor(
    private readonly onError: (e: unknown) => void = () => undefined,
    private readonly sliceMs: number = OFF_PATH_SLICE_MS,
  ) {}

  /** Jobs queued and not yet run. */
  get pending(): number {
    return this.jobs.length - this.head;
  }

  push(job: () => void): void {
    this.jobs.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.slice);
    }
  }

  /** Runs every queued job now (the load's end, before its records are read); throws the first job error. */
  flush(): void {
    this.runUntil(Infinity);
    if (this.failed) throw this.error;
  }

  private readonly slice = (): void => {
    this.scheduled = false;
    this.runUntil(performance.now() + this.sliceMs);
    if (this.pending > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.slice);
    }
  };

  private runUntil(deadline: number): void {
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head];
      this.jobs[this.head++] = noop;
      try {
        job();
      } catch (e) {
        if (!this.failed) {
          this.failed = true;
          this.error = e;
          this.onError(e);
        }
      }
      if (performance.now() >= deadline) break;
    }
    if (this.head === this.jobs.length) {
      this.jobs = [];
      this.head = 0;
    }
  }
}

const noop = () => undefined;

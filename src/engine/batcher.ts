// Keeps the sequences of a context in step so they decode in one batch (continuous batching).
//
// node-llama-cpp samples each sequence's token on a worker thread and hands it back as soon as it is
// ready; the sequence then queues its next decode, and the library's batch loop decodes whatever is
// queued at that moment. Left alone, the first sequence to get its token is decoded alone, the next
// one alone after it, and so on: the sequences drift out of phase and share no batch again.
// Measured on 2 cores: with 4 parallel `tiny` requests nearly every decode batch held one token.
//
// So a sequence that got its token waits (StepBarrier.arrive) until every sequence still waiting
// for a token has one too, or MAX_WAIT_MS passed (a long prefill must not hold the others back), and
// all resume together on a later event-loop turn, after the library's batch loop has found its
// queue empty: their next decodes are then queued together and dispatched as one batch.

const MAX_WAIT_MS = 2;

export class StepBarrier {
  /** Sequences in their token loop. */
  private active = 0;
  /** Sequences that asked for a token and do not have it yet. */
  private pending = 0;
  private waiters: Array<() => void> = [];
  private deadline?: NodeJS.Timeout;
  private releaseScheduled = false;

  /** A sequence starts / ends its token loop. */
  join(): void {
    this.active++;
  }
  leave(): void {
    this.active--;
  }

  /** Call right before asking the sequence for its next token. */
  requested(): void {
    this.pending++;
  }

  /** Call when the token arrived (or the request failed). */
  received(): void {
    this.pending--;
    if (this.pending === 0) this.scheduleRelease();
  }

  /** Resolves when every sequence has its token (or the deadline passes), on a later event-loop turn; at once when alone. */
  arrive(): Promise<void> {
    // Alone, there is nothing to batch with: go on at once.
    if (this.active <= 1 && this.waiters.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      if (this.pending === 0) this.scheduleRelease();
      else this.deadline ??= setTimeout(this.release, MAX_WAIT_MS);
    });
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled || this.waiters.length === 0) return;
    this.releaseScheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.releaseScheduled = false;
    clearTimeout(this.deadline);
    this.deadline = undefined;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  };
}

// Keeps the sequences of a context in step so they decode in one batch (continuous batching).
//
// node-llama-cpp samples each sequence's token on a worker thread and hands it back as soon as it is
// ready; the sequence then queues its next decode, and the library's batch loop decodes whatever is
// queued at that moment, one batch at a time. Left alone, the first sequence to get its token is decoded
// alone, the next one alone after it, and so on: the sequences drift out of phase and share no batch again.
//
// So a sequence that got its token waits (StepBarrier.arrive) until every sequence still waiting for a
// decode token has one too, and all resume together on a later event-loop turn, after the library's batch
// loop has found its queue empty: their next decodes are then queued together and dispatched as one batch.
// A sequence waiting for its first token (its prompt's prefill) holds no one back: the others' decodes
// join the prefill's batch or the next one. Waiting for a pending decode costs nothing, because batches
// run one after another: a decode queued earlier would only run after the batch in flight anyway. An
// earlier version released the waiters after 2 ms; a decode step takes longer than that on a CPU, so it
// split 4 sequences 3 + 1 for good (measured at c = 4: of 1,032 decode calls 642 held 1 token, 381 held 3,
// none 4). MAX_WAIT_MS is only a guard against a sequence the library stalls for another reason.

const MAX_WAIT_MS = 1000;

export class StepBarrier {
  /** Sequences in their token loop. */
  private active = 0;
  /** Sequences that asked for a decode token (not their first) and do not have it yet. */
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

  /** Call right before asking the sequence for its next token; `first` for the prompt's first token (prefill). */
  requested(first = false): void {
    if (!first) this.pending++;
  }

  /** Call when the token arrived (or the request failed), with the same `first` as requested(). */
  received(first = false): void {
    if (first) return;
    this.pending--;
    if (this.pending === 0) this.scheduleRelease();
  }

  /** Resolves when every decoding sequence has its token (or MAX_WAIT_MS passed), on a later event-loop turn; at once when alone. */
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

// Fixed set of decoding slots (llama.cpp sequences) handed out first-in-first-out.

export class QueueAbortedError extends Error {
  constructor() {
    super("request cancelled while queued");
  }
}

interface Waiter<T> {
  resolve: (slot: T) => void;
  reject: (e: Error) => void;
}

export class SlotPool<T> {
  private readonly free: T[];
  private readonly waiters: Waiter<T>[] = [];
  private readonly capacity: number;

  constructor(slots: readonly T[]) {
    this.free = [...slots];
    this.capacity = slots.length;
  }

  /** Requests holding a slot. */
  get running(): number {
    return this.capacity - this.free.length;
  }

  /** Requests queued for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  get size(): number {
    return this.capacity;
  }

  /** Resolves with a slot when one frees up, in arrival order; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new QueueAbortedError());
    // A free slot means nobody is queued: release() hands slots to waiters first.
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (s) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new QueueAbortedError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: T): void {
    const next = this.waiters.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }

  /** Fails every queued request (server shutting down). */
  rejectWaiting(error: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

// Counts over time (token arrivals, completions) whose window is chosen only at the end, in bounded memory.
import type { Window } from "./throughput.js";

/** Events kept with their exact time (12 bytes each) before a timeline turns into 1 ms bins: 12 MiB at most. */
export const EXACT_EVENTS_CAP = 1 << 20;
/** Bin width once binned, ms. */
export const TIMELINE_BIN_MS = 1;

/**
 * Weighted events on the run's clock (ms from run start): `add(t, k)` says k tokens (or one
 * completion) arrived at t; `countIn(w)` sums the weights inside [w.start, w.end].
 *
 * Up to `cap` events are kept exactly (times in a Float64Array, weights in a Uint32Array) and
 * countIn is exact. The event after the cap turns the timeline into 1 ms bins (4 bytes per ms
 * of run: 14 MB an hour, whatever the request count): an event then counts iff its bin,
 * floor(t), lies in [floor(start), floor(end)], so only events within 1 ms of a window edge can
 * land on the wrong side of it. Bins are integer sums, so merging timelines gives the very
 * bins (and counts) of one timeline of all their events.
 */
export class Timeline {
  private times: Float64Array | null = null;
  private weights: Uint32Array | null = null;
  private n = 0;
  private bins: Uint32Array | null = null;
  /** The bin index (floor(t / TIMELINE_BIN_MS)) of bins[0]. */
  private origin = 0;
  private total = 0;

  constructor(readonly cap: number = EXACT_EVENTS_CAP) {}

  /** Whether every event's time is kept (counts exact). */
  get exact(): boolean {
    return this.bins === null;
  }

  /** Sum of all weights. */
  get sum(): number {
    return this.total;
  }

  add(t: number, k = 1): void {
    if (!Number.isFinite(t) || k === 0) return;
    this.total += k;
    if (this.bins === null) {
      if (this.n < this.cap) {
        if (this.times === null || this.n === this.times.length) this.grow(this.n + 1);
        this.times![this.n] = t;
        this.weights![this.n++] = k;
        return;
      }
      this.toBins();
    }
    this.bin(t, k);
  }

  /** Adds every event of `other` (left unchanged). */
  merge(other: Timeline): void {
    this.total += other.total;
    if (this.bins === null && other.bins === null && this.n + other.n <= this.cap) {
      if (other.n === 0) return;
      this.grow(this.n + other.n);
      this.times!.set(other.times!.subarray(0, other.n), this.n);
      this.weights!.set(other.weights!.subarray(0, other.n), this.n);
      this.n += other.n;
      return;
    }
    if (this.bins === null) this.toBins();
    if (other.bins === null) for (let i = 0; i < other.n; i++) this.bin(other.times![i], other.weights![i]);
    else for (let i = 0; i < other.bins.length; i++) if (other.bins[i]) this.binAt(other.origin + i, other.bins[i]);
  }

  /** Sum of the weights of events inside [w.start, w.end] (see the class comment for binned timelines). */
  countIn(w: Window): number {
    let sum = 0;
    if (this.bins === null) {
      for (let i = 0; i < this.n; i++) {
        const t = this.times![i];
        if (t >= w.start && t <= w.end) sum += this.weights![i];
      }
      return sum;
    }
    const from = Math.max(0, Math.floor(w.start / TIMELINE_BIN_MS) - this.origin);
    const to = Math.min(this.bins.length - 1, Math.floor(w.end / TIMELINE_BIN_MS) - this.origin);
    for (let i = from; i <= to; i++) sum += this.bins[i];
    return sum;
  }

  /** Bytes held, for memory accounting. */
  get footprintBytes(): number {
    return this.bins ? this.bins.byteLength : (this.times?.byteLength ?? 0) + (this.weights?.byteLength ?? 0);
  }

  private grow(need: number): void {
    const size = Math.min(this.cap, Math.max(64, need, (this.times?.length ?? 0) * 2));
    const times = new Float64Array(size);
    const weights = new Uint32Array(size);
    if (this.times) {
      times.set(this.times.subarray(0, this.n));
      weights.set(this.weights!.subarray(0, this.n));
    }
    this.times = times;
    this.weights = weights;
  }

  private toBins(): void {
    this.bins = new Uint32Array(0);
    const times = this.times;
    const weights = this.weights;
    this.times = this.weights = null;
    for (let i = 0; i < this.n; i++) this.bin(times![i], weights![i]);
    this.n = 0;
  }

  private bin(t: number, k: number): void {
    this.binAt(Math.floor(t / TIMELINE_BIN_MS), k);
  }

  private binAt(b: number, k: number): void {
    let bins = this.bins!;
    if (bins.length === 0) this.origin = b;
    if (b < this.origin || b - this.origin >= bins.length) {
      // Grow geometrically on the side that overflowed, so a long run costs amortized O(1) per event.
      const lo = Math.min(this.origin, b);
      const hi = Math.max(this.origin + bins.length - 1, b);
      const span = hi - lo + 1;
      const size = Math.max(span, bins.length * 2, 1024);
      const origin = b < this.origin ? hi - size + 1 : lo;
      const next = new Uint32Array(size);
      next.set(bins, this.origin - origin);
      this.bins = bins = next;
      this.origin = origin;
    }
    bins[b - this.origin] += k;
  }
}

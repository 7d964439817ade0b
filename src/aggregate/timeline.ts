// Counts over time (token arrivals; completed requests' lives) whose window is chosen only at the end, in bounded memory.
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
    [this.bins, this.origin] = fitBin(this.bins!, this.origin, b, (n) => new Uint32Array(n));
    this.bins[b - this.origin] += k;
  }
}

/** Fixed-point scale of a binned request's density: integers below 2^53 add exactly in any order. */
const SPAN_FIX = 2 ** 32;

/**
 * Completed requests' lives [sentAt, endAt] on the run's clock (ms), for counting requests in a
 * window chosen at the end by the share of each life inside it: `shareIn(w)` = Σ overlap([sentAt,
 * endAt], w) / (endAt - sentAt), a request with endAt == sentAt counting 1 when inside w. Unlike
 * counting endAt inside w, this does not count whole batches of requests that end right at both
 * edges (closed loop: the window runs from a completion to a send made at a completion).
 *
 * Up to `cap` requests are kept exactly (16 bytes each) and shareIn is exact; the shares are
 * summed in sorted order, so any merge order gives the same float. The request after the cap
 * turns the spans into 1 ms bins (8 bytes per ms of run, about 29 MB an hour): a request then
 * spreads its count evenly over the bins floor(sentAt) .. max(floor(endAt), floor(sentAt) + 1) - 1,
 * kept as a difference array of fixed-point densities (round(2^32 / bins) at the first bin, minus
 * that after the last), integrated over the window with partial edge bins pro rata. Each request's
 * share is then off by at most 1 ms of its life at each window edge (and 2^-32 relatively). The
 * densities are integers (exact below 2^53, i.e. up to 2^21 requests in flight at once), so merged
 * spans give the very bins of one timeline of all their requests.
 */
export class SpanTimeline {
  private spans: Float64Array | null = null;
  private n = 0;
  private diff: Float64Array | null = null;
  /** The bin index of diff[0]. */
  private origin = 0;

  constructor(readonly cap: number = EXACT_EVENTS_CAP) {}

  /** Whether every span is kept exactly. */
  get exact(): boolean {
    return this.diff === null;
  }

  /** A request's life from `sentAt` to `endAt` (ms). Non-finite or reversed spans are ignored. */
  add(sentAt: number, endAt: number): void {
    if (!Number.isFinite(sentAt) || !Number.isFinite(endAt) || endAt < sentAt) return;
    if (this.diff === null) {
      if (this.n < this.cap) {
        if (this.spans === null || 2 * this.n === this.spans.length) this.grow(this.n + 1);
        this.spans![2 * this.n] = sentAt;
        this.spans![2 * this.n + 1] = endAt;
        this.n++;
        return;
      }
      this.toBins();
    }
    this.bin(sentAt, endAt);
  }

  /** Adds every span of `other` (left unchanged). */
  merge(other: SpanTimeline): void {
    if (this.diff === null && other.diff === null && this.n + other.n <= this.cap) {
      if (other.n === 0) return;
      this.grow(this.n + other.n);
      this.spans!.set(other.spans!.subarray(0, 2 * other.n), 2 * this.n);
      this.n += other.n;
      return;
    }
    if (this.diff === null) this.toBins();
    if (other.diff === null) for (let i = 0; i < other.n; i++) this.bin(other.spans![2 * i], other.spans![2 * i + 1]);
    else for (let i = 0; i < other.diff.length; i++) if (other.diff[i]) this.addAt(other.origin + i, other.diff[i]);
  }

  /** Σ over requests of the share of its life inside [w.start, w.end] (see the class comment). */
  shareIn(w: Window): number {
    if (this.diff === null) {
      const shares = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) {
        const s = this.spans![2 * i];
        const e = this.spans![2 * i + 1];
        if (e === s) shares[i] = s >= w.start && s <= w.end ? 1 : 0;
        else shares[i] = Math.max(0, Math.min(e, w.end) - Math.max(s, w.start)) / (e - s);
      }
      shares.sort();
      let sum = 0;
      for (let i = 0; i < shares.length; i++) sum += shares[i];
      return sum;
    }
    // Integrate the piecewise-constant density (prefix sums of diff) over [w.start, w.end].
    let density = 0;
    let sum = 0;
    for (let i = 0; i < this.diff.length; i++) {
      density += this.diff[i];
      const lo = (this.origin + i) * TIMELINE_BIN_MS;
      const overlap = Math.min(lo + TIMELINE_BIN_MS, w.end) - Math.max(lo, w.start);
      if (overlap > 0 && density !== 0) sum += (density * overlap) / TIMELINE_BIN_MS;
    }
    return sum / SPAN_FIX;
  }

  /** Bytes held, for memory accounting. */
  get footprintBytes(): number {
    return this.diff ? this.diff.byteLength : (this.spans?.byteLength ?? 0);
  }

  private grow(need: number): void {
    const size = Math.min(this.cap, Math.max(64, need, ((this.spans?.length ?? 0) / 2) * 2));
    const spans = new Float64Array(2 * size);
    if (this.spans) spans.set(this.spans.subarray(0, 2 * this.n));
    this.spans = spans;
  }

  private toBins(): void {
    this.diff = new Float64Array(0);
    const spans = this.spans;
    this.spans = null;
    for (let i = 0; i < this.n; i++) this.bin(spans![2 * i], spans![2 * i + 1]);
    this.n = 0;
  }

  private bin(sentAt: number, endAt: number): void {
    const b0 = Math.floor(sentAt / TIMELINE_BIN_MS);
    const b1 = Math.max(Math.floor(endAt / TIMELINE_BIN_MS), b0 + 1);
    const d = Math.round(SPAN_FIX / (b1 - b0));
    this.addAt(b0, d);
    this.addAt(b1, -d);
  }

  private addAt(b: number, k: number): void {
    [this.diff, this.origin] = fitBin(this.diff!, this.origin, b, (n) => new Float64Array(n));
    this.diff[b - this.origin] += k;
  }
}

/**
 * Bins (element i is bin `origin + i`; an empty array has no origin yet) that hold bin `b`: the
 * same array when it fits, else a copy grown geometrically on the side that overflowed, so a long
 * run costs amortized O(1) per event.
 */
function fitBin<A extends Uint32Array | Float64Array>(bins: A, origin: number, b: number, make: (size: number) => A): [A, number] {
  if (bins.length === 0) origin = b;
  if (b >= origin && b - origin < bins.length) return [bins, origin];
  const lo = Math.min(origin, b);
  const hi = Math.max(origin + bins.length - 1, b);
  const size = Math.max(hi - lo + 1, bins.length * 2, 1024);
  const start = b < origin ? hi - size + 1 : lo;
  const next = make(size);
  next.set(bins, origin - start);
  return [next, start];
}

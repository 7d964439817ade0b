// A latency distribution of bounded memory: exact values up to a cap, an HdrHistogram beyond it.
import { createRequire } from "node:module";
import type { Histogram } from "hdr-histogram-js";
import type { LatencyStats } from "./types.js";
import { EMPTY_STATS, FIXED_PERCENTILES, latencyStats, percentileKey } from "../stats.js";

/** Values kept exactly (8 bytes each) before a distribution turns into a histogram: 8 MiB at most. */
export const EXACT_VALUES_CAP = 1 << 20;
/**
 * Significant decimal digits of the histogram (HdrHistogram's numberOfSignificantValueDigits):
 * a value is known within 2^-10 (under 0.1%) of itself, plus the 1 µs recording unit.
 */
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;
// Loaded on first use: nearly every run stays below the exact cap, and the package's start-up
// (~20 ms, its log-format tables) would otherwise be paid by every CLI process and worker thread.
let hdr: typeof import("hdr-histogram-js") | undefined;
const loadHdr = () => (hdr ??= createRequire(import.meta.url)("hdr-histogram-js") as typeof import("hdr-histogram-js"));

/** The histogram records integer microseconds. */
const UNITS_PER_MS = 1000;

/**
 * A stream of latency values (ms) with LatencyStats at any time, in bounded memory.
 *
 * Up to `cap` values are kept exactly (a growable Float64Array) and `stats()` is latencyStats of
 * them, the very figures of an in-memory sample. The value after the cap turns the distribution
 * into an HdrHistogram of integer microseconds (32-bit counts, auto-resizing, HISTOGRAM_SIGNIFICANT_DIGITS:
 * about 50 KB for latencies from 1 µs to minutes, whatever the count): count, min and max stay exact, mean and
 * stddev are streamed (Welford, Chan et al. when merging: exact up to floating-point rounding),
 * and percentiles are the histogram's (within 0.1% + 1 µs of the exact ones), marked `exact: false`.
 *
 * `merge` is deterministic: merging distributions gives the same mode and the same histogram
 * (hence the same percentiles, count, min, max) as adding all their values to one.
 */
export class Distribution {
  private values: Float64Array | null = null;
  private n = 0;
  private hist: Histogram | null = null;
  // Histogram mode only (computed from the values at the switch): streamed moments and extremes.
  private mean = 0;
  private m2 = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(readonly cap: number = EXACT_VALUES_CAP) {}

  /** Values added (non-finite ones are skipped). */
  get count(): number {
    return this.n;
  }

  /** Whether every value is still kept (percentiles exact). */
  get exact(): boolean {
    return this.hist === null;
  }

  /** Adds one value (ms); NaN and infinities are ignored, as latencyStats' callers always did. */
  add(v: number): void {
    if (!Number.isFinite(v)) return;
    if (this.hist === null) {
      if (this.n < this.cap) {
        if (this.values === null || this.n === this.values.length) this.grow(this.n + 1);
        this.values![this.n++] = v;
        return;
      }
      this.toHistogram();
    }
    this.record(v);
    this.n++;
    const d = v - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (v - this.mean);
  }

  /** Adds every value of `other` (left unchanged). */
  merge(other: Distribution): void {
    if (other.n === 0) return;
    if (this.hist === null && other.hist === null && this.n + other.n <= this.cap) {
      this.grow(this.n + other.n);
      this.values!.set(other.values!.subarray(0, other.n), this.n);
      this.n += other.n;
      return;
    }
    if (this.hist === null) this.toHistogram();
    const o = other.hist === null ? other.momentsOfValues() : { n: other.n, mean: other.mean, m2: other.m2, lo: other.lo, hi: other.hi };
    if (other.hist === null) for (let i = 0; i < other.n; i++) this.record(other.values![i]);
    else this.hist!.add(other.hist);
    const n = this.n + o.n;
    const d = o.mean - this.mean;
    this.mean += (d * o.n) / n;
    this.m2 += o.m2 + (d * d * this.n * o.n) / n;
    this.lo = Math.min(this.lo, o.lo);
    this.hi = Math.max(this.hi, o.hi);
    this.n = n;
  }

  /** LatencyStats of the values, with the extra percentiles (0..100) asked for in `extra`. */
  stats(percentiles: readonly number[] = []): LatencyStats {
    if (this.hist === null) return latencyStats(this.values ? this.values.subarray(0, this.n) : [], percentiles);
    const at = (p: number) => Math.min(this.hi, Math.max(this.lo, this.hist!.getValueAtPercentile(p) / UNITS_PER_MS));
    const extraPs = percentiles.filter((p) => !(FIXED_PERCENTILES as readonly number[]).includes(p));
    return {
      ...EMPTY_STATS,
      mean: this.mean,
      stddev: Math.sqrt(Math.max(0, this.m2 / this.n)),
      min: this.lo,
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: this.hi,
      count: this.n,
      ...(extraPs.length ? { extra: Object.fromEntries(extraPs.map((p) => [percentileKey(p), p <= 0 ? this.lo : p >= 100 ? this.hi : at(p)])) } : {}),
      exact: false,
    };
  }

  /** Bytes held (values array or histogram counts), for memory accounting. */
  get footprintBytes(): number {
    return this.hist ? this.hist.estimatedFootprintInBytes : (this.values?.byteLength ?? 0);
  }

  private grow(need: number): void {
    const size = Math.min(this.cap, Math.max(16, need, (this.values?.length ?? 0) * 2));
    const next = new Float64Array(size);
    if (this.values) next.set(this.values.subarray(0, this.n));
    this.values = next;
  }

  /** Two-pass moments of the kept values (as latencyStats computes them). */
  private momentsOfValues(): { n: number; mean: number; m2: number; lo: number; hi: number } {
    const v = this.values!;
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.n; i++) {
      sum += v[i];
      if (v[i] < lo) lo = v[i];
      if (v[i] > hi) hi = v[i];
    }
    const mean = sum / this.n;
    let m2 = 0;
    for (let i = 0; i < this.n; i++) m2 += (v[i] - mean) ** 2;
    return { n: this.n, mean, m2, lo, hi };
  }

  private toHistogram(): void {
    this.hist = loadHdr().build({ bitBucketSize: 32, numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS, autoResize: true });
    if (this.n > 0) {
      const m = this.momentsOfValues();
      this.mean = m.mean;
      this.m2 = m.m2;
      this.lo = m.lo;
      this.hi = m.hi;
      for (let i = 0; i < this.n; i++) this.record(this.values![i]);
    }
    this.values = null;
  }

  private record(v: number): void {
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
    // Latencies are never negative; a clock step could make one so: it lands in the lowest bucket.
    this.hist!.recordValue(Math.max(0, Math.round(v * UNITS_PER_MS)));
  }
}

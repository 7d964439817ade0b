// Pure, seeded bootstrap resampling for ratio confidence intervals. Randomness and percentiles
// are the project's single copies (src/workload/rng.ts, src/aggregate/stats.ts).

import { percentileSorted } from "../stats.js";
import { createRng } from "../workload/rng.js";

/** Indices of one resample with replacement of n items. */
export function resampleIndices(n: number, rand: () => number, out: Uint32Array = new Uint32Array(n)): Uint32Array {
  for (let i = 0; i < n; i++) out[i] = (rand() * n) | 0;
  return out;
}


/**
 * A statistic of one group computed on a resample: receives the resampled indices into the
 * group's units (repeats or requests) and returns the statistic.
 */
export type Statistic = (idx: Uint32Array) => number;

export interface RatioInterval {
  ratio: number;
  ci95: [number, number];
  /** Resamples whose ratio was not finite (e.g. a zero baseline), left out of the interval. */
  dropped: number;
}

/**
 * Percentile bootstrap of stat(item) / stat(baseline): each group is resampled independently
 * (they are independent samples), `resamples` times; the interval is the 2.5th..97.5th percentile.
 */
export function bootstrapRatio(
  item: { n: number; stat: Statistic },
  base: { n: number; stat: Statistic },
  opts: { resamples: number; seed: number },
): RatioInterval {
  const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
  const ratio = item.stat(all(item.n)) / base.stat(all(base.n));
  const gen = createRng(opts.seed);
  const rand = () => gen.uniform();
  const ia = new Uint32Array(item.n);
  const ib = new Uint32Array(base.n);
  const ratios: number[] = [];
  for (let b = 0; b < opts.resamples; b++) {
    const r = item.stat(resampleIndices(item.n, rand, ia)) / base.stat(resampleIndices(base.n, rand, ib));
    if (Number.isFinite(r)) ratios.push(r);
  }
  ratios.sort((x, y) => x - y);
  // No finite resample at all (e.g. a zero baseline throughout): no interval, rather than a false 0.
  const ci = (p: number) => (ratios.length ? percentileSorted(ratios, p) : NaN);
  return { ratio, ci95: [ci(2.5), ci(97.5)], dropped: opts.resamples - ratios.length };
}

// ---- statistics over per-unit values ----

export function meanOf(values: ArrayLike<number>): Statistic {
  return (idx) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += values[idx[i]];
    return s / idx.length;
  };
}

/**
 * Percentile of a resample without sorting it: the values are sorted once, and a resample's
 * order statistics are read off the counts of each drawn index (a counting pass, O(n)).
 */
export function percentileOf(values: ArrayLike<number>, p: number): Statistic {
  const n = values.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const sorted = Float64Array.from(order, (i) => values[i]);
  const rank = new Uint32Array(n);
  order.forEach((i, k) => (rank[i] = k));
  const counts = new Uint32Array(n);
  return (idx) => {
    const m = idx.length;
    if (m === 0) return NaN;
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[rank[idx[i]]]++;
    const pos = ((m - 1) * p) / 100;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    // Order statistics lo and hi (0-based) of the resample; high percentiles are found from the top.
    let vLo = NaN;
    let vHi = NaN;
    if (p <= 50) {
      let seen = 0;
      for (let r = 0; r < n && Number.isNaN(vHi); r++) {
        seen += counts[r];
        if (Number.isNaN(vLo) && seen > lo) vLo = sorted[r];
        if (seen > hi) vHi = sorted[r];
      }
    } else {
      // Walking down: `above` = how many drawn values have rank > r.
      let above = 0;
      for (let r = n - 1; r >= 0 && Number.isNaN(vLo); r--) {
        above += counts[r];
        if (Number.isNaN(vHi) && above >= m - hi) vHi = sorted[r];
        if (above >= m - lo) vLo = sorted[r];
      }
    }
    return vLo + (vHi - vLo) * (pos - lo);
  };
}

/** sum(num) / sum(den) over the resample, times a constant: ratio estimators (tokens per busy second). */
export function ratioOfSums(num: ArrayLike<number>, den: ArrayLike<number>, scale = 1): Statistic {
  return (idx) => {
    let a = 0;
    let b = 0;
    for (let i = 0; i < idx.length; i++) {
      a += num[idx[i]];
      b += den[idx[i]];
    }
    return (scale * a) / b;
  };
}

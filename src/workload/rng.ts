// Seeded PRNG so that a `--seed` reproduces prompts, lengths and arrival times exactly.
// xoshiro128** (32-bit state words, fast in JS integer math) seeded through splitmix32,
// which spreads nearby seeds (1, 2, 3, ...) into unrelated states.

import { splitmix32 } from "../splitmix32.js";

export interface Rng {
  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Integer uniform in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Normal deviate (Box-Muller). */
  normal(mean?: number, stddev?: number): number;
  /** Exponential deviate with the given rate (mean 1/rate). */
  exponential(rate?: number): number;
  /** Gamma deviate with the given shape and scale (Marsaglia-Tsang). */
  gamma(shape: number, scale?: number): number;
  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[];
}


/** FNV-1a over a label, to derive independent sub-streams from one user seed. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Seed of an independent stream for one purpose ("input-lengths", "arrivals", ...), so that
 * e.g. changing the arrival process does not change the prompts drawn for the same seed.
 */
export function deriveSeed(seed: number, label: string): number {
  return (splitmix32((seed >>> 0) ^ hashLabel(label))() ^ hashLabel(label + "#")) >>> 0;
}

export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const init = splitmix32(Math.trunc(seed) >>> 0);
  let s0 = init();
  let s1 = init();
  let s2 = init();
  let s3 = init();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s0 >>>= 0;
    s1 >>>= 0;
    s2 >>>= 0;
    return result;
  };

  const uniform = (): number => {
    // 26 + 27 bits -> a double with full 53-bit resolution.
    const hi = next32() >>> 6;
    const lo = next32() >>> 5;
    return (hi * 134217728 + lo) / 9007199254740992;
  };

  let spareNormal: number | undefined;
  const standardNormal = (): number => {
    if (spareNormal !== undefined) {
      const z = spareNormal;
      spareNormal = undefined;
      return z;
    }
    // 1 - u keeps the log argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  };

  const standardGamma = (shape: number): number => {
    if (shape < 1) {
      // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia & Tsang, 2000, section 6).
      return standardGamma(shape + 1) * Math.pow(1 - uniform(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = standardNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };

  return {
    uniform,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        throw new Error(`int(min, max) needs integers with min <= max, got ${min}, ${max}`);
      }
      return min + Math.floor(uniform() * (max - min + 1));
    },
    normal(mean = 0, stddev = 1) {
      return mean + stddev * standardNormal();
    },
    exponential(rate = 1) {
      if (!(rate > 0)) throw new Error(`exponential rate must be > 0, got ${rate}`);
      return -Math.log(1 - uniform()) / rate;
    },
    gamma(shape, scale = 1) {
      if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`gamma shape must be a positive number, got ${shape}`);
      if (!(scale > 0)) throw new Error(`gamma scale must be > 0, got ${scale}`);
      return standardGamma(shape) * scale;
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

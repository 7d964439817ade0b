// Seeded randomness for weights: fast enough to fill multi-GB tensors from JS.

import { splitmix32, splitmix32Fill } from "../../splitmix32.js";

/**
 * The weight stream of one tensor: splitmix32 words from a counter derived from (seed, stream),
 * so tensors are independent of write order. `fill` writes the next words in bulk.
 */
export function weightStream(seed: number, stream = 0): { fill(out: Uint32Array): void } {
  let state = splitmix32((seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d))();
  return {
    fill(out) {
      state = splitmix32Fill(out, state);
    },
  };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** IEEE 754 binary16 bits of a float (round to nearest even), for tables built once. */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export const NORMAL_TABLE_BITS = 16;
const TABLE_SIZE = 1 << NORMAL_TABLE_BITS;

/**
 * 65536 equiprobable quantiles of N(0, std): a table lookup per 16 random bits gives normal samples
 * (discretised at 2^-16 probability) at memory-copy speed, which matters for the 7B presets.
 */
export function normalTableF32(std: number): Float32Array {
  const t = new Float32Array(TABLE_SIZE);
  for (let i = 0; i < TABLE_SIZE; i++) t[i] = std * normalQuantile((i + 0.5) / TABLE_SIZE);
  return t;
}

export function normalTableF16(std: number): Uint16Array {
  const f = normalTableF32(std);
  const t = new Uint16Array(TABLE_SIZE);
  for (let i = 0; i < TABLE_SIZE; i++) t[i] = float32ToFloat16Bits(f[i]);
  return t;
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { latencyStats, percentileSorted } from "../../src/stats.js";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test("percentiles interpolate linearly between closest ranks (numpy default)", () => {
  const s = latencyStats([4, 1, 3, 2]);
  // rank = (n-1) * p: p50 -> 1.5, p90 -> 2.7, p95 -> 2.85, p99 -> 2.97 over [1,2,3,4]
  close(s.p50, 2.5);
  close(s.p90, 3.7);
  close(s.p95, 3.85);
  close(s.p99, 3.97);
  close(s.mean, 2.5);
  close(s.stddev, Math.sqrt(1.25)); // population stddev
  assert.equal(s.min, 1);
  assert.equal(s.max, 4);
  assert.equal(s.count, 4);
});

test("odd-length sample with uneven spacing", () => {
  const s = latencyStats([15, 3, 7, 1, 20]);
  // sorted [1,3,7,15,20]; p90 rank 3.6 -> 15 + 0.6*5; p95 rank 3.8; p99 rank 3.96
  close(s.p50, 7);
  close(s.p90, 18);
  close(s.p95, 19);
  close(s.p99, 19.8);
  close(s.mean, 9.2);
  close(s.stddev, Math.sqrt(260.8 / 5));
});

test("numeric, not lexicographic, ordering", () => {
  const s = latencyStats([10, 9, 100]);
  assert.equal(s.min, 9);
  assert.equal(s.p50, 10);
  assert.equal(s.max, 100);
});

test("empty sample gives zeros with count 0; single value is every statistic", () => {
  assert.deepEqual(latencyStats([]), { mean: 0, stddev: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, count: 0 });
  const one = latencyStats([42]);
  assert.deepEqual(one, { mean: 42, stddev: 0, min: 42, p50: 42, p90: 42, p95: 42, p99: 42, max: 42, count: 1 });
  assert.equal(percentileSorted([], 50), 0);
});

test("matches a brute-force reference on random data", () => {
  let x = 12345;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1000;
  const values = Array.from({ length: 997 }, rnd);
  const sorted = [...values].sort((a, b) => a - b);
  const ref = (p: number) => {
    const r = ((sorted.length - 1) * p) / 100;
    const lo = Math.floor(r);
    return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (r - lo);
  };
  const s = latencyStats(values);
  for (const [p, v] of [[50, s.p50], [90, s.p90], [95, s.p95], [99, s.p99]] as const) close(v, ref(p), 1e-9);
});

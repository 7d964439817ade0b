import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapRatio, meanOf, percentileOf } from "../../src/compare/bootstrap.js";
import { percentileSorted } from "../../src/stats.js";
import { createRng } from "../../src/workload/rng.js";

const rng = (seed: number) => {
  const g = createRng(seed);
  return () => g.uniform();
};
import { normal } from "./storedRuns.js";

const sample = (n: number, mean: number, sd: number, seed: number) => {
  const z = normal(rng(seed));
  return Array.from({ length: n }, () => mean + sd * z());
};
const ratioCi = (a: number[], b: number[], seed = 1, resamples = 2000, stat = meanOf) =>
  bootstrapRatio({ n: a.length, stat: stat(a) }, { n: b.length, stat: stat(b) }, { resamples, seed });

test("quantiles interpolate linearly like numpy", () => {
  assert.equal(percentileSorted([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentileSorted([10, 20, 30, 40, 50], 90), 46);
  assert.equal(percentileSorted([7], 99), 7);
  assert.equal(percentileOf([4, 1, 3, 2], 50)(Uint32Array.from([0, 1, 2, 3])), 2.5);
});

test("identical distributions: the ratio CI contains 1", () => {
  const a = sample(300, 100, 15, 11);
  const b = sample(300, 100, 15, 12);
  const r = ratioCi(a, b);
  assert.ok(r.ci95[0] < 1 && r.ci95[1] > 1, `ci ${r.ci95}`);
  assert.ok(r.ci95[1] - r.ci95[0] < 0.06, "n=300, sd 15%: interval about ±2.4%");
});

test("clearly different distributions: CI excludes 1 and covers the true ratio", () => {
  const a = sample(300, 130, 15, 21);
  const b = sample(300, 100, 15, 22);
  const r = ratioCi(a, b);
  assert.ok(r.ci95[0] > 1, `ci ${r.ci95}`);
  assert.ok(r.ci95[0] < 1.3 && r.ci95[1] > 1.3, `true ratio 1.3 inside ${r.ci95}`);
  assert.ok(Math.abs(r.ratio - 1.3) < 0.03);
});

test("p99 ratio CI over requests separates a tail difference", () => {
  const a = sample(1000, 100, 10, 31);
  const b = sample(1000, 100, 30, 32); // same mean, wider tail
  const p99 = (xs: ArrayLike<number>) => percentileOf(xs, 99);
  const r = ratioCi(b, a, 3, 1000, p99);
  assert.ok(r.ci95[0] > 1.2, `tail ratio ${r.ratio}, ci ${r.ci95}`);
  const m = ratioCi(b, a, 3, 1000);
  assert.ok(m.ci95[0] < 1 && m.ci95[1] > 1, "means are the same");
});

test("seeded: same seed, same interval; another seed, close interval", () => {
  const a = sample(50, 10, 2, 41);
  const b = sample(50, 11, 2, 42);
  assert.deepEqual(ratioCi(a, b, 5).ci95, ratioCi(a, b, 5).ci95);
  const other = ratioCi(a, b, 6).ci95;
  assert.ok(Math.abs(other[0] - ratioCi(a, b, 5).ci95[0]) < 0.02);
});

test("coverage: with equal distributions the interval contains 1 in about 95% of trials", () => {
  let covered = 0;
  const trials = 200;
  for (let t = 0; t < trials; t++) {
    const r = ratioCi(sample(60, 50, 10, 1000 + 2 * t), sample(60, 50, 10, 1001 + 2 * t), t, 400);
    if (r.ci95[0] <= 1 && r.ci95[1] >= 1) covered++;
  }
  // Percentile bootstrap runs slightly narrow at n=60; binomial noise at 200 trials is about ±3%.
  assert.ok(covered >= 0.87 * trials && covered <= 0.995 * trials, `covered ${covered}/${trials}`);
});

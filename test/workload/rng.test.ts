import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, deriveSeed } from "../../src/workload/rng.js";

function stats(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(v) };
}

const N = 40_000;
const draw = (f: () => number, n = N) => Array.from({ length: n }, f);

test("same seed gives the same sequence, other seeds a different one", () => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const sa = draw(() => a.uniform(), 100);
  assert.deepEqual(sa, draw(() => b.uniform(), 100));
  const sc = draw(() => c.uniform(), 100);
  assert.notDeepEqual(sa, sc);
  // Mixed calls stay in step too (normal() keeps a spare deviate).
  const m1 = createRng(7);
  const m2 = createRng(7);
  const mix = (r: ReturnType<typeof createRng>) => [r.normal(), r.gamma(0.5), r.exponential(3), r.int(1, 6), r.normal()];
  assert.deepEqual(mix(m1), mix(m2));
});

test("deriveSeed gives distinct, stable seeds per label", () => {
  assert.equal(deriveSeed(1, "arrivals"), deriveSeed(1, "arrivals"));
  assert.notEqual(deriveSeed(1, "arrivals"), deriveSeed(1, "prompt-text"));
  assert.notEqual(deriveSeed(1, "arrivals"), deriveSeed(2, "arrivals"));
});

// Tolerances below are about 5 standard errors of the estimate for N samples.
test("uniform is in [0,1) with mean 1/2 and sd 1/sqrt(12)", () => {
  const r = createRng(1);
  const xs = draw(() => r.uniform());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const { mean, sd } = stats(xs);
  assert.ok(Math.abs(mean - 0.5) < 0.008, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1 / Math.sqrt(12)) < 0.005, `sd ${sd}`);
});

test("int covers [min,max] inclusive and nothing else", () => {
  const r = createRng(2);
  const seen = new Map<number, number>();
  for (let i = 0; i < 6000; i++) {
    const v = r.int(3, 8);
    seen.set(v, (seen.get(v) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), [3, 4, 5, 6, 7, 8]);
  for (const c of seen.values()) assert.ok(Math.abs(c - 1000) < 160, `bucket count ${c}`);
  assert.equal(r.int(5, 5), 5);
  assert.throws(() => r.int(5, 4), /min <= max/);
});

test("normal has the asked mean and sd", () => {
  const r = createRng(3);
  const { mean, sd } = stats(draw(() => r.normal(10, 2)));
  assert.ok(Math.abs(mean - 10) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.04, `sd ${sd}`);
});

test("exponential has mean 1/rate and sd 1/rate", () => {
  const r = createRng(4);
  const { mean, sd } = stats(draw(() => r.exponential(4)));
  assert.ok(Math.abs(mean - 0.25) < 0.25 * 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sd - 0.25) < 0.25 * 0.05, `sd ${sd}`);
});

for (const shape of [0.3, 1, 2.5, 10]) {
  test(`gamma(shape ${shape}, scale 2) has mean k·θ and sd sqrt(k)·θ`, () => {
    const r = createRng(5);
    const xs = draw(() => r.gamma(shape, 2));
    assert.ok(xs.every((x) => x >= 0 && Number.isFinite(x)));
    const { mean, sd } = stats(xs);
    const cv = 1 / Math.sqrt(shape);
    const meanTol = (5 * cv) / Math.sqrt(N); // relative
    assert.ok(Math.abs(mean / (shape * 2) - 1) < meanTol, `mean ${mean} vs ${shape * 2}`);
    assert.ok(Math.abs(sd / (Math.sqrt(shape) * 2) - 1) < 0.06, `sd ${sd} vs ${Math.sqrt(shape) * 2}`);
  });
}

test("shuffle returns a permutation, reproducibly", () => {
  const base = Array.from({ length: 50 }, (_, i) => i);
  const a = createRng(9).shuffle(base.slice());
  const b = createRng(9).shuffle(base.slice());
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, base);
  assert.deepEqual(a.slice().sort((x, y) => x - y), base);
});

test("bad parameters throw", () => {
  const r = createRng(1);
  assert.throws(() => r.gamma(0), /shape/);
  assert.throws(() => r.exponential(0), /rate/);
  assert.throws(() => createRng(Number.NaN), /seed/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { arrivalOffsetsMs } from "../../src/schedule/arrivals.js";
import { createRng } from "../../src/workload/rng.js";

function gapsS(offsetsMs: number[]): number[] {
  const g: number[] = [];
  for (let i = 1; i < offsetsMs.length; i++) g.push((offsetsMs[i] - offsetsMs[i - 1]) / 1000);
  return g;
}
function meanSdCv(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd, cv: sd / mean };
}
const N = 20_000;
const SEEDS = [1, 2, 3];

test("constant: exact 1/rate spacing from 0, coefficient of variation 0", () => {
  const o = arrivalOffsetsMs({ rate: 8, arrival: "constant", count: 1000, rng: createRng(1) });
  assert.equal(o[0], 0);
  for (let i = 0; i < o.length; i++) assert.ok(Math.abs(o[i] - i * 125) < 1e-6, `offset ${i}: ${o[i]}`);
  assert.ok(meanSdCv(gapsS(o)).cv < 1e-9);
});

// Tolerances: about 4-5 standard errors of each estimate for N gaps.
for (const seed of SEEDS) {
  test(`poisson (seed ${seed}): mean rate within 3%, gap CV ≈ 1, counts per second have dispersion ≈ 1`, () => {
    const rate = 10;
    const o = arrivalOffsetsMs({ rate, arrival: "poisson", count: N, rng: createRng(seed) });
    assert.equal(o[0], 0);
    const observedRate = (N - 1) / (o[N - 1] / 1000);
    assert.ok(Math.abs(observedRate / rate - 1) < 0.03, `rate ${observedRate}`);
    const { cv } = meanSdCv(gapsS(o));
    assert.ok(Math.abs(cv - 1) < 0.05, `cv ${cv}`);
    // Index of dispersion of counts in 1 s windows: variance/mean = 1 for a Poisson process.
    const windows = Math.floor(o[N - 1] / 1000);
    const counts = new Array<number>(windows).fill(0);
    for (const t of o) {
      const w = Math.floor(t / 1000);
      if (w < windows) counts[w]++;
    }
    const c = meanSdCv(counts);
    const dispersion = (c.sd * c.sd) / c.mean;
    assert.ok(Math.abs(dispersion - 1) < 0.15, `dispersion ${dispersion}`);
  });
}

for (const shape of [0.25, 0.5, 1, 4]) {
  test(`gamma burstiness ${shape}: mean rate holds, gap CV ≈ 1/sqrt(shape)`, () => {
    const rate = 5;
    for (const seed of SEEDS) {
      const o = arrivalOffsetsMs({ rate, arrival: "gamma", burstiness: shape, count: N, rng: createRng(seed) });
      const expectedCv = 1 / Math.sqrt(shape);
      const observedRate = (N - 1) / (o[N - 1] / 1000);
      const rateTol = (5 * expectedCv) / Math.sqrt(N);
      assert.ok(Math.abs(observedRate / rate - 1) < rateTol, `seed ${seed}: rate ${observedRate} (tolerance ${rateTol})`);
      const { cv } = meanSdCv(gapsS(o));
      assert.ok(Math.abs(cv / expectedCv - 1) < 0.08, `seed ${seed}: cv ${cv} vs ${expectedCv}`);
    }
  });
}

test("rate inf sends everything at 0", () => {
  assert.deepEqual(arrivalOffsetsMs({ rate: Infinity, arrival: "poisson", count: 5, rng: createRng(1) }), [0, 0, 0, 0, 0]);
  assert.deepEqual(arrivalOffsetsMs({ rate: Infinity, arrival: "constant", count: 3, rng: createRng(1), rampUpS: 10 }), [0, 0, 0]);
});

test("same seed, same schedule; offsets never decrease", () => {
  const a = arrivalOffsetsMs({ rate: 3, arrival: "gamma", burstiness: 0.5, count: 500, rng: createRng(11) });
  const b = arrivalOffsetsMs({ rate: 3, arrival: "gamma", burstiness: 0.5, count: 500, rng: createRng(11) });
  assert.deepEqual(a, b);
  for (let i = 1; i < a.length; i++) assert.ok(a[i] >= a[i - 1]);
  assert.notDeepEqual(a, arrivalOffsetsMs({ rate: 3, arrival: "gamma", burstiness: 0.5, count: 500, rng: createRng(12) }));
});

test("ramp-up: arrivals during the ramp follow rate·t²/(2T), then the full rate", () => {
  const rate = 20;
  const rampS = 100;
  for (const arrival of ["constant", "poisson"] as const) {
    const o = arrivalOffsetsMs({ rate, arrival, count: N, rng: createRng(5), rampUpS: rampS }).map((ms) => ms / 1000);
    assert.equal(o[0], 0);
    for (let i = 1; i < o.length; i++) assert.ok(o[i] >= o[i - 1]);
    // Expected arrivals by time t during the ramp: rate·t²/(2T) (+1 for the one at 0).
    for (const t of [25, 50, 75, 100]) {
      const expected = (rate * t * t) / (2 * rampS);
      const got = o.filter((x) => x < t).length;
      assert.ok(Math.abs(got - expected) < 5 * Math.sqrt(expected) + 2, `${arrival}: ${got} arrivals before ${t}s, expected ≈ ${expected}`);
    }
    // After the ramp, the steady rate is the target.
    const after = o.filter((x) => x >= rampS);
    const steady = (after.length - 1) / (after[after.length - 1] - after[0]);
    assert.ok(Math.abs(steady / rate - 1) < 0.04, `${arrival}: steady rate ${steady}`);
  }
  // Constant arrivals: the instantaneous rate rises linearly (gap at time t ≈ T/(rate·t)).
  const c = arrivalOffsetsMs({ rate, arrival: "constant", count: 2000, rng: createRng(1), rampUpS: rampS }).map((ms) => ms / 1000);
  const i = c.findIndex((x) => x >= 50);
  const gap = c[i + 1] - c[i];
  assert.ok(Math.abs(1 / gap - rate * (c[i] / rampS)) < 0.5, `rate at ${c[i]}s: ${1 / gap}`);
});

test("bad input throws one clear line", () => {
  const rng = createRng(1);
  assert.throws(() => arrivalOffsetsMs({ rate: 0, arrival: "poisson", count: 1, rng }), /rate must be > 0/);
  assert.throws(() => arrivalOffsetsMs({ rate: Number.NaN, arrival: "poisson", count: 1, rng }), /rate must be > 0/);
  assert.throws(() => arrivalOffsetsMs({ rate: 1, arrival: "weibull" as never, count: 1, rng }), /arrival must be one of constant, poisson, gamma/);
  assert.throws(() => arrivalOffsetsMs({ rate: 1, arrival: "gamma", burstiness: 0, count: 1, rng }), /burstiness must be a number > 0/);
  assert.throws(() => arrivalOffsetsMs({ rate: 1, arrival: "poisson", burstiness: 0.5, count: 1, rng }), /gamma arrivals only/);
  assert.throws(() => arrivalOffsetsMs({ rate: 1, arrival: "poisson", count: -1, rng }), /count/);
  assert.throws(() => arrivalOffsetsMs({ rate: 1, arrival: "poisson", count: 1, rng, rampUpS: -2 }), /ramp-up/);
  assert.deepEqual(arrivalOffsetsMs({ rate: 1, arrival: "poisson", burstiness: 1, count: 0, rng }), []);
});

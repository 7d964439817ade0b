import { test } from "node:test";
import assert from "node:assert/strict";
import { Distribution, EXACT_VALUES_CAP } from "../../src/aggregate/distribution.js";
import { latencyStats } from "../../src/stats.js";
import { SpanTimeline, Timeline } from "../../src/aggregate/timeline.js";
import { splitmix32 } from "../../src/splitmix32.js";

/** Uniform in [0, 1), seeded. */
function uniform(seed: number): () => number {
  const next = splitmix32(seed);
  return () => next() / 2 ** 32;
}

/** Lognormal latencies (median e^3 ≈ 20 ms, long tail), seeded. */
function lognormal(n: number, seed: number): Float64Array {
  const rnd = uniform(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(3 + Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
  return out;
}

const PS = [50, 90, 95, 99, 99.9, 25];

test("Distribution below its cap: the very figures of latencyStats, marked exact", () => {
  const v = lognormal(10_000, 1);
  const d = new Distribution();
  for (const x of v) d.add(x);
  d.add(NaN);
  d.add(Infinity);
  assert.equal(d.exact, true);
  assert.deepEqual(d.stats(PS), latencyStats(v, PS));
  assert.deepEqual(new Distribution().stats([99.9]), latencyStats([], [99.9]));
});

test("Distribution over its cap (2M lognormal values): HdrHistogram percentiles within 0.1% + 1 µs, count/min/max exact", () => {
  const v = lognormal(2_000_000, 2);
  const d = new Distribution();
  for (const x of v) d.add(x);
  assert.equal(d.exact, false);
  const h = d.stats(PS);
  const x = latencyStats(v, PS);
  assert.equal(h.exact, false);
  assert.equal(h.count, x.count);
  assert.equal(h.min, x.min);
  assert.equal(h.max, x.max);
  assert.ok(Math.abs(h.mean - x.mean) <= 1e-9 * x.mean, `mean ${h.mean} vs ${x.mean}`);
  assert.ok(Math.abs(h.stddev - x.stddev) <= 1e-9 * x.stddev, `stddev ${h.stddev} vs ${x.stddev}`);
  for (const [k, want] of [...(["p50", "p90", "p95", "p99"] as const).map((k) => [k, x[k]] as const), ...Object.entries(x.extra!)]) {
    const got = k.startsWith("p") && k in h ? (h as unknown as Record<string, number>)[k] : h.extra![k];
    assert.ok(Math.abs(got - want) <= want * 2 ** -10 + 0.001, `${k}: histogram ${got} vs exact ${want}`);
  }
  // Bounded: the histogram's counts, not 16 MB of values.
  assert.ok(d.footprintBytes < 200_000, `footprint ${d.footprintBytes} B`);
});

test("Distribution merge: two halves merged equal one distribution over all values (exact and histogram modes)", () => {
  for (const [n, cap] of [[1000, EXACT_VALUES_CAP], [1000, 600], [5000, 600]] as const) {
    const v = lognormal(n, 3);
    const all = new Distribution(cap);
    for (const x of v) all.add(x);
    const a = new Distribution(cap);
    const b = new Distribution(cap);
    v.subarray(0, n / 2).forEach((x) => a.add(x));
    v.subarray(n / 2).forEach((x) => b.add(x));
    a.merge(b);
    assert.equal(a.exact, all.exact, `mode, n ${n} cap ${cap}`);
    const [m, s] = [a.stats(PS), all.stats(PS)];
    if (all.exact) assert.deepEqual(m, s);
    else {
      const { mean, stddev, ...rest } = m;
      const { mean: mean2, stddev: stddev2, ...rest2 } = s;
      assert.deepEqual(rest, rest2, "percentiles, count, min, max identical");
      assert.ok(Math.abs(mean - mean2) <= 1e-12 * mean2 && Math.abs(stddev - stddev2) <= 1e-9 * stddev2);
    }
  }
});

test("Timeline: exact window counts up to its cap, then 1 ms bins off only within 1 ms of an edge; merge equals one timeline", () => {
  const rnd = uniform(4);
  const events = Array.from({ length: 5000 }, () => [rnd() * 10_000, 1 + Math.floor(rnd() * 4)] as const);
  const w = { start: 2500.5, end: 7300.25 };
  const truth = events.reduce((a, [t, k]) => a + (t >= w.start && t <= w.end ? k : 0), 0);
  const exact = new Timeline();
  const binned = new Timeline(1000);
  for (const [t, k] of events) {
    exact.add(t, k);
    binned.add(t, k);
  }
  assert.equal(exact.exact, true);
  assert.equal(exact.countIn(w), truth);
  assert.equal(binned.exact, false);
  const byBin = events.reduce((a, [t, k]) => a + (Math.floor(t) >= 2500 && Math.floor(t) <= 7300 ? k : 0), 0);
  assert.equal(binned.countIn(w), byBin);
  const edge = events.reduce((a, [t, k]) => a + ((t >= 2500 && t < 2501) || (t >= 7300 && t < 7301) ? k : 0), 0);
  assert.ok(Math.abs(binned.countIn(w) - truth) <= edge);
  for (const cap of [1000, 100_000]) {
    const a = new Timeline(cap);
    const b = new Timeline(cap);
    const one = new Timeline(cap);
    events.forEach(([t, k], i) => ((i % 3 ? a : b).add(t, k), one.add(t, k)));
    a.merge(b);
    assert.equal(a.exact, one.exact);
    assert.equal(a.sum, one.sum);
    for (const win of [w, { start: 0, end: 10_000 }, { start: -5, end: 3 }]) assert.equal(a.countIn(win), one.countIn(win));
  }
});

test("SpanTimeline: share of each life in the window, exact up to its cap, then 1 ms bins off only near an edge; merge equals one", () => {
  const rnd = uniform(5);
  const spans = Array.from({ length: 3000 }, (_, i) => {
    const s = rnd() * 10_000;
    return [s, i % 50 === 0 ? s : s + rnd() * 3000] as const;
  });
  const w = { start: 2500.5, end: 7300.25 };
  const share = ([s, e]: readonly [number, number]) =>
    e === s ? (s >= w.start && s <= w.end ? 1 : 0) : Math.max(0, Math.min(e, w.end) - Math.max(s, w.start)) / (e - s);
  const truth = spans.reduce((a, sp) => a + share(sp), 0);
  const exact = new SpanTimeline();
  const binned = new SpanTimeline(100);
  for (const [s, e] of spans) (exact.add(s, e), binned.add(s, e));
  assert.equal(exact.exact, true);
  assert.ok(Math.abs(exact.shareIn(w) - truth) < 1e-9);
  assert.equal(binned.exact, false);
  // a life moves by under 1 ms at each end once binned: only lives within 1 ms of a window edge
  // change share, by at most 3 ms of their length (and all by 2^-32 of fixed-point rounding)
  const near = (x: number, s: number, e: number) => s - 1 <= x && x <= e + 1;
  const bound = spans.reduce((a, [s, e]) => a + (near(w.start, s, e) || near(w.end, s, e) ? Math.min(1, 3 / Math.max(e - s, 1e-9)) : 1e-6), 0);
  assert.ok(Math.abs(binned.shareIn(w) - truth) <= bound, `${binned.shareIn(w)} vs ${truth} (bound ${bound})`);
  // the whole run holds every life once
  assert.ok(Math.abs(binned.shareIn({ start: -10, end: 20_000 }) - spans.length) < 1e-3);
  for (const cap of [100, 100_000]) {
    const a = new SpanTimeline(cap);
    const b = new SpanTimeline(cap);
    const one = new SpanTimeline(cap);
    spans.forEach(([s, e], i) => ((i % 3 ? a : b).add(s, e), one.add(s, e)));
    b.merge(a);
    assert.equal(b.exact, one.exact);
    for (const win of [w, { start: 0, end: 13_000 }, { start: -5, end: 3 }]) assert.equal(b.shareIn(win), one.shareIn(win));
  }
});

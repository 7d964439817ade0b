import { test } from "node:test";
import assert from "node:assert/strict";
import { cdf, downsample, errorGroups, frontier, inFlight, mergeRepeats, tokensPerSecond } from "../../src/report/series.js";
import type { RequestRecord } from "../../src/measure/types.js";

function rec(p: Partial<RequestRecord>): RequestRecord {
  return {
    index: 0, target: "t", warmup: false, scheduledAt: 0, sentAt: 0, endAt: 0, ok: true, inputTokens: 1, inputTokensSource: "server",
    outputTokens: 0, outputTokensSource: "server", requestedOutputTokens: 0, lengthMismatch: false, chunks: [], itlMs: [], clientWaitMs: 0, ...p,
  };
}

test("tokensPerSecond bins chunk tokens by arrival second and fills empty seconds with 0", () => {
  const records = [rec({ chunks: [[100, 1], [900, 2], [1500, 4]] }), rec({ chunks: [[3200, 8]] })];
  assert.deepEqual(tokensPerSecond(records), [[0, 3], [1, 4], [2, 0], [3, 8]]);
  // 500 ms bins report a rate: 4 tokens in [1.5 s, 2 s) is 8 tokens/s.
  assert.deepEqual(tokensPerSecond([rec({ chunks: [[1600, 4]] })], 500), [[1.5, 8]]);
  assert.deepEqual(tokensPerSecond([]), []);
});

test("inFlight is the time-weighted mean number of open requests per bin", () => {
  const records = [rec({ sentAt: 0, endAt: 2000 }), rec({ sentAt: 500, endAt: 1000 }), rec({ sentAt: 1500, endAt: 3500 })];
  // bin 0: 1 (full) + 0.5 = 1.5; bin 1: 1 + 0.5 = 1.5; bin 2: 1; bin 3: 0.5
  assert.deepEqual(inFlight(records), [[0, 1.5], [1, 1.5], [2, 1], [3, 0.5]]);
});

test("cdf keeps every point for small samples and reduces large ones to quantiles with exact ends", () => {
  assert.deepEqual(cdf([3, 1, 2, 4]), [[1, 25], [2, 50], [3, 75], [4, 100]]);
  const big = Array.from({ length: 10_000 }, (_, i) => 10_000 - i);
  const c = cdf(big, 101);
  assert.equal(c.length, 101);
  assert.deepEqual(c[0], [1, 0.01]);
  assert.deepEqual(c[100], [10_000, 100]);
  assert.deepEqual(c[50], [5001, 50.01]);
  for (let i = 1; i < c.length; i++) assert.ok(c[i][0] >= c[i - 1][0] && c[i][1] > c[i - 1][1]);
  assert.deepEqual(cdf([NaN, Infinity]), []);
});

test("errorGroups counts failures per kind with the first message", () => {
  const g = errorGroups([
    rec({ ok: false, errorKind: "http", error: "HTTP 500: a" }),
    rec({ ok: true }),
    rec({ ok: false, errorKind: "http", error: "HTTP 503: b" }),
    rec({ ok: false, errorKind: "timeout", error: "stalled" }),
  ]);
  assert.deepEqual(g, [
    { kind: "http", count: 2, sample: "HTTP 500: a" },
    { kind: "timeout", count: 1, sample: "stalled" },
  ]);
});

test("frontier picks the best config for every latency budget, one step per frontier point", () => {
  const pts = [
    { config: "A", latencyMs: 100, throughput: 50, load: 1 },
    { config: "A", latencyMs: 200, throughput: 90, load: 2 },
    { config: "A", latencyMs: 400, throughput: 100, load: 4 },
    { config: "B", latencyMs: 150, throughput: 40, load: 1 }, // dominated by A@100
    { config: "B", latencyMs: 300, throughput: 140, load: 2 },
    { config: "B", latencyMs: 600, throughput: 150, load: 4 },
  ];
  const { pareto, segments } = frontier(pts);
  assert.deepEqual(pareto.map((p) => `${p.config}${p.load}`), ["A1", "A2", "B2", "B4"]);
  assert.deepEqual(segments, [
    { fromMs: 100, toMs: 200, config: "A", throughput: 50, load: 1, repeats: 1 },
    { fromMs: 200, toMs: 300, config: "A", throughput: 90, load: 2, repeats: 1 },
    { fromMs: 300, toMs: 600, config: "B", throughput: 140, load: 2, repeats: 1 },
    { fromMs: 600, toMs: Infinity, config: "B", throughput: 150, load: 4, repeats: 1 },
  ]);
  assert.deepEqual(frontier([]).segments, []);
});

test("frontier of one configuration's --profile sweep (issue #17): the inf point only from its own TTFT p99", () => {
  // The shape: synchronous, three rates, inf; the old code merged them into one row
  // "≥ 69.1 ms -> 163 tok/s at load inf" although inf's TTFT p99 was 2,319 ms.
  const c = "embedded";
  const pts = [
    { config: c, latencyMs: 69.1, throughput: 61.2, load: 1, loadLabel: "c=1" },
    { config: c, latencyMs: 74.8, throughput: 96.4, load: 3.5, loadLabel: "3.5 req/s" },
    { config: c, latencyMs: 92.3, throughput: 105.1, load: 4.1, loadLabel: "4.1 req/s" },
    { config: c, latencyMs: 88.0, throughput: 99.0, load: 4.6, loadLabel: "4.6 req/s" }, // a noisy rate: lower p99 than 4.1 req/s
    { config: c, latencyMs: 2319, throughput: 163, load: Infinity, loadLabel: "inf req/s" },
  ];
  const rows = frontier(pts).segments.map((s) => [s.fromMs, s.toMs, s.throughput, s.loadLabel]);
  assert.deepEqual(rows, [
    [69.1, 74.8, 61.2, "c=1"],
    [74.8, 88.0, 96.4, "3.5 req/s"],
    [88.0, 92.3, 99.0, "4.6 req/s"],
    [92.3, 2319, 105.1, "4.1 req/s"],
    [2319, Infinity, 163, "inf req/s"],
  ]);
  // The answer for a 69–92 ms budget is 61–105 tok/s, never the inf point's 163.
  const best = (budget: number) => frontier(pts).segments.find((s) => s.fromMs <= budget && budget < s.toMs)?.throughput;
  assert.equal(best(69.1), 61.2);
  assert.equal(best(80), 96.4);
  assert.equal(best(92.3), 105.1);
  assert.equal(best(2318.9), 105.1);
  assert.equal(best(2319), 163);
  assert.equal(best(69), undefined);
});

test("mergeRepeats averages runs of one configuration at one load into one point", () => {
  const merged = mergeRepeats([
    { config: "A", latencyMs: 100, throughput: 50, load: 2, loadLabel: "c=2" },
    { config: "B", latencyMs: 90, throughput: 40, load: 2, loadLabel: "c=2" },
    { config: "A", latencyMs: 120, throughput: 56, load: 2, loadLabel: "c=2" },
    { config: "A", latencyMs: 80, throughput: 47, load: 2, loadLabel: "c=2" },
    { config: "A", latencyMs: 300, throughput: 90, load: 4, loadLabel: "c=4" },
  ]);
  assert.deepEqual(merged, [
    { config: "A", latencyMs: 100, throughput: 51, load: 2, loadLabel: "c=2", repeats: 3 },
    { config: "B", latencyMs: 90, throughput: 40, load: 2, loadLabel: "c=2", repeats: 1 },
    { config: "A", latencyMs: 300, throughput: 90, load: 4, loadLabel: "c=4", repeats: 1 },
  ]);
  // Rate 2 and concurrency 2 are different loads although both sit at 2 on their axes.
  assert.equal(mergeRepeats([
    { config: "A", latencyMs: 1, throughput: 1, load: 2, loadLabel: "c=2" },
    { config: "A", latencyMs: 1, throughput: 1, load: 2, loadLabel: "2 req/s" },
  ]).length, 2);
});

test("downsample merges consecutive points into at most max buckets, keeping the mean", () => {
  const pts = Array.from({ length: 10 }, (_, i) => [i, i] as [number, number]);
  assert.equal(downsample(pts, 10), pts);
  assert.deepEqual(downsample(pts, 4), [[0, 1], [3, 4], [6, 7], [9, 9]]);
  const long = Array.from({ length: 100_000 }, (_, i) => [i, 5] as [number, number]);
  const d = downsample(long, 1500);
  assert.ok(d.length <= 1500);
  assert.ok(d.every((p) => p[1] === 5));
});

test("counter rates and common-segment dropping", async () => {
  const { counterRate, isCounterName, dropCommonSegments } = await import("../../src/report/series.js");
  assert.ok(isCounterName("vllm:generation_tokens_total") && isCounterName("x_seconds_sum") && !isCounterName("gpu_util_percent"));
  // 0 -> 10 in 0.5 s = 20/s; a reset (10 -> 2) yields no point; 2 -> 6 in 1 s = 4/s
  assert.deepEqual(counterRate([[0, 0], [0.5, 10], [1, 2], [2, 6]]), [[0.5, 20], [2, 4]]);
  assert.deepEqual(
    dropCommonSegments(["server=p1/workload=short", "server=p4/workload=short", "server=p1/workload=short"]),
    ["server=p1", "server=p4", "server=p1"],
  );
  assert.deepEqual(dropCommonSegments(["a/x", "a/x"]), ["a/x", "a/x"]);
  assert.deepEqual(dropCommonSegments(["tuning=off", "tuning=on"]), ["tuning=off", "tuning=on"]);
});

test("bins are 1 s, finer for short runs so they still show at least 20 bins", async () => {
  const { binMsFor } = await import("../../src/report/series.js");
  assert.equal(binMsFor([rec({ sentAt: 0, endAt: 120_000 })]), 1000);
  assert.equal(binMsFor([rec({ sentAt: 0, endAt: 10_000 })]), 500);
  assert.equal(binMsFor([rec({ sentAt: 100, endAt: 1600 })]), 50);
  assert.equal(binMsFor([]), 1000);
});

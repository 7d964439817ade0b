import { test } from "node:test";
import assert from "node:assert/strict";
import { cdf, downsample, errorGroups, frontier, inFlight, tokensPerSecond } from "../../src/report/series.js";
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

test("frontier picks the best config for every latency budget", () => {
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
    { fromMs: 100, toMs: 300, config: "A", throughput: 90, load: 2 },
    { fromMs: 300, toMs: Infinity, config: "B", throughput: 150, load: 4 },
  ]);
  assert.deepEqual(frontier([]).segments, []);
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

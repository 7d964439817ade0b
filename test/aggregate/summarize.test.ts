import { test } from "node:test";
import assert from "node:assert/strict";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { assessClientHealth } from "../../src/measure/clientHealth.js";
import { latencyStats } from "../../src/aggregate/stats.js";
import type { LoadSpec } from "../../src/types.js";
import { makeRecord } from "./records.js";

const client = assessClientHealth({ eventLoopLagMs: { p99: 1, max: 2 }, sendLagMs: [], cpuPercent: 5 });
const base = (records: ReturnType<typeof makeRecord>[], load: LoadSpec = { mode: "concurrency", concurrency: 2 }) => ({
  id: "run1",
  api: "openai-chat" as const,
  model: "m",
  target: "http://a",
  load,
  status: "completed" as const,
  startedAt: "2026-01-01T00:00:00.000Z",
  records,
  warmupCount: 3,
  client,
});

test("counts, errors, token sources and latency populations", () => {
  const recs = [
    makeRecord({ sentAt: 0, ttft: 100, scheduledAt: 0 }),
    makeRecord({ sentAt: 5, ttft: 200, scheduledAt: 0, lengthMismatch: true, outputTokensSource: "tokenizer" }),
    makeRecord({ sentAt: 10, ok: false, tokens: 0, endAt: 50, errorKind: "http" }),
    makeRecord({ sentAt: 10, ok: false, tokens: 2, endAt: 400, errorKind: "disconnect" }),
    makeRecord({ sentAt: 20, ok: false, tokens: 0, endAt: 30, errorKind: "http" }),
  ];
  const s = summarizeRun({ ...base(recs), goodput: { ttftMs: 150 } });
  assert.deepEqual(
    { sent: s.requests.sent, completed: s.requests.completed, failed: s.requests.failed, lm: s.requests.length_mismatch, w: s.requests.warmup },
    { sent: 5, completed: 2, failed: 3, lm: 1, w: 3 },
  );
  assert.deepEqual(s.requests.errors, { http: 2, disconnect: 1 });
  assert.deepEqual(s.requests.token_count_source.output, { server: 4, tokenizer: 1 });
  assert.deepEqual(s.requests.token_count_source.input, { workload: 5 });
  // Latencies over completed requests only
  assert.equal(s.latency_ms.ttft.count, 2);
  assert.equal(s.latency_ms.ttft.mean, (100 + 205) / 2); // second one measured from scheduledAt 0
  assert.equal(s.latency_ms.itl.count, 2 * 9);
  assert.equal(s.latency_ms.e2e.count, 2);
  // client wait over every measured request
  assert.deepEqual(s.latency_ms.client_wait, latencyStats([0, 5, 0, 0, 0]));
  // whole window 0 -> 1105
  assert.equal(s.duration_s, 1.105);
  assert.equal(s.goodput?.requests_per_s, 1 / 1.105);
  assert.equal(s.goodput?.fraction, 1 / 5);
  assert.equal(s.endpoints, undefined);
  assert.deepEqual(s.load, { mode: "concurrency", concurrency: 2 });
});

test("infinite rate survives JSON as \"inf\" and no field becomes null", () => {
  const s = summarizeRun(base([makeRecord({ sentAt: 0 })], { mode: "rate", rate: Infinity, arrival: "poisson", maxConcurrency: 4 }));
  assert.deepEqual(s.load, { mode: "rate", rate: "inf", arrival: "poisson", max_concurrency: 4 });
  const text = JSON.stringify(s);
  assert.ok(!text.includes("null"), text);
  assert.deepEqual(JSON.parse(text), s);
});

test("empty run: zeros, no NaN", () => {
  const s = summarizeRun(base([]));
  assert.equal(s.duration_s, 0);
  assert.equal(s.latency_ms.ttft.count, 0);
  assert.ok(!JSON.stringify(s).includes("null"));
});

test("per-endpoint summaries when requests went to several targets; throughputs add up", () => {
  const recs = [
    makeRecord({ sentAt: 0, target: "http://a", ttft: 100 }),
    makeRecord({ sentAt: 0, target: "http://b", ttft: 300 }),
    makeRecord({ sentAt: 100, target: "http://a", ttft: 100 }),
    makeRecord({ sentAt: 100, target: "http://b", ok: false, tokens: 0, endAt: 200 }),
  ];
  const s = summarizeRun(base(recs));
  assert.equal(s.endpoints?.length, 2);
  const [a, b] = s.endpoints!;
  assert.equal(a.target, "http://a");
  assert.deepEqual(a.requests, { completed: 2, failed: 0 });
  assert.deepEqual(b.requests, { completed: 1, failed: 1 });
  assert.equal(b.latency_ms.ttft.mean, 300);
  const sum = a.throughput.output_tokens_per_s + b.throughput.output_tokens_per_s;
  assert.ok(Math.abs(sum - s.throughput.output_tokens_per_s) < 1e-9);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { assessClientHealth, withSameReadCheck } from "../../src/measure/clientHealth.js";
import { mergeHealth } from "../../src/benchmark/merge.js";
import { latencyStats } from "../../src/stats.js";
import type { LoadSpec } from "../../src/schedule/types.js";
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
  assert.equal(s.latency_ms.ttft.mean, (100 + 200) / 2); // from the send (default origin), not from scheduledAt 0
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

test("failure, retry, stop-reason and prompt-length counts; the run verdict", async () => {
  const { inputLengthMismatch } = await import("../../src/aggregate/summarize.js");
  const { runFailure } = await import("../../src/benchmark/verdict.js");
  // Slack: more than 2 tokens AND more than 5% off.
  assert.equal(inputLengthMismatch(65, 64), false, "a BOS token");
  assert.equal(inputLengthMismatch(10, 7), true, "3 off and 43%");
  assert.equal(inputLengthMismatch(1010, 1000), false, "10 off but 1%");
  assert.equal(inputLengthMismatch(2030, 2000), false, "a chat template's 30 on 2,000 (1.5%)");
  assert.equal(inputLengthMismatch(410, 64), true, "a byte tokenizer against a BPE model");
  const withServer = (r: ReturnType<typeof makeRecord>, server: number, requested: number) => ({ ...r, inputTokens: server, inputTokensSource: "server" as const, requestedInputTokens: requested });
  const records = [
    { ...withServer(makeRecord({ sentAt: 0 }), 410, 64), finishReason: "length", retriedAfter: "UND_ERR_SOCKET: other side closed" },
    { ...withServer(makeRecord({ sentAt: 10 }), 65, 64), finishReason: "length" },
    { ...makeRecord({ sentAt: 20 }), requestedInputTokens: 64, finishReason: "stop" },
    { ...makeRecord({ sentAt: 30, ok: false, errorKind: "http" }), error: "HTTP 500: boom" },
    { ...makeRecord({ sentAt: 40, ok: false, errorKind: "http" }), error: "HTTP 500: boom" },
    { ...makeRecord({ sentAt: 50, ok: false, errorKind: "timeout" }), error: "no completion within 10 ms" },
  ];
  const s = summarizeRun(base(records));
  assert.equal(s.requests.retried, 1);
  assert.deepEqual(s.requests.finish_reasons, { length: 2, stop: 1 });
  assert.deepEqual(s.requests.commonest_error, { kind: "http", message: "HTTP 500: boom", count: 2 });
  assert.equal(s.requests.input_tokens_ratio, (410 + 65) / 128, "only requests the server counted");
  assert.equal(s.requests.input_length_mismatch, 1);
  assert.equal(runFailure(s), undefined, "half failed: a run, not a failure, without a bound");
  assert.match(runFailure(s, 0.4)!, /^run run1: 3 of 6 requests failed \(50%\), above --max-error-rate 0\.4; commonest: http \(2 of 3\): HTTP 500: boom$/);
  assert.equal(runFailure(s, 0.5), undefined, "at the bound passes");
  const allFailed = summarizeRun(base(records.slice(3)));
  assert.match(runFailure(allFailed)!, /^every request of run run1 failed \(3\); commonest: http \(2 of 3\): HTTP 500: boom$/);
  assert.equal(runFailure({ ...allFailed, status: "interrupted" }), undefined);
  assert.equal(runFailure(summarizeRun(base([]))), undefined, "nothing sent");
  const clean = summarizeRun(base([makeRecord({ sentAt: 0 })]));
  assert.equal(clean.requests.commonest_error, undefined);
  assert.equal(clean.requests.input_tokens_ratio, undefined);
  assert.deepEqual([clean.requests.retried, clean.requests.input_length_mismatch], [0, 0]);
});

test("token events read together: the share is reported, and with a busy event loop the run is marked saturated", () => {
  // Every token of a request in one read (gap 0): 9 of 10 token events share the previous one's timestamp.
  const together = [makeRecord({ sentAt: 0, gap: 0 }), makeRecord({ sentAt: 5, gap: 0 })];
  const busy = assessClientHealth({ eventLoopLagMs: { p99: 1, max: 2 }, sendLagMs: [], cpuPercent: 60, eventLoopUtilization: 0.95 });
  const s = summarizeRun({ ...base(together), client: busy });
  assert.equal(s.client.same_read_pct, 100);
  assert.equal(s.client.saturated, true);
  assert.ok(s.client.reasons.some((r) => r.includes("read together") && r.includes("95% busy")), s.client.reasons.join("; "));
  // An idle loop: the events were written together (server or proxy batching), reported without a verdict.
  const idle = assessClientHealth({ eventLoopLagMs: { p99: 1, max: 2 }, sendLagMs: [], cpuPercent: 5, eventLoopUtilization: 0.1 });
  const quiet = summarizeRun({ ...base(together), client: idle });
  assert.equal(quiet.client.same_read_pct, 100);
  assert.equal(quiet.client.saturated, false);
  // Tokens 100 ms apart: none read together, and a busy loop alone does not trip this check.
  const apart = summarizeRun({ ...base([makeRecord({ sentAt: 0 }), makeRecord({ sentAt: 5 })]), client: busy });
  assert.equal(apart.client.same_read_pct, 0);
  assert.equal(apart.client.saturated, false);
  // A first chunk carrying several tokens is one event: nothing after it to compare.
  const one = makeRecord({ sentAt: 0, tokens: 1 });
  const single = summarizeRun({ ...base([{ ...one, chunks: [[100, 5]] }]), client: busy });
  assert.equal(single.client.same_read_pct, undefined);
});

test("merged self-checks drop the parts' same-read verdicts (made again over the union) and keep every other reason", () => {
  const busy = assessClientHealth({ eventLoopLagMs: { p99: 1, max: 2 }, sendLagMs: [], cpuPercent: 60, eventLoopUtilization: 0.95 });
  const behind = withSameReadCheck(busy, 80);
  assert.equal(behind.saturated, true);
  const lagging = assessClientHealth({ eventLoopLagMs: { p99: 50, max: 90 }, sendLagMs: [], cpuPercent: 60, eventLoopUtilization: 0.5 });
  const onlySameRead = mergeHealth([[0, behind], [1, client]]);
  assert.equal(onlySameRead.saturated, false, onlySameRead.reasons.join("; "));
  assert.deepEqual(onlySameRead.reasons, []);
  assert.equal(onlySameRead.event_loop_utilization, 0.95, "the busiest loop's utilization");
  const both = mergeHealth([[0, behind], [1, lagging]]);
  assert.equal(both.saturated, true);
  assert.deepEqual(both.reasons, ["shard 1: event-loop lag p99 50.0 ms > 20 ms"]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { RunAccumulator, ERROR_MESSAGES_CAP } from "../../src/aggregate/accumulator.js";
import { summarizeRun, type SummarizeInput } from "../../src/aggregate/summarize.js";
import type { RequestRecord } from "../../src/measure/types.js";
import { makeRecord } from "./records.js";

const client = { saturated: false, reasons: [], event_loop_lag_ms: { p99: 0, max: 0 }, send_lag_ms: { p99: 0, max: 0 }, cpu_percent: 0 };
const input = (records: RequestRecord[]): SummarizeInput => ({
  id: "r",
  api: "openai-completions",
  model: "m",
  target: "a,b",
  load: { mode: "concurrency", concurrency: 4 },
  status: "completed",
  startedAt: "2026-01-01T00:00:00.000Z",
  records,
  warmupCount: 0,
  client,
  percentiles: [99.9],
  goodput: { ttftMs: 150 },
});

/** Records of every kind the summary distinguishes: two endpoints, failures, sessions, reasoning, tool calls. */
function varied(n: number): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const r = makeRecord({ sentAt: i * 7, ttft: 50 + (i % 13) * 10, gap: 5 + (i % 5), tokens: 1 + (i % 9), ok: i % 11 !== 3, target: i % 2 ? "http://a" : "http://b" }, i);
    if (!r.ok) r.error = i % 2 ? "boom" : "bang";
    if (i % 4 === 0) Object.assign(r, { session: Math.floor(i / 8), turn: (i / 4) % 2 });
    if (i % 6 === 0 && r.ok) Object.assign(r, { reasoningTokens: 1, ttfoMs: r.ttftMs! + 3 });
    if (i % 10 === 0 && r.ok) Object.assign(r, { toolCallTokens: 2, toolCallTtftMs: r.ttftMs! + 1 });
    if (i % 5 === 0) Object.assign(r, { finishReason: "length", inputTokensSource: "server", requestedInputTokens: 9, retriedAfter: i % 15 ? undefined : "reset" });
    return r;
  });
}

test("RunAccumulator: shards folded apart and merged give summarizeRun's summary of all records", () => {
  const records = varied(300);
  const whole = summarizeRun(input(records));
  assert.ok(whole.endpoints && whole.sessions && whole.reasoning && whole.tool_calls && whole.goodput && whole.requests.commonest_error);
  const shards = [new RunAccumulator({ goodput: { ttftMs: 150 } }), new RunAccumulator({ goodput: { ttftMs: 150 } }), new RunAccumulator({ goodput: { ttftMs: 150 } })];
  // Round-robin, as shards of an open loop split arrivals.
  records.forEach((r, i) => shards[i % 3].add(r));
  shards[0].merge(shards[1]);
  shards[0].merge(shards[2]);
  assert.deepEqual(shards[0].summary(input(records)), whole);
  assert.deepEqual(shards[0].counts, { sent: 300, completed: whole.requests.completed, failed: whole.requests.failed, good: Math.round(whole.goodput.fraction * 300) });
});

test("RunAccumulator: accumulators of different goodput bounds do not merge", () => {
  assert.throws(() => new RunAccumulator({ goodput: { ttftMs: 1 } }).merge(new RunAccumulator()), /goodput/);
});

test("RunAccumulator: distinct error messages are tallied up to a cap (a message per request id cannot grow memory)", () => {
  const acc = new RunAccumulator();
  for (let i = 0; i < ERROR_MESSAGES_CAP + 500; i++) acc.add({ ...makeRecord({ sentAt: i, ok: false }, i), error: `request ${i} failed` });
  for (let i = 0; i < 3; i++) acc.add({ ...makeRecord({ sentAt: i, ok: false }, i), error: "request 7 failed" });
  const s = acc.summary(input([]));
  assert.equal(s.requests.failed, ERROR_MESSAGES_CAP + 503);
  assert.deepEqual(s.requests.commonest_error, { kind: "disconnect", message: "request 7 failed", count: 4 });
});

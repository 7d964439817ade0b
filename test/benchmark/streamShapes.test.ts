// The stream shapes of test/support/streamShapes.ts (real servers' and peers' bug reports),
// replayed over real HTTP by the scripted server and measured by the real client end to end.
// Counts must be exact. Times are compared with when the server really wrote each frame (same
// process, same monotonic clock), so a loaded machine's late timers do not matter; each fault's
// old wrong value (in the test names) is far outside the bounds. A bound on one request's span
// (first -> last token, ...) is the client's read lag at both ends: 50 ms (the CLIENT_LAG below),
// what a loaded 2-core machine's stalls need (was 10-15 ms); medians of gaps keep 5 ms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runBenchmark } from "../../src/benchmark/run.js";
import type { RequestRecord } from "../../src/measure/types.js";
import type { ApiKind } from "../../src/protocols/types.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { contradictoryTotals, llamaCppOpenAiCompletions, noCounts, reasoningChat, toolCallChat, trailingUsage, type TimedFrame } from "../support/streamShapes.js";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const near = (actual: number | undefined, expected: number, absMs: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= absMs, `${what}: ${actual?.toFixed(2)} not within ${absMs} of ${expected.toFixed(2)}`);
/** Gaps between consecutive written frames with the given indices. */
const gaps = (writes: number[], idx: number[]) => idx.slice(1).map((f, i) => writes[f] - writes[idx[i]]);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
/** One request's read lag (either end of a span), ms: stalls of a loaded 2-core machine included. */
const CLIENT_LAG = 50;

/** Three measured requests at concurrency 1 after one warm-up; records paired with the server's write times. */
async function replay(api: ApiKind, frames: readonly TimedFrame[], outputTokens: number) {
  const srv = await startScriptedServer({ script: { ttftMs: 0, itlMs: 0, frames } });
  try {
    const r = await runBenchmark({
      targets: [srv.url],
      api,
      requests: 3,
      warmup: 1,
      db: null,
      seed: 1,
      loads: [{ mode: "concurrency", concurrency: 1 }],
      workload: { kind: "synthetic", input: { kind: "fixed", value: 16 }, output: { kind: "fixed", value: outputTokens } },
    });
    const s = r.summaries[0];
    assert.equal(s.requests.failed, 0, JSON.stringify(s.requests.errors));
    const records = r.records[0] as RequestRecord[];
    // Closed loop at concurrency 1: the measured requests are the server's last ones, in order
    // (after the test request and the warm-up).
    const measured = srv.frameWritesMs.slice(-records.length);
    return { summary: s, runs: records.map((rec, i) => ({ rec, writes: measured[i] })) };
  } finally {
    await srv.close();
  }
}

test("llama.cpp /v1/completions over HTTP: 12 tokens, each at its own time, the 200 ms stall kept (was ITL p50 50, max 50)", async () => {
  const { runs, summary } = await replay("openai-completions", llamaCppOpenAiCompletions(), 12);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 12);
    assert.equal(rec.chunks.length, 12);
    const truth = gaps(writes, range(0, 12));
    near(median(rec.itlMs), median(truth), 5, "ITL p50 vs written gaps");
    near(Math.max(...rec.itlMs), Math.max(...truth), CLIENT_LAG, "ITL max vs the written stall"); // was 50 vs ~200
    assert.ok(Math.max(...truth) >= 100, "the server did stall");
  }
  assert.equal(summary.requests.token_count_anomalies, 0);
});

test("tool calls over HTTP: completed, 10 tokens, TTFT at the first tool-call chunk (was: every request failed)", async () => {
  const { runs, summary } = await replay("openai-chat", toolCallChat(), 10);
  assert.equal(summary.tool_calls?.requests, 3);
  assert.equal(summary.tool_calls?.tokens, 30);
  assert.equal(summary.reasoning, undefined);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 10);
    assert.equal(rec.toolCallTokens, 10);
    assert.equal(rec.toolCallTtftMs, rec.ttftMs, "the first token is the first tool-call token");
    // Frame 0 is the role chunk, frames 1..10 the tool call: TTFT is at frame 1.
    assert.ok(rec.ttftMs! >= writes[1] - 1, `TTFT ${rec.ttftMs} before the first tool-call frame (${writes[1]})`);
    near(rec.lastTokenAt! - rec.firstTokenAt!, writes[10] - writes[1], CLIENT_LAG, "first to last tool-call token");
    near(median(rec.itlMs), median(gaps(writes, range(1, 11))), 5, "ITL p50 vs written gaps");
  }
});

test("tool calls after text over HTTP: every ITL is a written gap (was p50 5.5 ms, call tokens smeared over the text)", async () => {
  const { runs } = await replay("openai-chat", toolCallChat(4), 14);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 14);
    assert.equal(rec.toolCallTokens, 10);
    near(rec.toolCallTtftMs! - rec.ttftMs!, writes[5] - writes[1], CLIENT_LAG, "first tool-call token after the 4 text chunks"); // ~80 ms
    assert.equal(rec.chunks.length, 14);
    near(median(rec.itlMs), median(gaps(writes, range(1, 15))), 5, "ITL p50 vs written gaps");
    near(rec.lastTokenAt! - rec.firstTokenAt!, writes[14] - writes[1], CLIENT_LAG, "first to last token");
  }
});

test("no server counts over HTTP: 42 tokens, TPOT = written span / 41 (was 3 tokens, TPOT 441 ms)", async () => {
  const { runs } = await replay("openai-completions", noCounts(), 42);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 42);
    assert.equal(rec.outputTokensSource, "tokenizer");
    near(rec.tpotMs, (writes[41] - writes[0]) / 41, CLIENT_LAG / 41, "TPOT"); // ~20 ms, was 441
  }
});

test("trailing usage chunk over HTTP: E2E and TPOT end at the last token (was E2E +150 ms, TPOT 34 ms)", async () => {
  const { runs } = await replay("openai-completions", trailingUsage(), 15);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 15);
    near(rec.tpotMs, (writes[14] - writes[0]) / 14, CLIENT_LAG / 14, "TPOT"); // ~20 ms, was 34
    near(rec.e2eMs! - rec.ttftMs!, writes[14] - writes[0], CLIENT_LAG, "E2E - TTFT"); // ~280 ms, was +150
    near(rec.endAt - rec.lastTokenAt!, writes[16] - writes[14], CLIENT_LAG, "stream end kept apart from the last token"); // ~150 ms, was 0
  }
});

test("reasoning model over HTTP: reasoning and answer tokens apart, time to first answer token at the first content chunk", async () => {
  const { runs, summary } = await replay("openai-chat", reasoningChat(), 10);
  assert.deepEqual({ ...summary.reasoning, ttfo_ms: undefined }, { requests: 3, reasoning_tokens: 18, answer_tokens: 12, ttfo_ms: undefined });
  assert.equal(summary.reasoning?.ttfo_ms.count, 3);
  for (const { rec, writes } of runs) {
    assert.equal(rec.outputTokens, 10);
    assert.equal(rec.reasoningTokens, 6);
    // Frames: 0 role, 1..6 reasoning, 7..10 answer.
    assert.ok(rec.ttftMs! >= writes[1] - 1, "TTFT at the first reasoning token, not the role chunk");
    near(rec.ttfoMs! - rec.ttftMs!, writes[7] - writes[1], CLIENT_LAG, "first answer token after the first reasoning token"); // ~120 ms
  }
});

test("contradictory running totals over HTTP: counted per request in the summary, no pile-up", async () => {
  const { runs, summary } = await replay("openai-completions", contradictoryTotals("flat"), 8);
  assert.equal(summary.requests.token_count_anomalies, 3);
  for (const { rec } of runs) {
    assert.match(rec.tokenCountAnomaly ?? "", /stayed at 2 while text arrived/);
    assert.equal(rec.chunks.length, 8);
    assert.ok(rec.chunks.every(([, k]) => k === 1));
  }
});

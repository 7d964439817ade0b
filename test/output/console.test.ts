import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { renderRunTable } from "../../src/output/consoleTable.js";
import { createProgress, progressLine } from "../../src/output/progress.js";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { assessClientHealth } from "../../src/measure/clientHealth.js";
import type { ProgressUpdate } from "../../src/benchmark/options.js";
import { makeRecord } from "../aggregate/records.js";

const summarize = (eventLoopP99: number) =>
  summarizeRun({
    id: "run-xyz",
    api: "openai-chat",
    model: "tiny",
    target: "http://127.0.0.1:8000",
    load: { mode: "concurrency", concurrency: 4 },
    status: "completed",
    startedAt: "2026-01-01T00:00:00.000Z",
    records: [
      { ...makeRecord({ sentAt: 0, ttft: 120 }), finishReason: "length", retriedAfter: "UND_ERR_SOCKET: other side closed" },
      { ...makeRecord({ sentAt: 500, ttft: 80 }), finishReason: "length" },
      makeRecord({ sentAt: 600, ok: false, tokens: 0, endAt: 700, errorKind: "timeout" }),
    ],
    warmupCount: 1,
    goodput: { ttftMs: 100 },
    client: assessClientHealth({ eventLoopLagMs: { p99: eventLoopP99, max: eventLoopP99 }, sendLagMs: [], cpuPercent: 3 }),
  });

test("final table shows counts, throughput, goodput and latency percentiles", () => {
  const s = summarize(1);
  const out = renderRunTable(s);
  assert.ok(out.includes("run-xyz") && out.includes("concurrency 4"));
  assert.ok(out.includes("2 completed, 1 failed (timeout 1), 0 length mismatch, 1 retried on a fresh connection"));
  assert.match(out, /Stop reasons +│ length 2 /);
  assert.ok(out.includes(`${s.throughput.output_tokens_per_s.toFixed(2)} output`));
  assert.ok(out.includes("Goodput"));
  assert.ok(out.includes("33.3% of requests; TTFT <= 100 ms"));
  const ttftRow = out.split("\n").find((l) => /^│ TTFT /.test(l))!;
  const cells = ttftRow.split("│").map((c) => c.trim()).filter(Boolean);
  assert.deepEqual(cells, ["TTFT", "100.00", "100.00", (80 + 0.9 * 40).toFixed(2), (80 + 0.99 * 40).toFixed(2), "2"]);
  assert.ok(!out.includes("warning"));
  assert.ok(!/\x1b\[/.test(out), "no colour codes");
  assert.ok(!out.includes("Prompt cache"), "no cache rows when the server reported no cached tokens");
  assert.ok(out.includes("(latencies from the send)"), out.split("\n")[0]);
  // A server that reported cached tokens: the shares as percents, so TTFT's meaning shows at a glance.
  const cached = renderRunTable({ ...s, requests: { ...s.requests, prompt_cache_hit_share: 0.9375, prompt_cache_intended_share: 0.015625 } });
  assert.match(cached, /Prompt cache hit share +│ 93\.8% /);
  assert.match(cached, /Prompt cache intended share +│ 1\.6% /);
  assert.ok(renderRunTable({ ...s, latency_origin: "scheduled" }).split("\n")[0].endsWith("(latencies from the scheduled arrival)"));
});

test("final table ends with the warning line when the client was saturated", () => {
  const out = renderRunTable(summarize(35));
  const last = out.split("\n").at(-1)!;
  assert.match(last, /^warning: the client could not keep up \(event-loop lag p99 35\.0 ms > 20 ms\)/);
});

const update = (over: Partial<ProgressUpdate>): ProgressUpdate => ({
  runIndex: 0,
  runCount: 2,
  load: { mode: "concurrency", concurrency: 4 },
  done: 0,
  failed: 0,
  total: 10,
  inFlight: 4,
  outputTokensPerS: 0,
  elapsedS: 0,
  ...over,
});

test("plain progress (not a TTY): first update, then at most one line per interval, last state on stop", () => {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (d) => (text += d));
  let t = 0;
  const p = createProgress({ stream, plainIntervalMs: 5000, now: () => t });
  p.update(update({ done: 1, outputTokensPerS: 12.34, elapsedS: 0.5 }));
  t = 1000;
  p.update(update({ done: 2 }));
  t = 6000;
  p.update(update({ done: 5, failed: 1, inFlight: 3, outputTokensPerS: 99.95, elapsedS: 6 }));
  t = 6500;
  p.update(update({ done: 6 }));
  p.clear();
  p.stop();
  const lines = text.trimEnd().split("\n");
  assert.deepEqual(lines, [
    "run 1/2 1/10 done, 0 failed, 4 in flight, 12.3 output tok/s, 0.5 s",
    "run 1/2 5/10 done, 1 failed, 3 in flight, 100.0 output tok/s, 6.0 s",
    "run 1/2 6/10 done, 0 failed, 4 in flight, 0.0 output tok/s, 0.0 s",
  ]);
  assert.equal(progressLine(update({ runCount: 1, total: null, done: 3 })), "3 done, 0 failed, 4 in flight, 0.0 output tok/s, 0.0 s");
});

test("TTY progress draws a live bar with done/total, in flight and tokens/s", async () => {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  let text = "";
  stream.on("data", (d) => (text += d));
  const p = createProgress({ stream });
  p.update(update({ done: 3, inFlight: 2, outputTokensPerS: 41.5, elapsedS: 2 }));
  p.update(update({ runIndex: 1, done: 0, total: null, inFlight: 4 }));
  p.stop();
  await new Promise((r) => setImmediate(r));
  assert.ok(text.includes("3/10"), text);
  assert.ok(text.includes("2 in flight") && text.includes("41.5 tok/s"), text);
  assert.ok(text.includes("run 2/2 0 done"), text);
});

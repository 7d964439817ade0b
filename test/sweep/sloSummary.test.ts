import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSlo, checkSloSummary, type Slo } from "../../src/sweep/slo.js";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { makeRecord } from "../aggregate/records.js";
import type { GoodputSpec } from "../../src/aggregate/types.js";

const client = { saturated: false, reasons: [], event_loop_lag_ms: { p99: 0, max: 0 }, send_lag_ms: { p99: 0, max: 0 }, cpu_percent: 0 };
const records = Array.from({ length: 97 }, (_, i) => makeRecord({ sentAt: i, ttft: 100 + (i % 10) * 50, ok: i % 19 !== 0 }, i));
const summary = (goodput?: GoodputSpec) =>
  summarizeRun({ id: "r", api: "openai-completions", model: "m", target: "t", load: { mode: "concurrency", concurrency: 2 }, status: "completed", startedAt: "", records, warmupCount: 0, client, goodput });

test("checkSloSummary (what a sweep reads, no records kept) gives checkSlo's verdict on the records", () => {
  for (const slo of [
    { bounds: { ttftMs: 300 }, fraction: 0.5, maxErrorRate: 0.1 },
    { bounds: { ttftMs: 300 }, fraction: 0.9, maxErrorRate: 0.1 },
    { bounds: {}, fraction: 0.95, maxErrorRate: 0.01 },
  ] satisfies Slo[]) {
    assert.deepEqual(checkSloSummary(summary(slo.bounds), slo), checkSlo(records, slo));
  }
  assert.throws(() => checkSloSummary(summary({ ttftMs: 200 }), { bounds: { ttftMs: 300 }, fraction: 0.5, maxErrorRate: 0.1 }), /not measured with the SLO's bounds/);
});

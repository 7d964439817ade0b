import { test } from "node:test";
import assert from "node:assert/strict";
import { computeThroughput, MIN_STEADY_FRACTION } from "../../src/aggregate/throughput.js";
import { makeRecord } from "./records.js";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

// Sends every 500 ms from 0 to 2000; each request: 10 tokens at send+100 .. send+1000, ends at send+1000.
const staggered = () => [0, 500, 1000, 1500, 2000].map((sentAt, i) => makeRecord({ sentAt }, i));

test("whole window: first send -> last completion, completed requests only", () => {
  const { throughput: t, whole } = computeThroughput(staggered());
  assert.deepEqual(whole, { start: 0, end: 3000 });
  close(t.requests_per_s, 5 / 3);
  close(t.output_tokens_per_s, 50 / 3);
  close(t.input_tokens_per_s, 50 / 3);
  close(t.total_tokens_per_s, 100 / 3);
});

test("steady window: first completion -> last send, tokens counted by chunk time", () => {
  const { throughput: t } = computeThroughput(staggered());
  assert.deepEqual(t.steady_window_s, [1, 2]);
  assert.equal(t.steady_window_fallback, undefined);
  // tokens in [1000, 2000]: 1 (sent 0) + 6 (sent 500) + 10 (sent 1000) + 5 (sent 1500) + 0
  close(t.steady_output_tokens_per_s, 22);
  // completions at 1000, 1500, 2000
  close(t.steady_requests_per_s, 3);
});

test("ramp-up end moves the steady window's start", () => {
  const { throughput: t } = computeThroughput(staggered(), { rampUpS: 1.5 });
  assert.deepEqual(t.steady_window_s, [1.5, 2]);
  // tokens in [1500, 2000]: 1 (sent 500) + 6 (sent 1000) + 5 (sent 1500)
  close(t.steady_output_tokens_per_s, 12 / 0.5);
  close(t.steady_requests_per_s, 2 / 0.5);
});

test("explicit lastSendAt ends the steady window", () => {
  const { throughput: t } = computeThroughput(staggered(), { lastSendAt: 1500 });
  assert.deepEqual(t.steady_window_s, [1, 1.5]);
});

test("too short a steady window falls back to the whole window, with the reason", () => {
  // start 1950, end 2000: 50 ms < 10% of 3000 ms
  const { throughput: t } = computeThroughput(staggered(), { rampUpS: 1.95 });
  assert.ok(50 < MIN_STEADY_FRACTION * 3000);
  assert.deepEqual(t.steady_window_s, [0, 3]);
  assert.match(t.steady_window_fallback ?? "", /shorter than 10%/);
  close(t.steady_output_tokens_per_s, t.output_tokens_per_s);
  close(t.steady_requests_per_s, t.requests_per_s);
});

test("everything sent at once (no send after the first completion) falls back", () => {
  const recs = [0, 0, 0].map((sentAt, i) => makeRecord({ sentAt }, i));
  const { throughput: t } = computeThroughput(recs);
  assert.ok(t.steady_window_fallback);
  close(t.steady_output_tokens_per_s, 30);
});

test("failed requests: excluded from whole-window figures, their tokens count in the steady window", () => {
  const recs = [...staggered(), makeRecord({ sentAt: 1000, ok: false, tokens: 4, endAt: 1800 }, 9)];
  const { throughput: t } = computeThroughput(recs);
  close(t.requests_per_s, 5 / 3);
  close(t.output_tokens_per_s, 50 / 3);
  close(t.steady_output_tokens_per_s, 22 + 4);
});

test("no records: zeros and a fallback reason, never NaN", () => {
  const { throughput: t, whole } = computeThroughput([]);
  assert.equal(whole, null);
  for (const v of Object.values(t)) if (typeof v === "number") assert.ok(Number.isFinite(v));
  assert.equal(t.requests_per_s, 0);
  assert.ok(t.steady_window_fallback);
});

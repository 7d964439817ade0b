import { test } from "node:test";
import assert from "node:assert/strict";
import { computeThroughput, MIN_STEADY_FRACTION, ThroughputFold } from "../../src/aggregate/throughput.js";
import type { RequestRecord } from "../../src/measure/types.js";
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
  // each request counts by the share of its life [sentAt, sentAt + 1000] inside [1000, 2000]:
  // 0 (sent 0) + 0.5 (sent 500) + 1 (sent 1000) + 0.5 (sent 1500) + 0 (sent 2000) = 2 in 1 s,
  // the true rate (one request every 500 ms); counting endAt in the window said 3
  close(t.steady_requests_per_s, 2);
});

test("ramp-up end moves the steady window's start", () => {
  const { throughput: t } = computeThroughput(staggered(), { rampUpS: 1.5 });
  assert.deepEqual(t.steady_window_s, [1.5, 2]);
  // tokens in [1500, 2000]: 1 (sent 500) + 6 (sent 1000) + 5 (sent 1500)
  close(t.steady_output_tokens_per_s, 12 / 0.5);
  // shares in [1500, 2000]: 0.5 (sent 1000) + 0.5 (sent 1500) = 1 in 0.5 s
  close(t.steady_requests_per_s, 1 / 0.5);
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

// Closed loop, 4 streams, equal requests of 32 tokens: each batch of 4 is sent 1 ms after the
// previous batch ended, so the steady window [first completion, last send] starts right at a
// batch's completions and ends right after another's.
const TOKENS = 32;
const batches = (n: number): RequestRecord[] => {
  const life = 2330;
  const gap = (life - 100) / (TOKENS - 1);
  const recs: RequestRecord[] = [];
  for (let k = 0; k < n; k++) {
    const sentAt = 300 + k * (life + 1);
    for (let j = 0; j < 4; j++) recs.push(makeRecord({ sentAt: sentAt + j * 0.1, tokens: TOKENS, ttft: 100, gap }, recs.length));
  }
  return recs;
};

test("batches ending at both window edges: steady req/s = steady output tok/s / tokens per request", () => {
  const { throughput: t } = computeThroughput(batches(5));
  assert.equal(t.steady_window_fallback, undefined);
  const perToken = t.steady_output_tokens_per_s / TOKENS;
  // counting endAt inside the window counted 4 batches (16 requests) in 3 batches' time: +33%
  assert.ok(Math.abs(t.steady_requests_per_s / perToken - 1) < 0.02, `${t.steady_requests_per_s} vs ${perToken}`);
  const [a, b] = t.steady_window_s;
  close(t.steady_requests_per_s, 12 / (b - a), 0.01);
});

test("binned request spans (past the cap) agree with exact ones; merging halves equals one fold", () => {
  const recs = batches(40);
  const exact = computeThroughput(recs).throughput;
  const binnedFold = new ThroughputFold({ events: 10 });
  for (const r of recs) binnedFold.add(r);
  assert.equal(binnedFold.exact, false);
  const binned = binnedFold.result().throughput;
  assert.deepEqual(binned.steady_window_s, exact.steady_window_s);
  // each request's life moves by under 1 ms at either end: 4 requests at each edge, 2330 ms long
  const [a, b] = exact.steady_window_s;
  close(binned.steady_requests_per_s, exact.steady_requests_per_s, (8 * 2) / 2330 / (b - a));
  for (const events of [10, 1 << 20]) {
    const one = new ThroughputFold({ events });
    const x = new ThroughputFold({ events });
    const y = new ThroughputFold({ events });
    recs.forEach((r, i) => (one.add(r), (i % 3 ? x : y).add(r)));
    y.merge(x);
    assert.deepEqual(y.result().throughput, one.result().throughput);
  }
});

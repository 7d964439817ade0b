import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateFailIf, parseFailIf } from "../../src/compare/failIf.js";
import type { Comparison } from "../../src/compare/types.js";

test("parses relative and absolute conditions", () => {
  assert.deepEqual(parseFailIf("output_tokens_per_s<-5%"), [{ source: "output_tokens_per_s<-5%", metric: "output_tokens_per_s", op: "<", limit: -0.05, relative: true }]);
  const two = parseFailIf("ttft_p99_ms >= +10% , e2e_p50_ms>2500");
  assert.deepEqual(two.map((c) => [c.metric, c.op, c.limit, c.relative]), [["ttft_p99_ms", ">=", 0.1, true], ["e2e_p50_ms", ">", 2500, false]]);
});

test("rejects malformed conditions with one line naming the input", () => {
  for (const bad of ["output_tokens_per_s", "x<<5", "tps < five%", "<5%", "x=5"]) {
    assert.throws(() => parseFailIf(bad), (e: Error) => e.message.includes(`"${bad.trim()}"`) && !e.message.includes("\n"), bad);
  }
});

const cmp: Comparison = {
  baseline: "a",
  items: [{ id: "a", label: "A" }, { id: "b", label: "B" }],
  metrics: [
    { metric: "output_tokens_per_s", higherIsBetter: true, unit: "tok/s", values: [
      { id: "a", value: 100, ratio: 1, ci95: [1, 1], significant: false },
      { id: "b", value: 93, ratio: 0.93, ci95: [0.9, 0.96], significant: true },
    ] },
    { metric: "ttft_p99_ms", higherIsBetter: false, unit: "ms", values: [
      { id: "a", value: 200, ratio: 1, ci95: [1, 1], significant: false },
      { id: "b", value: 230, ratio: 1.15, ci95: [0.95, 1.4], significant: false },
    ] },
  ],
};

test("evaluates against the baseline; significant-only ignores noise", () => {
  const hits = evaluateFailIf(cmp, parseFailIf("output_tokens_per_s<-5%,ttft_p99_ms>+10%"));
  assert.deepEqual(hits.map((h) => h.itemId + ":" + h.condition.metric), ["b:output_tokens_per_s", "b:ttft_p99_ms"]);
  assert.match(hits[0].message, /output_tokens_per_s of B is -7\.0% vs A \(limit output_tokens_per_s<-5%, significant\)/);
  assert.equal(evaluateFailIf(cmp, parseFailIf("output_tokens_per_s<-10%")).length, 0);
  assert.deepEqual(evaluateFailIf(cmp, parseFailIf("output_tokens_per_s<-5%,ttft_p99_ms>+10%"), { significantOnly: true }).map((h) => h.condition.metric), ["output_tokens_per_s"]);
  // Absolute limits also apply to the baseline.
  assert.deepEqual(evaluateFailIf(cmp, parseFailIf("ttft_p99_ms>150")).map((h) => h.itemId), ["a", "b"]);
  assert.throws(() => evaluateFailIf(cmp, parseFailIf("nope<1")), /metric nope is not in this comparison/);
});

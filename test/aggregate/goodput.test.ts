import { test } from "node:test";
import assert from "node:assert/strict";
import { computeGoodput, meetsBounds } from "../../src/aggregate/goodput.js";
import { makeRecord } from "./records.js";

test("a request must meet every bound; failures never count", () => {
  // ttft 100, tpot 100 (gap 100), e2e 1000
  const r = makeRecord({ sentAt: 0 });
  assert.equal(r.ttftMs, 100);
  assert.equal(r.tpotMs, 100);
  assert.equal(r.e2eMs, 1000);
  assert.ok(meetsBounds(r, { ttftMs: 100, tpotMs: 100, e2eMs: 1000 }));
  assert.ok(!meetsBounds(r, { ttftMs: 99 }));
  assert.ok(!meetsBounds(r, { ttftMs: 1000, tpotMs: 99.9 }));
  assert.ok(!meetsBounds(r, { e2eMs: 999 }));
  assert.ok(!meetsBounds({ ...r, ok: false }, { e2eMs: 1e9 }));
  // one output token: TPOT undefined cannot violate a TPOT bound (as vLLM)
  const single = makeRecord({ sentAt: 0, tokens: 1 });
  assert.equal(single.tpotMs, undefined);
  assert.ok(meetsBounds(single, { tpotMs: 1 }));
});

test("goodput = good requests / duration, fraction of all measured requests", () => {
  const recs = [
    makeRecord({ sentAt: 0, ttft: 50 }),
    makeRecord({ sentAt: 0, ttft: 150 }),
    makeRecord({ sentAt: 0, ttft: 80 }),
    makeRecord({ sentAt: 0, ttft: 10, ok: false }),
  ];
  const g = computeGoodput(recs, { ttftMs: 100 }, 2);
  assert.equal(g.requests_per_s, 1);
  assert.equal(g.fraction, 0.5);
  assert.deepEqual(g.bounds, { ttftMs: 100 });
});

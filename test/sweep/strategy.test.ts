import { test } from "node:test";
import assert from "node:assert/strict";
import { advance, choose, initialState, type SweepConfig, type SweepPoint, type SweepState } from "../../src/sweep/strategy.js";
import { checkSlo } from "../../src/sweep/slo.js";
import type { RequestRecord } from "../../src/measure/types.js";

// A server model: throughput grows with load up to `knee`, then flat; latency flat then climbing.
function model(knee: number, perUnit: number, sloMaxLoad = Infinity, saturatedFrom = Infinity) {
  return (load: number): SweepPoint => ({
    load,
    outputTokensPerS: perUnit * Math.min(load, knee),
    meetsSlo: load <= sloMaxLoad,
    sloDetail: load <= sloMaxLoad ? "ok" : "ttft over bound",
    clientSaturated: load >= saturatedFrom,
    clientReasons: load >= saturatedFrom ? ["event loop lag"] : [],
    e2eP50Ms: 1000 * Math.max(1, load / knee),
  });
}

function drive(cfg: SweepConfig, server: (l: number) => SweepPoint): SweepState {
  let s = initialState(cfg);
  for (let i = 0; i < 40 && s.next !== undefined; i++) s = advance(s, cfg, server(s.next));
  assert.equal(s.phase, "done");
  return s;
}

const cfg: SweepConfig = { mode: "concurrency", start: 1, max: 512, factor: 2, minGain: 0.05, refineSteps: 3 };

test("throughput plateau: stops at saturation and picks the knee, refined between tested loads", () => {
  const s = drive(cfg, model(12, 100));
  // Growth 1..32 (32 adds nothing over 16), then the knee is bisected between 8 and 16.
  assert.deepEqual(s.points.map((p) => p.load), [1, 2, 4, 8, 10, 11, 12, 16, 32]);
  assert.equal(s.chosen!.load, 12, s.reason);
  assert.match(s.stopReason!, /^saturated at 32: throughput \+0\.0% vs 16 \(below \+5\.0%\) while median latency \+100\.0%/);
  assert.match(s.reason!, /^concurrency 12: 1200\.0 output tok\/s meets the SLO/);
  assert.match(s.reason!, /refined between 11 and 12$/);
});

test("SLO boundary: bisects between the last good and first bad load", () => {
  const s = drive(cfg, model(1000, 10, 37));
  // Three bisection steps between 32 and 64: 48 (bad), 40 (bad), 36 (good).
  assert.equal(s.chosen!.load, 36, s.reason);
  assert.match(s.stopReason!, /^SLO not met at 64 \(ttft over bound\)/);
  const tested = s.points.map((p) => p.load);
  assert.deepEqual(tested, [1, 2, 4, 8, 16, 32, 36, 40, 48, 64]);
});

test("client saturation stops growth and the saturated point is never chosen", () => {
  const s = drive(cfg, model(1000, 10, Infinity, 16));
  assert.ok(s.chosen!.load < 16);
  assert.match(s.stopReason!, /client saturated at 16 \(event loop lag\)/);
});

test("no load meets the SLO: nothing chosen, with the reason; max load bounds growth", () => {
  const s = drive(cfg, model(1000, 10, 0));
  assert.equal(s.chosen, undefined);
  assert.match(s.reason!, /^no load met the SLO with a trustworthy client \(SLO not met at 1/);
  const capped = drive({ ...cfg, max: 20 }, model(1000, 10));
  assert.equal(Math.max(...capped.points.map((p) => p.load)), 16);
  assert.match(capped.stopReason!, /reached the maximum load 20/);
});

test("rate mode uses geometric midpoints", () => {
  const s = drive({ ...cfg, mode: "rate", start: 0.5 }, model(1e9, 100, 5));
  assert.ok(s.chosen!.load <= 5 && s.chosen!.load > 4, `chosen ${s.chosen!.load}`);
  assert.ok(s.points.some((p) => !Number.isInteger(p.load) && p.load > 4 && p.load < 8));
});

test("choose prefers the lowest load within minGain of the best", () => {
  const pts = [model(4, 100)(2), model(4, 100)(4), { ...model(4, 100)(8), outputTokensPerS: 410 }];
  assert.equal(choose(pts, 0.05)!.load, 4);
  assert.equal(choose(pts, 0)!.load, 8);
});

const rec = (ok: boolean, ttftMs: number, tpotMs = 10): RequestRecord => ({ ok, ttftMs, tpotMs, e2eMs: ttftMs + 100 }) as RequestRecord;

test("SLO check: fraction within bounds, errors, and no-bound runs", () => {
  const rs = [...Array.from({ length: 96 }, () => rec(true, 100)), ...Array.from({ length: 4 }, () => rec(true, 900))];
  assert.equal(checkSlo(rs, { bounds: { ttftMs: 500 }, fraction: 0.95, maxErrorRate: 0.01 }).meets, true);
  const strict = checkSlo(rs, { bounds: { ttftMs: 500 }, fraction: 0.99, maxErrorRate: 0.01 });
  assert.deepEqual([strict.meets, strict.detail], [false, "96.0% of requests within bounds (need 99.0%)"]);
  const failing = checkSlo([...rs.slice(0, 95), rec(false, 0), rec(false, 0)], { bounds: {}, fraction: 0.95, maxErrorRate: 0.01 });
  assert.deepEqual([failing.meets, failing.detail], [false, "2.1% of requests failed (limit 1.0%)"]);
});

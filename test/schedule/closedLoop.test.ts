import { test } from "node:test";
import assert from "node:assert/strict";
import { rampStartOffsetsMs } from "../../src/schedule/closedLoop.js";

test("without ramp-up every worker starts at 0", () => {
  assert.deepEqual(rampStartOffsetsMs(4, 0), [0, 0, 0, 0]);
});

test("with ramp-up workers start evenly over the ramp, the first at 0", () => {
  assert.deepEqual(rampStartOffsetsMs(4, 10), [0, 2500, 5000, 7500]);
  const o = rampStartOffsetsMs(64, 3);
  assert.equal(o.length, 64);
  assert.equal(o[0], 0);
  assert.ok(o[63] < 3000);
  for (let i = 1; i < o.length; i++) assert.ok(Math.abs(o[i] - o[i - 1] - 3000 / 64) < 1e-9);
  assert.deepEqual(rampStartOffsetsMs(1, 5), [0]);
});

test("bad input throws", () => {
  assert.throws(() => rampStartOffsetsMs(0, 1), /concurrency must be an integer >= 1/);
  assert.throws(() => rampStartOffsetsMs(2.5, 1), /concurrency/);
  assert.throws(() => rampStartOffsetsMs(2, -1), /ramp-up/);
  assert.throws(() => rampStartOffsetsMs(2, Infinity), /ramp-up/);
});

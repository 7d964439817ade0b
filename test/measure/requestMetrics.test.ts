import { test } from "node:test";
import assert from "node:assert/strict";
import { deriveLatencies, interTokenLatencies } from "../../src/measure/requestMetrics.js";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test("single-token chunks: TTFT/E2E/TPOT from the send, ITL per gap, client wait separate", () => {
  const d = deriveLatencies({
    scheduledAt: 10,
    sentAt: 12,
    endAt: 140,
    chunks: [
      [110, 1],
      [120, 1],
      [135, 1],
    ],
    ok: true,
  });
  assert.equal(d.clientWaitMs, 2);
  assert.equal(d.queueMs, 0);
  assert.equal(d.ttftMs, 98);
  assert.equal(d.e2eMs, 123, "E2E ends at the last token, not at the stream's end");
  assert.equal(d.tpotMs, 12.5); // (135 - 110) / (3 - 1)
  assert.deepEqual(d.itlMs, [10, 15]);
});

test("a trailing usage chunk 150 ms after the last token stretches neither E2E nor TPOT", () => {
  // 15 tokens, first at 80 ms, then 20 ms apart (last at 360 ms); the stream ends at 510 ms.
  const chunks = Array.from({ length: 15 }, (_, i) => [80 + 20 * i, 1] as [number, number]);
  const d = deriveLatencies({ scheduledAt: 0, sentAt: 0, endAt: 510, chunks, ok: true });
  assert.equal(d.e2eMs, 360);
  assert.equal(d.tpotMs, 20);
  close(d.itlMs.reduce((a, b) => a + b, 0) / d.itlMs.length, 20);
});

test("multi-token chunks: gap split over the chunk's tokens, first chunk's extra tokens are zeros", () => {
  const chunks: Array<[number, number]> = [
    [100, 3],
    [130, 2],
    [160, 1],
  ];
  const d = deriveLatencies({ scheduledAt: 0, sentAt: 0, endAt: 170, chunks, ok: true });
  assert.deepEqual(d.itlMs, [0, 0, 15, 15, 30]);
  assert.equal(d.itlMs.length, 6 - 1);
  const mean = d.itlMs.reduce((a, b) => a + b, 0) / d.itlMs.length;
  close(mean, (160 - 100) / (6 - 1));
  assert.equal(d.tpotMs, (160 - 100) / 5, "TPOT equals the mean ITL");
});

test("single-token output: TPOT undefined, no ITL", () => {
  const d = deriveLatencies({ scheduledAt: 0, sentAt: 1, endAt: 55, chunks: [[50, 1]], ok: true });
  assert.equal(d.ttftMs, 49);
  assert.equal(d.e2eMs, 49);
  assert.equal(d.tpotMs, undefined);
  assert.deepEqual(d.itlMs, []);
});

test("failure before any token: no TTFT, E2E, TPOT or ITL; client wait kept", () => {
  const d = deriveLatencies({ scheduledAt: 5, sentAt: 9, endAt: 300, chunks: [], ok: false });
  assert.deepEqual(d, { ttftMs: undefined, itlMs: [], queueMs: 0, clientWaitMs: 4 });
});

test("a concurrency-slot wait is queue, not client wait; origin scheduled counts it in TTFT/E2E", () => {
  // Scheduled at 0, a slot freed at 300, written to the socket at 302, tokens at 400 and 450.
  const base = { scheduledAt: 0, dispatchedAt: 300, sentAt: 302, endAt: 460, chunks: [[400, 1], [450, 1]] as Array<[number, number]>, ok: true };
  const sent = deriveLatencies(base);
  assert.equal(sent.queueMs, 300);
  assert.equal(sent.clientWaitMs, 2);
  assert.equal(sent.ttftMs, 98);
  assert.equal(sent.e2eMs, 148);
  const scheduled = deriveLatencies({ ...base, origin: "scheduled" });
  assert.equal(scheduled.queueMs, 300);
  assert.equal(scheduled.clientWaitMs, 2);
  assert.equal(scheduled.ttftMs, 400);
  assert.equal(scheduled.e2eMs, 450);
  assert.equal(scheduled.tpotMs, sent.tpotMs, "TPOT does not depend on the origin");
});

test("a dispatch time outside [scheduled, sent] is clamped: queue + client wait = sent - scheduled", () => {
  const d = deriveLatencies({ scheduledAt: 10, dispatchedAt: 50, sentAt: 40, endAt: 90, chunks: [[80, 1]], ok: true });
  assert.equal(d.queueMs, 30);
  assert.equal(d.clientWaitMs, 0);
});

test("failure mid-stream keeps TTFT only", () => {
  const d = deriveLatencies({
    scheduledAt: 0,
    sentAt: 0,
    endAt: 90,
    chunks: [
      [40, 1],
      [60, 1],
    ],
    ok: false,
  });
  assert.equal(d.ttftMs, 40);
  assert.equal(d.e2eMs, undefined);
  assert.equal(d.tpotMs, undefined);
  assert.deepEqual(d.itlMs, []);
});

test("chunks without tokens neither count nor break the gap chain", () => {
  assert.deepEqual(interTokenLatencies([[100, 1], [105, 0], [120, 1]]), [20]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { deriveLatencies, interTokenLatencies, reconcileChunkTokens } from "../../src/measure/requestMetrics.js";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test("single-token chunks: TTFT/E2E/TPOT from scheduledAt, ITL per gap, client wait separate", () => {
  const d = deriveLatencies({
    scheduledAt: 10,
    sentAt: 12,
    firstTokenAt: 110,
    endAt: 140,
    chunks: [
      [110, 1],
      [120, 1],
      [135, 1],
    ],
    outputTokens: 3,
    ok: true,
  });
  assert.equal(d.clientWaitMs, 2);
  assert.equal(d.ttftMs, 100);
  assert.equal(d.e2eMs, 130);
  assert.equal(d.tpotMs, 15); // (130 - 100) / (3 - 1)
  assert.deepEqual(d.itlMs, [10, 15]);
});

test("multi-token chunks: gap split over the chunk's tokens, first chunk's extra tokens are zeros", () => {
  const chunks: Array<[number, number]> = [
    [100, 3],
    [130, 2],
    [160, 1],
  ];
  const d = deriveLatencies({ scheduledAt: 0, sentAt: 0, firstTokenAt: 100, endAt: 170, chunks, outputTokens: 6, ok: true });
  assert.deepEqual(d.itlMs, [0, 0, 15, 15, 30]);
  assert.equal(d.itlMs.length, 6 - 1);
  const mean = d.itlMs.reduce((a, b) => a + b, 0) / d.itlMs.length;
  close(mean, (160 - 100) / (6 - 1));
  assert.equal(d.tpotMs, (170 - 100) / 5);
});

test("single-token output: TPOT undefined, no ITL", () => {
  const d = deriveLatencies({ scheduledAt: 0, sentAt: 1, firstTokenAt: 50, endAt: 55, chunks: [[50, 1]], outputTokens: 1, ok: true });
  assert.equal(d.ttftMs, 50);
  assert.equal(d.e2eMs, 55);
  assert.equal(d.tpotMs, undefined);
  assert.deepEqual(d.itlMs, []);
});

test("failure before any token: no TTFT, E2E, TPOT or ITL; client wait kept", () => {
  const d = deriveLatencies({ scheduledAt: 5, sentAt: 9, endAt: 300, chunks: [], outputTokens: 0, ok: false });
  assert.deepEqual(d, { ttftMs: undefined, itlMs: [], clientWaitMs: 4 });
});

test("failure mid-stream keeps TTFT only", () => {
  const d = deriveLatencies({
    scheduledAt: 0,
    sentAt: 0,
    firstTokenAt: 40,
    endAt: 90,
    chunks: [
      [40, 1],
      [60, 1],
    ],
    outputTokens: 2,
    ok: false,
  });
  assert.equal(d.ttftMs, 40);
  assert.equal(d.e2eMs, undefined);
  assert.equal(d.tpotMs, undefined);
  assert.deepEqual(d.itlMs, []);
});

test("chunk counts disagreeing with the final count are scaled to it", () => {
  assert.deepEqual(reconcileChunkTokens([[1, 3], [2, 3], [3, 3]], 6), [2, 2, 2]);
  // cumulative 3,6,9 scaled by 4/9 -> 1.33, 2.67, 4 -> rounded 1, 3, 4
  assert.deepEqual(reconcileChunkTokens([[1, 3], [2, 3], [3, 3]], 4), [1, 2, 1]);
  assert.deepEqual(reconcileChunkTokens([[1, 0], [2, 0]], 4), [2, 2]);
  assert.deepEqual(reconcileChunkTokens([[1, 2], [2, 5]], 0), [2, 5]);
  // 4 one-token chunks but the server says 8 tokens: each chunk carries 2
  const itl = interTokenLatencies([[10, 1], [20, 1], [30, 1], [40, 1]], 8);
  assert.deepEqual(itl, [0, 5, 5, 5, 5, 5, 5]);
  for (const n of [1, 5, 7, 13, 100]) {
    const counts = reconcileChunkTokens([[1, 2], [2, 1], [3, 4], [4, 1]], n);
    assert.equal(counts.reduce((a, b) => a + b, 0), n, `sum for ${n}`);
  }
});

test("chunks without tokens neither count nor break the gap chain", () => {
  const itl = interTokenLatencies([[100, 1], [105, 0], [120, 1]], 2);
  assert.deepEqual(itl, [20]);
});

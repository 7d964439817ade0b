import { test } from "node:test";
import assert from "node:assert/strict";
import { parseShard, planShard, shardDispatcher, shareOf } from "../../src/schedule/shard.js";
import { concurrencyShape, rateShape, shapeOf } from "../../src/schedule/shapes/index.js";
import { driveOpenLoop } from "../../src/schedule/drivers.js";
import type { LoadShape } from "../../src/schedule/shapes/shape.js";

test("parseShard: I/N with 0 <= I < N; one-line errors", () => {
  assert.deepEqual(parseShard("2/5"), { index: 2, count: 5 });
  assert.deepEqual(parseShard(" 0 / 1 "), { index: 0, count: 1 });
  for (const bad of ["5/5", "1", "-1/3", "a/b", "0/0", "1/100001"]) assert.throws(() => parseShard(bad), /--shard/, bad);
});

test("shareOf deals round-robin: the shares add up to the total", () => {
  for (const total of [0, 1, 7, 10, 11]) {
    for (const n of [1, 2, 3, 4]) {
      const shares = Array.from({ length: n }, (_, index) => shareOf(total, { index, count: n }));
      assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total}/${n}`);
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
    }
  }
});

test("closed loop: concurrency and count split; the shards' run sequence numbers tile 0..K-1", () => {
  const n = 3, K = 10;
  const seqs: number[] = [];
  let conc = 0;
  for (let index = 0; index < n; index++) {
    const p = planShard(shapeOf({ mode: "concurrency", concurrency: 7 }), { mode: "concurrency", concurrency: 7 }, K, { index, count: n });
    conc += (p.load as { concurrency: number }).concurrency;
    for (let q = 0; q < p.count!; q++) seqs.push(p.runSeq(q));
  }
  assert.equal(conc, 7);
  assert.deepEqual(seqs.sort((a, b) => a - b), Array.from({ length: K }, (_, i) => i));
  assert.throws(() => planShard(concurrencyShape, { mode: "concurrency", concurrency: 2 }, K, { index: 2, count: 3 }), /nothing in flight/);
});

test("open loop: the full timetable in every shard, arrivals i ≡ I mod N sent at their offsets; the cap split", async () => {
  const load = { mode: "rate" as const, rate: 1000, arrival: "constant" as const, maxConcurrency: 5 };
  const sent: Array<[number, number]> = [];
  for (let index = 0; index < 2; index++) {
    const p = planShard(rateShape, load, 6, { index, count: 2 });
    assert.equal(p.count, 6);
    assert.equal((p.load as typeof load).maxConcurrency, index === 0 ? 3 : 2);
    let t = 0;
    const d = shardDispatcher({ now: () => t, send: async (seq, at) => void sent.push([seq, at]) }, p);
    t = 1e9; // every arrival already due: no waiting
    await driveOpenLoop(d, { offsetsMs: [0, 1, 2, 3, 4, 5] });
    assert.equal(d.lastSendAt, 1e9);
  }
  assert.deepEqual(sent.sort((a, b) => a[0] - b[0]), [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
  assert.deepEqual(planShard(rateShape, { ...load, maxConcurrency: undefined }, 6, { index: 1, count: 2 }).load, { ...load, maxConcurrency: undefined });
});

test("a closed-loop shape without a split is refused; one shard is the whole load", () => {
  const fake = { ...concurrencyShape, mode: "fake", shard: undefined } as unknown as LoadShape<{ mode: string }>;
  assert.throws(() => planShard(fake, { mode: "fake" }, 4, { index: 0, count: 2 }), /cannot be sharded/);
  const whole = planShard(fake, { mode: "fake" }, 4, { index: 0, count: 1 });
  assert.equal(whole.count, 4);
  assert.equal(whole.runSeq(3), 3);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { OffPathQueue } from "../../src/benchmark/offPath.js";

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test("the queue yields to the event loop between slices: other callbacks run between long jobs", async () => {
  const order: string[] = [];
  const q = new OffPathQueue(undefined, 0.5);
  for (const name of ["a", "b", "c"]) q.push(() => (busy(1), order.push(name)));
  // Queued after the queue's first slice: it runs once that slice has used its time.
  const other = new Promise<void>((r) => setImmediate(() => (order.push("io"), r())));
  assert.deepEqual(order, [], "nothing runs inline at push");
  await other;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, ["a", "io", "b", "c"]);
  assert.equal(q.pending, 0);
});

test("short jobs run in FIFO order, many per slice, and flush() runs what is left at once", () => {
  const seen: number[] = [];
  const q = new OffPathQueue();
  for (let i = 0; i < 1000; i++) q.push(() => seen.push(i));
  assert.equal(q.pending, 1000);
  q.flush();
  assert.equal(q.pending, 0);
  assert.deepEqual(seen, Array.from({ length: 1000 }, (_, i) => i));
});

test("a job that throws: the rest still run, onError is called once, flush() throws the first error", () => {
  const errors: unknown[] = [];
  const ran: number[] = [];
  const q = new OffPathQueue((e) => errors.push(e));
  q.push(() => ran.push(1));
  q.push(() => {
    throw new Error("first");
  });
  q.push(() => {
    throw new Error("second");
  });
  q.push(() => ran.push(4));
  assert.throws(() => q.flush(), /first/);
  assert.deepEqual(ran, [1, 4], "records after a failing one are not lost");
  assert.equal(errors.length, 1);
});

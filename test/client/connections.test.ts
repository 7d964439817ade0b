// Connections are opened before the measured phase, so TTFT never holds a TCP set-up; the
// connect time is reported apart (summary.connections).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runBenchmark } from "../../src/benchmark/run.js";
import { startScriptedServer } from "../support/scriptedServer.js";

test("every connection the measured phase uses is opened before it; connect time reported apart", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  try {
    for (const [load, inFlight] of [
      [{ mode: "concurrency" as const, concurrency: 6 }, 6],
      [{ mode: "rate" as const, rate: Infinity, arrival: "poisson" as const, maxConcurrency: 5 }, 5],
    ] as const) {
      const r = await runBenchmark({
        targets: [srv.url], db: null, warmup: 0, requests: 12, preflight: false, loads: [load],
        workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 4 } },
      });
      const c = r.summaries[0].connections!;
      assert.equal(r.summaries[0].requests.completed, 12);
      assert.equal(c.opened_before, inFlight, JSON.stringify(c));
      assert.equal(c.opened_during, 0, JSON.stringify(c));
      assert.equal(c.failed, 0);
      assert.equal(c.connect_ms.count, inFlight);
      assert.ok(c.connect_ms.max > 0 && c.connect_ms.max < 5000);
    }
  } finally {
    await srv.close();
  }
});

test("a target that refuses connections: the failed connects are counted, the run goes on and records why", async () => {
  const r = await runBenchmark({
    targets: ["http://127.0.0.1:9"], db: null, warmup: 0, requests: 3, preflight: false, loads: [{ mode: "concurrency", concurrency: 2 }],
    workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 4 } },
  });
  const s = r.summaries[0];
  assert.equal(s.requests.failed, 3);
  assert.ok(s.connections!.failed >= 2, JSON.stringify(s.connections));
  assert.equal(s.connections!.connect_ms.count, 0);
});

test("pre-connect GETs carry the user's headers: an authenticated server answers none of them 401", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1 }, auth: { header: "X-Api-Key", value: "k-0123456789" } });
  try {
    const r = await runBenchmark({
      targets: [srv.url], db: null, warmup: 1, requests: 6, preflight: false, loads: [{ mode: "concurrency", concurrency: 3 }],
      headers: { "X-Api-Key": "k-0123456789" },
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 4 } },
    });
    assert.equal(r.summaries[0].requests.completed, 6);
    assert.equal(r.summaries[0].connections!.opened_before, 3);
    assert.deepEqual(srv.unauthorized, {}, "requests without the user's header");
  } finally {
    await srv.close();
  }
});

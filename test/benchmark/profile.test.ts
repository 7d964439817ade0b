import { test } from "node:test";
import assert from "node:assert/strict";
import { runSweepProfile, sweepRates } from "../../src/benchmark/profile.js";
import { toOptions } from "../../src/cli/commands/run.js";
import { startScriptedServer } from "../support/scriptedServer.js";

test("sweepRates: n rates evenly between synchronous and maximum, ends excluded", () => {
  assert.deepEqual(sweepRates(1, 5, 3), [2, 3, 4]);
  assert.deepEqual(sweepRates(2, 3, 1), [2.5]);
  assert.deepEqual(sweepRates(3, 3, 4), []);
  assert.deepEqual(sweepRates(3, 2, 4), []);
});

test("--profile sweep: synchronous, maximum throughput, then rates between, in one call", async () => {
  // two batch slots, ~35 ms per request: synchronous ~1 in flight, maximum ~2 at once
  const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 2, tokensPerChunk: 1 }, slots: 2 });
  try {
    const logs: string[] = [];
    const r = await runSweepProfile({
      targets: [srv.url],
      db: null,
      requests: 12,
      warmup: 0,
      preflight: false,
      rates: 3,
      arrival: "constant",
      tokenizer: "bytes",
      workload: { kind: "synthetic", input: { kind: "fixed", value: 16 }, output: { kind: "fixed", value: 8 } },
      log: (l) => logs.push(l),
    });
    assert.equal(r.summaries.length, 5);
    const [sync, max, ...between] = r.summaries;
    assert.deepEqual(sync.load, { mode: "concurrency", concurrency: 1 });
    assert.equal(max.load.mode === "rate" && max.load.rate, "inf");
    const lo = sync.throughput.requests_per_s;
    const hi = max.throughput.requests_per_s;
    assert.ok(hi > lo * 1.3, `maximum ${hi} vs synchronous ${lo} req/s`);
    const rates = between.map((s) => (s.load.mode === "rate" ? Number(s.load.rate) : NaN));
    assert.deepEqual(rates, sweepRates(lo, hi, 3));
    assert.ok(rates[0] > lo && rates[2] < hi);
    for (const s of r.summaries) assert.equal(s.requests.completed, 12);
    assert.match(logs.join("\n"), /sweep: synchronous [\d.]+ req\/s, maximum [\d.]+ req\/s; rates /);
  } finally {
    await srv.close();
  }
  assert.throws(() => toOptions({ api: "openai-completions", profile: "sweep", concurrency: [2], arrival: "poisson" } as never), /--profile sweep chooses its own loads/);
  assert.throws(() => toOptions({ api: "openai-completions", profileRates: 3, arrival: "poisson" } as never), /--profile-rates applies to --profile sweep/);
});

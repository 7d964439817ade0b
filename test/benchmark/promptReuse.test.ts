// Every request of a run gets a prompt of its own (issue #17): across the loads of one call, the
// points of a sweep, the steps of --profile sweep, shards and worker threads, and experiment
// cells. Checked on what a real HTTP server received, not on the workload builder's output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runBenchmark } from "../../src/benchmark/run.js";
import { runSweepProfile } from "../../src/benchmark/profile.js";
import { runSweep } from "../../src/sweep/run.js";
import { CELL_PROMPT_STRIDE, expandCells } from "../../src/experiment/expand.js";
import { parseExperiment } from "../../src/experiment/load.js";
import { syntheticPrompts } from "../../src/workload/synthetic.js";
import { byteTokenizer } from "../../src/workload/tokenizer.js";
import { startScriptedServer, type ScriptedServer } from "../support/scriptedServer.js";

const PREFIX = 24;
const workload = { kind: "synthetic" as const, input: { kind: "fixed" as const, value: 48 }, output: { kind: "fixed" as const, value: 4 } };
const base = { db: null, seed: 7, tokenizer: "bytes", workload, requests: 6, warmup: 1, timeoutS: 30 };

/** A fast scripted server that keeps every prompt it was sent, in arrival order. */
async function recordingServer(): Promise<{ srv: ScriptedServer; prompts: string[] }> {
  const prompts: string[] = [];
  const srv = await startScriptedServer({
    script: (_n, body) => {
      prompts.push(String(body.prompt));
      return { ttftMs: 2, itlMs: 1 };
    },
  });
  return { srv, prompts };
}

const distinct = (xs: string[]) => new Set(xs).size;

test("two loads of one call (-c 2,1): no prompt is sent twice, test request and warm-ups included", async () => {
  const { srv, prompts } = await recordingServer();
  try {
    const r = await runBenchmark({ ...base, targets: [srv.url], loads: [{ mode: "concurrency", concurrency: 2 }, { mode: "concurrency", concurrency: 1 }] });
    assert.equal(r.summaries.length, 2);
    // 1 test request + 2 loads x (1 warm-up + 6 measured)
    assert.equal(prompts.length, 15);
    assert.equal(distinct(prompts), 15, "every request carried a prompt of its own");
    // each load drew warm-up + requests ordinals, the test request one more
    assert.equal(r.nextPromptOffset, 2 * 7 + 1);
    // lengths do not move with the offset: both loads asked for the same prompt lengths
    for (const recs of r.records) for (const rec of recs) assert.equal(rec.requestedInputTokens, 48);
  } finally {
    await srv.close();
  }
});

test("a call continuing at nextPromptOffset sends new prompts; the same promptOffset re-sends the same ones", async () => {
  const { srv, prompts } = await recordingServer();
  try {
    const first = await runBenchmark({ ...base, preflight: false, targets: [srv.url], loads: [{ mode: "concurrency", concurrency: 2 }] });
    const a = prompts.splice(0);
    await runBenchmark({ ...base, preflight: false, targets: [srv.url], loads: [{ mode: "concurrency", concurrency: 2 }], promptOffset: first.nextPromptOffset });
    const b = prompts.splice(0);
    assert.equal(distinct([...a, ...b]), a.length + b.length);
    await runBenchmark({ ...base, preflight: false, targets: [srv.url], loads: [{ mode: "concurrency", concurrency: 2 }] });
    const again = prompts.splice(0);
    assert.deepEqual([...again].sort(), [...a].sort(), "same seed, same offset: the same prompts (reproducible)");
  } finally {
    await srv.close();
  }
});

test("a shared prefix stays shared across loads; only the rest of each prompt moves", async () => {
  const { srv, prompts } = await recordingServer();
  try {
    await runBenchmark({ ...base, preflight: false, workload: { ...workload, sharedPrefixTokens: PREFIX }, targets: [srv.url], loads: [{ mode: "concurrency", concurrency: 2 }, { mode: "concurrency", concurrency: 1 }] });
    assert.equal(prompts.length, 14);
    // bytes tokenizer: one token per byte, so the prefix is the first PREFIX characters
    assert.equal(new Set(prompts.map((p) => p.slice(0, PREFIX))).size, 1, "one shared prefix for every request of both loads");
    assert.equal(distinct(prompts.map((p) => p.slice(PREFIX))), 14, "distinct suffixes");
  } finally {
    await srv.close();
  }
});

test("shards and worker threads: the union of their prompts is one process's prompts, none twice", async () => {
  const { srv, prompts } = await recordingServer();
  try {
    const load = [{ mode: "concurrency" as const, concurrency: 2 }];
    await runBenchmark({ ...base, preflight: false, warmup: 0, requests: 8, targets: [srv.url], loads: load });
    const whole = prompts.splice(0);
    for (const index of [0, 1]) await runBenchmark({ ...base, preflight: false, warmup: 0, requests: 8, targets: [srv.url], loads: load, shard: { index, count: 2 } });
    const sharded = prompts.splice(0);
    assert.equal(sharded.length, 8);
    assert.deepEqual([...sharded].sort(), [...whole].sort());
    await runBenchmark({ ...base, preflight: false, warmup: 0, requests: 8, targets: [srv.url], loads: load, workers: 2 });
    const threaded = prompts.splice(0);
    assert.deepEqual([...threaded].sort(), [...whole].sort());
  } finally {
    await srv.close();
  }
});

test("sweep points and --profile sweep steps never repeat a prompt", async () => {
  const { srv, prompts } = await recordingServer();
  try {
    await runSweep({
      bench: { ...base, targets: [srv.url], requests: 4, warmup: 0 },
      config: { mode: "concurrency", start: 1, max: 4, factor: 2, minGain: 0.05, refineSteps: 0 },
      slo: { bounds: {}, fraction: 0.9, maxErrorRate: 0.5 },
      maxRuns: 3,
      clientRetries: 0,
    });
    assert.ok(prompts.length >= 9, `${prompts.length} requests`);
    assert.equal(distinct(prompts), prompts.length, "sweep points");
    prompts.splice(0);
    const profile = await runSweepProfile({ ...base, preflight: false, targets: [srv.url], requests: 4, warmup: 0, rates: 1 });
    // Synchronous, maximum, then one rate between them when the maximum measured above the
    // synchronous: with 4 requests a step on a loaded machine can measure below it (then no rate
    // lies between), so the count follows the steps run (was: always 12; 8 at load ~12).
    assert.ok(profile.summaries.length >= 2, `${profile.summaries.length} steps`);
    assert.equal(prompts.length, 4 * profile.summaries.length);
    assert.equal(distinct(prompts), prompts.length, "profile steps");
  } finally {
    await srv.close();
  }
});

test("experiment cells (repeats included) own disjoint prompt ranges", () => {
  const spec = parseExperiment(
    { name: "cells", servers: [{ name: "s", target: "http://127.0.0.1:1" }], workloads: [{ name: "w", input: 16, output: 4 }], loads: { concurrency: [1, 2] }, repeats: 2 },
    "cells.yaml",
  );
  const cells = expandCells(spec).filter((c) => c.kind === "bench");
  assert.deepEqual(cells.map((c) => c.index), [0, 1, 2, 3]);
  // what runBenchmark builds for each cell: promptOffset = index * CELL_PROMPT_STRIDE
  const all = cells.flatMap((c) => syntheticPrompts({ count: 4, input: { kind: "fixed", value: 16 }, seed: 7, tokenizer: byteTokenizer, promptOffset: c.index * CELL_PROMPT_STRIDE }).map((p) => p.prompt));
  assert.equal(distinct(all), 16);
});

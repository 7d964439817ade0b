// run --workers N: one run's streams over N worker threads, against the scripted server over real
// HTTP. Every request is accounted once, the run is one run in the store, the workers' records
// share the parent's clock (checked against the server's own receive and write times), and a
// stopped or failing worker ends the run in bounded time with one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runBenchmark } from "../../src/benchmark/run.js";
import { runLoad } from "../../src/benchmark/runLoad.js";
import { mergeShardRuns } from "../../src/benchmark/merge.js";
import { resolveOptions } from "../../src/benchmark/resolve.js";
import { defaultWorkers, itemsOf, workersFor } from "../../src/benchmark/workers.js";
import { getAdapter } from "../../src/protocols/index.js";
import { buildWorkload } from "../../src/workload/index.js";
import { byteTokenizer } from "../../src/workload/tokenizer.js";
import { openDb } from "../../src/store/db.js";
import { getRequests, listRuns } from "../../src/store/runs.js";
import { arrivalOffsetsMs } from "../../src/schedule/arrivals.js";
import { createRng, deriveSeed } from "../../src/workload/rng.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { medianLagBoundMs } from "../support/timing.js";
import { killMarked, startCli, waitNoOrphans } from "../reliability/harness.js";
import type { RequestRecord } from "../../src/measure/types.js";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = { api: "openai-completions" as const, tokenizer: "bytes", preflight: false, seed: 7 };

test("default workers: one per 256 in flight, at most min(cores-1, 8), at least 1; closed loop at most its concurrency; sessions on one", () => {
  assert.equal(defaultWorkers(1, 16), 1);
  assert.equal(defaultWorkers(257, 16), 2);
  assert.equal(defaultWorkers(100_000, 16), 8);
  assert.equal(defaultWorkers(4096, 2), 1);
  assert.equal(defaultWorkers(4096, 1), 1);
  const o = { requests: 100 };
  assert.equal(workersFor({ mode: "concurrency", concurrency: 3 }, 8, o), 3);
  assert.equal(workersFor({ mode: "rate", rate: 10, arrival: "poisson" }, 4, o), 4);
  assert.equal(workersFor({ mode: "sessions", sessions: 8, turns: 2, concurrency: 4, thinkTimeMs: 0 }, undefined, o), 1);
  assert.throws(() => resolveOptions({ targets: ["http://127.0.0.1:9"], loads: [{ mode: "sessions", sessions: 8, turns: 2, concurrency: 4, thinkTimeMs: 0 }], workers: 2 }), /--workers 2: .*cannot be split over client workers/);
});

test("a worker gets only its own prompts (holes elsewhere); the whole list when prompts are cycled", () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ index: i, prompt: `p${i}`, inputTokens: 1, outputTokens: 1 }));
  const mine = itemsOf(items, { warmup: 2, requests: 8 }, { index: 1, count: 2 }, 1, 2);
  assert.deepEqual(Object.keys(mine).map(Number), [1, 3, 5, 7, 9]);
  assert.equal(mine.length, 10);
  // Shard 1 of 2, worker 1 of 2 = share 3 of 4: warm-up prompt 1, measured prompts 2 + {3, 7}.
  assert.deepEqual(Object.keys(itemsOf(items, { warmup: 2, requests: 8 }, { index: 3, count: 4 }, 1, 2)).map(Number), [1, 5, 9]);
  assert.equal(itemsOf(items, { warmup: 2, requests: undefined }, { index: 1, count: 2 }, 1, 2), items);
  assert.equal(itemsOf(items, { warmup: 2, requests: 20 }, { index: 1, count: 2 }, 1, 2), items);
});

test("--workers 2, closed loop: every request once, one run in the store, the single-loop summary's fields", async () => {
  const prompts = new Map<number, string>();
  const server = await startScriptedServer({
    script: (_n, body) => {
      if (prompts.size < 48) prompts.set(Number(body.seed), String(body.prompt));
      return { ttftMs: 10, itlMs: 5 };
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "tb-workers-"));
  try {
    const common = { ...base, targets: [server.url], loads: [{ mode: "concurrency" as const, concurrency: 6 }], requests: 45, warmup: 3, workload: { kind: "synthetic" as const, input: { kind: "fixed" as const, value: 8 }, output: { kind: "fixed" as const, value: 5 } } };
    const two = await runBenchmark({ ...common, workers: 2, db: join(dir, "r.db") });
    const one = await runBenchmark({ ...common, workers: 1, db: null });
    const s = two.summaries[0];
    const recs = two.records[0];
    assert.equal(s.status, "completed");
    assert.equal(s.requests.sent, 45);
    assert.equal(s.requests.completed + s.requests.failed, s.requests.sent);
    assert.equal(s.requests.failed, 0);
    assert.equal(s.requests.warmup, 3);
    // A record's index is its prompt's: measured ones follow the 3 warm-up prompts.
    assert.deepEqual(recs.map((r) => r.index).sort((a, b) => a - b), Array.from({ length: 45 }, (_, i) => 3 + i), "indices 3..47, each once");
    // The server saw exactly the warm-up and measured requests (pre-connects are GETs, not counted).
    assert.equal(server.received, 2 * (45 + 3));
    const db = openDb(join(dir, "r.db"), { readonly: true });
    const runs = listRuns(db);
    const stored = getRequests(db, runs[0].id);
    db.close();
    assert.equal(runs.length, 1, "one run");
    assert.equal(runs[0].id, s.id);
    assert.equal(runs[0].status, "completed");
    assert.equal(stored.length, 48, "45 measured + 3 warm-up records, in one run");
    assert.equal(stored.filter((r) => r.warmup).length, 3);
    assert.equal(new Set(stored.filter((r) => !r.warmup).map((r) => r.index)).size, 45);
    // The same summary shape as one event loop's (keys at every level).
    const keys = (o: unknown, p = ""): string[] =>
      o && typeof o === "object" && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => [p + k, ...keys(v, `${p}${k}.`)]) : [];
    const same = (k: string) => !k.startsWith("client.reasons") && k !== "client.workers";
    assert.deepEqual(keys(s).filter(same).sort(), keys(one.summaries[0]).filter(same).sort());
    assert.equal(s.client.workers, 2);
    assert.equal(one.summaries[0].client.workers, undefined);
    assert.deepEqual(s.latency_ms.e2e.count, 45);
    assert.ok(s.connections && s.connections.opened_before >= 6 && s.connections.opened_during === 0, JSON.stringify(s.connections));
    // Each request carried its own prompt (a worker holds only its share of the prompts: itemsOf).
    const items = await buildWorkload(common.workload, { count: 48, seed: 7, tokenizer: byteTokenizer });
    assert.equal(prompts.size, 48);
    for (const [seed, prompt] of prompts) assert.equal(prompt, items[seed - 7].prompt, `request with prompt ${seed - 7}`);
  } finally {
    await server.close();
  }
});

test("--workers more than a load can split: it runs on fewer and says so in one line", async () => {
  const server = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1 } });
  try {
    const lines: string[] = [];
    const out = await runBenchmark({
      ...base, targets: [server.url], db: null, preflight: false, workers: 5, requests: 6, warmup: 0,
      loads: [{ mode: "concurrency", concurrency: 3 }],
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 3 } },
      log: (l) => lines.push(l),
    });
    assert.equal(out.summaries[0].requests.completed, 6);
    assert.equal(out.summaries[0].client.workers, 3);
    assert.deepEqual(lines.filter((l) => l.includes("client worker")), ["note: c=3 runs on 3 client worker(s), not 5: each worker needs a share of the load (at most one per concurrent request)"]);
  } finally {
    await server.close();
  }
});

test("--workers 2, open loop: sends on the one timetable, both workers' times on the parent's zero (vs the server's receive times), TTFT/ITL from both as written", async () => {
  // Known stream: first token 40 ms after the request arrives, then one every 15 ms.
  const arrivals = new Map<number, number>();
  const server = await startScriptedServer({
    script: (_n, body) => {
      arrivals.set(Number(body.seed), performance.now());
      return { ttftMs: 40, itlMs: 15 };
    },
  });
  try {
    const rate = 40;
    // The run's zero on this (the parent) thread's clock: progress reports elapsed = now - zero.
    let zero: number | undefined;
    const out = await runBenchmark({
      ...base, targets: [server.url], loads: [{ mode: "rate", rate, arrival: "constant" }], requests: 40, warmup: 2, workers: 2, db: null,
      onProgress: (p) => (zero ??= performance.now() - p.elapsedS * 1000),
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 6 } },
    });
    const s = out.summaries[0];
    const recs = out.records[0];
    assert.equal(s.requests.sent, 40);
    assert.equal(s.requests.completed, 40);
    const offsets = arrivalOffsetsMs({ rate, arrival: "constant", count: 40, rng: createRng(deriveSeed(7, "arrivals")), rampUpS: 0 });
    const seq = (r: RequestRecord) => r.index - 2; // a record's index is its prompt's, after the 2 warm-up prompts
    for (const r of recs) assert.equal(r.scheduledAt, offsets[seq(r)], `request ${seq(r)} scheduled on the run's timetable`);
    // Worker w sends arrivals i ≡ w (mod 2): both halves present.
    const byWorker = [recs.filter((r) => seq(r) % 2 === 0), recs.filter((r) => seq(r) % 2 === 1)];
    assert.deepEqual(byWorker.map((g) => g.length), [20, 20]);
    for (const [w, g] of byWorker.entries()) {
      // On schedule: never before the arrival time (exact). How late is this machine's timers (late
      // sends are client wait, not a fault), so the upper bound is loose: a worker on a timetable of
      // its own (half the rate, its own zero) is late by 25 ms more per request, hundreds at the
      // median (was: < 20 ms, the timers' accuracy on a quiet machine).
      assert.ok(g.every((r) => r.sentAt >= r.scheduledAt - 0.01), `worker ${w} sent early`);
      assert.ok(median(g.map((r) => r.sentAt - r.scheduledAt)) < 50, `worker ${w} sends late: ${g.map((r) => (r.sentAt - r.scheduledAt).toFixed(2))}`);
      // TTFT and ITL as the server wrote them (scripted 40 ms and 15 ms; compared with the times
      // it really wrote, which a loaded machine delays): TTFT counts from the send (the default
      // latency origin), so it adds only the request's transit.
      const ttft = median(g.map((r) => r.ttftMs!));
      const written = median(server.writtenTtftMs);
      // Only against what the server wrote, never its timer's accuracy (its 40 ms timer fires 0.5 ms
      // early at times); the upper bound is the client's read lag, which a loaded 2-core box makes ms.
      const bound = medianLagBoundMs(s); // 15 ms, more when this run's client measured a loaded machine
      assert.ok(ttft >= written - 0.5 && ttft < written + bound, `worker ${w} TTFT median ${ttft.toFixed(2)} ms, server wrote ${written.toFixed(2)} ms (bound +${bound.toFixed(1)}: event-loop lag p99 ${s.client.event_loop_lag_ms.p99.toFixed(1)} ms)`);
      const itl = median(g.flatMap((r) => r.itlMs));
      const gaps = median(server.writtenGapsMs);
      assert.ok(Math.abs(itl - gaps) < 3, `worker ${w} ITL median ${itl.toFixed(2)} ms, server wrote ${gaps.toFixed(2)} ms`);
    }
    // One clock: the server (on this thread) received each request just after the record says it
    // was sent, counted from the parent's zero. A worker's zero taken from performance.timeOrigin
    // (the same in every thread on Node 20, while a worker's now() origin drifts by -6..+14 ms from
    // the parent's) would be off by that drift.
    const seedOf = (r: RequestRecord) => 7 + r.index; // the request's seed: run seed + its prompt's index
    assert.ok(zero !== undefined);
    // The least delayed request of each worker: load on the machine only delays, never advances.
    const transit = byWorker.map((g) => Math.min(...g.map((r) => arrivals.get(seedOf(r))! - (zero! + r.sentAt))));
    for (const [w, t] of transit.entries()) assert.ok(t > -0.3 && t < 3, `worker ${w}: server receive - record send = ${t.toFixed(3)} ms at least (transit only expected)`);
  } finally {
    await server.close();
  }
});

test("a worker that throws: one-line error, the run failed in the store, the other worker stopped, no hang", async () => {
  const server = await startScriptedServer({ script: { ttftMs: 5, itlMs: 5 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-workers-fail-"));
  const db = openDb(join(dir, "r.db"));
  try {
    const o = resolveOptions({ ...base, targets: [server.url], loads: [{ mode: "concurrency", concurrency: 4 }], requests: 20, warmup: 0, workers: 2 });
    const items = await buildWorkload(o.workload, { count: 20, seed: 7, tokenizer: byteTokenizer });
    const t0 = Date.now();
    // A real failure inside the worker threads only: the parent has its tokenizer, the workers
    // are told to load one from a file that does not exist.
    await assert.rejects(
      runLoad(
        { o, targets: [server.url], adapter: getAdapter("openai-completions"), tokenizer: byteTokenizer, tokenizerSpec: join(dir, "missing-tokenizer.json"), model: "m", items, db, meta: { options: {}, host: {}, serverInfo: {} }, runIndex: 0, runCount: 1 },
        o.loads[0],
      ),
      (e: Error) => /^client worker [01] failed: .*missing-tokenizer\.json/.test(e.message) && !e.message.includes("\n"),
    );
    assert.ok(Date.now() - t0 < 20_000);
    const [run] = listRuns(db);
    assert.equal(run.status, "failed");
  } finally {
    db.close();
    await server.close();
  }
});

test("SIGTERM to the real CLI with --workers 2: exits in bounded time, run interrupted with what was measured, nothing left running", async () => {
  const server = await startScriptedServer({ script: { ttftMs: 20, itlMs: 50 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-workers-term-"));
  const run = startCli([
    "run", "--target", server.url, "-c", "4", "--requests", "400", "--warmup", "0", "--workers", "2", "--input-tokens", "8", "--output-tokens", "20",
    "--tokenizer", "bytes", "--no-preflight", "--no-progress", "--db", join(dir, "r.db"), "--json", join(dir, "s.json"),
  ]);
  try {
    // Both workers sending, and a first round finished (each request ~1 s).
    while (server.received < 8) await new Promise((r) => setTimeout(r, 50));
    const killedAt = Date.now();
    run.child.kill("SIGTERM");
    const { code } = await run.done;
    assert.ok(Date.now() - killedAt < 10_000, `exited ${Date.now() - killedAt} ms after SIGTERM`);
    assert.equal(code, 130, run.err());
    assert.deepEqual(await waitNoOrphans(run.marker, 3000), []);
    const s = JSON.parse(readFileSync(join(dir, "s.json"), "utf8")).runs[0];
    assert.equal(s.status, "interrupted");
    const db = openDb(join(dir, "r.db"), { readonly: true });
    const runs = listRuns(db);
    const kept = getRequests(db, runs[0].id).filter((r) => !r.warmup);
    db.close();
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "interrupted");
    assert.ok(s.requests.completed >= 4, `completed before SIGTERM: ${s.requests.completed}`);
    assert.equal(s.requests.completed + s.requests.failed, kept.length, "completed + failed = what the store kept");
    assert.equal(new Set(kept.map((r) => r.index)).size, kept.length);
  } finally {
    killMarked(run.marker);
    await server.close();
  }
});

test("--workers 2 replays a trace (open loop): each line sent once, at its recorded time, with its own prompt", async () => {
  const server = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  try {
    const out = await runBenchmark({
      ...base, targets: [server.url], loads: [{ mode: "trace", path: "examples/workloads/mooncake-sample.jsonl", speedup: 4, blockSize: 512 }], warmup: 0, workers: 2, db: null,
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 4 } },
    });
    const s = out.summaries[0];
    const recs = [...out.records[0]].sort((a, b) => a.scheduledAt - b.scheduledAt);
    const lines = readFileSync("examples/workloads/mooncake-sample.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(s.client.workers, 2);
    assert.equal(s.requests.sent, lines.length);
    assert.equal(s.requests.completed, lines.length);
    assert.deepEqual(recs.map((r) => r.scheduledAt), lines.map((l) => (l.timestamp - lines[0].timestamp) / 4), "the trace's times / speedup");
    assert.deepEqual(recs.map((r) => r.requestedOutputTokens), lines.map((l) => l.output_length), "each line's own request");
  } finally {
    await server.close();
  }
});

test("--shard I/2 with --workers 2 in each: the four event loops' requests tile the run, and merge makes it one", async () => {
  const server = await startScriptedServer({ script: { ttftMs: 5, itlMs: 3 } });
  try {
    const startAtMs = Date.now() + 4000;
    const common = { ...base, targets: [server.url], loads: [{ mode: "concurrency" as const, concurrency: 8 }], requests: 42, warmup: 2, workers: 2, db: null, startAtMs, workload: { kind: "synthetic" as const, input: { kind: "fixed" as const, value: 8 }, output: { kind: "fixed" as const, value: 4 } } };
    const shards = await Promise.all([0, 1].map((index) => runBenchmark({ ...common, shard: { index, count: 2 } })));
    const merged = mergeShardRuns(shards.map((r) => ({ summary: r.summaries[0], records: r.records[0] })), "merged");
    assert.deepEqual(shards.map((r) => r.summaries[0].requests.sent), [21, 21]);
    assert.deepEqual(shards.map((r) => r.summaries[0].client.workers), [2, 2]);
    assert.equal(merged.summary.requests.sent, 42);
    assert.deepEqual(merged.records.map((r) => r.index), Array.from({ length: 42 }, (_, i) => 2 + i), "prompts 2..43 (after the warm-up), each once");
  } finally {
    await server.close();
  }
});

// Shards and merge through the real CLI: N processes against the scripted server from one
// common start, merged into one run whose figures are exactly summarizeRun's over the union.
import { test } from "node:test";
import { runCli } from "../support/cli.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedServer } from "../support/scriptedServer.js";
import { camelRecord, groupShardFiles, mergeShardRuns } from "../../src/benchmark/merge.js";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { arrivalOffsetsMs } from "../../src/schedule/arrivals.js";
import { createRng, deriveSeed } from "../../src/workload/rng.js";
import { openDb } from "../../src/store/db.js";
import { getRun, getRequests } from "../../src/store/runs.js";
import type { RunSummary } from "../../src/aggregate/types.js";
import type { RequestRecord } from "../../src/measure/types.js";


const cli = runCli;

const readRecords = (path: string): RequestRecord[] =>
  readFileSync(path, "utf8").trim().split("\n").map((l) => {
    const { run_id: _id, ...rest } = JSON.parse(l);
    return camelRecord(rest);
  });

async function runShards(dir: string, url: string, n: number, load: string[], requests: number, warmup: number) {
  // Far enough ahead for every process to start and warm up on a loaded machine.
  const startAt = Date.now() + 8000;
  const outs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      cli([
        "run", "--target", url, ...load, "--requests", String(requests), "--warmup", String(warmup),
        "--input-tokens", "8", "--output-tokens", "6", "--seed", "7", "--percentiles", "99.9",
        "--shard", `${i}/${n}`, "--start-at", String(startAt),
        "--json", join(dir, `s${i}.json`), "--records", join(dir, `s${i}.jsonl`), "--no-store", "--no-progress",
      ]),
    ),
  );
  for (const o of outs) assert.equal(o.code, 0, o.stderr);
  const summaries: RunSummary[] = Array.from({ length: n }, (_, i) => JSON.parse(readFileSync(join(dir, `s${i}.json`), "utf8")).runs[0]);
  const records = Array.from({ length: n }, (_, i) => readRecords(join(dir, `s${i}.jsonl`)));
  return { startAt, summaries, records };
}

/** The merged summary must be summarizeRun over the union, figure for figure. */
function assertExactMerge(merged: RunSummary, shards: RunSummary[], perShard: RequestRecord[][]) {
  const sorted = perShard.flat().sort((a, b) => a.index - b.index);
  const direct = mergeShardRuns(shards.map((summary, i) => ({ summary, records: perShard[i] })), merged.id);
  // Independent of mergeShardRuns: summarizeRun over the union with the run's own parameters.
  const expect = summarizeRun({
    id: merged.id, api: shards[0].api, model: shards[0].model, target: shards[0].target,
    load: merged.load.mode === "rate" ? { mode: "rate", rate: merged.load.rate === "inf" ? Infinity : merged.load.rate, arrival: merged.load.arrival } : { mode: "concurrency", concurrency: (merged.load as { concurrency: number }).concurrency },
    workload: shards[0].workload, percentiles: [99.9], status: "completed", startedAt: merged.started_at,
    records: sorted, warmupCount: shards.reduce((a, s) => a + s.requests.warmup, 0), client: merged.client, rampUpS: 0,
    lastSendAt: Math.max(...shards.map((s) => s.shard!.last_send_at_ms)),
  });
  for (const k of ["requests", "duration_s", "throughput", "latency_ms"] as const) {
    assert.deepEqual(merged[k], expect[k], k);
    assert.deepEqual(direct.summary[k], expect[k], `library ${k}`);
  }
  assert.equal(merged.latency_ms.ttft.extra?.["p99.9"], expect.latency_ms.ttft.extra?.["p99.9"]);
}

test("open loop: N shard processes from a common start send the single run's timetable; merge is exact", { timeout: 120_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-shard-"));
  const n = 3, requests = 14, warmup = 1;
  try {
    const { startAt, summaries, records } = await runShards(dir, srv.url, n, ["--rate", "50", "--arrival", "poisson"], requests, warmup);
    // Shard I sent the arrivals i with i mod N = I, at the single run's offsets, with its prompts' indexes.
    const offsets = arrivalOffsetsMs({ rate: 50, arrival: "poisson", count: requests, rng: createRng(deriveSeed(7, "arrivals")) });
    for (let i = 0; i < n; i++) {
      const mine = offsets.map((_, k) => k).filter((k) => k % n === i);
      assert.deepEqual(records[i].map((r) => r.index - warmup).sort((a, b) => a - b), mine, `shard ${i} arrivals`);
      for (const r of records[i]) assert.equal(r.scheduledAt, offsets[r.index - warmup], "scheduled at the single run's offset");
      assert.equal(summaries[i].shard!.start_at_ms, startAt);
      assert.equal(summaries[i].started_at, new Date(startAt).toISOString());
      assert.equal(summaries[i].requests.sent, mine.length);
    }
    const db = join(dir, "db.sqlite");
    const m = await cli(["merge", ...Array.from({ length: n }, (_, i) => [join(dir, `s${i}.json`), join(dir, `s${i}.jsonl`)]).flat(), "--json", join(dir, "m.json"), "--records", join(dir, "m.jsonl"), "--report", join(dir, "m.html"), "--db", db]);
    assert.equal(m.code, 0, m.stderr);
    const merged: RunSummary = JSON.parse(readFileSync(join(dir, "m.json"), "utf8")).runs[0];
    assert.equal(merged.requests.sent, requests);
    assert.equal(merged.requests.completed, requests);
    assert.equal(merged.requests.warmup, n * warmup);
    assert.deepEqual(merged.merged?.run_ids, summaries.map((s) => s.id));
    assert.deepEqual(merged.load, { mode: "rate", rate: 50, arrival: "poisson" });
    assertExactMerge(merged, summaries, records);
    assert.equal(readFileSync(join(dir, "m.jsonl"), "utf8").trim().split("\n").length, requests);
    // The report sink reads the merged run back from the store.
    assert.ok(readFileSync(join(dir, "m.html"), "utf8").includes(merged.id));
    const store = openDb(db);
    try {
      const stored = getRun(store, merged.id)!;
      assert.equal(stored.status, "completed");
      assert.deepEqual((stored.summary as RunSummary).latency_ms, merged.latency_ms);
      assert.equal(getRequests(store, merged.id).length, requests);
    } finally {
      store.close();
    }
    // A missing shard or a shard given twice: one line, exit 2, nothing merged.
    for (const files of [[join(dir, "s0.json"), join(dir, "s1.json")], [join(dir, "s0.json"), join(dir, "s0.json"), join(dir, "s1.json"), join(dir, "s2.json")]]) {
      const bad = await cli(["merge", ...files, "--no-store"]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /missing|given twice/);
      assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    }
  } finally {
    await srv.close();
  }
});

test("closed loop: concurrency and requests split over shards; their requests tile the run; merge is exact", { timeout: 120_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-shard-"));
  const n = 2, requests = 11, warmup = 0;
  try {
    const { summaries, records } = await runShards(dir, srv.url, n, ["--concurrency", "3"], requests, warmup);
    assert.deepEqual(records.map((r) => r.length), [6, 5]);
    assert.deepEqual(records.flat().map((r) => r.index).sort((a, b) => a - b), Array.from({ length: requests }, (_, k) => k));
    const groups = groupShardFiles(Array.from({ length: n }, (_, i) => [join(dir, `s${i}.json`), join(dir, `s${i}.jsonl`)]).flat().map((path) => ({ path, text: readFileSync(path, "utf8") })));
    assert.equal(groups.length, 1);
    const merged = mergeShardRuns(groups[0], "merged-test").summary;
    assert.deepEqual(merged.load, { mode: "concurrency", concurrency: 3 });
    assertExactMerge(merged, summaries, records);
  } finally {
    await srv.close();
  }
});

test("bad shard flags: one line, exit 2", async () => {
  for (const [args, msg] of [
    [["run", "--target", "http://127.0.0.1:9", "--shard", "3/3"], /below N/],
    [["run", "--target", "http://127.0.0.1:9", "--shard", "x"], /I\/N/],
    [["run", "--target", "http://127.0.0.1:9", "--shard", "3/4", "--concurrency", "2", "--no-preflight", "--no-store"], /cannot be split over 4 shards/],
    [["run", "--target", "http://127.0.0.1:9", "--start-at", "12", "--no-preflight", "--no-store"], /epoch milliseconds/],
    [["run", "--target", "http://127.0.0.1:9", "--start-at", String(Date.now() + 600_000), "--concurrency", "1,2", "--no-preflight", "--no-store"], /one load/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describeLoad,
  loadFromJson,
  loadKey,
  loadLabel,
  loadProblem,
  loadToJson,
  maxInFlight,
  storedLoadLabel,
  type LoadSpec,
} from "../../src/schedule/shapes/index.js";
import { runBenchmark } from "../../src/benchmark/run.js";
import { openDb } from "../../src/store/db.js";
import { getRun } from "../../src/store/runs.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { toOptions } from "../../src/cli/commands/run.js";

const c4: LoadSpec = { mode: "concurrency", concurrency: 4 };
const r2: LoadSpec = { mode: "rate", rate: 2, arrival: "poisson" };
const inf8: LoadSpec = { mode: "rate", rate: Infinity, arrival: "poisson", maxConcurrency: 8 };

test("labels, descriptions, cell keys and JSON come from one definition per shape", () => {
  assert.deepEqual([c4, r2, inf8].map(loadLabel), ["c=4", "2 req/s", "inf req/s"]);
  assert.deepEqual([c4, r2, inf8].map(describeLoad), ["concurrency 4", "rate 2 req/s, poisson", "rate inf req/s, all at t=0, max concurrency 8"]);
  // experiment cell keys: stored cells are matched on them, so these strings must not change
  assert.deepEqual([c4, r2, inf8].map(loadKey), ["c4", "r2", "rinf"]);
  assert.deepEqual(loadToJson(inf8), { mode: "rate", rate: "inf", arrival: "poisson", max_concurrency: 8 });
  for (const l of [c4, r2, inf8, { ...r2, arrival: "gamma", burstiness: 0.5 } as LoadSpec]) {
    assert.deepEqual(loadFromJson(JSON.parse(JSON.stringify(loadToJson(l)))), l, loadLabel(l));
  }
});

test("loads stored by older versions (LoadSpec JSON: camelCase, rate null for inf) still read and label the same", () => {
  const old = JSON.parse(JSON.stringify(inf8)); // { mode: "rate", rate: null, arrival, maxConcurrency }
  assert.equal(old.rate, null);
  assert.deepEqual(loadFromJson(old), inf8);
  assert.equal(storedLoadLabel(old), "inf req/s");
  assert.equal(storedLoadLabel({ mode: "concurrency", concurrency: 2 }), "c=2");
  assert.equal(storedLoadLabel({ mode: "trace" }), "");
  assert.equal(storedLoadLabel(null), "");
});

test("validation: rate inf is a valid load; bad values name the key", () => {
  assert.equal(loadProblem(inf8), undefined);
  assert.equal(loadProblem({ mode: "rate", rate: Infinity, arrival: "constant" }), undefined);
  assert.match(loadProblem({ mode: "rate", rate: 0, arrival: "poisson" }) ?? "", /^rate: /);
  assert.match(loadProblem({ mode: "concurrency", concurrency: 1.5 }) ?? "", /^concurrency: /);
  assert.match(loadProblem({ mode: "bogus" }) ?? "", /^mode: /);
  assert.match(loadProblem(inf8, { durationS: 10 }) ?? "", /rate inf needs --requests/);
  assert.equal(maxInFlight(inf8, 100), 8);
  assert.equal(maxInFlight({ mode: "rate", rate: Infinity, arrival: "poisson" }, 100), 100);
  assert.equal(maxInFlight(c4, 100), 4);
});

test("--rate inf sends every request at t=0, bounded by --max-concurrency; stored and labelled", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 40, itlMs: 5 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-shapes-"));
  const dbPath = join(dir, "r.db");
  try {
    const flags = toOptions({ target: [srv.url], api: "openai-completions", rate: [Infinity], arrival: "poisson", maxConcurrency: 3, exactOutput: true, balance: "round-robin", store: true, progress: false } as Parameters<typeof toOptions>[0]);
    assert.deepEqual(flags.loads, [{ mode: "rate", rate: Infinity, arrival: "poisson", burstiness: undefined, maxConcurrency: 3 }]);
    const r = await runBenchmark({ ...flags, db: dbPath, requests: 9, warmup: 0, seed: 1, workload: { kind: "synthetic", input: { kind: "fixed", value: 16 }, output: { kind: "fixed", value: 8 } } });
    const s = r.summaries[0];
    assert.equal(s.requests.completed, 9);
    assert.deepEqual(s.load, { mode: "rate", rate: "inf", arrival: "poisson", max_concurrency: 3 });
    assert.equal(srv.maxActive, 3);
    // Every request was due at 0; those beyond the cap waited for a slot (queue): 3 waves,
    // each starting after a request of the one before ended (>= 40 ms TTFT + 7 x 5 ms ITL later).
    for (const rec of r.records[0]) assert.equal(rec.scheduledAt, 0);
    const waits = r.records[0].map((x) => x.queueMs!).sort((a, b) => a - b);
    const shown = waits.map((w) => w.toFixed(0)).join(",");
    assert.ok(waits[3] >= waits[0] + 40 && waits[6] >= waits[3] + 40, `queue ${shown}`);
    const db = openDb(dbPath, { readonly: true });
    try {
      const stored = getRun(db, s.id)!;
      assert.equal(storedLoadLabel(stored.load), "inf req/s");
      assert.deepEqual(stored.load, s.load);
    } finally {
      db.close();
    }
  } finally {
    await srv.close();
  }
});

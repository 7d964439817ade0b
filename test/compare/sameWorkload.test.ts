import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { compare } from "../../src/compare/index.js";
import type { WorkloadSummary } from "../../src/aggregate/types.js";
import { storeSyntheticRun } from "./storedRuns.js";
import { comparisonTable } from "../../src/report/tables.js";

// compare refuses (CLI, without --force) runs that asked different things; p90/p95 on request.

const dir = mkdtempSync(join(tmpdir(), "tb-cmpw-"));
const dbPath = join(dir, "r.db");
const db = openDb(dbPath);
const w = (input: number): WorkloadSummary => ({
  kind: "synthetic", input_tokens: { kind: "fixed", value: input }, output_tokens: { kind: "fixed", value: 50 },
  requests: 80, warmup: 2, tokenizer: "llama3 (bundled)", seed: 1, exact_output: true,
});
const common = { requests: 80, concurrency: 2, outputTokens: 50, itlMs: { mean: 20, sd: 4 }, ttftMs: { mean: 100, sd: 20 } };
storeSyntheticRun(db, { id: "w256-a", ...common, seed: 1, workload: w(256) });
// same workload, another seed and request count: comparable
storeSyntheticRun(db, { id: "w256-b", ...common, seed: 2, workload: { ...w(256), seed: 9, requests: 60 } });
storeSyntheticRun(db, { id: "w1024", ...common, seed: 3, workload: w(1024) });
storeSyntheticRun(db, { id: "chat", ...common, seed: 4, workload: w(256), api: "openai-chat" });
// A run stored before summaries carried their workload: read from its stored options.
storeSyntheticRun(db, { id: "old", ...common, seed: 5 });
db.prepare("UPDATE runs SET options_json = ? WHERE id = 'old'").run(JSON.stringify({ api: "openai-completions", workload: { kind: "synthetic", input: { kind: "fixed", value: 1024 }, output: { kind: "fixed", value: 50 } }, exact_output: true }));

test("same workload and API: no warning; a different workload or API: one line each", () => {
  assert.equal(compare(db, ["w256-a", "w256-b"]).warnings, undefined);
  assert.deepEqual(compare(db, ["w256-a", "w1024"]).warnings, [
    "different workloads: w1024 ran 1024 in / 50 out tokens; the baseline 256 in / 50 out tokens",
  ]);
  assert.deepEqual(compare(db, ["w256-a", "chat"]).warnings, ["different APIs: chat used openai-chat, the baseline openai-completions"]);
  // the old run's stored options say 1024 in: same as w1024, different from w256-a
  assert.equal(compare(db, ["w1024", "old"]).warnings, undefined);
  assert.equal(compare(db, ["w256-a", "old"]).warnings?.length, 1);
  // the report's comparison table says so under the table
  assert.match(comparisonTable(compare(db, ["w256-a", "chat"])).note ?? "", /^Not like for like: different APIs: chat used openai-chat/);
  assert.doesNotMatch(comparisonTable(compare(db, ["w256-a", "w256-b"])).note ?? "", /like for like/);
});

test("p90 and p95 are compared when asked for, not by default", () => {
  const all = compare(db, ["w256-a", "w256-b"]).metrics.map((m) => m.metric);
  assert.ok(!all.some((m) => /_p9[05]_ms$/.test(m)), all.join(","));
  const asked = compare(db, ["w256-a", "w256-b"], { metrics: ["ttft_p95_ms", "e2e_p90_ms"] });
  assert.deepEqual(asked.metrics.map((m) => m.metric), ["ttft_p95_ms", "e2e_p90_ms"]);
  const p95 = asked.metrics[0].values;
  const s = (id: string) => JSON.parse((db.prepare("SELECT summary_json FROM runs WHERE id = ?").get(id) as { summary_json: string }).summary_json);
  assert.equal(p95[0].value, s("w256-a").latency_ms.ttft.p95);
  assert.equal(p95[1].value, s("w256-b").latency_ms.ttft.p95);
  assert.equal(p95[1].ciMethod, "requests");
});

const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "compare", "--db", dbPath, ...args], { encoding: "utf8" });

test("CLI: different workloads are refused in one line unless --force, which warns", () => {
  const refused = cli("w256-a", "w1024");
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr.trim().split("\n").length, 1);
  assert.match(refused.stderr.trim(), /^tokenbench: error: different workloads: w1024 ran 1024 in .*; compare anyway with --force$/);
  const forced = cli("w256-a", "w1024", "--force", "--metric", "ttft_p95_ms");
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /^warning: different workloads: w1024/m);
  assert.match(forced.stdout, /ttft_p95_ms/);
});

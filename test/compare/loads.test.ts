import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getRun } from "../../src/store/runs.js";
import { compare } from "../../src/compare/index.js";
import { renderComparison } from "../../src/compare/format.js";
import { comparisonTable } from "../../src/report/tables.js";
import { configOf } from "../../src/report/data.js";
import { storeSyntheticRun } from "./storedRuns.js";

// Runs at different loads are a load curve, not better or worse; same labels stay tellable
// apart; the embedded engine's random port does not split one engine into configurations.

const db = openDb(join(mkdtempSync(join(tmpdir(), "tb-cmpl-")), "r.db"));
const common = { requests: 60, outputTokens: 40, itlMs: { mean: 20, sd: 3 }, ttftMs: { mean: 100, sd: 15 } };
// The same engine at c=1 and c=8: c=8 has clearly higher latency and throughput.
storeSyntheticRun(db, { id: "20261129100000-aaaaaa", ...common, concurrency: 1, seed: 1 });
storeSyntheticRun(db, { id: "20261129100100-bbbbbb", ...common, concurrency: 8, seed: 2, itlMs: { mean: 40, sd: 3 } });
// Two runs at c=8 with one label, the second slower.
storeSyntheticRun(db, { id: "20261129100200-cccccc", ...common, concurrency: 8, seed: 3, itlMs: { mean: 40, sd: 3 } });
for (const [id, port] of [["20261129100000-aaaaaa", 41001], ["20261129100100-bbbbbb", 41002], ["20261129100200-cccccc", 41003]] as const) {
  db.prepare("UPDATE runs SET label = 'tiny', target = ?, server_info_json = ? WHERE id = ?").run(`http://127.0.0.1:${port}`, JSON.stringify({ embedded: true }), id);
}

test("different loads: a load curve, said higher or lower, with each item's load", () => {
  const cmp = compare(db, ["20261129100000-aaaaaa", "20261129100100-bbbbbb"]);
  assert.equal(cmp.sameLoad, false);
  assert.deepEqual(cmp.items.map((i) => i.load), ["c=1", "c=8"]);
  const table = comparisonTable(cmp);
  const verdicts = table.rows.map((r) => r[5]).filter((v) => v !== "–");
  assert.ok(verdicts.includes("higher"), verdicts.join(","));
  assert.ok(!verdicts.some((v) => v === "better" || v === "worse"), verdicts.join(","));
  assert.match(table.note ?? "", /different loads: a load curve/);
  assert.ok(table.rows.some((r) => r[1] === "tiny (bbbbbb) @ c=8"), JSON.stringify(table.rows.map((r) => r[1])));
  const text = renderComparison(cmp);
  assert.doesNotMatch(text, /is better/);
  assert.match(text, /different loads \(c=1, c=8\): read the ratios as a load curve/);
});

test("same load and workload: better or worse as before", () => {
  const cmp = compare(db, ["20261129100100-bbbbbb", "20261129100000-aaaaaa", "20261129100200-cccccc"].filter((x) => x !== "20261129100000-aaaaaa"));
  assert.equal(cmp.sameLoad, true);
  const verdicts = comparisonTable(cmp).rows.map((r) => r[5]);
  assert.ok(verdicts.every((v) => ["–", "better", "worse", "n.s.", "no CI"].includes(v)), verdicts.join(","));
  assert.match(renderComparison(cmp), /lower is better/);
});

test("runs sharing a label are told apart by the end of their id", () => {
  const cmp = compare(db, ["20261129100100-bbbbbb", "20261129100200-cccccc"]);
  assert.deepEqual(cmp.items.map((i) => i.label), ["tiny (bbbbbb)", "tiny (cccccc)"]);
  assert.match(renderComparison(cmp), /tiny \(bbbbbb\).*tiny \(cccccc\)/);
});

test("the embedded engine's random port does not split it into configurations", () => {
  db.prepare("UPDATE runs SET label = NULL").run();
  const configs = ["20261129100000-aaaaaa", "20261129100100-bbbbbb", "20261129100200-cccccc"].map((id) => configOf(getRun(db, id)!));
  assert.deepEqual(new Set(configs), new Set(["m @ embedded engine"]));
  // An external server keeps its URL: two servers are two configurations.
  db.prepare("UPDATE runs SET server_info_json = '{}' WHERE id = '20261129100200-cccccc'").run();
  assert.equal(configOf(getRun(db, "20261129100200-cccccc")!), "m @ http://127.0.0.1:41003");
});

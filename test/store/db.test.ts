import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { createRun, finishRun, getRun, listRuns, appendRequests, getRequests } from "../../src/store/runs.js";

test("store round-trips a run and redacts secrets", () => {
  const db = openDb(join(mkdtempSync(join(tmpdir(), "tb-")), "r.db"));
  createRun(db, { id: "abc123", toolVersion: "0.1.0", options: { apiKey: "sk-secretsecret", headers: { Authorization: "Bearer x" }, note: "uses sk-abcdefghijk" } });
  appendRequests(db, "abc123", 0, [{ index: 0 } as never]);
  finishRun(db, "abc123", "completed");
  const run = getRun(db, "abc");
  assert.equal(run?.status, "completed");
  const text = JSON.stringify(run?.options);
  assert.doesNotMatch(text, /secretsecret|Bearer x|abcdefghijk/);
  assert.equal(listRuns(db).length, 1);
  assert.equal(getRequests(db, "abc123").length, 1);
});

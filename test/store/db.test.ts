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

test("a run's owner is pid + process start time + host: a recycled pid does not keep a dead run running; another host's run is 'running on HOST'", async () => {
  const { spawn } = await import("node:child_process");
  const { hostname } = await import("node:os");
  const { processStartTime } = await import("../../src/store/db.js");
  const { statusText } = await import("../../src/store/runs.js");
  const path = join(mkdtempSync(join(tmpdir(), "tb-")), "r.db");
  const db = openDb(path);
  assert.equal(db.pragma("user_version", { simple: true }), 4);
  createRun(db, { id: "mine", toolVersion: "0" });
  const row = db.prepare("SELECT owner_pid, owner_host, owner_start FROM runs WHERE id = 'mine'").get() as { owner_pid: number; owner_host: string; owner_start: string | null };
  assert.deepEqual([row.owner_pid, row.owner_host], [process.pid, hostname()]);
  assert.match(row.owner_start ?? "", /^\d+$/, "owner start time not stored");
  assert.equal(row.owner_start, processStartTime(process.pid));

  // A live process holds the pid the owner had: same pid, another start time = a recycled pid.
  const other = spawn("sleep", ["30"], { stdio: "ignore" });
  try {
    await new Promise((r) => other.once("spawn", r));
    const set = db.prepare("UPDATE runs SET status = 'running', owner_pid = ?, owner_host = ?, owner_start = ? WHERE id = 'mine'");
    set.run(other.pid, hostname(), processStartTime(other.pid!));
    assert.equal(getRun(db, "mine")!.status, "running", "the real owner, alive");
    set.run(other.pid, hostname(), String(Number(processStartTime(other.pid!)) - 1));
    assert.equal(getRun(db, "mine")!.status, "interrupted", "a recycled pid kept a dead run running");
    // The next writable open stores it as interrupted.
    db.close();
    const db2 = openDb(path);
    assert.equal((db2.prepare("SELECT status FROM runs WHERE id = 'mine'").get() as { status: string }).status, "interrupted");

    // Another host's run: its owner cannot be checked from here; shown as running there.
    db2.prepare("UPDATE runs SET status = 'running', owner_pid = 999999, owner_host = 'gpu-box-7', owner_start = '1' WHERE id = 'mine'").run();
    db2.close();
    const db3 = openDb(path);
    const run = getRun(db3, "mine")!;
    assert.equal(run.status, "running");
    assert.equal(statusText(run), "running on gpu-box-7");
    assert.equal(statusText({ status: "completed", owner_host: "gpu-box-7" }), "completed");
    db3.close();
  } finally {
    other.kill();
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openDb } from "../../src/store/db.js";
import { createRun, getRequests, listRuns } from "../../src/store/runs.js";
import { Recorder } from "../../src/benchmark/recorder.js";
import type { RequestRecord } from "../../src/measure/types.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { describePids, killMarked, startCli, waitNoOrphans } from "./harness.js";

// Storage errors during a run: another process holds the database's write lock (a long
// transaction, a backup), or the disk is full.

/** Another process takes the write lock of `db` for `holdMs`; resolves once it holds it. */
function lockDb(db: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const src = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.pragma("busy_timeout = 10000");
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO experiments (id, name, spec_json, created_at, status) VALUES ('lock', 'lock', '{}', 'x', 'x')").run();
    process.stdout.write("locked\\n");
    setTimeout(() => { db.exec("ROLLBACK"); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ["-e", src, db, String(holdMs)], { stdio: ["ignore", "pipe", "inherit"] });
  const released = new Promise<void>((r) => child.on("close", () => r()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => String(d).includes("locked") && resolve({ released }));
    child.on("error", reject);
    child.on("close", () => reject(new Error("the lock holder exited before locking")));
  });
}

/** Waits until the run has stored some records: the lock then hits a run in progress. */
async function waitForRecords(path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      const n = (db.prepare("SELECT COUNT(*) AS n FROM requests").get() as { n: number }).n;
      db.close();
      if (n > 0) return;
    } catch {
      // not created yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the run stored no record within 60 s");
}

function runArgs(url: string, dir: string, duration: number): string[] {
  return ["run", "--target", url, "-c", "4", "--duration", String(duration), "--warmup", "0", "--input-tokens", "8", "--output-tokens", "4",
    "--db", join(dir, "r.db"), "--no-progress", "--no-preflight"];
}

test("a database locked briefly by another process is waited for: nothing lost, the run completes", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-busy-"));
  const run = startCli([...runArgs(srv.url, dir, 6), "--json", join(dir, "s.json")]);
  try {
    await waitForRecords(join(dir, "r.db"));
    const lock = await lockDb(join(dir, "r.db"), 3000);
    await lock.released;
    const { code } = await run.done;
    assert.equal(code, 0, run.err());
    const s = JSON.parse(readFileSync(join(dir, "s.json"), "utf8")).runs[0];
    const db = openDb(join(dir, "r.db"), { readonly: true });
    const kept = getRequests(db, s.id);
    assert.equal(listRuns(db)[0].status, "completed");
    db.close();
    assert.equal(kept.length, s.requests.completed + s.requests.failed);
    assert.equal(s.requests.failed, 0);
    assert.equal(kept.length, srv.received, "every request sent is kept");
  } finally {
    killMarked(run.marker);
    await srv.close();
  }
});

test("a database locked for longer stops the load, keeps every record in a named file, exits non-zero in bounded time", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-locked-"));
  const run = startCli(runArgs(srv.url, dir, 300));
  try {
    await waitForRecords(join(dir, "r.db"));
    const lock = await lockDb(join(dir, "r.db"), 60_000);
    const lockedAt = Date.now();
    const { code } = await run.done;
    const ms = Date.now() - lockedAt;
    assert.ok(ms < 45_000, `exited ${ms} ms after the lock (limit 30 s)`);
    assert.equal(code, 1, run.err());
    // One error line (the run's status line, which states the workload, comes before it).
    const lines = run.err().trim().split("\n").filter((l) => l.startsWith("tokenbench: error"));
    assert.equal(lines.length, 1, run.err());
    assert.match(lines[0], /^tokenbench: error: results database write failed \(the database stayed locked by another process for over 30 s\): load stopped; \d+ records stored, the other \d+ and the run summary kept in \S+\.jsonl$/);
    const file = /kept in (\S+\.jsonl)$/.exec(lines[0])![1];
    const receivedAtExit = srv.received;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(srv.received, receivedAtExit, "no request after the exit");
    const [head, ...rest] = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const summary = head.run_summary;
    await lock.released;
    const db = openDb(join(dir, "r.db"), { readonly: true });
    const stored = getRequests(db, summary.id);
    db.close();
    const kept: RequestRecord[] = [...stored, ...rest];
    assert.equal(kept.length, summary.requests.completed + summary.requests.failed, "completed + failed = sent, in what was kept");
    // Requests aborted at the stop may not have reached the server yet: at most one per worker.
    assert.ok(kept.length >= srv.received && kept.length - srv.received <= 4, `kept ${kept.length}, server got ${srv.received}`);
    // The in-flight requests at the stop are the only failures: no phantom records.
    const failed = kept.filter((r) => !r.ok);
    assert.ok(failed.length <= 4, `${failed.length} failed records`);
    for (const r of failed) assert.equal(r.errorKind, "aborted");
    assert.deepEqual(await waitNoOrphans(run.marker, 2000), [], describePids([]));
  } finally {
    killMarked(run.marker);
    await srv.close();
  }
});

test("disk full (SQLITE_FULL) fails the store at once: the recorder stops, keeps every record and never throws", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-full-"));
  const db = openDb(join(dir, "full.db"));
  createRun(db, { id: "r1", toolVersion: "t" });
  const pages = db.pragma("page_count", { simple: true }) as number;
  db.pragma(`max_page_count = ${pages + 2}`);
  let failures = 0;
  const rec = new Recorder(db, "r1", () => failures++);
  const big = "x".repeat(4000);
  for (let i = 0; i < 600; i++) rec.add({ index: i, warmup: false, ok: true, outputTokens: 1, error: big, chunks: [], itlMs: [] } as unknown as RequestRecord);
  rec.flush(true);
  assert.equal(failures, 1);
  assert.match(rec.storageFailure!.message, /full/i);
  assert.equal(rec.stored + rec.unstored().length, 600);
  assert.equal(getRequests(db, "r1").length, rec.stored);
  db.close();
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { upsertExperiment } from "../../src/experiment/cellStore.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { CLI, startCli } from "./harness.js";

// Read-only use and output paths: reading commands work on a database the user cannot write
// beside, and bad output paths are refused before any request is sent.

/** The CLI as an unprivileged user: as root, permissions would not apply (nobody's uid then). */
function cliAsUser(args: string[]) {
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? "setpriv" : process.execPath;
  const argv = asRoot ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...CLI, ...args] : [...CLI, ...args];
  return spawnSync(cmd, argv, { encoding: "utf8", timeout: 120_000, env: { ...process.env, HOME: tmpdir(), TOKENBENCH_HOME: join(tmpdir(), "tb-nobody-home") } });
}

test("runs, report, compare and experiment status read a database in a directory they cannot write", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-ro-"));
  const db = join(dir, "r.db");
  try {
    const run = startCli(["run", "--target", srv.url, "-c", "1,2", "-n", "4", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "4", "--db", db, "--no-progress"]);
    assert.equal((await run.done).code, 0, run.err());
    const ids = [...run.err().matchAll(/\d{14}-[0-9a-f]{6}/g)].map((m) => m[0]);
    const h = openDb(db);
    upsertExperiment(h, "ro", "ro", undefined, { name: "ro" }, "completed");
    h.close();
    assert.ok(!existsSync(`${db}-wal`) && !existsSync(`${db}-shm`), "closed cleanly: no WAL index left to reuse");
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    const out = mkdtempSync(join(tmpdir(), "tb-rel-ro-out-"));
    chmodSync(out, 0o777);
    for (const args of [["runs", "--db", db], ["report", ids[0], "--db", db, "-o", join(out, "r.html")], ["compare", ids[0], ids[1], "--db", db], ["experiment", "status", "ro", "--db", db]]) {
      const r = cliAsUser(args);
      assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
    }
    const listed = cliAsUser(["runs", "--db", db]);
    assert.match(listed.stdout, new RegExp(ids[1]));
    assert.ok(existsSync(join(out, "r.html")));
    // The unwritable directory was not touched.
    assert.ok(!existsSync(`${db}-shm`));
    const png = cliAsUser(["report", ids[0], "--db", db, "-o", join(out, "r2.html"), "--png", join(dir, "png")]);
    assert.equal(png.status, 2, png.stderr);
    assert.match(png.stderr, /^tokenbench: error: --png .*png: directory .* is not writable\n$/);
  } finally {
    chmodSync(dir, 0o755);
    await srv.close();
  }
});

test("bad output paths are refused before any request; no MaxListenersExceededWarning at concurrency 24", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 5 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-out-"));
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  mkdirSync(join(dir, "a-dir"));
  try {
    for (const [flag, path, msg] of [
      ["--json", join(file, "s.json"), /--json .*: .*a-file is not a directory/],
      ["--records", join(dir, "a-dir"), /--records .*a-dir: is a directory/],
      ["--csv", join(file, "x", "s.csv"), /--csv .*a-file is not a directory/],
    ] as const) {
      const r = spawnSync(process.execPath, [...CLI, "run", "--target", srv.url, "-n", "2", "--no-store", flag, path], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    assert.equal(srv.received, 0, "no request was sent");
    const run = startCli(["run", "--target", srv.url, "-c", "24", "-n", "96", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "8", "--no-store", "--no-progress"]);
    assert.equal((await run.done).code, 0, run.err());
    assert.doesNotMatch(run.err(), /MaxListenersExceededWarning/);
  } finally {
    await srv.close();
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getRequests, listRuns } from "../../src/store/runs.js";
import { describePids, killMarked, startCli, waitNoOrphans, CLI } from "./harness.js";
import { spawnSync } from "node:child_process";

// Signals and child processes, with the real CLI and the real embedded llama.cpp engine:
// SIGTERM is handled like Ctrl-C, SIGKILL leaves no process behind, and the killed run is
// shown as interrupted by the next command that opens the store.

const home = process.env.TOKENBENCH_HOME ?? mkdtempSync(join(tmpdir(), "tb-home-"));
const ENV = { TOKENBENCH_HOME: home };

function embeddedRun(dir: string, extra: string[] = []) {
  return startCli(
    ["run", "--preset", "tiny", "--parallel", "2", "-c", "2", "--duration", "120", "--input-tokens", "16", "--output-tokens", "24",
      "--db", join(dir, "r.db"), "--no-progress", ...extra],
    ENV,
  );
}

test("run with the embedded engine: SIGTERM stores partial results, stops the engine and exits", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-term-"));
  const run = embeddedRun(dir, ["--json", join(dir, "s.json")]);
  try {
    await run.waitFor(/started the embedded llama\.cpp server/);
    await new Promise((r) => setTimeout(r, 2000));
    const killedAt = Date.now();
    run.child.kill("SIGTERM");
    const { code } = await run.done;
    assert.ok(Date.now() - killedAt < 30_000, `exited ${Date.now() - killedAt} ms after SIGTERM`);
    assert.equal(code, 130, run.err());
    assert.match(run.err(), /interrupted \(SIGTERM\)/);
    const left = await waitNoOrphans(run.marker, 5000);
    assert.deepEqual(left, [], `orphans:\n${describePids(left)}`);
    const doc = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    const s = doc.runs[0];
    assert.equal(s.status, "interrupted");
    const db = openDb(join(dir, "r.db"), { readonly: true });
    const [row] = listRuns(db);
    const kept = getRequests(db, row.id).filter((r) => !r.warmup);
    db.close();
    assert.equal(row.status, "interrupted");
    assert.ok(kept.length > 0, "something was measured before SIGTERM");
    assert.equal(s.requests.completed + s.requests.failed, kept.length, "completed + failed = sent, in what was kept");
  } finally {
    killMarked(run.marker);
  }
});

test("run with the embedded engine killed by SIGKILL: no engine left behind; the run then reads as interrupted; --records keeps whole lines", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-kill-"));
  const run = embeddedRun(dir, ["--records", join(dir, "r.jsonl")]);
  try {
    await run.waitFor(/started the embedded llama\.cpp server/);
    await new Promise((r) => setTimeout(r, 4000));
    run.child.kill("SIGKILL");
    await run.done;
    // Lines are appended at least every second as requests finish: what was measured is there,
    // as whole JSON lines (no temporary file renamed at the end, which SIGKILL never reaches).
    const lines = readFileSync(join(dir, "r.jsonl"), "utf8");
    assert.ok(lines.endsWith("\n"), "whole lines only");
    const records = lines.trimEnd().split("\n").map((l) => JSON.parse(l) as { index: number; warmup: boolean });
    assert.ok(records.length >= 1 && records.every((r) => !r.warmup), `${records.length} records`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
    // The watchdog sends SIGTERM at once; the engine's grace period is 10 s.
    const left = await waitNoOrphans(run.marker, 15_000);
    assert.deepEqual(left, [], `orphans:\n${describePids(left)}`);
    const listed = spawnSync(process.execPath, [...CLI, "runs", "--db", join(dir, "r.db")], { encoding: "utf8", env: { ...process.env, ...ENV } });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /interrupted/);
    assert.doesNotMatch(listed.stdout, /running/);
  } finally {
    killMarked(run.marker);
  }
});

const FIX = resolve("test/fixtures/experiment");

function experiment(dir: string, name: string, graceS: number, requests: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      "servers:",
      "  - name: fake",
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(join(FIX, "fakeServer.mjs"))}, --port, "{port}", --itl-ms, "20"]`,
      "    ready: { timeout_s: 30, interval_s: 0.1 }",
      `    stop: { grace_s: ${graceS} }`,
      "workloads: [{ name: w, input: 8, output: 8 }]",
      "loads: { concurrency: [1, 2] }",
      `requests: ${requests}`,
      // Byte-level prompts: loading the Llama 3 tokenizer takes 20 s on a loaded 2-core machine and
      // cannot be interrupted midway; the stop path is what is under test here.
      "tokenizer: bytes",
      "telemetry: { gpu: false, interval_s: 0.2 }",
    ].join("\n"),
  );
  return file;
}

test("experiment run does not linger for stop.grace_s after finishing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-linger-"));
  const run = startCli(["experiment", "run", experiment(dir, "linger", 60, 4), "--db", join(dir, "e.db")]);
  try {
    await run.waitFor(/server fake stopped/);
    const stoppedAt = Date.now();
    const { code } = await run.done;
    assert.equal(code, 0, run.err());
    assert.ok(Date.now() - stoppedAt < 5000, `exited ${Date.now() - stoppedAt} ms after its server stopped (grace_s is 60)`);
    assert.deepEqual(await waitNoOrphans(run.marker, 3000), []);
  } finally {
    killMarked(run.marker);
  }
});

test("experiment run: SIGTERM stops the cell and the server at once; SIGKILL leaves no server and reads as interrupted", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-exp-"));
  const file = experiment(dir, "sig", 60, 400);
  const db = join(dir, "e.db");
  const term = startCli(["experiment", "run", file, "--db", db]);
  try {
    await term.waitFor(/server fake \(pid \d+\) ready/);
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    term.child.kill("SIGTERM");
    const { code } = await term.done;
    assert.equal(code, 130, term.err());
    assert.ok(Date.now() - t < 10_000, `exited ${Date.now() - t} ms after SIGTERM (grace_s is 60)`);
    assert.deepEqual(await waitNoOrphans(term.marker, 3000), []);
  } finally {
    killMarked(term.marker);
  }

  const kill = startCli(["experiment", "run", file, "--db", db, "--fresh"]);
  try {
    await kill.waitFor(/server fake \(pid \d+\) ready/);
    await new Promise((r) => setTimeout(r, 500));
    kill.child.kill("SIGKILL");
    await kill.done;
    const left = await waitNoOrphans(kill.marker, 10_000);
    assert.deepEqual(left, [], `orphans:\n${describePids(left)}`);
    const status = spawnSync(process.execPath, [...CLI, "experiment", "status", "sig", "--db", db], { encoding: "utf8" });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /experiment sig: interrupted/);
    const h = openDb(db, { readonly: true });
    assert.deepEqual(listRuns(h).filter((r) => r.status === "running").map((r) => r.id), []);
    h.close();
  } finally {
    killMarked(kill.marker);
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getCells } from "../../src/store/experiments.js";

// The real CLI in a child process, killed for real (SIGKILL and SIGINT) in the middle of an experiment.

const FIX = resolve("test/fixtures/experiment");
// Always the source under test: a dist/ left from an earlier build could be stale.
const CLI = ["--import", "tsx", "src/cli/main.ts"];

function writeExperiment(dir: string, name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      "servers:",
      "  - name: fake",
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(join(FIX, "fakeServer.mjs"))}, --port, "{port}", --itl-ms, "25", --pid-file, ${JSON.stringify(join(dir, "server.pid"))}]`,
      "    ready: { timeout_s: 30, interval_s: 0.1 }",
      "    stop: { grace_s: 3 }",
      "workloads: [{ name: w, input: 8, output: 8 }]",
      "loads: { concurrency: [1, 2, 3] }",
      "requests: 8",
      "telemetry: { gpu: false, interval_s: 0.2 }",
    ].join("\n"),
  );
  return file;
}

function startCli(file: string, db: string): { child: ChildProcess; out: () => string; err: () => string; done: Promise<number | null>; waitFor: (re: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, [...CLI, "experiment", "run", file, "--db", db], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters: Array<[RegExp, () => void]> = [];
  const check = () => waiters.filter(([re]) => re.test(err)).forEach((w) => (w[1](), waiters.splice(waiters.indexOf(w), 1)));
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => ((err += d), check()));
  const done = new Promise<number | null>((r) => child.on("close", (code, signal) => r(code ?? (signal ? 128 : null))));
  return { child, out: () => out, err: () => err, done, waitFor: (re) => new Promise<void>((r) => (waiters.push([re, r]), check())) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("killed with SIGKILL after a cell: nothing stored is lost and the re-run does only the missing cells", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-resume-"));
  const file = writeExperiment(dir, "resume");
  const db = join(dir, "r.db");
  const first = startCli(file, db);
  await first.waitFor(/\[1\/3\] server=fake\/workload=w\/load=c1\/rep=1 completed/);
  first.child.kill("SIGKILL");
  await first.done;
  // SIGKILL gives the tool no chance to stop its server: the test cleans it up.
  const pid = Number(readFileSync(join(dir, "server.pid"), "utf8"));
  if (alive(pid)) process.kill(pid, "SIGKILL");

  const h = openDb(db);
  assert.deepEqual(getCells(h, "resume").map((c) => [c.cellKey, c.status]), [["server=fake/workload=w/load=c1/rep=1", "completed"]]);
  h.close();

  const second = startCli(file, db);
  assert.equal(await second.done, 0, second.err());
  assert.match(second.err(), /1 of 3 cells already stored; running the other 2/);
  assert.doesNotMatch(second.err(), /load=c1\/rep=1 completed/);
  assert.match(second.out(), /experiment resume: 2 completed, 1 already stored, 0 failed/);
  const h2 = openDb(db);
  const statuses = (h2.prepare("SELECT status FROM runs WHERE experiment_id = 'resume'").all() as { status: string }[]).map((r) => r.status);
  h2.close();
  assert.ok(!statuses.includes("running"), `no run is left running: ${statuses}`);
  assert.equal(statuses.filter((x) => x === "completed").length, 3);

  const third = startCli(file, db);
  assert.equal(await third.done, 0);
  assert.match(third.out(), /0 completed, 3 already stored/);
  assert.doesNotMatch(third.err(), /starting server/, "no server is started when every cell is stored");

  const status = spawnSync(process.execPath, [...CLI, "experiment", "status", file, "--db", db], { encoding: "utf8" });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /^experiment resume: completed, 3 stored cells$/m);
  assert.match(status.stdout, /^ {2}completed server=fake\/workload=w\/load=c2\/rep=1 run \d{14}-[0-9a-f]{6}$/m);
  const unknown = spawnSync(process.execPath, [...CLI, "experiment", "status", "nope", "--db", db], { encoding: "utf8" });
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, 'tokenbench: error: no experiment named "nope" in the database\n');
});

test("Ctrl-C stops the cell in flight and the server, exits 130, and keeps finished cells", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-resume-"));
  const file = writeExperiment(dir, "interrupt");
  const db = join(dir, "r.db");
  const run = startCli(file, db);
  await run.waitFor(/\[1\/3\] .* completed/);
  run.child.kill("SIGINT");
  assert.equal(await run.done, 130, run.err());
  assert.match(run.err(), /server fake stopped/);
  const pid = Number(readFileSync(join(dir, "server.pid"), "utf8"));
  assert.equal(alive(pid), false, "server process stopped");
  const h = openDb(db);
  const cells = getCells(h, "interrupt");
  h.close();
  assert.equal(cells.filter((c) => c.status === "completed").length >= 1, true);
  assert.ok(cells.every((c) => c.status === "completed"), "the interrupted cell is not stored as a result");
});

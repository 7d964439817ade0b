import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseExperiment } from "../../src/experiment/load.js";
import { runExperiment } from "../../src/experiment/runner.js";
import { getCells } from "../../src/store/experiments.js";
import { openDb } from "../../src/store/db.js";
import { getRun, getTimeseries } from "../../src/store/runs.js";
import { isPortFree } from "../../src/experiment/serverProcess.js";

// Real processes: small node scripts launched as servers and commands, real HTTP, real SQLite.

const FIX = resolve("test/fixtures/experiment");
const node = process.execPath;
const fake = (name: string, extra: string[] = [], over: Record<string, unknown> = {}) => ({
  name,
  command: node,
  args: [join(FIX, "fakeServer.mjs"), "--port", "{port}", ...extra],
  ready: { timeout_s: 20, interval_s: 0.1 },
  stop: { grace_s: 2 },
  ...over,
});
const base = {
  workloads: [{ name: "tiny", input: 8, output: 8 }],
  loads: { concurrency: [1, 2] },
  requests: 6,
  timeout_s: 10,
  telemetry: { gpu: true, server: true, client: true, interval_s: 0.1 },
};

async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, server };
}

test("server faults fail their cells with the reason; the rest of the experiment runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-exp-"));
  const busy = await occupyPort();
  const spec = parseExperiment(
    {
      name: "faults",
      ...base,
      servers: [
        { name: "missing", command: "tokenbench-no-such-binary-xyz", args: [], stop: { grace_s: 1 } },
        fake("never-ready", ["--never-ready"], { ready: { timeout_s: 5, interval_s: 0.1 } }), // 5 s: node starts slowly on busy cores
        fake("busy-port", [], { port: busy.port }),
        fake("dies", ["--die-after", "3"]),
        fake("good", ["--slots", "2", "--itl-ms", "15"]),
      ],
      commands: [
        { name: "train", command: node, args: [join(FIX, "trainer.mjs"), "--speed", "100"], lower_is_better: ["loss"] },
        { name: "oom", command: node, args: [join(FIX, "trainer.mjs"), "--fail"] },
        { name: "nocmd", command: "no-such-trainer-xyz" },
      ],
    },
    "faults.yaml",
  );
  const lines: string[] = [];
  const res = await runExperiment({ spec, db: join(dir, "r.db"), log: (l) => (lines.push(l), process.env.TB_DEBUG && console.error(new Date().toISOString(), l)), nvidiaSmiCommand: join(FIX, "fake-nvidia-smi.mjs") });
  busy.server.close();
  const by = (k: string) => res.cells.filter((c) => c.key.startsWith(k));

  for (const c of by("server=missing/")) {
    assert.equal(c.status, "failed");
    assert.match(c.error!, /command not found: tokenbench-no-such-binary-xyz/);
  }
  for (const c of by("server=never-ready/")) {
    assert.equal(c.status, "failed");
    assert.match(c.error!, /not ready after 5s \(GET http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503\)/);
    assert.match(c.error!, /last lines of .*never-ready.*\.log[\s\S]*fake server listening/, "log tail included");
  }
  for (const c of by("server=busy-port/")) {
    assert.equal(c.status, "failed");
    assert.match(c.error!, new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is already in use`));
  }
  const dies = by("server=dies/");
  assert.equal(dies[0].status, "failed", "the server exits after 3 of the first cell's 6 requests");
  assert.match(dies[0].error!, /server dies exited with code 3 during the cell[\s\S]*dying after 3 requests/);
  assert.match(dies[1].error!, /server dies exited with code 3 before this cell/);

  const good = by("server=good/");
  assert.deepEqual(good.map((c) => c.status), ["completed", "completed"]);
  const train = by("command=train/")[0];
  assert.equal(train.status, "completed");
  const oom = by("command=oom/")[0];
  assert.equal(oom.status, "failed");
  assert.match(oom.error!, /exited with code 1[\s\S]*CUDA out of memory/);
  assert.match(by("command=nocmd/")[0].error!, /command nocmd: command not found: no-such-trainer-xyz/);

  const db = openDb(join(dir, "r.db"));
  try {
    // Every cell is recorded with its reason, even those that never got a run.
    const stored = getCells(db, "faults");
    assert.equal(stored.length, res.cells.length);
    assert.equal(stored.filter((c) => c.status === "completed").length, 3);

    const run = getRun(db, good[0].runId!)!;
    assert.equal(run.status, "completed");
    assert.equal(run.experiment_id, "faults");
    assert.equal(run.cell_key, "server=good/workload=tiny/load=c1/rep=1");
    assert.equal(run.summary!.requests.completed, 6);
    const ts = getTimeseries(db, run.id);
    const server = ts.filter((p) => p.source === "server");
    assert.ok(server.some((p) => p.name === "requests_running" && p.labels?.metric === "vllm:num_requests_running"), "known vLLM name mapped");
    assert.ok(server.some((p) => p.name === "fake_custom_series"), "unknown series kept raw");
    assert.ok(ts.some((p) => p.source === "client" && p.name === "event_loop_lag_ms"), "runBenchmark's client series present");

    const cmd = getRun(db, train.runId!)!;
    assert.equal(cmd.kind, "command");
    const summary = cmd.summary as unknown as { metrics: Record<string, number>; samples: Record<string, number[]>; higher_is_better: Record<string, boolean> };
    assert.equal(summary.samples.samples_per_s.length, 5);
    assert.equal(summary.metrics.samples_per_s, (101 + 99 + 101 + 99 + 101) / 5);
    assert.equal(summary.higher_is_better.loss, false);
    assert.ok(getTimeseries(db, cmd.id).some((p) => p.source === "client" && p.name === "cpu_percent"));
  } finally {
    db.close();
  }
  assert.ok(lines.some((l) => /server good stopped/.test(l)));
});

test("stop escalates to SIGKILL after the grace period and the port is free afterwards", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-exp-"));
  const spec = parseExperiment(
    { name: "stubborn", ...base, loads: { concurrency: [1] }, requests: 2, servers: [fake("stubborn", ["--ignore-sigterm"], { port: 0, stop: { grace_s: 1 } })] },
    "s.yaml",
  );
  const lines: string[] = [];
  const t0 = Date.now();
  const res = await runExperiment({ spec, db: join(dir, "r.db"), log: (l) => lines.push(l) });
  assert.equal(res.cells[0].status, "completed");
  assert.ok(lines.some((l) => /server stubborn stopped \(killed by SIGKILL\)/.test(l)), lines.join("\n"));
  assert.ok(Date.now() - t0 >= 1000);
  const started = lines.find((l) => /^server stubborn \(pid \d+\) ready/.test(l))!;
  const port = Number(/:(\d+)$/.exec(started)![1]);
  assert.equal(await isPortFree(port), true);
});

test("replicas: N processes on their own ports, requests spread over all, each scraped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-exp-"));
  const spec = parseExperiment(
    { name: "replicas", ...base, loads: { concurrency: [2] }, requests: 8, servers: [fake("pair", ["--itl-ms", "10"], { replicas: 2, env: { REPLICA: "{replica}" } })] },
    "r.yaml",
  );
  const lines: string[] = [];
  const res = await runExperiment({ spec, db: join(dir, "r.db"), log: (l) => lines.push(l) });
  assert.equal(res.cells[0].status, "completed", res.cells[0].error);
  assert.ok(lines.some((l) => /server pair\[0\] \(pid \d+\) ready/.test(l)) && lines.some((l) => /server pair\[1\] \(pid \d+\) ready/.test(l)));
  const db = openDb(join(dir, "r.db"));
  try {
    const run = getRun(db, res.cells[0].runId!)!;
    const targets = run.target!.split(",");
    assert.equal(targets.length, 2);
    const served = getTimeseries(db, run.id).filter((p) => p.name === "fake_custom_series");
    assert.deepEqual(new Set(served.map((p) => p.labels!.target)), new Set(targets.map((t) => new URL(t).host)));
    // Round robin: both replicas served requests (scrapes stop with the cell, so the last counts may lag).
    for (const t of targets) assert.ok(Math.max(...served.filter((p) => p.labels!.target === new URL(t).host).map((p) => p.value)) >= 1, t);
  } finally {
    db.close();
  }
});

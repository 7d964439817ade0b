import { test } from "node:test";
import { runCli } from "../support/cli.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedServer } from "../support/scriptedServer.js";

const CLI = ["--import", "tsx", "src/cli/main.ts"];

const cli = runCli;

test("tokenbench run writes the summary JSON contract, records, CSV, the HTML report, and stores the runs", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 10, itlMs: 3 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-cli-"));
  try {
    const r = await cli([
      "run", "--target", srv.url, "--concurrency", "1,2", "--requests", "6", "--warmup", "1",
      "--input-tokens", "16", "--output-tokens", "8", "--goodput", "ttft:1000 e2e:5000",
      "--json", join(dir, "s.json"), "--records", join(dir, "r.jsonl"), "--csv", join(dir, "s.csv"),
      "--report", join(dir, "out", "report.html"),
      "--db", join(dir, "db.sqlite"), "--no-progress", "--api-key", "sk-cli-SECRET-987654321",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /SECRET-987654321/);
    const doc = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    assert.equal(doc.tool.name, "tokenbench");
    assert.equal(doc.runs.length, 2);
    for (const [i, run] of doc.runs.entries()) {
      assert.deepEqual(run.load, { mode: "concurrency", concurrency: i + 1 });
      assert.equal(run.requests.completed, 6);
      assert.equal(run.requests.failed, 0);
      assert.equal(run.requests.length_mismatch, 0);
      for (const k of ["requests_per_s", "input_tokens_per_s", "output_tokens_per_s", "total_tokens_per_s", "steady_output_tokens_per_s"]) assert.equal(typeof run.throughput[k], "number", k);
      for (const m of ["ttft", "tpot", "itl", "e2e", "client_wait"])
        for (const k of ["mean", "stddev", "min", "p50", "p90", "p95", "p99", "max"]) assert.equal(typeof run.latency_ms[m][k], "number", `${m}.${k}`);
      assert.equal(run.goodput.requests_per_s > 0, true);
      assert.equal(typeof run.client.saturated, "boolean");
      assert.equal(typeof run.client.event_loop_lag_ms.p99, "number");
      assert.equal(typeof run.client.send_lag_ms.p99, "number");
      assert.ok(run.duration_s > 0);
    }
    const lines = readFileSync(join(dir, "r.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, 12);
    assert.equal(JSON.parse(lines[0]).run_id, doc.runs[0].id);
    const csv = readFileSync(join(dir, "s.csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, 3);
    // The report sink reads both runs back from the store, as `tokenbench report` would.
    const html = readFileSync(join(dir, "out", "report.html"), "utf8");
    for (const run of doc.runs) assert.ok(html.includes(run.id), run.id);
    assert.doesNotMatch(html, /SECRET-987654321/);
    // Where to look next, as commands that work as printed (the runs are in a non-default --db).
    const db = join(dir, "db.sqlite");
    const next = /^next: tokenbench (report .*) --out report\.html/m.exec(r.stderr);
    assert.ok(next, r.stderr);
    assert.equal(next[1], `report ${doc.runs[0].id} ${doc.runs[1].id} --db ${db}`);
    assert.match(r.stderr, new RegExp(`^ +tokenbench ui --db ${db.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} `, "m"));
    const reported = await cli([...next[1].split(" "), "--out", join(dir, "next.html")]);
    assert.equal(reported.code, 0, reported.stderr);
    for (const run of doc.runs) assert.ok(readFileSync(join(dir, "next.html"), "utf8").includes(run.id));
    const listed = await cli(["runs", "--db", join(dir, "db.sqlite")]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(doc.runs[0].id));
    assert.match(listed.stdout, /c=2/);
  } finally {
    await srv.close();
  }
});

test("bad input: one clear line and exit code 2, no stack trace", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["run", "--concurrency", "0"], /positive integer/],
    [["run", "--target", "http://127.0.0.1:9", "--concurrency", "2", "--rate", "4"], /exclusive/],
    [["run", "--target", "not a url"], /invalid target URL/],
    [["run", "--api", "nope"], /nope/],
    [["run", "--goodput", "latency:5"], /ttft:MS/],
    [["run", "--input-tokens", "9:3"], /min > max/],
    [["runs", "--db", "/nonexistent/x.db"], /no results database/],
    [["run", "--target", "http://127.0.0.1:9", "--no-store", "--report", "r.html"], /--report reads the runs from the results database: drop --no-store/],
  ];
  for (const [args, msg] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
});

test("Ctrl-C stores partial results marked interrupted and exits 130", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 20 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-int-"));
  try {
    const p = spawn(process.execPath, [...CLI, "run", "-t", srv.url, "-c", "2", "-n", "500", "--output-tokens", "20", "--db", join(dir, "db.sqlite"), "--no-progress"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    // wait until requests are flowing, then interrupt
    while (srv.received < 6) await new Promise((r) => setTimeout(r, 50));
    p.kill("SIGINT");
    const code = await new Promise<number | null>((r) => p.on("close", r));
    assert.equal(code, 130, stderr);
    const listed = await cli(["runs", "--db", join(dir, "db.sqlite"), "--json"]);
    const runs = JSON.parse(listed.stdout);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "interrupted");
    const s = runs[0].summary;
    assert.ok(s.requests.sent >= 4 && s.requests.sent < 500);
    assert.equal(s.requests.completed + s.requests.failed, s.requests.sent);
  } finally {
    await srv.close();
  }
});

test("a run that went wrong says so: test request failure, every request failed, error rate above --max-error-rate", async () => {
  const notFound = { kind: "status" as const, status: 404, body: JSON.stringify({ error: { message: "The model `gpt-x` does not exist." } }) };
  const bodies: Array<Record<string, unknown>> = [];
  const srv = await startScriptedServer({
    script: (n, body) => {
      bodies.push(body);
      if (body.model !== "scripted-model") return { ttftMs: 1, itlMs: 1, fault: notFound };
      // 1 in 4 measured requests fails (the test request is n = 0).
      return { ttftMs: 2, itlMs: 1, fault: n % 4 === 3 ? { kind: "status", status: 500 } : undefined };
    },
  });
  const dead = await startScriptedServer({ script: { ttftMs: 1, itlMs: 1 } });
  await dead.close();
  // The error lines of stderr (the run's status line, which states the workload, comes before).
  const oneLine = (r: { stderr: string }) => {
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    return r.stderr.trim().split("\n").filter((l) => l.startsWith("tokenbench: error"));
  };
  try {
    // Nothing listening: the test request says so before anything is measured or stored.
    const down = await cli(["run", "-t", dead.url, "-n", "4", "--no-store", "--no-progress"]);
    assert.equal(down.code, 1, down.stderr);
    assert.deepEqual(oneLine(down).length, 1, down.stderr);
    assert.match(oneLine(down)[0], /^tokenbench: error: test request to http:\/\/127\.0\.0\.1:\d+ failed \(connect\): ECONNREFUSED/);
    assert.equal(down.stdout, "");

    // A wrong model: the server's own message, at once.
    const wrong = await cli(["run", "-t", srv.url, "-m", "gpt-x", "-n", "4", "--no-store", "--no-progress"]);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /failed \(http\): HTTP 404: .*The model `gpt-x` does not exist.*check --api .* and --model \(gpt-x\)/);

    // Without the test request the run happens, every request fails: exit 1, one line with the commonest failure.
    // Stored as failed, not completed: `runs` and compare say so.
    const failDb = join(mkdtempSync(join(tmpdir(), "tb-allfail-")), "r.db");
    const all = await cli(["run", "-t", srv.url, "-m", "gpt-x", "-n", "4", "--warmup", "0", "--no-preflight", "--db", failDb, "--no-progress", "--tokenizer", "bytes"]);
    assert.equal(all.code, 1, all.stderr);
    assert.match(all.stdout, /run \S+ +failed/, "the table is still printed, with the status");
    const failedId = /run (\S+) +failed/.exec(all.stdout)![1];
    const listed = await cli(["runs", "--db", failDb]);
    assert.match(listed.stdout, new RegExp(`${failedId}\\s.*\\sfailed\\s`));
    const cmp = await cli(["compare", failedId, failedId, "--db", failDb]);
    assert.equal(cmp.code, 2);
    assert.match(cmp.stderr, /^tokenbench: error: run \S+ failed \(every measured request failed\): nothing to compare\n$/);
    const lines = oneLine(all);
    assert.equal(lines.length, 1, all.stderr);
    assert.match(lines[0], /^tokenbench: error: every request of run \S+ failed \(4\); commonest: http \(4 of 4\): HTTP 404: .*The model `gpt-x` does not exist/);

    // A /v1 base URL, --extra-body merged into every body, a prompt-length warning, and an error
    // rate above --max-error-rate.
    bodies.length = 0;
    const dir = mkdtempSync(join(tmpdir(), "tb-cli-"));
    const ci = await cli([
      "run", "-t", `${srv.url}/v1`, "-n", "8", "--warmup", "0", "--input-tokens", "64", "--output-tokens", "4", "--tokenizer", "bytes",
      "--extra-body", '{"top_k": 1, "stream_options": {"continuous_usage_stats": null}}', "--max-error-rate", "0.1",
      "--json", join(dir, "s.json"), "--no-store", "--no-progress",
    ]);
    assert.equal(ci.code, 1, ci.stderr);
    assert.equal(bodies.length, 9, "test request + 8 measured");
    for (const b of bodies) {
      assert.equal(b.top_k, 1);
      assert.deepEqual(b.stream_options, { include_usage: true }, "null removes a field, objects merge");
    }
    const run = JSON.parse(readFileSync(join(dir, "s.json"), "utf8")).runs[0];
    assert.equal(run.target, srv.url);
    assert.equal(run.requests.failed, 2);
    // The scripted server always counts 10 prompt tokens: far from the 64 asked.
    assert.equal(run.requests.input_tokens_ratio, 10 / 64);
    assert.equal(run.requests.input_length_mismatch, 6, "completed requests carry the server's count");
    assert.match(ci.stderr, /warning: run \S+: the server counted 0\.16x the requested prompt tokens \(6 of 8 requests/);
    assert.match(ci.stderr, /tokenbench: error: run \S+: 2 of 8 requests failed \(25%\), above --max-error-rate 0\.1; commonest: http \(2 of 2\): HTTP 500: .*scripted failure/);
    assert.equal(ci.stderr.match(/warning: run/g)!.length, 1, "warned once per run");

    const ok = await cli(["run", "-t", `${srv.url}/v1/`, "-n", "8", "--warmup", "0", "--output-tokens", "4", "--tokenizer", "bytes", "--max-error-rate", "0.5", "--no-store", "--no-progress"]);
    assert.equal(ok.code, 0, ok.stderr);

    const bad = await cli(["run", "-t", srv.url, "--extra-body", "[1]"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected a JSON object/);
    const badRate = await cli(["run", "-t", srv.url, "--max-error-rate", "2"]);
    assert.equal(badRate.code, 2);
    assert.match(badRate.stderr, /between 0 and 1/);
  } finally {
    await srv.close();
  }
});

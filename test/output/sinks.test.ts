import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { assessClientHealth } from "../../src/measure/clientHealth.js";
import { checkSinks, consoleSink, sinksFromFlags, writeSinks, type OutputSink } from "../../src/output/sinks.js";
import { UsageError } from "../../src/errors.js";
import { makeRecord } from "../aggregate/records.js";

const dir = mkdtempSync(join(tmpdir(), "tokenbench-sinks-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const records = [0, 400, 800].map((sentAt, i) => makeRecord({ sentAt }, i));
const summary = summarizeRun({
  id: "run-sink",
  api: "openai-completions",
  model: "m",
  target: "http://127.0.0.1:9",
  load: { mode: "concurrency", concurrency: 2 },
  status: "completed",
  startedAt: "2026-01-01T00:00:00.000Z",
  records,
  warmupCount: 0,
  client: assessClientHealth({ eventLoopLagMs: { p99: 0, max: 0 }, sendLagMs: [], cpuPercent: 1 }),
});
const result = { summaries: [summary], records: [records] };

test("the registry builds the sinks the flags name, in its order, and checks every path before any work", async () => {
  const flags = { csv: join(dir, "a", "s.csv"), json: join(dir, "a", "s.json"), records: join(dir, "a", "r.jsonl"), label: "not an output" };
  const sinks = sinksFromFlags(flags, { db: null });
  assert.deepEqual(sinks.map((s) => s.name.split(" ")[0]), ["--json", "--records", "--csv"]);
  checkSinks(sinks);
  await writeSinks(sinks, result);
  assert.equal(JSON.parse(readFileSync(flags.json, "utf8")).runs[0].id, "run-sink");
  assert.equal(readFileSync(flags.records, "utf8").trim().split("\n").length, 3);
  assert.match(readFileSync(flags.csv, "utf8"), /^run_id,.*\r\nrun-sink,/);

  // A directory where a file should go, and a report without a database: refused before the run.
  mkdirSync(join(dir, "taken"));
  assert.throws(() => checkSinks(sinksFromFlags({ json: join(dir, "ok.json"), csv: join(dir, "taken") }, { db: null })), (e) => e instanceof UsageError && /^--csv .*taken: is a directory$/.test(e.message));
  assert.throws(() => checkSinks(sinksFromFlags({ report: join(dir, "r.html") }, { db: null })), /--report reads the runs from the results database: drop --no-store/);
  assert.ok(!existsSync(join(dir, "ok.json")), "checking writes nothing");
});

test("one failing output does not stop the others; every sink is closed; the failure is thrown after", async () => {
  const events: string[] = [];
  const sink = (name: string, fail = false): OutputSink => ({
    name,
    write: async (r) => {
      if (fail) throw new Error(`${name} failed`);
      events.push(`${name} wrote ${r.summaries.length}`);
    },
    close: () => void events.push(`${name} closed`),
  });
  await assert.rejects(writeSinks([sink("a"), sink("b", true), sink("c")], result), /^Error: b failed$/);
  assert.deepEqual(events, ["a wrote 1", "c wrote 1", "a closed", "b closed", "c closed"]);
});

test("the console sink prints the final table of each run", async () => {
  let out = "";
  await writeSinks([consoleSink({ metrics: ["ttft"] }, { write: (s: string) => (out += s) })], result);
  assert.match(out, /^run run-sink /);
  assert.match(out, /│ TTFT /);
  assert.ok(!/│ TPOT /.test(out), "console options reach the table");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeRun } from "../../src/aggregate/summarize.js";
import { assessClientHealth } from "../../src/measure/clientHealth.js";
import { summaryDocument, writeJsonSummary } from "../../src/output/jsonSummary.js";
import { withRunIds, writeRecordsJsonl } from "../../src/output/jsonl.js";
import { csvField, flattenSummary, toCsv, writeCsv } from "../../src/output/csv.js";
import { writeFileAtomic } from "../../src/output/atomicWrite.js";
import type { RunSummary } from "../../src/aggregate/types.js";
import { makeRecord } from "../aggregate/records.js";

const dir = mkdtempSync(join(tmpdir(), "tokenbench-out-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const records = [0, 500, 1000].map((sentAt, i) => makeRecord({ sentAt }, i));
const summary = (id: string, model: string): RunSummary =>
  summarizeRun({
    id,
    api: "openai-completions",
    model,
    target: "http://127.0.0.1:9",
    load: { mode: "rate", rate: Infinity, arrival: "constant" },
    status: "completed",
    startedAt: "2026-01-01T00:00:00.000Z",
    records,
    warmupCount: 0,
    goodput: { e2eMs: 2000 },
    client: assessClientHealth({ eventLoopLagMs: { p99: 0, max: 0 }, sendLagMs: [], cpuPercent: 1 }),
  });

test("summary JSON round-trips, in a directory created on the way", () => {
  const path = join(dir, "nested", "deeper", "summary.json");
  const doc = summaryDocument([summary("r1", "m"), summary("r2", "m")]);
  writeJsonSummary(path, doc);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw JSON, checked field by field below
  const back: any = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(back.tool.name, "tokenbench");
  assert.match(back.tool.version, /^\d+\.\d+\.\d+/);
  assert.equal(back.runs[0].load.rate, "inf");
  for (const k of ["requests_per_s", "input_tokens_per_s", "output_tokens_per_s", "total_tokens_per_s", "steady_output_tokens_per_s"]) {
    assert.equal(typeof back.runs[0].throughput[k], "number", k);
  }
  for (const k of ["ttft", "tpot", "itl", "e2e", "client_wait"]) assert.equal(typeof back.runs[0].latency_ms[k].p99, "number", k);
  assert.equal(typeof back.runs[0].client.saturated, "boolean");
  assert.deepEqual(back, doc);
  // no temporary files left beside it
  assert.deepEqual(readdirSync(join(dir, "nested", "deeper")), ["summary.json"]);
});

test("summary JSON refuses non-finite numbers instead of writing null", () => {
  const s = summary("r3", "m");
  s.duration_s = NaN;
  const path = join(dir, "bad.json");
  assert.throws(() => writeJsonSummary(path, summaryDocument([s])), /duration_s/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".bad.json") || f === "bad.json"), []);
});

test("records JSONL: one parseable line per request, tagged with the run id, error text redacted", () => {
  const failed = { ...makeRecord({ sentAt: 0, ok: false, tokens: 0, endAt: 5 }, 7), error: "401 for Authorization: Bearer sk-abcdefghijklmnop" };
  const path = join(dir, "records.jsonl");
  writeRecordsJsonl(path, withRunIds([summary("A", "m"), summary("B", "m")], [records, [failed]]));
  const text = readFileSync(path, "utf8");
  assert.ok(text.endsWith("\n"));
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => l.run_id), ["A", "A", "A", "B"]);
  assert.deepEqual(lines[1].chunks, records[1].chunks);
  assert.equal(lines[0].input_tokens, records[0].inputTokens); // innocent "token" keys untouched
  // snake_case like the summary: every RequestRecord field, renamed
  assert.deepEqual(Object.keys(lines[0]).filter((k) => k !== "run_id").sort(), Object.keys(records[0]).filter((k) => (records[0] as unknown as Record<string, unknown>)[k] !== undefined).map((k) => k.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()).sort());
  assert.equal(lines[0].ttft_ms, records[0].ttftMs);
  assert.deepEqual(lines[0].itl_ms, records[0].itlMs);
  assert.ok(!text.includes("sk-abcdefghijklmnop"));
  assert.match(lines[3].error, /\[redacted\]/);
});

test("CSV fields are quoted per RFC 4180", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField(1.5), "1.5");
  assert.equal(csvField(true), "true");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField("cr\rhere"), '"cr\rhere"');
});

/** Minimal RFC 4180 reader, to check that what we write parses back to the same values. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += c;
  }
  return rows;
}

test("CSV: one row per run; awkward values survive a round trip", () => {
  const awkward = 'llama "3", 8B\ninstruct';
  const path = join(dir, "out", "runs.csv");
  writeCsv(path, [summary("r1", awkward), summary("r2", "plain")]);
  const rows = parseCsv(readFileSync(path, "utf8"));
  assert.equal(rows.length, 3);
  const header = rows[0];
  const col = (name: string) => header.indexOf(name);
  assert.ok(col("model") >= 0 && col("ttft_ms_p99") >= 0 && col("goodput_requests_per_s") >= 0);
  assert.equal(rows[1][col("model")], awkward);
  assert.equal(rows[2][col("model")], "plain");
  assert.equal(rows[1][col("rate")], "inf");
  assert.equal(Number(rows[1][col("output_tokens_per_s")]), summary("x", "m").throughput.output_tokens_per_s);
  assert.ok(rows.every((r) => r.length === header.length));
  assert.equal(Object.keys(flattenSummary(summary("r", "m"))).length, header.length);
  assert.equal(toCsv([{ a: 1 }, { b: "x" }]), "a,b\r\n1,\r\n,x\r\n");
});

test("atomic write replaces an existing file whole", () => {
  const path = join(dir, "replace.txt");
  writeFileSync(path, "old content that is longer");
  writeFileAtomic(path, ["new ", "content"]);
  assert.equal(readFileSync(path, "utf8"), "new content");
});

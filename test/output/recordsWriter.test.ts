import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { writeJsonSummary } from "../../src/output/jsonSummary.js";
import { writeCsv } from "../../src/output/csv.js";
import { checkDistinctOutputs, checkOutputFile } from "../../src/output/paths.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordsJsonlWriter, writeRecordsJsonl } from "../../src/output/jsonl.js";
import { makeRecord } from "../aggregate/records.js";

test("RecordsJsonlWriter: the lines writeRecordsJsonl writes, in the named file as they go (whole lines); an unfinished empty run leaves no file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-recw-"));
  const records = Array.from({ length: 3000 }, (_, i) => ({ run_id: "r1", ...makeRecord({ sentAt: i, tokens: 50 }, i), error: i % 7 ? undefined : "Authorization: Bearer sk-secret-123" }));
  const w = new RecordsJsonlWriter(join(dir, "live.jsonl"));
  for (const r of records) w.write(r);
  // Before close, the named file already holds whole lines (a run killed outright keeps them).
  const sofar = readFileSync(join(dir, "live.jsonl"), "utf8");
  assert.ok(sofar.length > 1 << 16 && sofar.endsWith("\n"), `${sofar.length} bytes so far`);
  for (const line of sofar.trimEnd().split("\n")) JSON.parse(line);
  w.close();
  writeRecordsJsonl(join(dir, "whole.jsonl"), records);
  const live = readFileSync(join(dir, "live.jsonl"), "utf8");
  assert.equal(live, readFileSync(join(dir, "whole.jsonl"), "utf8"));
  assert.equal(live.split("\n").length, 3001);
  assert.ok(!live.includes("sk-secret-123"));
  const empty = new RecordsJsonlWriter(join(dir, "empty.jsonl"));
  empty.close(false);
  assert.equal(existsSync(join(dir, "empty.jsonl")), false);
  const kept = new RecordsJsonlWriter(join(dir, "kept.jsonl"));
  kept.close();
  assert.equal(readFileSync(join(dir, "kept.jsonl"), "utf8"), "");
  assert.deepEqual(readdirSync(dir).sort(), ["kept.jsonl", "live.jsonl", "whole.jsonl"]);
});

test("outputs follow a symlink and write a device through, never replacing either", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-recw-"));
  // A link to a regular file: the file is written, the link stays a link.
  writeFileSync(join(dir, "real.json"), "old");
  symlinkSync("real.json", join(dir, "link.json"));
  writeJsonSummary(join(dir, "link.json"), { tool: { name: "tokenbench", version: "x" }, runs: [] });
  assert.ok(lstatSync(join(dir, "link.json")).isSymbolicLink());
  assert.match(readFileSync(join(dir, "real.json"), "utf8"), /"tokenbench"/);
  // A link to a device (as /dev/stdout is): written through; the old code renamed a file over it.
  symlinkSync("/dev/null", join(dir, "null"));
  writeCsv(join(dir, "null"), []);
  const w = new RecordsJsonlWriter(join(dir, "null"));
  w.write({ run_id: "r", ...makeRecord({ sentAt: 0, tokens: 3 }, 0) });
  w.close();
  assert.ok(lstatSync(join(dir, "null")).isSymbolicLink());
  assert.ok(statSync("/dev/null").isCharacterDevice());
  assert.deepEqual(readdirSync(dir).sort(), ["link.json", "null", "real.json"]);
});

test("output paths are checked for real before any work: /proc, empty, the same file twice", () => {
  assert.throws(() => checkOutputFile("/proc/tokenbench-x.json", "--json"), /--json \/proc\/tokenbench-x.json: cannot create a file in \/proc/);
  assert.throws(() => checkOutputFile("", "--json"), /--json needs a file path/);
  const dir = mkdtempSync(join(tmpdir(), "tb-recw-"));
  assert.throws(() => checkDistinctOutputs([{ flag: "--json", path: join(dir, "a.json") }, { flag: "--records", path: join(dir, ".", "a.json") }]), /--json and --records both write/);
  checkDistinctOutputs([{ flag: "--json", path: "/dev/stdout" }, { flag: "--csv", path: "/dev/stdout" }]);
  checkOutputFile("/dev/stdout", "--csv");
  assert.deepEqual(readdirSync(dir), []);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordsJsonlWriter, writeRecordsJsonl } from "../../src/output/jsonl.js";
import { makeRecord } from "../aggregate/records.js";

test("RecordsJsonlWriter: the lines writeRecordsJsonl writes, appearing only at close; an unfinished empty run leaves no file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-recw-"));
  const records = Array.from({ length: 3000 }, (_, i) => ({ run_id: "r1", ...makeRecord({ sentAt: i, tokens: 50 }, i), error: i % 7 ? undefined : "Authorization: Bearer sk-secret-123" }));
  const w = new RecordsJsonlWriter(join(dir, "live.jsonl"));
  for (const r of records) w.write(r);
  // More than the 1 MiB batch was written, to a temporary file only.
  assert.equal(existsSync(join(dir, "live.jsonl")), false);
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

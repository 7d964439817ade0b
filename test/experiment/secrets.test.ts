import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactArgs } from "../../src/experiment/redactArgs.js";
import { parseExperiment } from "../../src/experiment/load.js";
import { runExperiment } from "../../src/experiment/runner.js";
import { openDb } from "../../src/store/db.js";

test("redactArgs masks values of secret-looking flags in both forms and known token shapes", () => {
  assert.deepEqual(redactArgs(["serve", "--api-key", "abc123", "--port", "8000", "--hf-token=xyz", "-H", "Bearer qwerty", "sk-abcdefghijkl"]), [
    "serve",
    "--api-key",
    "[redacted]",
    "--port",
    "8000",
    "--hf-token=[redacted]",
    "-H",
    "[redacted]",
    "[redacted]",
  ]);
});

test("secrets in the experiment file reach neither the database nor the printed lines, but do reach the process", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-secret-"));
  // The script spells the secrets in pieces so that only passed values can match.
  const script = "console.log(JSON.stringify({ got_key: process.argv.includes('topsecret' + '-arg-1') ? 1 : 0, got_env: process.env.HF_TOKEN === 'plain-env' + '-secret-2' ? 1 : 0 }))";
  const spec = parseExperiment(
    { name: "secret", telemetry: { gpu: false }, commands: [{ name: "c", command: process.execPath, args: ["-e", script, "--", "--api-key", "topsecret-arg-1"], env: { HF_TOKEN: "plain-env-secret-2" } }] },
    "s.yaml",
  );
  const lines: string[] = [];
  const db = join(dir, "r.db");
  const res = await runExperiment({ spec, db, log: (l) => lines.push(l) });
  assert.equal(res.cells[0].status, "completed", res.cells[0].error);
  assert.match(lines.join("\n"), /got_key=1 got_env=1/, "the real values were passed");
  const h = openDb(db);
  const dump = JSON.stringify([h.prepare("SELECT * FROM experiments").all(), h.prepare("SELECT * FROM runs").all(), h.prepare("SELECT * FROM experiment_cells").all()]);
  h.close();
  assert.doesNotMatch(dump, /topsecret-arg-1|plain-env-secret-2/);
  assert.match(dump, /\[redacted\]/);
  assert.doesNotMatch(lines.join("\n"), /topsecret-arg-1|plain-env-secret-2/);
  // The command's own log is its output, which here does not echo the secrets.
  for (const f of readdirSync(res.logDir)) assert.doesNotMatch(readFileSync(join(res.logDir, f), "utf8"), /topsecret-arg-1|plain-env-secret-2/);
});

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
  // It also echoes both secrets on stderr and stdout, which go to its log.
  const script = "console.log(JSON.stringify({ got_key: process.argv.includes('topsecret' + '-arg-1') ? 1 : 0, got_env: process.env.HF_TOKEN === 'plain-env' + '-secret-2' ? 1 : 0 })); console.log('argv ' + process.argv.join(' ')); console.error('env ' + process.env.HF_TOKEN)";
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
  // The command's own log is its output, which echoed the secrets: masked where it was written.
  const logs = readdirSync(res.logDir).map((f) => readFileSync(join(res.logDir, f), "utf8")).join("\n");
  assert.match(logs, /argv .*--api-key \[redacted\]/);
  assert.match(logs, /env \[redacted\]/);
  assert.doesNotMatch(logs, /topsecret-arg-1|plain-env-secret-2/);
});

test("a launched server or command that prints its secrets: its log has them masked (split across writes, on stdout and stderr)", async () => {
  const { launch } = await import("../../src/experiment/serverProcess.js");
  const { processSecretValues } = await import("../../src/store/redact.js");
  const dir = mkdtempSync(join(tmpdir(), "tb-secret-log-"));
  // Prints every secret it was given, the env one cut in two writes, then an echo of the API key.
  const script = [
    "const k = process.argv[process.argv.indexOf('--api-key') + 1];",
    "process.stdout.write('args: --api-key ' + k + '\\n');",
    "const t = process.env.HF_TOKEN; process.stderr.write('token ' + t.slice(0, 5)); setTimeout(() => { process.stderr.write(t.slice(5) + ' loaded\\n');",
    "process.stdout.write('request header x-api-key: ' + process.env.ECHO + '\\nno newline at the end ' + k); }, 50);",
  ].join(" ");
  const args = ["-e", script, "--", "--api-key", "arg-secret-value-1"];
  const env = { HF_TOKEN: "env-secret-value-2", ECHO: "user-api-key-value-3" };
  const logPath = join(dir, "server.log");
  const proc = await launch({ name: "s", command: process.execPath, args, env, logPath, secrets: processSecretValues(env, args, "user-api-key-value-3") });
  await proc.exited;
  await new Promise((r) => setTimeout(r, 100));
  const log = readFileSync(logPath, "utf8");
  assert.match(log, /args: --api-key \[redacted\]/);
  assert.match(log, /token \[redacted\] loaded/);
  assert.match(log, /request header x-api-key: \[redacted\]/);
  assert.match(log, /no newline at the end \[redacted\]$/);
  assert.doesNotMatch(log, /secret-value|api-key-value/);
});

test("lineMasker: a secret split between reads is still masked; lines pass through as they complete", async () => {
  const { lineMasker } = await import("../../src/store/redact.js");
  const m = lineMasker(["abcdef-secret"]);
  assert.equal(m.push("one abc"), "");
  assert.equal(m.push("def-secret two\nthree abcdef-"), "one [redacted] two\n");
  assert.equal(m.push("secret"), "");
  assert.equal(m.end(), "three [redacted]");
});

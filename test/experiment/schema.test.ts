import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPaths, loadExperimentFile, parseExperiment } from "../../src/experiment/load.js";
import { UsageError } from "../../src/cli/errors.js";
import { expandCells, loadsOf } from "../../src/experiment/expand.js";

const ok = {
  name: "study",
  servers: [{ name: "vllm", command: "vllm", args: ["serve", "m", "--port", "{port}"] }],
  workloads: [{ name: "w", input: 256, output: 256 }],
  loads: { concurrency: [1, 2, 4] },
};
const err = (raw: unknown) => {
  try {
    parseExperiment(raw, "study.yaml");
  } catch (e) {
    assert.ok(e instanceof UsageError);
    return (e as Error).message;
  }
  assert.fail("expected a schema error");
};
const withServer = (s: Record<string, unknown>) => ({ ...ok, servers: [{ ...ok.servers[0], ...s }] });

test("defaults are filled in", () => {
  const s = parseExperiment(ok, "f.yaml");
  assert.equal(s.repeats, 1);
  assert.equal(s.requests, 100);
  const srv = s.servers[0] as { port: number; ready: { path: string; timeout_s: number }; stop: { signal: string; grace_s: number }; api: string; metrics: string };
  assert.deepEqual([srv.port, srv.ready.path, srv.ready.timeout_s, srv.stop.signal, srv.stop.grace_s, srv.api, srv.metrics], [0, "/health", 300, "SIGTERM", 15, "openai-completions", "/metrics"]);
  assert.deepEqual(s.telemetry, { gpu: true, server: true, client: true, interval_s: 1 });
});

test("loads.shapes takes any registered load shape in its JSON form; cell keys come from the registry", () => {
  const s = parseExperiment({ ...ok, loads: { concurrency: [2], shapes: [{ mode: "rate", rate: "inf", arrival: "constant", max_concurrency: 8 }, { mode: "concurrency", concurrency: 16 }] } }, "f.yaml");
  assert.deepEqual(loadsOf(s), [
    { mode: "concurrency", concurrency: 2 },
    { mode: "rate", rate: Infinity, arrival: "constant", maxConcurrency: 8 },
    { mode: "concurrency", concurrency: 16 },
  ]);
  assert.deepEqual(expandCells(s).map((c) => c.key), ["server=vllm/workload=w/load=c2/rep=1", "server=vllm/workload=w/load=rinf/rep=1", "server=vllm/workload=w/load=c16/rep=1"]);
});

test("errors name the file, the key path and what was expected", () => {
  assert.equal(err({ ...ok, name: undefined }), "study.yaml: name: missing (expected string)");
  assert.equal(err({ ...ok, repeats: "three" }), "study.yaml: repeats: expected number, got string");
  assert.equal(err({ ...ok, repeats: 0 }), "study.yaml: repeats: expected > 0");
  assert.equal(err(withServer({ ready: { timeout_s: "slow" } })), "study.yaml: servers[0].ready.timeout_s: expected number, got string");
  assert.equal(err(withServer({ api: "grpc" })), `study.yaml: servers[0].api: expected one of "openai-completions", "openai-chat", "tgi", "llamacpp", "ollama", "sglang", "lightllm", "triton"`);
  assert.equal(err(withServer({ stop: { signal: "SIGFOO" } })), `study.yaml: servers[0].stop.signal: expected one of "SIGTERM", "SIGINT", "SIGKILL", "SIGHUP", "SIGQUIT"`);
  assert.equal(err(withServer({ comand: "typo" })), "study.yaml: servers[0].comand: unknown key (not part of the schema)");
  assert.equal(err({ ...ok, servers: [{ name: "x", args: [] }] }), "study.yaml: servers[0].command: missing (expected string)");
  assert.equal(err({ ...ok, servers: [{ name: "x", target: "not a url" }] }), "study.yaml: servers[0].target: expected a valid url");
  assert.equal(err({ ...ok, workloads: [{ name: "w", input: "long", output: 1 }] }), "study.yaml: workloads[0].input: expected number or object");
  assert.equal(err({ ...ok, loads: { concurrency: [1, 0] } }), "study.yaml: loads.concurrency[1]: expected > 0");
  assert.equal(err({ ...ok, loads: {} }), "study.yaml: loads: expected at least one concurrency, rate or shapes value");
  assert.equal(err({ ...ok, loads: { shapes: [{ mode: "rate", rate: "inf", arrival: "constant", max_concurency: 8 }] } }), "study.yaml: loads.shapes[0].max_concurency: unknown key (not part of the schema)");
  assert.equal(err({ ...ok, loads: { shapes: [{ mode: "concurrency", concurrency: 2 }, { mode: "tracee" }] } }), "study.yaml: loads.shapes[1].mode: expected one of concurrency, rate, trace, sessions");
  assert.equal(err({ ...ok, loads: { shapes: [{ mode: "rate", rate: 0, arrival: "poisson" }] } }), "study.yaml: loads.shapes[0].rate: expected > 0");
  assert.equal(err({ ...ok, loads: undefined }), "study.yaml: loads: expected a loads section when servers are given");
  assert.equal(err({ ...ok, servers: [ok.servers[0], ok.servers[0]] }), `study.yaml: servers[1].name: expected a unique name ("vllm" is used twice)`);
  assert.equal(err({ name: "x" }), "study.yaml: servers: expected at least one server or command");
  assert.equal(err({ ...ok, commands: [{ name: "c", command: "x", patterns: { tps: "([0-9" } }] }).split(" (")[0], "study.yaml: commands[0].patterns.tps: expected a regular expression");
});

test("files: YAML and JSON parse; unreadable and malformed files say so in one line", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-schema-"));
  writeFileSync(join(dir, "a.yaml"), "name: a\nservers:\n  - name: s\n    target: http://gpu:8000\n    api: tgi\nworkloads: [{name: w, input: 8, output: 8}]\nloads: {rate: [1, inf]}\n");
  const a = loadExperimentFile(join(dir, "a.yaml"));
  assert.deepEqual(a.loads!.rate, [1, "inf"]);
  writeFileSync(join(dir, "b.json"), JSON.stringify(ok));
  assert.equal(loadExperimentFile(join(dir, "b.json")).name, "study");
  writeFileSync(join(dir, "c.yaml"), "name: [unclosed\n");
  assert.throws(() => loadExperimentFile(join(dir, "c.yaml")), (e: Error) => e.message.startsWith(`${join(dir, "c.yaml")}: not valid YAML:`) && !e.message.includes("\n"));
  assert.throws(() => loadExperimentFile(join(dir, "missing.yaml")), /missing\.yaml: cannot read experiment file: ENOENT/);
  writeFileSync(join(dir, "d.yaml"), "name: d\nservers: []\ncommands: [{name: t, command: x, timeout_s: -1}]\n");
  assert.throws(() => loadExperimentFile(join(dir, "d.yaml")), (e: Error) => e.message === `${join(dir, "d.yaml")}: commands[0].timeout_s: expected > 0`);
});

test("paths are checked up front and relative to the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-paths-"));
  writeFileSync(join(dir, "prompts.jsonl"), '{"prompt":"hi"}\n');
  const file = join(dir, "e.yaml");
  const spec = (over: Record<string, unknown>) => parseExperiment({ ...ok, workloads: [{ name: "d", dataset: { format: "jsonl", path: "prompts.jsonl" } }], ...over }, file);
  checkPaths(spec({}), file);
  assert.throws(
    () => checkPaths(spec({ workloads: [{ name: "d", dataset: { format: "jsonl", path: "missing.jsonl" } }] }), file),
    (e: Error) => e.message === `${file}: workloads[0].dataset.path: file not found: ${join(dir, "missing.jsonl")}`,
  );
  assert.throws(() => checkPaths(spec({ tokenizer: "tok.json" }), file), /: tokenizer: file not found: .*tok\.json$/);
  // bundled tokenizers and "bytes" are names, not paths
  for (const tokenizer of ["mistral", "llama3", "bytes"]) checkPaths(spec({ tokenizer }), file);
  assert.throws(() => checkPaths(spec({ tokenizer: "./mistral" }), file), /: tokenizer: file not found: .*mistral$/);
  assert.throws(() => checkPaths(spec({ servers: [{ name: "s", command: "x", cwd: "nowhere" }] }), file), /: servers\[0\]\.cwd: directory not found: .*nowhere$/);
});

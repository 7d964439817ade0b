// The llama-server back-end of the embedded engine: runBenchmark with no target launches
// llama.cpp's own server (from scripts/build-llama-server.sh's cache) through `tokenbench serve
// --engine llama-server`, measures it with exact counts, records which engine ran, and stops it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runBenchmark } from "../../src/benchmark/run.js";
import { UsageError } from "../../src/errors.js";
import { chooseEngine } from "../../src/engine/llamaServer.js";
import { openDb } from "../../src/store/db.js";
import { getRun } from "../../src/store/runs.js";

const INPUT = 24;
const OUTPUT = 12;
const REQUESTS = 6;

test("run without a target on --engine llama-server: exact counts, the engine stored with the run, the server stopped", { timeout: 30 * 60_000 }, async () => {
  process.env.TOKENBENCH_HOME ??= mkdtempSync(join(tmpdir(), "tb-home-"));
  // Built on first use (~10 min on 2 cores), as test/realserver/llamaServer.test.ts; never skipped.
  if (!process.env.TOKENBENCH_LLAMA_SERVER) {
    const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tokenbench", "llama-server");
    execFileSync("bash", ["scripts/build-llama-server.sh", cache], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const dbPath = join(mkdtempSync(join(tmpdir(), "tb-engine-")), "db.sqlite");
  const lines: string[] = [];
  const t0 = performance.now();
  const r = await runBenchmark({
    embedded: { preset: "tiny", parallel: 2, context: 256, engine: "llama-server" },
    requests: REQUESTS,
    warmup: 1,
    db: dbPath,
    loads: [{ mode: "concurrency", concurrency: 2 }],
    workload: { kind: "synthetic", input: { kind: "fixed", value: INPUT }, output: { kind: "fixed", value: OUTPUT } },
    log: (l) => lines.push(l),
  });
  // Model generation (tiny: a few s) + start + 7 short requests; generous for load 4 on 2 cores.
  assert.ok(performance.now() - t0 < 120_000, `took ${(performance.now() - t0) / 1000} s`);
  const s = r.summaries[0];
  assert.equal(s.requests.completed, REQUESTS);
  assert.equal(s.requests.failed, 0);
  assert.equal(s.requests.length_mismatch, 0);
  assert.equal(s.model, "tokenbench-tiny");
  for (const rec of r.records[0]) {
    assert.equal(rec.outputTokens, OUTPUT);
    assert.equal(rec.outputTokensSource, "server");
    // The tiny preset's bundled tokenizer: llama-server counts the same prompt, plus BOS.
    assert.equal(rec.inputTokens, INPUT + 1);
    assert.equal(rec.inputTokensSource, "server");
  }
  const log = lines.join("\n");
  assert.match(log, /^engine: llama-server \(llama-server from .+\)$/m);
  const db = openDb(dbPath);
  try {
    const info = getRun(db, s.id)?.server_info as { embedded?: boolean; engine?: string; engine_reason?: string };
    assert.equal(info.embedded, true);
    assert.equal(info.engine, "llama-server");
    assert.match(info.engine_reason ?? "", /llama-server/);
  } finally {
    db.close();
  }
  // Stopped with the run: the port it served on refuses connections.
  const url = /started the embedded llama\.cpp server \(tiny\) at (\S+);/.exec(log)![1];
  await assert.rejects(fetch(`${url}/health`));
});

test("engine choice: auto falls back to node-llama-cpp without a binary and says why; llama-server without one is a usage error", () => {
  const saved = { xdg: process.env.XDG_CACHE_HOME, bin: process.env.TOKENBENCH_LLAMA_SERVER };
  process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), "tb-nocache-"));
  delete process.env.TOKENBENCH_LLAMA_SERVER;
  try {
    const auto = chooseEngine("auto");
    assert.equal(auto.engine, "node-llama-cpp");
    assert.match(auto.reason, /^auto: no llama-server binary in .*tb-nocache-.*build-llama-server\.sh/);
    assert.throws(() => chooseEngine("llama-server"), (e: Error) => e instanceof UsageError && /no llama-server binary/.test(e.message));
    assert.throws(() => chooseEngine("auto", "/nonexistent/llama-server"), (e: Error) => e instanceof UsageError && /not found: \/nonexistent/.test(e.message));
    assert.equal(chooseEngine("node-llama-cpp").engine, "node-llama-cpp");
  } finally {
    if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.xdg;
    if (saved.bin !== undefined) process.env.TOKENBENCH_LLAMA_SERVER = saved.bin;
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/benchmark/run.js";

// The default target: no --target starts the real llama.cpp engine in a child process.
test("runBenchmark without a target benchmarks the embedded engine with exact output lengths", async () => {
  process.env.TOKENBENCH_HOME ??= mkdtempSync(join(tmpdir(), "tb-home-"));
  const lines: string[] = [];
  const r = await runBenchmark({
    embedded: { preset: "tiny", parallel: 2 },
    requests: 4,
    warmup: 1,
    db: null,
    loads: [{ mode: "concurrency", concurrency: 2 }],
    workload: { kind: "synthetic", input: { kind: "fixed", value: 24 }, output: { kind: "fixed", value: 12 } },
    log: (l) => lines.push(l),
  });
  const s = r.summaries[0];
  assert.match(lines.join("\n"), /started the embedded llama\.cpp server \(tiny\)/);
  assert.equal(s.requests.completed, 4);
  assert.equal(s.requests.length_mismatch, 0);
  assert.equal(s.model.startsWith("tokenbench-tiny"), true, s.model);
  for (const rec of r.records[0]) {
    assert.equal(rec.outputTokens, 12);
    assert.equal(rec.outputTokensSource, "server");
    // the tiny preset is counted with its own vocabulary's bundled tokenizer: the prompt is exactly
    // as long as asked; the server's count adds BOS
    assert.equal(rec.inputTokensSource, "server");
    assert.equal(rec.inputTokens, 24 + 1);
  }
  assert.ok(s.throughput.output_tokens_per_s > 0);
});

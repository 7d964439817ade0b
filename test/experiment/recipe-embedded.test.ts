import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getTimeseries } from "../../src/store/runs.js";
import { getCells } from "../../src/experiment/cellStore.js";

// Recipe 5 end to end: three real embedded llama.cpp servers (tiny preset) launched by the real CLI,
// then `tokenbench compare` on the experiment. About 40-90 s on 2 busy cores.

// Always the source under test: a dist/ left from an earlier build could be stale.
const CLI = ["--import", "tsx", "src/cli/main.ts"];
const RECIPE = "examples/embedded-parallel/experiment.yaml";

interface Value {
  id: string;
  value: number;
  ratio: number;
  ci95: [number | null, number | null];
  significant: boolean;
  ci_method: string;
  runs: number;
  samples?: number;
}

test("recipe 5 runs on the embedded engine and its comparison holds together", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-recipe5-"));
  const db = join(dir, "r.db");
  const cli = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: "utf8", timeout: 240_000 });

  const run = cli("experiment", "run", RECIPE, "--db", db);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /experiment embedded-parallel: 6 completed, 0 already stored, 0 failed/);
  assert.match(run.stderr, /server p1 \(pid \d+\) ready after/);
  if (spawnSync("nvidia-smi", ["-L"]).error) assert.match(run.stderr, /telemetry: nvidia-smi not found: GPU telemetry skipped/);
  // The engine's Prometheus series were scraped into each cell's time series.
  const h = openDb(db);
  const cells = getCells(h, "embedded-parallel");
  assert.equal(cells.length, 6);
  const series = getTimeseries(h, cells[2].runId!).filter((p) => p.source === "server");
  h.close();
  assert.ok(series.some((p) => p.name === "requests_running" && p.labels?.metric === "tokenbench_num_requests_running"), "engine metrics mapped");
  assert.ok(series.some((p) => p.name === "generation_tokens_total" && p.value > 0));

  const cmp = cli("compare", "embedded-parallel", "--db", db, "--json");
  assert.equal(cmp.status, 0, cmp.stderr);
  const c = JSON.parse(cmp.stdout) as { baseline: string; items: { id: string; label: string }[]; metrics: { metric: string; values: Value[] }[] };
  assert.deepEqual(c.items.map((i) => i.label), ["server=p1", "server=p4", "server=p4-fa"]);
  assert.equal(c.baseline, "embedded-parallel:server=p1/workload=short/load=c4");
  const m = (name: string) => c.metrics.find((x) => x.metric === name)!;
  for (const name of ["output_tokens_per_s", "ttft_p50_ms", "tpot_p50_ms", "e2e_p50_ms", "itl_mean_ms"]) {
    const values = m(name).values;
    assert.equal(values.length, 3, name);
    const base = values[0];
    assert.deepEqual([base.ratio, base.significant], [1, false]);
    for (const v of values.slice(1)) {
      // Two repeats per configuration: intervals over the pooled requests (2 x 16).
      assert.equal(v.ci_method, "requests", name);
      assert.equal(v.runs, 2);
      assert.ok(Math.abs(v.ratio - v.value / base.value) < 1e-9, `${name} ratio`);
      assert.ok(v.ci95[0]! <= v.ratio && v.ratio <= v.ci95[1]!, `${name}: ${v.ratio} in ${v.ci95}`);
      assert.equal(v.significant, v.ci95[0]! > 1 || v.ci95[1]! < 1);
    }
  }
  // Physics of the setting, robust to CPU contention: with one sequence, 4 clients queue, so the
  // time to first token is longer than with 4 parallel sequences, while each sequence decodes faster.
  const ttftP4 = m("ttft_p50_ms").values[1];
  assert.ok(ttftP4.ratio < 1, `p4 TTFT ratio ${ttftP4.ratio}`);
  const tpotP4 = m("tpot_p50_ms").values[1];
  assert.ok(tpotP4.ratio > 1, `p4 TPOT ratio ${tpotP4.ratio}`);

  // Resume: a second run stores nothing new and starts no server.
  const again = cli("experiment", "run", RECIPE, "--db", db);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /0 completed, 6 already stored/);
  assert.doesNotMatch(again.stderr, /starting server/);

  // The table form prints the same items with intervals.
  const table = cli("compare", "embedded-parallel", "--db", db, "--metric", "output_tokens_per_s", "--fail-if", "output_tokens_per_s<-99%");
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /server=p4-fa/);
  assert.match(table.stdout, /x\d\.\d\d \[\d\.\d\d, \d\.\d\d\]/);
});

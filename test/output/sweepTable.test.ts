import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunSummary, SummaryDocument } from "../../src/aggregate/types.js";
import { renderSweepTable, sweepSummary, sweepTableCells } from "../../src/output/sweepTable.js";
import { runCli } from "../support/cli.js";
import { startScriptedServer } from "../support/scriptedServer.js";

// A real `run --profile sweep` against a real HTTP server with 2 batch slots (queueing at inf).
test("run --profile sweep ends with one sweep summary in the console and the JSON, its figures the runs' own", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 2 }, slots: 2 });
  const dir = mkdtempSync(join(tmpdir(), "tb-sweeptable-"));
  const out = join(dir, "sweep.json");
  try {
    const r = await runCli([
      "run", "--target", srv.url, "--profile", "sweep", "--profile-rates", "2", "--requests", "10", "--warmup", "0", "--no-preflight",
      "--input-tokens", "8", "--output-tokens", "8", "--tokenizer", "bytes", "--no-store", "--no-progress", "--json", out, "--goodput", "ttft:5000",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, "utf8")) as SummaryDocument;
    assert.equal(doc.runs.length, 4);
    const rows = doc.sweep_summary!;
    // Load order: the synchronous run, the rates, inf last (runs were measured sync, inf, rates).
    const byId = new Map(doc.runs.map((s) => [s.id, s]));
    assert.deepEqual(rows.map((x) => x.run_id), [doc.runs[0], doc.runs[2], doc.runs[3], doc.runs[1]].map((s) => s.id));
    assert.equal(rows[0].load, "c=1 (synchronous)");
    assert.equal(rows[0].rate, null);
    assert.equal(rows[3].rate, "inf");
    assert.ok(typeof rows[1].rate === "number" && typeof rows[2].rate === "number" && rows[1].rate < rows[2].rate);
    for (const row of rows) {
      const s = byId.get(row.run_id)!;
      assert.equal(row.requests_per_s, s.throughput.requests_per_s);
      assert.equal(row.output_tokens_per_s, s.throughput.output_tokens_per_s);
      assert.equal(row.ttft_p50_ms, s.latency_ms.ttft.p50);
      assert.equal(row.ttft_p99_ms, s.latency_ms.ttft.p99);
      assert.equal(row.itl_p50_ms, s.latency_ms.itl.p50);
      assert.equal(row.itl_p99_ms, s.latency_ms.itl.p99);
      assert.equal(row.goodput_requests_per_s, s.goodput!.requests_per_s);
    }
    // Console: after the per-run tables, once, with the same figures (2 decimals).
    assert.equal(r.stdout.split("sweep summary (4 points)").length, 2);
    const table = r.stdout.slice(r.stdout.indexOf("sweep summary (4 points)"));
    assert.match(table, /goodput req\/s/);
    assert.ok(table.includes(rows[3].output_tokens_per_s.toFixed(2)), table);
    assert.ok(table.includes(rows[0].ttft_p99_ms!.toFixed(2)), table);
  } finally {
    await srv.close();
  }
});

test("without an SLO there is no goodput column; a run without ITL shows a dash", () => {
  const base = {
    id: "a", load: { mode: "rate", rate: 2, arrival: "poisson" },
    throughput: { requests_per_s: 1.98, output_tokens_per_s: 31.7 },
    latency_ms: { ttft: { count: 5, p50: 10, p99: 12 }, itl: { count: 0, p50: 0, p99: 0 } },
  } as unknown as RunSummary;
  const c4 = { ...base, id: "b", load: { mode: "concurrency", concurrency: 4 } } as unknown as RunSummary;
  const rows = sweepSummary([base]);
  assert.deepEqual(rows, [{ run_id: "a", load: "2 req/s", rate: 2, requests_per_s: 1.98, output_tokens_per_s: 31.7, ttft_p50_ms: 10, ttft_p99_ms: 12, itl_p50_ms: null, itl_p99_ms: null }]);
  const { columns, cells } = sweepTableCells(rows);
  assert.ok(!columns.some((c) => /goodput/.test(c)));
  assert.deepEqual(cells[0], ["2 req/s", "2", "1.98", "31.70", "10.00", "12.00", "–", "–"]);
  // A concurrency sweep: no "(synchronous)" mark, ordered by concurrency.
  assert.deepEqual(sweepSummary([c4, { ...c4, id: "c", load: { mode: "concurrency", concurrency: 1 } } as unknown as RunSummary]).map((x) => x.load), ["c=1", "c=4"]);
  assert.match(renderSweepTable(rows), /^sweep summary \(1 point\)\n/);
});

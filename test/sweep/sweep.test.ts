import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScriptedServer } from "../support/scriptedServer.js";

// A real HTTP server with 4 batch slots: throughput rises up to concurrency 4 and is flat beyond.
// Why this once failed under load, and what keeps it exact now:
// - Each request used to take ~100 ms. Between one request's end and the next one's start a
//   closed-loop slot idles for the client's turnaround (a few ms alone, 10-40 ms on a busy box),
//   while at c=8 the server's queue keeps every slot busy: c=8 then measured up to ~20% above
//   c=4 and the knee moved to 8 or 16. Requests now take ~340 ms (a long prefill, short decode),
//   so a 15 ms turnaround costs < 5% (the sweep's min gain) and the knee stays near 4.
// - On a starved machine the client's own health check (event-loop lag p99 > 20 ms) flagged a
//   point and the sweep stopped there. The sweep now measures such a point again before
//   trusting that verdict (runSweep clientRetries). Under sustained contention (load average
//   above ~6 on 2 cores here; 2026-12-06: event-loop lag p99 31.6 ms at c=1, twice, at load ~10)
//   the client is starved on the retry too, and the sweep is right not to trust such figures: it
//   stops there and says why. That is then what is checked (the stop, its one-line reason, the
//   JSON), and the knee assertions are reported skipped with the reason, not passed: no bound
//   of this test could make a starved client's figures trustworthy (docs/testing.md).
test("sweep CLI finds the saturation knee of a 4-slot server and explains why", async (t) => {
  const server = await startScriptedServer({ script: { ttftMs: 300, itlMs: 5 }, slots: 4 });
  const dir = mkdtempSync(join(tmpdir(), "tb-sweep-"));
  const out = join(dir, "sweep.json");
  try {
    const args = ["--import", "tsx", "src/cli/main.ts", "sweep", "--target", server.url, "--requests", "24", "--input-tokens", "8", "--output-tokens", "8", "--max", "16", "--no-store", "--json", out, "--goodput", "e2e:5000"];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    if (!existsSync(out)) assert.fail(`no sweep JSON written; exit ${code}: ${stderr}`);
    const res = JSON.parse(readFileSync(out, "utf8"));
    if (String(res.reason).includes("client saturated at ")) {
      // The machine starved the client at some point, on its retry too: that point is not trusted
      // and the sweep stops at it, with the limit it exceeded; exit 1 when no point came before.
      assert.match(res.reason, /client saturated at \d+ \((event-loop lag p99|send lag p99|client CPU) [^\n]+\): its figures are not trusted/);
      assert.match(stderr, /sweep: the client could not keep up at c=\d+ .*; measuring it again/);
      assert.equal(code, res.chosen ? 0 : 1, stderr);
      const starvedAt = Number(/client saturated at (\d+)/.exec(res.reason)![1]);
      if (starvedAt > 4) {
        // Starved only past the knee: the points up to it are trusted, and the choice must be the knee.
        const at = (l: number) => res.points.find((p: { load: number }) => p.load === l)?.output_tokens_per_s;
        assert.ok(at(1) && at(4) && at(4) / at(1) > 2.5, `x${at(4) / at(1)}; ${res.reason}`);
        assert.ok(res.chosen && res.chosen.load >= 3 && res.chosen.load <= starvedAt, res.reason);
        assert.ok(server.maxActive <= 4);
        return;
      }
      t.skip(`knee not checked: the machine starved the client before the knee (${res.reason})`);
      return;
    }
    assert.equal(code, 0, stderr);
    const loads = res.points.map((p: { load: number }) => p.load);
    const curve = res.points.map((p: { load: number; output_tokens_per_s: number }) => `${p.load}:${p.output_tokens_per_s.toFixed(0)}`).join(" ");
    assert.deepEqual(loads.slice(0, 2), [1, 2], `tested ${curve}; ${res.reason}`);
    assert.ok(loads.includes(4) && loads.includes(8), `tested ${curve}; ${res.reason}`);
    // Throughput at 4 is about 4x that at 1 (about 340 ms per request, 4 slots) and flat beyond.
    const at = (l: number) => res.points.find((p: { load: number }) => p.load === l).output_tokens_per_s;
    assert.ok(at(4) / at(1) > 2.5, `x${at(4) / at(1)}`);
    assert.ok(Math.abs(at(8) / at(4) - 1) < 0.2, `plateau: x${at(8) / at(4)}`);
    // The knee is 4; jitter can put a point within 5% either side of it.
    assert.ok(res.chosen.load >= 3 && res.chosen.load <= 8, res.reason);
    assert.match(res.reason, /^concurrency \d+: [\d.]+ output tok\/s meets the SLO.*growth stopped: saturated at (8|16): throughput/);
    assert.match(stdout, new RegExp(`chosen: concurrency ${res.chosen.load}:`));
    assert.ok(server.maxActive <= 4);
    // The summary table: one row per point, in load order, each figure the point's own stored one.
    assert.equal(res.sweep_summary.length, res.points.length);
    res.sweep_summary.forEach((row: { load: string; rate: unknown; output_tokens_per_s: number; goodput_requests_per_s?: number }, i: number) => {
      assert.equal(row.load, `c=${res.points[i].load}`);
      assert.equal(row.rate, null);
      assert.equal(row.output_tokens_per_s, res.points[i].output_tokens_per_s);
      assert.equal(typeof row.goodput_requests_per_s, "number");
    });
    assert.match(stdout, new RegExp(`sweep summary \\(${res.points.length} points\\)\\n[^\\n]*\\n[^\\n]*goodput req/s[^\\n]*SLO[^\\n]*chosen`));
    assert.match(stdout, new RegExp(`c=${res.chosen.load} [^\\n]* met [^\\n]* ok [^\\n]* <==`));
    // progress while each point runs: its load, then (stderr is not a TTY) plain progress lines
    assert.match(stderr, /^sweep point 1: c=1\n(run \d+\/\d+ )?\d+\/24 done/m);
    assert.match(stderr, /^sweep point 2: c=2$/m);
  } finally {
    await server.close();
  }
});

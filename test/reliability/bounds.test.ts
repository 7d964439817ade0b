import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driveOpenLoop } from "../../src/schedule/drivers.js";
import { CLI } from "./harness.js";

// Sizes and durations beyond what tokenbench can honour are refused up front, with one line
// naming the limit, instead of overflowing a timer or building a run that never ends.

function cli(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    const kill = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => (clearTimeout(kill), resolve({ code: code ?? -1, stderr, ms: Date.now() - t0 })));
  });
}

test("out-of-range sizes and durations: one line naming the limit, exit 2, no hang", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-bounds-"));
  const t = ["--target", "http://127.0.0.1:9", "--no-store"];
  const exp = join(dir, "e.yaml");
  writeFileSync(exp, ["name: big", "servers: [{ name: s, target: 'http://127.0.0.1:9' }]", "workloads: [{ name: w, input: 8, output: 8 }]", "loads: { concurrency: [1] }", "repeats: 100000000"].join("\n"));
  const exp2 = join(dir, "e2.yaml");
  writeFileSync(exp2, ["name: grace", "servers: [{ name: s, command: x, stop: { grace_s: 3000000 } }]", "workloads: [{ name: w, input: 8, output: 8 }]", "loads: { concurrency: [1] }"].join("\n"));
  const cases: Array<[string[], RegExp]> = [
    [["run", ...t, "--timeout", "2147484"], /timeout 2147484 s is above the limit of 2147483 s/],
    [["run", ...t, "--ramp-up", "3000000"], /ramp-up 3000000 s is above the limit of 2147483 s/],
    [["run", ...t, "-c", "10000000"], /concurrency 10000000 is above the limit of 100000/],
    [["run", ...t, "-n", "1e9"], /requests \+ warmup 1000000002 is above the limit of 1000000/],
    [["run", ...t, "--warmup", "1e9"], /requests \+ warmup 1000000100 is above the limit of 1000000/],
    [["run", ...t, "--rate", "1000", "--duration", "100000"], /arrivals 100000000 is above the limit of 1000000/],
    [["compare", "a", "b", "--resamples", "1e9", "--db", join(dir, "c.db")], /resamples 1000000000 is above the limit of 100000/],
    [["experiment", "validate", exp], /repeats.*(100000000|10000)/],
    [["experiment", "validate", exp2], /grace_s.*2147483/],
  ];
  for (const [args, msg] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.ok(r.ms < 30_000, `${args.join(" ")} took ${r.ms} ms`);
  }
});

test("an arrival more than 2^31 ms away is slept for in chunks, not busy-waited", async () => {
  const ac = new AbortController();
  let clockReads = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  setTimeout(() => ac.abort(), 400);
  const r = await driveOpenLoop(
    { now: () => (clockReads++, performance.now() - t0), signal: ac.signal, send: async () => undefined },
    { offsetsMs: [0, 3e9] },
  );
  const cpu = process.cpuUsage(cpu0);
  assert.equal(r.sent, 1);
  // A timer overflow fires every 1 ms: hundreds of wake-ups in 400 ms. Chunked sleep wakes once.
  assert.ok(clockReads < 20, `${clockReads} clock reads while waiting`);
  assert.ok((cpu.user + cpu.system) / 1000 < 200, `${(cpu.user + cpu.system) / 1000} ms of CPU in 400 ms of waiting`);
});

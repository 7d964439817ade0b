import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getRun } from "../../src/store/runs.js";

// The probes run for real on the CPU with PyTorch (CI: Debian's python3-torch from
// scripts/install-test-deps.sh) at tiny sizes: code paths, result format and storage.
// Their GPU figures come from H200 runs (docs/gpu.md).
const PYTHON = process.env.TOKENBENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, TOKENBENCH_PYTHON: PYTHON }, timeout: 240_000 });
}

test("tokenbench probe gemm: runs the probe on the CPU, prints the table, stores a command run with namespaced metrics", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-probe-"));
  const db = join(dir, "r.db");
  const out = join(dir, "gemm.json");
  const r = cli(["probe", "gemm", "--db", db, "--out", out, "--", "--model", "tiny", "--device", "cpu", "--m", "1,3", "--iters", "5", "--warmup", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /gemm probe on/);
  assert.match(r.stdout, /lm_head/);
  const runId = /stored as run (\S+)/.exec(r.stderr)?.[1];
  assert.ok(runId, r.stderr);
  const doc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(doc.probe, "gemm");
  assert.equal(doc.records.length, 5 * 2);
  const qkv = doc.records.find((x: { shape: string; m: number }) => x.shape === "qkv" && x.m === 3);
  // tiny: hidden 256, 4 heads, 2 KV heads of 64 -> N = (4 + 2 x 2) x 64 = 512
  assert.deepEqual([qkv.n, qkv.k, qkv.count], [512, 256, 4]);
  assert.equal(qkv.flops, 2 * 3 * 512 * 256);
  assert.ok(qkv.default_us > 0 && qkv.default_tflops > 0);
  assert.equal(qkv.tuned_us, null); // no TunableOp on a CPU: said so, not faked
  assert.match(doc.summary.tuned_note, /CUDA/);
  const e2e = doc.summary.e2e.find((x: { m: number }) => x.m === 1);
  const sum = doc.records.filter((x: { m: number }) => x.m === 1).reduce((a: number, x: { count: number; default_us: number }) => a + x.count * x.default_us, 0);
  assert.ok(Math.abs(e2e.default_us - sum) < 1e-6);
  const store = openDb(db);
  const run = getRun(store, runId!);
  store.close();
  assert.equal(run?.kind, "command");
  assert.equal(run?.status, "completed");
  const summary = run!.summary as unknown as { metrics: Record<string, number> };
  assert.ok(summary.metrics["qkv.m3.default_us"] > 0);
  assert.ok(summary.metrics["e2e.m1.default_us"] > 0);
  assert.equal(summary.metrics["gemm.shapes_timed"], 10);
});

test("tokenbench probe attention: math path on the CPU with GQA, achieved TB/s per configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-probe-"));
  const out = join(dir, "attn.json");
  const r = cli(["probe", "attention", "--no-store", "--out", out, "--", "--model", "tiny", "--device", "cpu", "--context", "32,128", "--batch", "1,2", "--iters", "3", "--warmup", "0"]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(doc.records.length, 4);
  for (const rec of doc.records) {
    assert.equal(rec.backend, "math");
    assert.equal(rec.split_kv, false);
    assert.ok(rec.rel_error < 1e-2, JSON.stringify(rec));
    // K + V of tiny in bf16: 2 x batch x 2 KV heads x context x head_dim 64 x 2 bytes
    assert.equal(rec.bytes, 2 * rec.batch * 2 * rec.context * 64 * 2);
    assert.ok(Math.abs(rec.tbps - rec.bytes / rec.us / 1e6) < 1e-12);
  }
  const again = cli(["probe", "attention", "--input", out]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /math\s+│ no/);
});

test("probe errors are one line with exit code 2: unknown probe, bad script flags, missing Python", () => {
  for (const args of [["probe", "matmul"], ["probe", "gemm", "--no-store", "--", "--model", "nope"], ["probe", "gemm", "--no-store", "--python", "/nonexistent/python3"], ["probe", "gemm", "--input", "/nonexistent.json"]]) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const bad = cli(["probe", "gemm", "--no-store", "--", "--model", "nope"]);
  assert.match(bad.stderr, /unknown --model 'nope'/);
});

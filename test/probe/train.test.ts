import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { getRun } from "../../src/store/runs.js";

// probes/train.py for real on the CPU (CI: Debian's python3-torch 1.13, scripts/install-test-deps.sh) with a
// tiny Llama: 2 layers, hidden 64, 4 heads / 2 KV heads of 16, intermediate 128, vocabulary 260, 32 tokens.
// GPU figures (step time, peak memory, MFU on an H100/H200): docs/gpu.md section 4.
const PYTHON = process.env.TOKENBENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const TINY = ["--model", "tiny", "--device", "cpu", "--layers", "2", "--hidden", "64", "--intermediate", "128", "--seq", "32", "--batch", "1,2", "--steps", "2", "--warmup", "1"];

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, TOKENBENCH_PYTHON: PYTHON }, timeout: 240_000 });
}

interface Rec {
  batch: number;
  seq: number;
  step_ms: number;
  tokens_per_s: number;
  loss_step0: number;
  loss_last: number;
  params_trainable: number;
  linear_params_frozen: number;
  linear_params_trainable: number;
  model_flops_per_step: number;
  mfu_pct: number | null;
  peak_mib: number | null;
  lora_impl: string | null;
  breakdown: { forward_share: Record<string, number>; backward_share: Record<string, number>; decoder_layer_forward_share: number; recompute_share_of_backward: number };
}

/** The probe script alone (no CLI around it: the first test covers that path), for the toggle comparisons. */
function script(dir: string, name: string, extra: string[]) {
  const out = join(dir, `${name}.json`);
  const r = spawnSync(PYTHON, ["probes/train.py", ...TINY, ...extra, "--out", out], { encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(out, "utf8")) as { params: Record<string, unknown>; records: Rec[] };
}

function runTrain(dir: string, name: string, extra: string[], store = false) {
  const out = join(dir, `${name}.json`);
  const db = join(dir, "r.db");
  const r = cli(["probe", "train", ...(store ? ["--db", db] : ["--no-store"]), "--out", out, "--", ...TINY, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return { r, db, doc: JSON.parse(readFileSync(out, "utf8")) as { probe: string; params: Record<string, unknown>; records: Rec[]; summary: Record<string, unknown> } };
}

// Linear-layer parameters of the tiny shape: q, o 64x64; k, v 64x32 (2 KV heads x 16); gate, up, down 64x128; lm_head 260x64.
const LINEAR = 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 128) + 260 * 64;

test("tokenbench probe train: full training rows, tokens/s and MFU from their definitions, breakdown, stored run", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-train-"));
  const { r, db, doc } = runTrain(dir, "full", ["--peak-tflops", "1"], true);
  assert.equal(doc.probe, "train");
  assert.equal(doc.records.length, 2);
  assert.deepEqual(doc.records.map((x) => x.batch), [1, 2]);
  for (const rec of doc.records) {
    assert.ok(rec.step_ms > 0);
    assert.ok(Math.abs(rec.tokens_per_s - (rec.batch * 32) / (rec.step_ms / 1000)) < 1e-6 * rec.tokens_per_s, JSON.stringify(rec));
    assert.equal(rec.linear_params_trainable, LINEAR);
    assert.equal(rec.linear_params_frozen, 0);
    // 6 N per token for full training + 12 x layers x hidden x seq for attention, x tokens
    assert.equal(rec.model_flops_per_step, (6 * LINEAR + 12 * 2 * 64 * 32) * rec.batch * 32);
    assert.ok(Math.abs(rec.mfu_pct! - (100 * rec.model_flops_per_step) / (rec.step_ms / 1000) / 1e12) < 1e-9);
    assert.equal(rec.peak_mib, null); // no GPU: said, not faked
    assert.ok(rec.loss_step0 > 4 && rec.loss_step0 < 7, `random init over 260 tokens: loss near ln 260 = 5.56, got ${rec.loss_step0}`);
    const bd = rec.breakdown;
    for (const shares of [bd.forward_share, bd.backward_share]) {
      const sum = Object.values(shares).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`);
    }
    // The labels cover the pass: what no label claims stays small
    assert.ok((bd.forward_share.forward_other ?? 0) < 0.1, JSON.stringify(bd.forward_share));
    assert.ok((bd.backward_share.backward_unmatched ?? 0) < 0.05, JSON.stringify(bd.backward_share));
    for (const k of ["embedding", "attention_linear", "attention_core", "mlp_linear", "silu", "rmsnorm", "lm_head"]) {
      assert.ok(bd.forward_share[k] > 0, `forward ${k}`);
      assert.ok(bd.backward_share[k] > 0 || k === "embedding", `backward ${k}`);
    }
    assert.ok(bd.decoder_layer_forward_share > 0.3 && bd.decoder_layer_forward_share <= 1);
    assert.equal(bd.recompute_share_of_backward, 0);
  }
  assert.match(r.stdout, /train probe on/);
  assert.match(r.stdout, /batch │ step ms/);
  assert.match(r.stdout, /breakdown at batch 2/);
  assert.match(r.stdout, /mlp_linear/);
  const runId = /stored as run (\S+)/.exec(r.stderr)?.[1];
  assert.ok(runId, r.stderr);
  const store = openDb(db);
  const run = getRun(store, runId!);
  store.close();
  assert.equal(run?.kind, "command");
  assert.equal(run?.status, "completed");
  const metrics = (run!.summary as unknown as { metrics: Record<string, number> }).metrics;
  assert.equal(metrics["b2.step_ms"], doc.records[1].step_ms);
  assert.ok(metrics["b1.mfu_pct"] > 0);
  assert.equal(metrics["train.timed"], 2);

  const again = cli(["probe", "train", "--input", join(dir, "full.json")]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /fp32, (eager|sdpa)/);
});

test("probe train toggles: recompute changes no loss, LoRA trains fewer parameters and is a no-op at step 0", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-train-"));
  const full = script(dir, "full", []);
  const rc = script(dir, "recompute", ["--recompute"]);
  const lora = script(dir, "lora", ["--lora", "4"]);
  for (let i = 0; i < 2; i++) {
    // Same seed, same weights and tokens: checkpointing re-runs the forward pass, it does not change it
    assert.equal(rc.records[i].loss_step0, full.records[i].loss_step0);
    assert.ok(Math.abs(rc.records[i].loss_last - full.records[i].loss_last) < 1e-5);
    // B = 0 at initialisation: the adapted model computes the base model's loss
    assert.ok(Math.abs(lora.records[i].loss_step0 - full.records[i].loss_step0) < 1e-5);
    // Adapters on q (64 -> 64) and v (64 -> 32), rank 4, 2 layers: trainable = 2 x 4 x ((64 + 64) + (64 + 32))
    assert.equal(lora.records[i].params_trainable, 2 * 4 * (64 + 64 + 64 + 32));
    assert.ok(lora.records[i].params_trainable < full.records[i].params_trainable);
    assert.equal(lora.records[i].linear_params_frozen, LINEAR);
    assert.ok(rc.records[i].breakdown.recompute_share_of_backward > 0, "the re-run forward is seen inside backward");
  }
  assert.equal(rc.params.recompute, true);
  assert.match(String(lora.records[0].lora_impl), /^(peft|own LoRALinear)/);
});

test("probe train errors: one line, exit code 2", () => {
  const r = cli(["probe", "train", "--no-store", "--", "--model", "tiny", "--device", "cpu", "--batch", "0"]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /probe train failed: .*--batch must list positive integers/);
  for (const [extra, msg] of [
    [["--lora", "-1"], /--lora must be a positive rank/],
    [["--seq", "1"], /--seq must be at least 2/],
    [["--hf-config", "/nonexistent/config.json"], /cannot read --hf-config/],
  ] as [string[], RegExp][]) {
    const s = spawnSync(PYTHON, ["probes/train.py", "--model", "tiny", "--device", "cpu", ...extra], { encoding: "utf8" });
    assert.equal(s.status, 2, `${extra.join(" ")}: ${s.stderr}`);
    assert.equal(s.stderr.trim().split("\n").length, 1, s.stderr);
    assert.match(s.stderr, msg);
  }
});

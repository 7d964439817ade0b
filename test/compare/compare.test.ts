import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.js";
import { evaluateFailIf, parseFailIf } from "../../src/compare/failIf.js";
import { compare } from "../../src/compare/index.js";
import { putCell, upsertExperiment } from "../../src/experiment/cellStore.js";
import { storeSyntheticRun } from "./storedRuns.js";

const dir = mkdtempSync(join(tmpdir(), "tb-cmp-"));
const dbPath = join(dir, "r.db");
const db = openDb(dbPath);
const common = { requests: 200, concurrency: 4, outputTokens: 50, itlMs: { mean: 20, sd: 4 } };
storeSyntheticRun(db, { id: "run-a", ...common, ttftMs: { mean: 100, sd: 20 }, seed: 1 });
storeSyntheticRun(db, { id: "run-same", ...common, ttftMs: { mean: 100, sd: 20 }, seed: 2 });
storeSyntheticRun(db, { id: "run-slow", ...common, ttftMs: { mean: 150, sd: 20 }, itlMs: { mean: 30, sd: 4 }, seed: 3, failEvery: 10 });
// An experiment with two configurations x 3 repeats.
upsertExperiment(db, "exp", "exp", undefined, {}, "completed");
for (const [cfg, itl] of [["server=x/load=c4", 20], ["server=y/load=c4", 25]] as const) {
  for (let rep = 1; rep <= 3; rep++) {
    const id = `e-${cfg.slice(7, 8)}-${rep}`;
    const cellKey = `${cfg}/rep=${rep}`;
    storeSyntheticRun(db, { id, ...common, requests: 60, itlMs: { mean: itl, sd: 3 }, ttftMs: { mean: 100, sd: 20 }, seed: 10 + rep + itl, experimentId: "exp", cellKey });
    putCell(db, { experimentId: "exp", cellKey, fingerprint: "f", status: "completed", runId: id, error: null, logPath: null });
  }
}

const metric = (c: ReturnType<typeof compare>, name: string, id: string) => c.metrics.find((m) => m.metric === name)!.values.find((v) => v.id === id)!;

test("single runs: CI over requests; same config is not significant, a slower one is", () => {
  const c = compare(db, ["run-a", "run-same", "run-slow"], { seed: 1 });
  assert.equal(c.baseline, "run-a");
  const same = metric(c, "ttft_mean_ms", "run-same");
  assert.equal(same.ciMethod, "requests");
  assert.equal(same.samples, 200);
  assert.equal(same.significant, false, `ci ${same.ci95}`);
  assert.ok(same.ci95[0] < 1 && same.ci95[1] > 1);
  const slow = metric(c, "ttft_mean_ms", "run-slow");
  assert.ok(slow.significant && slow.ci95[0] > 1.3 && slow.ci95[1] < 1.7, `ratio ${slow.ratio} ci ${slow.ci95}`);
  // Throughput: the interval sits around the reported ratio and separates a 1.5x slower decode.
  const tput = metric(c, "output_tokens_per_s", "run-slow");
  assert.ok(tput.ci95[0] <= tput.ratio && tput.ratio <= tput.ci95[1]);
  assert.ok(tput.significant && tput.ratio < 0.75);
  const tputSame = metric(c, "output_tokens_per_s", "run-same");
  assert.equal(tputSame.significant, false, `ci ${tputSame.ci95}`);
  // Value equals what the run reported.
  const base = metric(c, "output_tokens_per_s", "run-a");
  const stored = db.prepare("SELECT summary_json FROM runs WHERE id='run-a'").get() as { summary_json: string };
  assert.equal(base.value, JSON.parse(stored.summary_json).throughput.output_tokens_per_s);
  assert.deepEqual([base.ratio, base.significant], [1, false]);
  // Failures: 10% vs 0% of requests.
  // A zero baseline gives no ratio, but the values stay so absolute limits can gate CI.
  const err = metric(c, "error_rate", "run-slow");
  assert.equal(metric(c, "error_rate", "run-a").value, 0);
  assert.equal(err.value, 0.1);
  assert.ok(Number.isNaN(err.ratio) && !err.significant && err.ciMethod === "none");
  assert.deepEqual(evaluateFailIf(c, parseFailIf("error_rate>0.01")).map((h) => h.itemId), ["run-slow"]);
  assert.deepEqual(evaluateFailIf(c, parseFailIf("error_rate>+5%")), [], "no relative change against zero");
  const c2 = compare(db, ["run-slow", "run-a"], { metrics: ["error_rate", "duration_s"] });
  assert.deepEqual(c2.metrics.map((m) => m.metric), ["duration_s", "error_rate"]);
  assert.equal(metric(c2, "error_rate", "run-slow").value, 0.1);
  assert.equal(metric(c2, "duration_s", "run-a").ciMethod, "none");
  assert.ok(Number.isNaN(metric(c2, "duration_s", "run-a").ci95[0]));
});

test("one experiment id compares its configurations with CIs over repeats", () => {
  const c = compare(db, ["exp"], { seed: 2 });
  assert.deepEqual(c.items.map((i) => i.label), ["server=x", "server=y"]);
  const itl = metric(c, "itl_mean_ms", "exp:server=y/load=c4");
  assert.equal(itl.ciMethod, "repeats");
  assert.equal(itl.runs, 3);
  assert.ok(itl.significant && itl.ci95[0] > 1.1 && itl.ci95[1] < 1.4, `ci ${itl.ci95}`);
  // Cell prefixes and the baseline option.
  const d = compare(db, ["exp:server=x", "exp:server=y"], { baseline: "exp:server=y" });
  assert.equal(d.baseline, "exp:server=y");
  assert.ok(metric(d, "output_tokens_per_s", "exp:server=x").ratio > 1.1);
});

test("bad ids and metrics are one-line usage errors", () => {
  assert.throws(() => compare(db, ["run-a", "nope"]), /no run, experiment or experiment:cell matches "nope"/);
  assert.throws(() => compare(db, ["exp:server=z", "run-a"]), /no completed cell of experiment exp starts with "server=z"/);
  assert.throws(() => compare(db, ["run-a", "run-same"], { metrics: ["tps"] }), /unknown metric tps \(available: output_tokens_per_s/);
  assert.throws(() => compare(db, ["run-a"]), /at least two/);
});

const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "compare", "--db", dbPath, ...args], { encoding: "utf8" });

test("CLI: table, --fail-if exit codes, bad expression exits 2 with one line", () => {
  const ok = cli("run-a", "run-same", "--fail-if", "output_tokens_per_s<-20%");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /output_tokens_per_s/);
  assert.match(ok.stdout, /n\.s\./);
  const fail = cli("run-a", "run-slow", "--fail-if", "output_tokens_per_s<-5%");
  assert.equal(fail.status, 1);
  assert.match(fail.stderr, /^FAIL: output_tokens_per_s of run-slow is -\d+\.\d% vs run-a \(limit output_tokens_per_s<-5%, significant\)$/m);
  const bad = cli("run-a", "run-slow", "--fail-if", "tps lower");
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  assert.match(bad.stderr, /^tokenbench: error: --fail-if "tps lower": expected/);
  const json = cli("exp", "--json", "--metric", "output_tokens_per_s");
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.metrics.length, 1);
  assert.equal(parsed.metrics[0].values[1].ci_method, "repeats"); // snake_case like every JSON output
});

test("command runs compare on the metrics they printed (training-style study)", async () => {
  const { runCommandCell } = await import("../../src/experiment/commandCell.js");
  const { parseExperiment } = await import("../../src/experiment/load.js");
  const trainer = join(process.cwd(), "test/fixtures/experiment/trainer.mjs");
  const spec = parseExperiment(
    {
      name: "train",
      commands: [
        { name: "zero2", command: process.execPath, args: [trainer, "--speed", "100", "--steps", "6"], lower_is_better: ["loss"], units: { samples_per_s: "samples/s" } },
        { name: "zero3", command: process.execPath, args: [trainer, "--speed", "150", "--steps", "6"], lower_is_better: ["loss"], units: { samples_per_s: "samples/s" } },
      ],
    },
    "train.yaml",
  );
  for (const [i, c] of spec.commands.entries()) {
    const r = await runCommandCell(db, c, { runId: `cmd-${i}`, experimentId: "train", cellKey: `command=${c.name}/rep=1`, label: c.name, logPath: join(dir, `cmd-${i}.log`) });
    assert.equal(r.ok, true, r.error);
  }
  const c = compare(db, ["cmd-0", "cmd-1"]);
  assert.deepEqual(c.items.map((i) => i.label), ["zero2", "zero3"]);
  const sps = c.metrics.find((m) => m.metric === "samples_per_s")!;
  assert.deepEqual([sps.unit, sps.higherIsBetter], ["samples/s", true]);
  const v = sps.values[1];
  assert.equal(v.value, 150);
  assert.equal(v.ratio, 1.5);
  assert.equal(v.ciMethod, "requests");
  assert.equal(v.samples, 6);
  assert.ok(v.significant && v.ci95[0] > 1.4 && v.ci95[1] < 1.6, `ci ${v.ci95}`);
  const loss = c.metrics.find((m) => m.metric === "loss")!;
  assert.equal(loss.higherIsBetter, false);
  assert.equal(loss.values[1].significant, false, "same loss curve");
  assert.ok(!c.metrics.some((m) => m.metric === "output_tokens_per_s"), "no serving metrics for command runs");
});

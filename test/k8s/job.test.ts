// The k8s-job manifest: valid against the official Kubernetes Job schema (kubernetes-models),
// and its pods' command lines, run here as local processes, give shard results that merge.
import { test } from "node:test";
import { runCli } from "../support/cli.js";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { startScriptedServer } from "../support/scriptedServer.js";
import type { RunSummary } from "../../src/aggregate/types.js";

const cli = runCli;

type Container = { command: string[]; args: string[]; env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }> };

test("k8s-job writes an Indexed Job valid against the Kubernetes schema; its pods' commands shard and merge", { timeout: 120_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-k8s-"));
  try {
    const out = await cli([
      "k8s-job", "--shards", "2", "--image", "ghcr.io/example/tokenbench:0.1", "--name", "bench-a", "--start-in", "10",
      "--cpu", "2", "--memory", "1Gi", "--api-key-secret", "llm-key/token", "-o", join(dir, "job.yaml"),
      "--", "--target", srv.url, "--rate", "40", "--arrival", "constant", "--requests", "8", "--warmup", "1", "--input-tokens", "8", "--output-tokens", "4",
    ]);
    assert.equal(out.code, 0, out.stderr);
    const manifest = parse(readFileSync(join(dir, "job.yaml"), "utf8"));
    new Job(manifest).validate(); // throws on any schema violation
    assert.equal(manifest.spec.completionMode, "Indexed");
    assert.equal(manifest.spec.completions, 2);
    assert.equal(manifest.spec.parallelism, 2);
    const c: Container = manifest.spec.template.spec.containers[0];
    assert.ok(c.env.some((e) => e.name === "JOB_COMPLETION_INDEX" && e.valueFrom?.fieldRef?.fieldPath.includes("job-completion-index")));
    assert.deepEqual(c.env.find((e) => e.name === "TOKENBENCH_API_KEY")?.valueFrom?.secretKeyRef, { name: "llm-key", key: "token" });
    const at = c.args.indexOf("--shard");
    assert.equal(c.args[at + 1], "$(JOB_COMPLETION_INDEX)/2");
    const startAt = Number(c.args[c.args.indexOf("--start-at") + 1]);
    assert.ok(startAt > Date.now() && startAt < Date.now() + 11_000);

    // The validator does reject a broken Job (so the check above could fail).
    assert.throws(() => new Job({ ...manifest, spec: { ...manifest.spec, completions: "2" } }).validate());
    assert.throws(() => new Job({ ...manifest, spec: { ...manifest.spec, completionMode: "Sharded" } }).validate());

    // Run each pod's command here, as Kubernetes would expand it, with /results on a local directory.
    mkdirSync(join(dir, "results", "bench-a"), { recursive: true });
    const pods = await Promise.all(
      [0, 1].map((i) =>
        cli(c.args.map((a) => a.replaceAll("$(JOB_COMPLETION_INDEX)", String(i)).replace(/^\/results\//, `${join(dir, "results")}/`))),
      ),
    );
    for (const p of pods) assert.equal(p.code, 0, p.stderr);
    const files = readdirSync(join(dir, "results", "bench-a")).map((f) => join(dir, "results", "bench-a", f));
    assert.equal(files.length, 4);
    const m = await cli(["merge", ...files, "--json", join(dir, "m.json"), "--no-store"]);
    assert.equal(m.code, 0, m.stderr);
    const merged: RunSummary = JSON.parse(readFileSync(join(dir, "m.json"), "utf8")).runs[0];
    assert.equal(merged.requests.completed, 8);
    assert.equal(merged.started_at, new Date(startAt).toISOString());
    assert.equal(merged.merged?.shards, 2);
  } finally {
    await srv.close();
  }
});

test("k8s-job refuses what would make a wrong or leaky Job: one line, exit 2", async () => {
  for (const [args, msg] of [
    [["k8s-job", "--shards", "2", "--image", "x", "--", "--api-key", "sk-1"], /Secret/],
    [["k8s-job", "--shards", "2", "--image", "x", "--", "--shard", "0/2"], /set by the Job/],
    [["k8s-job", "--shards", "2", "--image", "x", "--name", "Bad_Name"], /job name/],
    [["k8s-job", "--image", "x"], /--shards/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /sk-1/);
  }
});

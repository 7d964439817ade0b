import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startScriptedServer } from "../support/scriptedServer.js";

// The public API as a user gets it: the package built from this source (a fresh build, never a
// stale dist/), installed under the name "tokenbench" in another folder, imported by name
// through package.json's "exports", and used for real against a loopback server.

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const consumer = `
import { runBenchmark, openDb, listRuns, getRun, getRequests, loadLabel, compare, buildReport, UsageError, API_KINDS } from "tokenbench";
const [url, dbPath] = process.argv.slice(2);
const out = {};
const res = await runBenchmark({
  targets: [url], db: dbPath, requests: 6, warmup: 1, seed: 3,
  workload: { kind: "synthetic", input: { kind: "fixed", value: 16 }, output: { kind: "fixed", value: 8 } },
  loads: [{ mode: "concurrency", concurrency: 2 }, { mode: "rate", rate: Infinity, arrival: "poisson", maxConcurrency: 3 }],
});
out.summaries = res.summaries.map((s) => ({ id: s.id, load: loadLabel({ mode: "concurrency", concurrency: 2 }), completed: s.requests.completed, ttftCount: s.latency_ms.ttft.count, outTps: s.throughput.output_tokens_per_s, jsonLoad: s.load }));
const db = openDb(dbPath, { readonly: true });
try {
  out.listed = listRuns(db).map((r) => ({ id: r.id, status: r.status, model: r.model }));
  out.requests = getRequests(db, res.summaries[0].id).length;
  out.prefix = getRun(db, res.summaries[0].id.slice(0, 17))?.id ?? null;
  const cmp = compare(db, res.summaries.map((s) => s.id));
  out.compareMetrics = cmp.metrics.map((m) => m.metric);
  const report = buildReport(db, res.summaries.map((s) => s.id), { now: new Date(0) });
  out.reportHtml = report.html.length;
  out.reportHasComparison = report.data.comparison !== null && report.data.comparison !== undefined;
} finally {
  db.close();
}
try {
  await runBenchmark({ targets: [url], db: null, loads: [{ mode: "concurrency", concurrency: 0 }] });
  out.badLoad = "accepted";
} catch (e) {
  out.badLoad = e instanceof UsageError ? e.message : "other error: " + e;
}
out.apis = API_KINDS.length;
process.stdout.write(JSON.stringify(out));
`;

// Typed use: the declarations resolve through "exports".types and describe real fields.
const typedConsumer = `
import { runBenchmark, type RunSummary, type BenchmarkOptions, type LoadSpec } from "tokenbench";
const load: LoadSpec = { mode: "rate", rate: Infinity, arrival: "poisson", maxConcurrency: 4 };
const opts: BenchmarkOptions = { targets: ["http://127.0.0.1:1"], loads: [load] };
export async function p99(): Promise<number> {
  const r = await runBenchmark(opts);
  const s: RunSummary = r.summaries[0];
  return s.latency_ms.ttft.p99;
}
`;

test("the package imports by name from another folder and runs, stores, lists, compares and reports", { timeout: 240_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "tb-package-"));
  // The package: package.json as published, dist/ built now from src/, dependencies from the repo.
  const pkg = join(tmp, "tokenbench");
  mkdirSync(pkg);
  copyFileSync(join(repo, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(repo, "node_modules"), join(pkg, "node_modules"), "dir");
  await run(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(repo, "tsconfig.build.json"), "--outDir", join(pkg, "dist")], { cwd: repo });
  assert.ok(existsSync(join(pkg, "dist/index.js")) && existsSync(join(pkg, "dist/index.d.ts")), "build wrote dist/index.js and index.d.ts");
  // The user's project: depends on "tokenbench", knows nothing of the repo's layout.
  const app = join(tmp, "app");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  symlinkSync(pkg, join(app, "node_modules/tokenbench"), "dir");
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", type: "module", private: true, dependencies: { tokenbench: "file:../tokenbench" } }));
  writeFileSync(join(app, "main.mjs"), consumer);
  writeFileSync(join(app, "typed.ts"), typedConsumer);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["typed.ts"] }));

  const typed = await run(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(app, "tsconfig.json")], { cwd: app }).catch((e) => e);
  assert.equal(typed.code ?? 0, 0, `typed consumer: ${typed.stdout ?? ""}${typed.stderr ?? ""}`);

  const srv = await startScriptedServer({ script: { ttftMs: 20, itlMs: 4 } });
  try {
    const dbPath = join(tmp, "results.db");
    // Run from the app folder with a bare environment's HOME, so nothing resolves through the repo's cwd.
    const { stdout } = await run(process.execPath, ["main.mjs", srv.url, dbPath], { cwd: app, env: { ...process.env, TOKENBENCH_HOME: join(tmp, "home") } });
    const out = JSON.parse(stdout);
    assert.equal(out.summaries.length, 2);
    for (const s of out.summaries) {
      assert.equal(s.completed, 6);
      assert.equal(s.ttftCount, 6);
      assert.ok(s.outTps > 0);
    }
    assert.deepEqual(out.summaries[1].jsonLoad, { mode: "rate", rate: "inf", arrival: "poisson", max_concurrency: 3 });
    assert.deepEqual(new Set(out.listed.map((r: { id: string }) => r.id)), new Set(out.summaries.map((s: { id: string }) => s.id)));
    assert.ok(out.listed.every((r: { status: string; model: string }) => r.status === "completed" && r.model === "scripted-model"));
    assert.equal(out.requests, 7, "6 measured + 1 warm-up stored");
    assert.equal(out.prefix, out.summaries[0].id);
    assert.ok(out.compareMetrics.includes("output_tokens_per_s"), out.compareMetrics.join(","));
    assert.ok(out.reportHtml > 10_000 && out.reportHasComparison);
    assert.match(out.badLoad, /^invalid load #1/);
    assert.equal(out.apis, 8);
    assert.equal(srv.received, 2 * 7 + 1, "two runs of 6 measured + 1 warm-up, and one test request before them");
  } finally {
    await srv.close();
  }
});

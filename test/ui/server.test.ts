// `tokenbench ui` over HTTP: endpoints, filters, read-only behaviour, reading during writes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { openTempDb, seedExperiment, simulate, storeSim } from "../report/fixtures.js";
import { appendRequests, createRun } from "../../src/store/runs.js";
import { startUi, type UiServer } from "../../src/ui/server.js";
import type { ExperimentRow, RunRow } from "../../src/ui/queries.js";

let ui: UiServer;
let dbPath: string;

before(async () => {
  const t = openTempDb();
  dbPath = t.path;
  seedExperiment(t.db);
  storeSim(t.db, { id: "hostile-1", label: `<img src=x onerror=alert(1)> c=2`, spec: { concurrency: 2, requests: 8, seed: 3, tpotMs: 20, prefillMs: 50, outputTokens: 16, failEvery: 4, errorText: "<script>alert(1)</script>" } });
  // A benchmark still running: records stored so far, no summary yet.
  createRun(t.db, { id: "running-1", toolVersion: "0.1.0", label: "in progress c=2", load: { mode: "concurrency", concurrency: 2 } });
  appendRequests(t.db, "running-1", 0, simulate({ concurrency: 2, requests: 6, seed: 5, tpotMs: 20, prefillMs: 50, outputTokens: 16 }));
  t.db.close();
  ui = await startUi({ dbPath });
});
after(async () => {
  await ui?.close();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, ui.url), init);
const runs = async (query = "") => (await (await get(`api/runs${query}`)).json()) as RunRow[];

test("lists runs and experiments, and filters runs by text, status and experiment", async () => {
  const all = await runs();
  assert.equal(all.length, 8);
  assert.deepEqual((await runs("?status=running")).map((x) => [x.id, x.completed, x.metrics.output_tokens_per_s]), [["running-1", null, null]]);
  const r = all.find((x) => x.id === "exp1-tuning-on-c4")!;
  assert.equal(r.load, "c=4");
  assert.equal(r.experimentId, "exp1");
  assert.equal(r.completed, 24);
  // The list's figures are the metric table's `list` entries, keyed as compare names them.
  assert.deepEqual(Object.keys(r.metrics), ["output_tokens_per_s", "ttft_p50_ms", "e2e_p99_ms"]);
  assert.ok(r.metrics.output_tokens_per_s! > 0 && r.metrics.ttft_p50_ms! > 0 && r.metrics.e2e_p99_ms! > r.metrics.ttft_p50_ms!);
  assert.deepEqual((await runs("?q=TUNING=ON")).map((x) => x.id).sort(), ["exp1-tuning-on-c1", "exp1-tuning-on-c2", "exp1-tuning-on-c4"]);
  assert.equal((await runs("?experiment=exp1")).length, 6);
  assert.equal((await runs("?status=completed&limit=2")).length, 2);
  const exps = (await (await get("api/experiments")).json()) as ExperimentRow[];
  assert.deepEqual(exps.map((e) => [e.id, e.name, e.runs]), [["exp1", "tuning off vs on", 6]]);
});

test("serves the page with a strict policy, the same report as the CLI, and nothing else", async () => {
  const page = await get("");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'.*connect-src 'self'/);
  assert.match(await page.text(), /<title>tokenbench results<\/title>/);

  const rep = await get("report?ids=exp1-tuning-off-c4,exp1-tuning-on-c4&baseline=exp1-tuning-off-c4");
  assert.equal(rep.status, 200);
  const html = await rep.text();
  assert.match(html, /data-chart-id="throughput-concurrency"/);
  assert.ok(html.includes("exp1-tuning-on-c4"));

  const hostile = await (await get("report?ids=hostile-1")).text();
  assert.ok(!hostile.includes("<img src=x") && !hostile.includes("<script>alert(1)"));
  assert.ok(hostile.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));

  // A run still being written has no summary yet: its report shows what was recorded so far.
  const running = await (await get("report?ids=running-1")).text();
  assert.match(running, /data-chart-id="ts-output-tokens" data-points="\d+"/);
  assert.doesNotMatch(running, /data-chart-id="throughput-concurrency"/);

  const missing = await get("report?ids=%3Cb%3Enope");
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /no run, experiment or cell matches &quot;&lt;b&gt;nope&quot;/);
  assert.equal((await get("report?ids=")).status, 404);
  assert.equal((await get("nothing-here")).status, 404);
  const post = await get("api/runs", { method: "POST", body: "{}" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

test("reads while a benchmark process writes to the same database (WAL)", async () => {
  const total = 60;
  const writer = spawn(process.execPath, ["--import", "tsx", "test/ui/writer.ts", dbPath, String(total)], { stdio: ["ignore", "pipe", "inherit"] });
  let written = 0;
  writer.stdout.on("data", (b: Buffer) => (written += b.toString().trim().split("\n").length));
  const seen: number[] = [];
  let reportsDuringWrites = 0;
  const exited = once(writer, "exit");
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const res = await get("api/runs?q=live-&limit=5000");
    assert.equal(res.status, 200);
    const live = ((await res.json()) as RunRow[]).length;
    seen.push(live);
    if (live > 0 && written < total) {
      const rep = await get("report?ids=live-0000");
      assert.equal(rep.status, 200, "report failed while the writer was running");
      reportsDuringWrites++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const [code] = await exited;
  assert.equal(code, 0);
  assert.equal(written, total);
  // Counts only grow, and the reader saw the writer mid-way (neither blocked nor stale).
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `count went back: ${seen.join(",")}`);
  assert.ok(seen.some((n) => n > 0 && n < total), `never saw a partial state: ${seen.join(",")}`);
  assert.ok(reportsDuringWrites > 0);
  assert.equal((await runs("?q=live-&limit=5000")).length, total);
});

test("tokenbench ui: serves on the given port until SIGTERM; bad input is one line, exit 2", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "ui", "--port", "0", "--db", dbPath], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 45_000;
  while (!/http:\/\/127\.0\.0\.1:\d+\//.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
  assert.ok(url, `no URL printed: ${out}`);
  const res = await fetch(new URL("api/runs", url));
  assert.equal(res.status, 200);
  assert.ok(((await res.json()) as RunRow[]).length >= 8);
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);

  const busyPort = Number(new URL(ui.url).port);
  await assert.rejects(startUi({ dbPath, port: busyPort }), { message: `port ${busyPort} is already in use` });

  const bad = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "ui", "--db", "/nonexistent/results.db"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^tokenbench: error: no results database at \/nonexistent\/results\.db.*\n$/);
});

test("answers only to localhost or an IP address: a DNS-rebinding Host is refused", async () => {
  const { request } = await import("node:http");
  const port = Number(new URL(ui.url).port);
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/api/runs", headers: { host } }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on("error", reject);
      req.end();
    });
  assert.equal(await status(`127.0.0.1:${port}`), 200);
  assert.equal(await status(`localhost:${port}`), 200);
  assert.equal(await status(`[::1]:${port}`), 200);
  assert.equal(await status(`rebind.attacker.example:${port}`), 421);
  assert.equal(await status(`localhost.attacker.example:${port}`), 421);
  assert.equal(await status(`127.0.0.1:${port + 1}`), 421);
});

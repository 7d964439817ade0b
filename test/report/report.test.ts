// `tokenbench report` end to end on a real stored run: the CLI as users run it.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRealRuns, SECRET, type RealRuns } from "./realRun.js";

let real: RealRuns;
const work = mkdtempSync(join(tmpdir(), "tb-report-cli-"));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", timeout: 60_000 });
}

before(async () => {
  real = await createRealRuns();
});

test("report writes one self-contained HTML file and a PNG per chart", () => {
  const out = join(work, "sub", "report.html");
  const pngDir = join(work, "png");
  const r = cli("report", ...real.runIds, "--db", real.dbPath, "--out", out, "--png", pngDir);
  assert.equal(r.status, 0, r.stderr);
  const charts = Number(/(\d+) chart\(s\)/.exec(r.stdout)?.[1]);
  assert.ok(charts >= 11, r.stdout);
  assert.equal(readdirSync(pngDir).filter((f) => f.endsWith(".png")).length, charts);

  const html = readFileSync(out, "utf8");
  // Self-contained: nothing is fetched from anywhere.
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
  assert.match(html, /default-src 'none'/);
  for (const section of ["sec-load", "sec-frontier", "sec-distribution", "sec-timeseries", "sec-telemetry", "sec-tables", "sec-metadata"]) {
    assert.ok(html.includes(`id="${section}"`), `section ${section} missing`);
  }
  for (const id of real.runIds) assert.ok(html.includes(id), `run ${id} missing`);
  // Secrets never reach the report.
  assert.ok(!html.includes(SECRET), "API key leaked into the report");
  assert.ok(!html.includes(SECRET.slice(3)), "API key leaked into the report");
});

test("stored text from the server is escaped: it shows as text and cannot open a script", () => {
  const out = join(work, "hostile.html");
  const r = cli("report", real.runIds[0], "--db", real.dbPath, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, "utf8");
  assert.ok(!html.includes("<script>window.__pwned"), "raw script from the server reached the page");
  assert.ok(!html.includes("<img src=x"), "raw markup from the server reached the page");
  // Metadata (model), the label and the error table carry it escaped.
  assert.ok(html.includes("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
  // Exactly the three scripts of the page itself: data block, ECharts, bootstrap.
  assert.equal(html.match(/<script\b/g)?.length, 3);
  assert.equal(html.match(/<\/script>/g)?.length, 3);
});

test("bad input: one line on stderr, exit 2", () => {
  const unknown = cli("report", "no-such-run", "--db", real.dbPath, "--out", join(work, "x.html"));
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, `tokenbench: error: no run, experiment or cell matches "no-such-run"\n`);
  assert.equal(existsSync(join(work, "x.html")), false);

  const noDb = cli("report", "abc", "--db", join(work, "missing.db"));
  assert.equal(noDb.status, 2);
  assert.match(noDb.stderr, /^tokenbench: error: no results database at .*missing\.db.*\n$/);
});

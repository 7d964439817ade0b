// The report in a real browser (Debian's chromium via playwright-core), from a real stored run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openDb } from "../../src/store/db.js";
import { buildReport } from "../../src/report/index.js";
import { defaultCompare } from "../../src/report/compareProvider.js";
import { chartStates, launchChromium, screenshot, watchErrors, type LaunchedBrowser } from "../browser/chromium.js";
import { createRealRuns, type RealRuns } from "./realRun.js";
import { openTempDb, seedExperiment } from "./fixtures.js";

let browser: LaunchedBrowser;
let real: RealRuns;
const outDir = resolve("test-output", "reports");

before(async () => {
  mkdirSync(outDir, { recursive: true });
  [browser, real] = await Promise.all([launchChromium(), createRealRuns()]);
});
after(async () => {
  await browser?.close();
});

async function openReport(file: string) {
  const page = await browser.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = watchErrors(page);
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("body[data-charts-ready]", { timeout: 30_000 });
  return { page, errors };
}

test("report of a real run renders every chart with data, offline, without console errors", async () => {
  const db = openDb(real.dbPath, { readonly: true });
  const report = buildReport(db, real.runIds, { compare: defaultCompare });
  db.close();
  const file = resolve(outDir, "real-run.html");
  writeFileSync(file, report.html);
  const { page, errors } = await openReport(file);

  const states = await chartStates(page);
  assert.equal(states.length, report.charts.length);
  assert.ok(states.length >= 12, `only ${states.length} charts`);
  // Two runs: the comparison (src/compare) is drawn and tabled, c=4 against the c=1 baseline.
  assert.ok(states.some((s) => s.id === "comparison-ratios"), "no comparison chart");
  const cmpRows = await page.locator('table[data-table="comparison"] tbody tr').count();
  assert.equal(cmpRows, report.data.comparison!.metrics.length * 2);
  for (const s of states) {
    assert.ok(s.rendered && s.canvas, `${s.id} not drawn`);
    assert.ok(s.points > 0, `${s.id} has no data points`);
    assert.equal(s.points, s.expected, `${s.id}: browser has ${s.points} points, report built ${s.expected}`);
  }
  // Charts drew pixels, not just a blank canvas: sample the throughput-over-time chart.
  const inked = await page.evaluate(() => {
    const c = document.querySelector('[data-chart-id="ts-output-tokens"] canvas') as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) n++;
    return n;
  });
  assert.ok(inked > 2000, `throughput chart looks empty (${inked} dark pixels)`);

  // Tooltips name runs by their (hostile) label: ECharts escapes them, they show as text.
  for (const id of ["comparison-ratios", "throughput-concurrency", "ts-output-tokens"]) {
    const tip = await page.evaluate(async (id) => {
      const el = document.querySelector(`[data-chart-id="${id}"]`)!;
      const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): { dispatchAction(a: object): void } } }).echarts.getInstanceByDom(el);
      chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 0 });
      await new Promise((r) => setTimeout(r, 300));
      return { text: (el as HTMLElement).innerText, elements: el.querySelectorAll("img, script").length };
    }, id);
    assert.match(tip.text, /scripted <script>window\.__pwned=1<\/script>/, `${id} tooltip: ${tip.text}`);
    assert.equal(tip.elements, 0, id);
  }

  // The server's hostile model name and error body are shown as text, and never ran.
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  await page.locator("details").first().evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const modelCell = page.locator("details").first().locator("tr", { hasText: "model" }).first().locator("td").nth(1);
  assert.equal(await modelCell.textContent(), "model <script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">");
  const errorCell = page.locator('table[data-table="errors"] tbody tr').first().locator("td").nth(4);
  assert.match((await errorCell.textContent()) ?? "", /overloaded <script>window\.__pwned=1<\/script>/);
  assert.equal(await page.locator("img").count(), 0, "markup from the server became an element");

  await screenshot(page, "report-real-run");
  await page.locator("#sec-load").screenshot({ path: resolve("test-output", "screenshots", "report-real-run-load.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("experiment report (two configs, three loads, GPU and server telemetry) renders every chart", async () => {
  const { db } = openTempDb();
  seedExperiment(db);
  const report = buildReport(db, ["exp1"], { compare: defaultCompare });
  db.close();
  const file = resolve(outDir, "experiment.html");
  writeFileSync(file, report.html);
  const { page, errors } = await openReport(file);
  const states = await chartStates(page);
  assert.deepEqual(
    states.filter((s) => s.id.startsWith("tel-")).map((s) => s.id),
    ["tel-gpu-gpu-memory-used-mib", "tel-gpu-gpu-util-percent", "tel-server-vllm-kv-cache-usage-perc", "tel-server-vllm-num-requests-waiting"],
  );
  for (const s of states) assert.ok(s.rendered && s.points > 0 && s.points === s.expected, JSON.stringify(s));
  // One experiment: its configurations compared with each other.
  assert.ok(states.some((s) => s.id === "comparison-ratios"));
  await screenshot(page, "report-experiment");
  await page.locator("#sec-comparison .card").screenshot({ path: resolve("test-output", "screenshots", "report-experiment-comparison.png") });
  await page.locator("#sec-frontier").screenshot({ path: resolve("test-output", "screenshots", "report-experiment-frontier.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("single-run report in a 1400 px window: key numbers in the first screen, no table cut off", async () => {
  const db = openDb(real.dbPath, { readonly: true });
  const report = buildReport(db, [real.runIds[1]], { compare: defaultCompare });
  const both = buildReport(db, real.runIds, { compare: defaultCompare });
  db.close();
  const file = resolve(outDir, "single-run.html");
  writeFileSync(file, report.html);
  const { page, errors } = await openReport(file);
  const key = await page.locator("#sec-key").boundingBox();
  assert.ok(key && key.y + key.height < 1000, `key numbers not in the first screen: ${JSON.stringify(key)}`);
  const tiles = await page.locator("[data-key]").allTextContents();
  assert.ok(tiles.some((t) => /^output tok\/s[\d.]+$/.test(t)) && tiles.some((t) => /^completed \/ failed\d+ \/ \d+$/.test(t)), tiles.join("|"));
  assert.match((await page.locator("#sec-key").textContent()) ?? "", /concurrency 4.*16 in \/ 16 out tokens, 18 requests \+ 1 warm-up/s);
  // The first chart comes after the numbers.
  const firstChart = await page.locator("[data-chart-id]").first().boundingBox();
  assert.ok(firstChart && firstChart.y > key.y + key.height);
  const overflow = () => page.evaluate(() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll(".tablewrap")].map((w) => `${w.querySelector("table")?.getAttribute("data-table")}:${w.scrollWidth - w.clientWidth}`)]);
  const [pageWidth, ...cut] = await overflow();
  assert.ok(Number(pageWidth) <= 1400, `page ${pageWidth} px wide`);
  assert.deepEqual(cut.filter((x) => !String(x).endsWith(":0")), [], "a table is wider than the window");
  await screenshot(page, "report-single-run");
  assert.deepEqual(errors, []);
  await page.close();

  // Several runs: their summary table opens the page and fits the window too.
  writeFileSync(resolve(outDir, "two-runs.html"), both.html);
  const two = await openReport(resolve(outDir, "two-runs.html"));
  const firstSection = await two.page.locator("main section").first().getAttribute("id");
  assert.equal(firstSection, "sec-key");
  assert.equal(await two.page.locator('#sec-key table[data-table="summary"] tbody tr').count(), 2);
  const [w2, ...cut2] = await two.page.evaluate(() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll(".tablewrap")].map((w) => w.scrollWidth - w.clientWidth)]);
  assert.ok(w2 <= 1400, `page ${w2} px wide`);
  assert.deepEqual(cut2.filter((x) => x > 0), [], "summary table wider than the window");
  assert.deepEqual(two.errors, []);
  await two.page.close();
});

test("report of a real --profile sweep: numeric rate axis with the sync and inf points, one frontier row per point, sweep summary", async () => {
  const { runSweepProfile } = await import("../../src/benchmark/profile.js");
  const { startScriptedServer } = await import("../support/scriptedServer.js");
  const { openTempDb: open } = await import("./fixtures.js");
  const { db, path } = open();
  db.close();
  // 2 batch slots: at inf requests queue, so its TTFT p99 is far above the other points'.
  const srv = await startScriptedServer({ script: { ttftMs: 30, itlMs: 3 }, slots: 2 });
  let ids: string[];
  try {
    const r = await runSweepProfile({
      targets: [srv.url], db: path, requests: 10, warmup: 0, preflight: false, rates: 2, tokenizer: "bytes",
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 8 } },
    });
    ids = r.summaries.map((s) => s.id);
  } finally {
    await srv.close();
  }
  const rdb = openDb(path, { readonly: true });
  const report = buildReport(rdb, ids, { compare: defaultCompare });
  rdb.close();
  const file = resolve(outDir, "profile-sweep.html");
  writeFileSync(file, report.html);
  const { page, errors } = await openReport(file);
  const states = await chartStates(page);
  for (const s of states) assert.ok(s.rendered && s.points > 0 && s.points === s.expected, JSON.stringify(s));
  // The rate curve has all four runs: sync (c=1), two rates, inf; no concurrency chart of c=1 alone.
  assert.equal(states.find((s) => s.id === "throughput-rate")?.points, 4);
  assert.ok(!states.some((s) => s.id.endsWith("-concurrency")));
  const axisType = await page.evaluate(() => {
    const el = document.querySelector('[data-chart-id="throughput-rate"]')!;
    const chart = (window as unknown as { echarts: { getInstanceByDom(e: Element): { getOption(): { xAxis: Array<{ type: string }> } } } }).echarts.getInstanceByDom(el);
    return chart.getOption().xAxis[0].type;
  });
  assert.equal(axisType, "value");
  // TTFT budget rows: each starts at a point's own TTFT p99; the inf run's only from its own.
  const inf = report.data.runs.find((r) => r.load?.value === Infinity)!.summary!;
  const rows = await page.locator('table[data-table="frontier-ttft"] tbody tr').allTextContents();
  assert.ok(rows.length >= 2, rows.join("|"));
  const last = await page.locator('table[data-table="frontier-ttft"] tbody tr').last().locator("td").allTextContents();
  assert.equal(last[0], `≥ ${inf.latency_ms.ttft.p99 >= 1000 ? inf.latency_ms.ttft.p99.toFixed(0) : inf.latency_ms.ttft.p99.toFixed(1)}`);
  assert.equal(last[3], "inf req/s");
  assert.equal(await page.locator('table[data-table="sweep-1"] tbody tr').count(), 4);
  await page.locator("#sec-load").screenshot({ path: resolve("test-output", "screenshots", "report-profile-sweep-load.png") });
  await page.locator("#sec-frontier").screenshot({ path: resolve("test-output", "screenshots", "report-profile-sweep-frontier.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

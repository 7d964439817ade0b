// The UI in a real browser: list, filter, pick runs, compare, open the report.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openDb } from "../../src/store/db.js";
import { startUi, type UiServer } from "../../src/ui/server.js";
import { defaultCompare } from "../../src/report/compareProvider.js";
import { chartStates, launchChromium, screenshot, watchErrors, type LaunchedBrowser } from "../browser/chromium.js";
import { createRealRuns, type RealRuns } from "../report/realRun.js";
import { seedExperiment } from "../report/fixtures.js";

let browser: LaunchedBrowser;
let ui: UiServer;
let real: RealRuns;

before(async () => {
  [browser, real] = await Promise.all([launchChromium(), createRealRuns()]);
  const db = openDb(real.dbPath);
  seedExperiment(db);
  db.close();
  ui = await startUi({ dbPath: real.dbPath, compare: defaultCompare });
});
after(async () => {
  await ui?.close();
  await browser?.close();
});

test("browse, filter, pick two runs, compare, and open the report", async () => {
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(ui.url);
  await page.waitForSelector("body[data-loaded]");

  const rows = page.locator("#runs-body tr");
  assert.equal(await rows.count(), 8); // 2 real runs + 6 experiment runs
  assert.equal(await page.locator("#experiments-body tr").count(), 1);
  // The real runs' label carries markup from the test server: shown as text, never run.
  const label = await page.locator(`tr[data-run="${real.runIds[0]}"] td`).nth(4).textContent();
  assert.match(label ?? "", /^scripted <script>window\.__pwned=1<\/script><img src=x/);
  assert.equal(await page.locator("#runs-body img, #runs-body script").count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);

  // Filter by text, then by experiment.
  await page.fill("#f-q", "tuning=on");
  await page.waitForFunction(() => document.querySelectorAll("#runs-body tr").length === 3);
  assert.equal(await page.locator("#experiments-body tr").count(), 0);
  await page.fill("#f-q", "tuning off");
  await page.waitForFunction(() => document.querySelectorAll("#experiments-body tr").length === 1);
  await page.fill("#f-q", "");
  await page.selectOption("#f-experiment", "exp1");
  await page.waitForFunction(() => document.querySelectorAll("#runs-body tr").length === 6);

  // Compare is offered only once two runs are picked.
  assert.equal(await page.isDisabled("#compare"), true);
  await page.check('tr[data-run="exp1-tuning-off-c4"] input[type=checkbox]');
  assert.equal(await page.isDisabled("#compare"), true);
  await page.check('tr[data-run="exp1-tuning-on-c4"] input[type=checkbox]');
  assert.equal(await page.isDisabled("#compare"), false);
  assert.equal(await page.textContent("#selection"), "2 selected");
  await page.selectOption("#baseline", "exp1-tuning-on-c4");
  await screenshot(page, "ui-compare-selection");

  const [report] = await Promise.all([context.waitForEvent("page"), page.click("#compare")]);
  const reportErrors = watchErrors(report);
  await report.waitForSelector("body[data-charts-ready]", { timeout: 30_000 });
  const url = new URL(report.url());
  assert.equal(url.pathname, "/report");
  assert.equal(url.searchParams.get("ids"), "exp1-tuning-on-c4,exp1-tuning-off-c4");
  assert.equal(url.searchParams.get("baseline"), "exp1-tuning-on-c4");
  const states = await chartStates(report);
  assert.ok(states.length >= 12);
  assert.ok(states.some((s) => s.id === "comparison-ratios"), "compare flow without a comparison chart");
  const verdicts = await report.locator('table[data-table="comparison"] tbody tr').evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)).filter((c) => c[0] === "output_tokens_per_s").map((c) => c[5]),
  );
  // The baseline (tuning=on) decodes faster, so tuning=off is significantly worse in throughput.
  assert.deepEqual(verdicts, ["–", "worse"]);
  await report.locator("#sec-comparison").screenshot({ path: "test-output/screenshots/ui-compare-report-comparison.png" });
  for (const s of states) assert.ok(s.rendered && s.points > 0 && s.points === s.expected, JSON.stringify(s));
  assert.deepEqual(
    await report.locator('table[data-table="summary"] tbody tr td:first-child').allTextContents(),
    ["exp1-tuning-on-c4", "exp1-tuning-off-c4"],
  );
  await screenshot(report, "ui-compare-report");

  // The experiment's own report link.
  const [expReport] = await Promise.all([context.waitForEvent("page"), page.click('#experiments-body tr[data-experiment="exp1"] a')]);
  await expReport.waitForSelector("body[data-charts-ready]", { timeout: 30_000 });
  assert.equal(await expReport.title(), "Experiment tuning off vs on · tokenbench report");
  assert.equal((await chartStates(expReport)).filter((s) => s.points > 0).length, (await chartStates(expReport)).length);

  assert.deepEqual(errors, []);
  assert.deepEqual(reportErrors, []);
  await context.close();
});

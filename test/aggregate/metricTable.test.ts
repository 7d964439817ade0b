import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { METRICS, type Metric } from "../../src/aggregate/metricTable.js";
import { renderRunTable } from "../../src/output/consoleTable.js";
import { flattenSummary } from "../../src/output/csv.js";
import { loadReportData } from "../../src/report/data.js";
import { renderReport } from "../../src/report/index.js";
import { summaryTable } from "../../src/report/tables.js";
import { compare } from "../../src/compare/index.js";
import { benchMetrics } from "../../src/compare/metrics.js";
import { queryRuns } from "../../src/ui/queries.js";
import { latencyMetricList } from "../../src/cli/parse.js";
import { openTempDb, seedExperiment, stats } from "../report/fixtures.js";

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const slug = (h: string) => h.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");

/** docs/metrics.md by heading anchor: the text from that heading to the next one of the same or a higher level. */
function docSections(): Map<string, string> {
  const lines = readFileSync("docs/metrics.md", "utf8").split("\n");
  const out = new Map<string, string>();
  lines.forEach((l, i) => {
    const h = /^(#+) (.*)$/.exec(l);
    if (!h) return;
    let end = i + 1;
    while (end < lines.length && !(/^(#+) /.exec(lines[end]) && /^(#+) /.exec(lines[end])![1].length <= h[1].length)) end++;
    out.set(`#${slug(h[2])}`, lines.slice(i, end).join("\n"));
  });
  return out;
}

test("every metric of the table is defined in docs/metrics.md, under the section it points at", () => {
  const sections = docSections();
  const keys = new Set<string>();
  for (const m of METRICS) {
    assert.match(m.key, /^[a-z][a-z0-9_]*$/, `${m.key}: field-standard snake_case`);
    assert.ok(!keys.has(m.key), `${m.key} twice`);
    keys.add(m.key);
    const section = sections.get(m.doc);
    assert.ok(section, `${m.key}: docs/metrics.md has no heading ${m.doc}`);
    assert.ok(section.includes("`" + m.key), `${m.key}: section ${m.doc} does not name it`);
    assert.ok(m.definition.length > 5 && m.label && m.unit, `${m.key}: label, unit and definition`);
  }
});

// A new metric is one table entry: adding two fake ones (a latency population and a value) must
// show them in the console table, CSV, the report (summary table, load charts), compare and the
// UI's run list, without touching any of those files.
test("a new table entry appears in every output", async () => {
  const fake = stats([7, 8, 9, 10]);
  const fakeLatency: Metric = {
    kind: "latency", key: "fake_latency", label: "FAKELAT", unit: "ms", better: "lower", doc: "#3-statistics-of-a-latency-population-latencystats",
    definition: "a latency made up by this test", stats: () => fake,
    compare: { stats: ["p50"] }, brief: ["p90"], list: "p50", chart: true,
  };
  const fakeValue: Metric = {
    kind: "value", key: "fake_value_per_s", label: "fake value/s", unit: "x/s", better: "higher", doc: "#5-throughput-throughput",
    definition: "a rate made up by this test", value: (s) => s.requests.completed * 2, compare: true, brief: true, list: true,
  };
  METRICS.push(fakeLatency, fakeValue);
  try {
    const { db } = openTempDb();
    seedExperiment(db);
    const data = loadReportData(db, ["exp1"]);
    const s = data.runs[0].summary!;

    const console = renderRunTable(s);
    assert.match(console, new RegExp(`^│ FAKELAT +│ +8\\.50 +│ +${fake.p50.toFixed(2)} +│ +${fake.p90.toFixed(2)} +│`, "m"), console);
    assert.match(console, new RegExp(`Fake value/s +│ ${(s.requests.completed * 2).toFixed(2)} x/s`), console);
    assert.deepEqual(latencyMetricList("ttft,fake_latency"), ["ttft", "fake_latency"]);
    assert.ok(!renderRunTable(s, { metrics: ["ttft"] }).includes("FAKELAT"), "--percentile-metrics filters it like any row");

    const row = flattenSummary(s);
    assert.equal(row.fake_latency_ms_p50, fake.p50);
    assert.equal(row.fake_latency_ms_count, 4);
    assert.equal(row.fake_value_per_s, s.requests.completed * 2);

    const table = summaryTable(data.runs);
    assert.ok(table.columns.includes("FAKELAT p90") && table.columns.includes("fake value/s"), table.columns.join(", "));
    const report = renderReport(data);
    assert.ok(report.charts.some((c) => c.id === "latency-fake_latency-concurrency"), report.charts.map((c) => c.id).join(", "));
    assert.ok(report.html.includes("FAKELAT p90"));

    assert.ok(benchMetrics().some((d) => d.name === "fake_latency_p50_ms"));
    const cmp = compare(db, ["exp1"], { resamples: 50 });
    assert.deepEqual(cmp.metrics.filter((m) => m.metric.startsWith("fake_")).map((m) => [m.metric, m.unit, m.higherIsBetter]), [
      ["fake_latency_p50_ms", "ms", false],
      ["fake_value_per_s", "x/s", true],
    ]);

    const ui = queryRuns(db, {}).find((r) => r.id === data.runs[0].id)!;
    assert.deepEqual([ui.metrics.fake_latency_p50_ms, ui.metrics.fake_value_per_s], [fake.p50, s.requests.completed * 2]);
    // The page builds its columns from the table when loaded: loaded here, after the entries were added.
    const { uiPage } = await import("../../src/ui/page.js");
    assert.ok(uiPage().includes("<th>FAKELAT p50 ms</th>") && uiPage().includes("<th>fake value/s</th>"));
    db.close();
  } finally {
    METRICS.splice(METRICS.indexOf(fakeLatency), 2);
  }
});

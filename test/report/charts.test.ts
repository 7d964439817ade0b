import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Comparison } from "../../src/compare/types.js";
import { buildCharts } from "../../src/report/charts/index.js";
import { comparisonChart, verdict } from "../../src/report/charts/comparison.js";
import { configOf, loadOf, loadReportData } from "../../src/report/data.js";
import { chartToSvg, legendRows, writeChartPngs } from "../../src/report/png.js";
import { renderReport } from "../../src/report/index.js";
import { getRun } from "../../src/store/runs.js";
import { openTempDb, seedExperiment, storeSim } from "./fixtures.js";

function experimentData() {
  const { db } = openTempDb();
  seedExperiment(db);
  return { db, data: loadReportData(db, ["exp1"]) };
}

test("runs of one experiment group into configurations by label without the load part", () => {
  const { db, data } = experimentData();
  assert.equal(data.runs.length, 6);
  assert.deepEqual([...new Set(data.runs.map((r) => r.config))], ["tuning=off", "tuning=on"]);
  assert.equal(configOf({ ...getRun(db, "exp1-tuning-on-c2")!, label: null, cell_key: "vllm/256in/rate=2.5/repeat=1" }), "vllm/256in");
  assert.equal(configOf({ ...getRun(db, "exp1-tuning-on-c2")!, label: "c=4 a</b> x", cell_key: null }), "a</b> x");
  // The experiment runner's keys: server=NAME/workload=NAME/load=c8/rep=1
  const cell = (k: string) => configOf({ ...getRun(db, "exp1-tuning-on-c2")!, label: null, cell_key: k });
  assert.equal(cell("server=vllm/workload=chat/load=c8/rep=2"), "server=vllm/workload=chat");
  assert.equal(cell("server=tgi/workload=chat/load=rinf/rep=1"), "server=tgi/workload=chat");
  assert.equal(cell("server=tgi/workload=chat/load=r2.5"), "server=tgi/workload=chat");
  assert.equal(configOf({ ...getRun(db, "exp1-tuning-on-c2")!, label: null, cell_key: null }), "llama-3-8b @ http://127.0.0.1:8000");
  // Embedded servers on random ports: named by back-end, slots and threads, so --parallel 1 and 4 are two configurations.
  const emb = (info: object) => configOf({ ...getRun(db, "exp1-tuning-on-c2")!, label: null, cell_key: null, server_info: info });
  assert.equal(emb({ embedded: true }), "llama-3-8b @ embedded engine");
  assert.equal(emb({ embedded: true, engine: "llama-server", parallel: 4, threads: null }), "llama-3-8b @ embedded engine (llama-server, parallel 4)");
  assert.notEqual(emb({ embedded: true, engine: "llama-server", parallel: 1, threads: 2 }), emb({ embedded: true, engine: "llama-server", parallel: 4, threads: 2 }));
  // Old stored form (LoadSpec JSON: rate null, camelCase) and the summary form read the same.
  const inf = { mode: "rate", value: Infinity, label: "inf req/s", description: "rate inf req/s, all at t=0, max concurrency 8" };
  assert.deepEqual(loadOf({ mode: "rate", rate: null, arrival: "poisson", maxConcurrency: 8 }), inf);
  assert.deepEqual(loadOf({ mode: "rate", rate: "inf", arrival: "poisson", max_concurrency: 8 }), inf);
  assert.deepEqual(loadOf({ mode: "concurrency", concurrency: 4 }), { mode: "concurrency", value: 4, label: "c=4", description: "concurrency 4" });
  assert.equal(loadOf({ mode: "other" }), null);
});

test("every chart has data, is plain JSON, and the throughput curve carries the stored numbers", () => {
  const { data } = experimentData();
  const charts = buildCharts(data);
  const ids = charts.map((c) => c.id);
  for (const id of [
    "throughput-concurrency", "latency-ttft-concurrency", "latency-tpot-concurrency", "latency-itl-concurrency", "latency-e2e-concurrency",
    "frontier-e2e", "frontier-ttft", "cdf-ttft", "cdf-itl", "ts-output-tokens", "ts-in-flight",
    "tel-gpu-gpu-util-percent", "tel-gpu-gpu-memory-used-mib", "tel-server-vllm-num-requests-waiting", "tel-server-vllm-kv-cache-usage-perc",
  ]) assert.ok(ids.includes(id), `missing chart ${id}`);
  for (const c of charts) {
    assert.ok(c.points > 0, c.id);
    // No callbacks: the same option must survive JSON (HTML embedding) unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(c.option)), c.option, c.id);
  }
  const tp = charts.find((c) => c.id === "throughput-concurrency")!.option as { xAxis: { type: string }; series: Array<{ name: string; data: number[][] }> };
  // A numeric axis: concurrency 4 sits twice as far from 0 as 2 (a category axis spaced 1, 2, 4 evenly).
  assert.equal(tp.xAxis.type, "value");
  const on = tp.series.find((s) => s.name === "tuning=on")!;
  const expected = [1, 2, 4].map((c) => [c, Math.round(data.runs.find((r) => r.id === `exp1-tuning-on-c${c}`)!.summary!.throughput.output_tokens_per_s * 1000) / 1000]);
  assert.deepEqual(on.data, expected);
  // The simulated tuning=on decodes faster: the chart must show it above tuning=off at every load.
  const off = tp.series.find((s) => s.name === "tuning=off")!;
  on.data.forEach((v, i) => assert.ok(v[1] > off.data[i][1]));
});

const cmp: Comparison = {
  baseline: "a",
  items: [{ id: "a", label: "off" }, { id: "b", label: "on" }],
  metrics: [
    { metric: "output_tokens_per_s", higherIsBetter: true, unit: "tok/s", values: [
      { id: "a", value: 100, ratio: 1, ci95: [1, 1], significant: false },
      { id: "b", value: 160, ratio: 1.6, ci95: [1.4, 1.8], significant: true }] },
    { metric: "ttft_p99_ms", higherIsBetter: false, unit: "ms", values: [
      { id: "a", value: 100, ratio: 1, ci95: [1, 1], significant: false },
      { id: "b", value: 105, ratio: 1.05, ci95: [0.9, 1.2], significant: false }] },
    { metric: "e2e_p99_ms", higherIsBetter: false, unit: "ms", values: [
      { id: "a", value: 100, ratio: 1, ci95: [1, 1], significant: false },
      { id: "b", value: 130, ratio: 1.3, ci95: [1.1, 1.5], significant: true }] },
  ],
};

test("comparison chart: whiskers are the CI, non-significant ratios are dashed and labelled n.s.", () => {
  assert.equal(verdict(1.6, true, true), "better");
  assert.equal(verdict(0.8, true, false), "better");
  assert.equal(verdict(1.3, true, false), "worse");
  assert.equal(verdict(1.3, false, false), "n.s.");
  const c = comparisonChart(cmp);
  const o = c.option as { yAxis: { data: string[] }; series: Array<{ data: Array<{ value: number[]; itemStyle: { borderType: string; borderColor: string } }> }> };
  // Metrics listed top to bottom in the given order (category axes draw bottom-up).
  assert.deepEqual(o.yAxis.data, ["e2e_p99_ms", "ttft_p99_ms (n.s.)", "output_tokens_per_s"]);
  const [e2e, ttft, tput] = o.series[0].data;
  assert.deepEqual(tput.value, [1.4, 1.6, 1.6, 1.6, 1.8]);
  assert.equal(ttft.itemStyle.borderType, "dashed");
  assert.equal(tput.itemStyle.borderType, "solid");
  assert.notEqual(tput.itemStyle.borderColor, e2e.itemStyle.borderColor, "better and worse must differ in colour");
  assert.equal(c.points, 3);

  // compare() gives [null, null] when it cannot resample: the estimate alone, marked "no CI".
  const noCi: Comparison = { ...cmp, metrics: [{ metric: "duration_s", higherIsBetter: false, unit: "s", values: [
    { id: "a", value: 10, ratio: 1, ci95: [1, 1], significant: false },
    { id: "b", value: 5, ratio: 0.5, ci95: [null, null] as unknown as [number, number], significant: false }] }] };
  const n = comparisonChart(noCi).option as typeof o & { xAxis: { min: number; max: number } };
  assert.deepEqual(n.yAxis.data, ["duration_s (no CI)"]);
  assert.deepEqual(n.series[0].data[0].value, [0.5, 0.5, 0.5, 0.5, 0.5]);
  assert.equal(n.series[0].data[0].itemStyle.borderType, "dotted");
  assert.deepEqual([n.xAxis.min, n.xAxis.max], [0.25, 4]);
  assert.equal(verdict(0.5, false, false, false), "no CI");
});

test("--png renders every chart to a PNG without a browser", () => {
  const { data } = experimentData();
  const charts = [...buildCharts(data), comparisonChart(cmp)];
  const dir = mkdtempSync(join(tmpdir(), "tb-png-"));
  const files = writeChartPngs(charts, dir);
  assert.equal(files.length, charts.length);
  for (const f of files) {
    const png = readFileSync(f);
    assert.deepEqual([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(""), "PNG");
    assert.equal(png.readUInt32BE(16), 1920, `${f} width`); // 960 px at 2x
    assert.ok(png.length > 15_000, `${f} looks empty (${png.length} bytes)`);
  }
});

test("command cells (training runs) show their metrics and command line, without benchmark charts", async () => {
  const { renderReport } = await import("../../src/report/index.js");
  const { createRun } = await import("../../src/store/runs.js");
  const { db } = openTempDb();
  createRun(db, { id: "cmd-1", kind: "command", toolVersion: "0.1.0", experimentId: "train", cellKey: "command=zero3/rep=1", label: "command=zero3" });
  const summary = { kind: "command", id: "cmd-1", command: "deepspeed", args: ["train.py", "--token", "hf_abcdefghijklmnop"], started_at: "", duration_s: 12.5, exit_code: 0, signal: null, metrics: { samples_per_s: 41.25, loss: 0.5 }, samples: {}, higher_is_better: {}, units: {} };
  db.prepare(`UPDATE runs SET status = 'completed', summary_json = ? WHERE id = ?`).run(JSON.stringify(summary), "cmd-1");
  const report = renderReport(loadReportData(db, ["train"]));
  assert.equal(report.charts.length, 0);
  assert.match(report.html, /<td>samples_per_s=41.3, loss=0.500, duration_s=12.5<\/td>|samples_per_s=41\.3, loss=0\.500, duration_s=12\.5/);
  assert.ok(report.html.includes("deepspeed train.py --token [redacted]"));
  assert.ok(!report.html.includes("hf_abcdefghijklmnop"));
});

test("legend names tell runs with the same label apart by load, else by id suffix", async () => {
  const { runName } = await import("../../src/report/charts/common.js");
  type R = Parameters<typeof runName>[1];
  const r = (id: string, label: string, c: number) => ({ id, label, load: { mode: "concurrency", value: c, label: `c=${c}`, description: `concurrency ${c}` } }) as unknown as R;
  const runs = [r("20261121-aaaaaa", "x", 1), r("20261121-bbbbbb", "x", 4), r("20261121-cccccc", "x", 4), r("20261121-dddddd", "y", 4)];
  assert.deepEqual(runs.map((x) => runName(runs, x)), ["x (c=1)", "x (bbbbbb)", "x (cccccc)", "y"]);
});

test("rate sweeps plot against a numeric request-rate axis; inf sits at its achieved rate", () => {
  const { data } = experimentData();
  const rates = [1, 2, Infinity];
  const runs = data.runs.map((r, i) => ({ ...r, load: loadOf({ mode: "rate", rate: rates[i % 3], arrival: "poisson" }) }));
  const charts = buildCharts({ ...data, runs });
  assert.ok(!charts.some((c) => c.id.endsWith("-concurrency")));
  type Datum = number[] | { value: number[]; label: { formatter: string } };
  const tp = charts.find((c) => c.id === "throughput-rate")!.option as { xAxis: { type: string; name: string }; series: Array<{ name: string; data: Datum[] }> };
  assert.equal(tp.xAxis.type, "value");
  assert.equal(tp.xAxis.name, "request rate (req/s)");
  const off = tp.series.find((s) => s.name === "tuning=off")!;
  const infRun = runs.find((r) => r.config === "tuning=off" && r.load!.value === Infinity)!;
  const xs = off.data.map((d) => (Array.isArray(d) ? d[0] : d.value[0]));
  assert.deepEqual(xs, [1, 2, Math.round(infRun.summary!.throughput.requests_per_s * 1000) / 1000].sort((a, b) => a - b));
  assert.ok(off.data.some((d) => !Array.isArray(d) && d.label.formatter === "inf"));
  assert.ok(charts.some((c) => c.id === "latency-e2e-rate"));
});

test("a --profile sweep's synchronous run is on the rate curve at its achieved rate; a 16x span gets a log2 axis", async () => {
  const { data } = experimentData();
  const base = data.runs[0];
  const at = (id: string, load: unknown, reqPerS: number, tokPerS: number) => ({
    ...base, id, config: "sweep", load: loadOf(load),
    summary: { ...base.summary!, throughput: { ...base.summary!.throughput, requests_per_s: reqPerS, output_tokens_per_s: tokPerS } },
  });
  const runs = [
    at("s1", { mode: "concurrency", concurrency: 1 }, 3.1, 61.2),
    at("s2", { mode: "rate", rate: "inf", arrival: "constant" }, 5.2, 163),
    at("s3", { mode: "rate", rate: 3.5, arrival: "constant" }, 3.4, 96.4),
    at("s4", { mode: "rate", rate: 4.1, arrival: "constant" }, 4.0, 105.1),
    at("s5", { mode: "rate", rate: 4.6, arrival: "constant" }, 4.5, 118),
  ];
  const charts = buildCharts({ ...data, runs });
  // c=1 alone on a concurrency axis would repeat the rate chart's sync point.
  assert.ok(!charts.some((c) => c.id.endsWith("-concurrency")), charts.map((c) => c.id).join());
  type Datum = number[] | { value: number[]; label: { formatter: string } };
  const tp = charts.find((c) => c.id === "throughput-rate")!.option as { xAxis: { type: string }; series: Array<{ data: Datum[] }> };
  assert.equal(tp.xAxis.type, "value");
  const pts = tp.series[0].data.map((d) => (Array.isArray(d) ? [d[0], d[1], ""] : [d.value[0], d.value[1], d.label.formatter]));
  assert.deepEqual(pts, [[3.1, 61.2, "sync"], [3.5, 96.4, ""], [4.1, 105.1, ""], [4.6, 118, ""], [5.2, 163, "inf"]]);
  const ttft = charts.find((c) => c.id === "latency-ttft-rate")!.option as { series: Array<{ data: Datum[] }> };
  assert.equal(ttft.series[0].data.length, 5);

  const { loadAxis } = await import("../../src/report/charts/load.js");
  assert.equal(loadAxis("concurrency", [1, 2, 4, 8]).type, "value");
  assert.deepEqual([loadAxis("concurrency", [1, 4, 16]).type, loadAxis("concurrency", [1, 4, 16]).logBase], ["log", 2]);
  assert.equal(loadAxis("concurrency", [2, 4, 16]).type, "value");
});

test("a single load compares configurations with grouped bars", () => {
  const { data } = experimentData();
  const runs = data.runs.filter((r) => r.load?.value === 4);
  const charts = buildCharts({ ...data, runs });
  const tp = charts.find((c) => c.id === "throughput-concurrency")!;
  assert.equal(tp.title, "Output throughput at c=4");
  const tpo = tp.option as { series: Array<{ type: string; name: string; data: number[] }> };
  assert.deepEqual(tpo.series.map((s) => [s.type, s.name]), [["bar", "tuning=off"], ["bar", "tuning=on"]]);
  assert.equal(tpo.series[1].data[0], Math.round(runs[1].summary!.throughput.output_tokens_per_s * 10) / 10);
  const ttft = charts.find((c) => c.id === "latency-ttft-concurrency")!.option as { xAxis: { data: string[] }; series: Array<{ data: number[] }> };
  assert.deepEqual(ttft.xAxis.data, ["p50", "p90", "p99"]);
  const t = runs[0].summary!.latency_ms.ttft;
  assert.deepEqual(ttft.series[0].data, [t.p50, t.p90, t.p99].map((x) => Math.round(x * 1000) / 1000));
});

test("--png: a legend too long for one row wraps and the image grows by it; nothing is cut off", () => {
  const { db } = openTempDb();
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    ids.push(`run-${i}`);
    storeSim(db, { id: `run-${i}`, label: `engine-variant-${i} with a long label`, spec: { concurrency: 1 + (i % 2), requests: 6, seed: i + 1, tpotMs: 20 + i, prefillMs: 80, outputTokens: 8 } });
  }
  const chart = buildCharts(loadReportData(db, ids)).find((c) => c.id === "ts-output-tokens")!;
  const svg = chartToSvg(chart);
  const height = Number(/<svg[^>]*height="(\d+)"/.exec(svg)?.[1]);
  const rows = legendRows(ids.map((_, i) => `engine-variant-${i} with a long label`), 944);
  assert.ok(rows >= 3, `${rows} legend rows`);
  assert.equal(height, chart.height + 40 + (rows - 1) * 22);
  // Every run's legend entry is drawn (a scrolling legend draws one row and page arrows), and
  // every text sits inside the image.
  for (let i = 0; i < 12; i++) assert.ok(svg.includes(`engine-variant-${i} with a long label`), `legend entry ${i} missing`);
  assert.doesNotMatch(svg, /\d+\/\d+<\/text>/, "legend paging (1/3) drawn");
  const ys = [...svg.matchAll(/<text[^>]*transform="[^"]*translate\([\d.]+ ([\d.]+)\)/g)].map((m) => Number(m[1]));
  assert.ok(ys.length > 12 && ys.every((y) => y <= height), `text below the image: ${Math.max(...ys)} > ${height}`);
});

test("a single-run report opens with its key numbers, workload and load; no single-bar charts", () => {
  const { db } = openTempDb();
  storeSim(db, { id: "solo-1", label: "solo", spec: { concurrency: 4, requests: 20, seed: 9, tpotMs: 20, prefillMs: 80, outputTokens: 16, failEvery: 10, errorText: "overloaded" } });
  const s = getRun(db, "solo-1")!.summary!;
  const report = renderReport(loadReportData(db, ["solo-1"]));
  const html = report.html;
  const key = html.indexOf('id="sec-key"');
  assert.ok(key > 0, "no key numbers section");
  assert.ok(key < html.indexOf("data-chart-id="), "key numbers come after a chart");
  assert.ok(key < html.indexOf('data-table="summary"'));
  const tile = (name: string) => new RegExp(`data-key="${name}"><div class="k">[^<]*</div><div class="v">([^<]*)</div>`).exec(html)?.[1];
  assert.equal(tile("output tok/s"), s.throughput.output_tokens_per_s >= 100 ? s.throughput.output_tokens_per_s.toFixed(0) : s.throughput.output_tokens_per_s.toFixed(1));
  assert.equal(tile("completed / failed"), `${s.requests.completed} / ${s.requests.failed}`);
  assert.equal(s.requests.failed, 2);
  for (const m of ["TTFT", "TPOT", "ITL", "E2E"]) assert.match(tile(`${m} p50 / p99 ms`) ?? "", /^[\d.]+ \/ [\d.]+$/);
  assert.doesNotMatch(html, /id="sec-frontier"/);
  assert.match(html, /<b>load<\/b> concurrency 4/);
  // One configuration at one load: bars that would repeat the tiles are not drawn.
  assert.deepEqual(report.charts.filter((c) => c.section === "load" || c.section === "frontier").map((c) => c.id), []);
});

test("telemetry series with fewer than 4 samples are not charted; the report says so in one line", async () => {
  const { appendTimeseries } = await import("../../src/store/runs.js");
  const { db } = openTempDb();
  seedExperiment(db);
  // A cell shorter than a few scrape intervals: 3 samples of one series, 4 of another.
  const sample = (name: string, n: number) => Array.from({ length: n }, (_, i) => ({ source: "server", name, tMs: i * 1000, value: i }));
  appendTimeseries(db, "exp1-tuning-on-c4", [...sample("short_series", 3), ...sample("four_samples", 4)]);
  const report = renderReport(loadReportData(db, ["exp1"]));
  const ids = report.charts.map((c) => c.id);
  assert.ok(!ids.includes("tel-server-short-series"), ids.join());
  assert.ok(ids.includes("tel-server-four-samples"), ids.join());
  const run = report.data.runs.find((r) => r.id === "exp1-tuning-on-c4")!;
  assert.deepEqual(run.shortTelemetry, ["server short_series"]);
  assert.equal(report.data.telemetryNote, "Not charted: 1 telemetry series with fewer than 4 samples in 1 run (runs shorter than a few scrape intervals): server short_series.");
  assert.ok(report.html.includes(report.data.telemetryNote!));
  // Long series of the other runs are charted as before.
  assert.ok(ids.includes("tel-gpu-gpu-util-percent"));
});

test("the report of a multi-load configuration has a sweep summary table with the stored figures", () => {
  const { data } = experimentData();
  const report = renderReport(data);
  assert.equal(report.html.split("Sweep summary: tuning=").length, 3);
  const on4 = data.runs.find((r) => r.id === "exp1-tuning-on-c4")!.summary!;
  assert.ok(report.html.includes(`<td class="num">${on4.throughput.output_tokens_per_s.toFixed(2)}</td>`), "c=4 output tok/s");
});

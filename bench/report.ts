// Report build cost on a large stored run: how long `tokenbench report` and `--png` take and
// how big the HTML gets. Run: node --import tsx bench/report.ts [requests] [outputTokens]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../src/store/db.js";
import { buildReport } from "../src/report/index.js";
import { writeChartPngs } from "../src/report/png.js";
import { storeSim } from "../test/report/fixtures.js";

const requests = Number(process.argv[2] ?? 10_000);
const outputTokens = Number(process.argv[3] ?? 256);
const dir = mkdtempSync(join(tmpdir(), "tb-bench-report-"));
const db = openDb(join(dir, "results.db"));
let t = performance.now();
for (const [i, c] of [8, 32, 64].entries()) {
  storeSim(db, { id: `big-${c}`, label: `big c=${c}`, spec: { concurrency: c, requests, seed: i + 1, tpotMs: 20, prefillMs: 80, outputTokens }, telemetry: true });
}
const seedMs = performance.now() - t;
t = performance.now();
const report = buildReport(db, ["big-8", "big-32", "big-64"]);
const buildMs = performance.now() - t;
const rssMiB = process.resourceUsage().maxRSS / 1024;
t = performance.now();
const files = writeChartPngs(report.charts, join(dir, "png"));
const pngMs = performance.now() - t;
const tokens = 3 * requests * outputTokens;
console.log(`runs: 3 x ${requests} requests x ${outputTokens} tokens (${(tokens / 1e6).toFixed(1)} M chunks), seeded in ${(seedMs / 1000).toFixed(1)} s`);
console.log(`report build: ${(buildMs / 1000).toFixed(2)} s (store read + derivations + HTML), peak RSS of the process ${rssMiB.toFixed(0)} MiB`);
console.log(`html: ${(report.html.length / 2 ** 20).toFixed(2)} MiB (ECharts bundle ${(1121883 / 2 ** 20).toFixed(2)} MiB), ${report.charts.length} charts`);
console.log(`png: ${files.length} charts in ${(pngMs / 1000).toFixed(2)} s (${(pngMs / files.length).toFixed(0)} ms per chart)`);
db.close();
rmSync(dir, { recursive: true, force: true });

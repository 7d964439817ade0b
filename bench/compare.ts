// Cost of `tokenbench compare` on large single runs, where intervals come from resampling requests:
// time per comparison and per metric. Run: node --import tsx bench/compare.ts [requests] [resamples]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../src/store/db.js";
import { compare } from "../src/compare/index.js";
import { storeSyntheticRun } from "../test/compare/storedRuns.js";

const requests = Number(process.argv[2] ?? 10_000);
const resamples = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), "tb-bench-compare-"));
const db = openDb(join(dir, "results.db"));
let t = performance.now();
for (const [i, ttft] of [100, 100, 130].entries()) {
  storeSyntheticRun(db, { id: `r${i}`, requests, concurrency: 32, outputTokens: 64, ttftMs: { mean: ttft, sd: 25 }, itlMs: { mean: 20, sd: 4 }, seed: i + 1 });
}
console.log(`seeded 3 runs x ${requests} requests x 64 tokens in ${((performance.now() - t) / 1000).toFixed(1)} s`);
t = performance.now();
const c = compare(db, ["r0", "r1", "r2"], { resamples });
const ms = performance.now() - t;
const ratios = c.metrics.length * 2;
console.log(`compare: ${(ms / 1000).toFixed(2)} s for ${c.metrics.length} metrics x 2 items (${resamples} resamples each), ${(ms / ratios).toFixed(0)} ms per ratio interval`);
const ttft = c.metrics.find((m) => m.metric === "ttft_p99_ms")!;
console.log(`ttft_p99 ratios: ${ttft.values.slice(1).map((v) => `${v.ratio.toFixed(3)} [${v.ci95.map((x) => x.toFixed(3)).join(", ")}]${v.significant ? "" : " n.s."}`).join("  ")}`);
db.close();
rmSync(dir, { recursive: true, force: true });

// How close to a trace's times does the client send? Replays a generated trace at `--rate`
// requests/s (one line every 1000/rate ms) against the in-process scripted server and prints the
// send lag (record sentAt - scheduledAt, both on the client's clock) and whether every request
// was scheduled exactly at its line's time.
//
//   node --import tsx bench/trace-replay.ts [--requests 300] [--rate 100]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runBenchmark } from "../src/benchmark/run.js";
import { startScriptedServer } from "../test/support/scriptedServer.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const n = Number(arg("requests", "300"));
const gap = 1000 / Number(arg("rate", "100"));
const dir = await mkdtemp(path.join(os.tmpdir(), "tb-bench-replay-"));
const file = path.join(dir, "trace.jsonl");
await writeFile(file, Array.from({ length: n }, (_, i) => JSON.stringify({ timestamp: i * gap, input_length: 53, output_length: 2, hash_ids: [0, 1 + (i % 3), 100 + i] })).join("\n") + "\n");
const srv = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1, tokensPerChunk: 2 } });
try {
  const r = await runBenchmark({ targets: [srv.url], loads: [{ mode: "trace", path: file, speedup: 1, blockSize: 16 }], db: null, warmup: 0, seed: 5, tokenizer: "bytes", preflight: false });
  const recs = r.records[0];
  const lag = recs.map((x) => x.sentAt - x.scheduledAt).sort((a, b) => a - b);
  const q = (p: number) => lag[Math.min(n - 1, Math.floor(p * n))].toFixed(3);
  const exact = recs.every((x) => Math.abs(x.scheduledAt - x.index * gap) < 1e-9);
  console.log(`${n} requests at ${1000 / gap} req/s: scheduled exactly at the trace's times: ${exact}; send lag ms p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${lag[n - 1].toFixed(3)}; within 1 ms: ${lag.filter((x) => x <= 1).length}/${n}`);
} finally {
  await srv.close();
  await rm(dir, { recursive: true, force: true });
}

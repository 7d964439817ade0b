// How long does preparing a trace replay take (read + prompt building, done before the clock)?
// A Mooncake-like trace is generated: `--requests` lines, `--blocks` hash ids each (block size
// 512), the first `--shared` ids drawn from a small pool of common prefixes, the rest new.
//
//   node --import tsx bench/trace.ts [--requests 2000] [--blocks 8] [--shared 4] [--tokenizer path]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readTrace, tracePrompts, traceStats } from "../src/workload/trace.js";
import { loadTokenizer } from "../src/workload/tokenizer.js";
import { createRng } from "../src/workload/rng.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const requests = Number(arg("requests", "2000"));
const blocks = Number(arg("blocks", "8"));
const shared = Number(arg("shared", "4"));
const tokPath = process.argv.includes("--tokenizer") ? arg("tokenizer", "") : undefined;

const rng = createRng(1);
let next = 1000;
const lines = Array.from({ length: requests }, (_, i) => {
  const ids = Array.from({ length: blocks }, (_, b) => (b < shared ? b * 10 + rng.int(0, 3) : next++));
  return JSON.stringify({ timestamp: i * 10, input_length: blocks * 512 - 100, output_length: 64, hash_ids: ids });
});
const dir = await mkdtemp(path.join(os.tmpdir(), "tb-bench-trace-"));
const file = path.join(dir, "trace.jsonl");
await writeFile(file, lines.join("\n") + "\n");
try {
  const tok = await loadTokenizer(tokPath);
  let t = performance.now();
  const entries = await readTrace(file);
  const readMs = performance.now() - t;
  const stats = traceStats(entries, { blockSize: 512 });
  t = performance.now();
  const items = tracePrompts(entries, { tokenizer: tok, seed: 42, blockSize: 512 });
  const buildMs = performance.now() - t;
  const tokens = items.reduce((a, x) => a + x.inputTokens, 0);
  console.log(
    `${requests} requests x ${blocks} blocks of 512 (${stats.blocks!.distinct} distinct blocks, ${(100 * stats.blocks!.reused_share).toFixed(1)}% reused), tokenizer ${tok.name}: ` +
      `read ${readMs.toFixed(0)} ms, prompts ${buildMs.toFixed(0)} ms (${((1000 * tokens) / buildMs / 1e6).toFixed(2)} M prompt tokens/s, ${(buildMs / stats.blocks!.distinct).toFixed(2)} ms per distinct block)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTrace, tracePrompts, traceStats } from "../../src/workload/trace.js";
import { byteTokenizer, loadTokenizer } from "../../src/workload/tokenizer.js";
import { loadFromJson, loadKey, loadLabel, loadProblem, loadToJson, type LoadSpec } from "../../src/schedule/shapes/index.js";
import { runBenchmark } from "../../src/benchmark/run.js";
import { toOptions } from "../../src/cli/commands/run.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { describeWorkload } from "../../src/output/workloadText.js";

const dir = mkdtempSync(join(tmpdir(), "tb-trace-"));
const write = (name: string, lines: unknown[]) => {
  const p = join(dir, name);
  writeFileSync(p, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n");
  return p;
};

test("readTrace: Mooncake lines and timed prompts, sorted by timestamp; bad lines name file:line", async () => {
  const sample = await readTrace("examples/workloads/mooncake-sample.jsonl");
  assert.equal(sample.length, 8);
  assert.deepEqual(sample[1], { line: 2, timestampMs: 250, inputLength: 1500, outputLength: 32, hashIds: [0, 1, 3] });
  const timed = await readTrace("examples/workloads/timed-prompts.jsonl");
  assert.equal(timed[1].prompt, "Write a haiku about load balancers.");
  assert.equal(timed[1].outputLength, 32);
  const unsorted = await readTrace(write("u.jsonl", [{ timestamp: 5, input_length: 3, output_length: 1 }, "", { timestamp: 1, input_length: 4, output_length: 1 }]));
  assert.deepEqual(unsorted.map((e) => [e.timestampMs, e.line]), [[1, 3], [5, 1]]);
  const bad = async (lines: unknown[], re: RegExp) => assert.rejects(readTrace(write("b.jsonl", lines)), re);
  await bad([{ input_length: 3, output_length: 1 }], /b\.jsonl:1: "timestamp" must be a number/);
  await bad([{ timestamp: 0, input_length: 3, output_length: 1 }, "{nope"], /b\.jsonl:2: not a JSON object/);
  await bad([{ timestamp: 0, output_length: 1 }], /:1: needs "input_length"/);
  await bad([{ timestamp: 0, input_length: 3 }], /:1: needs "output_length"/);
  await bad([{ timestamp: 0, input_length: 3, output_length: 1, hash_ids: [1, "x"] }], /"hash_ids" must be a list/);
  await bad([""], /no requests in the trace/);
  await assert.rejects(readTrace(join(dir, "missing.jsonl")), /not found/);
});

test("tracePrompts: equal hash ids give identical blocks of exactly block-size tokens (Llama 3)", async () => {
  const tok = await loadTokenizer(undefined);
  const entries = await readTrace("examples/workloads/mooncake-sample.jsonl");
  const bs = 64;
  const scaled = entries.map((e) => ({ ...e, inputLength: Math.ceil(e.inputLength! / 512) * bs - (e.line % 2) * 10 }));
  const items = tracePrompts(scaled, { tokenizer: tok, seed: 3, blockSize: bs });
  for (const [i, it] of items.entries()) {
    assert.equal(tok.count(it.prompt), scaled[i].inputLength, `line ${scaled[i].line}`);
    assert.equal(it.inputTokens, scaled[i].inputLength);
  }
  // lines 1, 2, 4, 8 start with blocks 0,1; their first two blocks are the same text
  const head = (p: string) => tok.decode(tok.encode(p).slice(0, 2 * bs));
  assert.equal(head(items[0].prompt), head(items[1].prompt));
  assert.equal(head(items[0].prompt), head(items[3].prompt));
  assert.ok(items[3].prompt.startsWith(items[1].prompt.slice(0, 100)));
  assert.notEqual(head(items[0].prompt), head(items[2].prompt));
  // same seed, same prompts; another seed, other text
  assert.deepEqual(tracePrompts(scaled, { tokenizer: tok, seed: 3, blockSize: bs }), items);
  assert.notEqual(tracePrompts(scaled, { tokenizer: tok, seed: 4, blockSize: bs })[0].prompt, items[0].prompt);
  const tooMany = [{ line: 7, timestampMs: 0, inputLength: 300, outputLength: 1, hashIds: [1, 2] }];
  assert.throws(() => tracePrompts(tooMany, { tokenizer: tok, seed: 3, blockSize: 512, file: "t.jsonl" }), /^Error: t\.jsonl:7: 2 hash ids for 300 tokens: at most 1 blocks of 512 tokens \(is --block-size right\?\)$/);
});

test("traceStats: lengths, arrival rate per window, share of reused prefix blocks", async () => {
  const entries = await readTrace("examples/workloads/mooncake-sample.jsonl");
  const s = traceStats(entries, { blockSize: 512, windows: 2 });
  assert.equal(s.requests, 8);
  assert.equal(s.duration_s, 2.6);
  assert.deepEqual(s.arrival_rate.map((w) => w.requests), [4, 4]); // windows [0, 1.3) and [1.3, 2.6]
  assert.equal(s.input_length.max, 2100);
  assert.equal(s.output_length.min, 16);
  // 24 blocks; repeats of an earlier request's id: 2 + 0 + 3 + 0 + 2 + 1 + 3 = 11
  assert.deepEqual(s.blocks, { block_size: 512, total: 23, distinct: 12, reused_share: 11 / 23, requests_with_reuse: 5 });
});

test("trace load: JSON round trip, label, validation", () => {
  const l: LoadSpec = { mode: "trace", path: "t.jsonl", speedup: 2, blockSize: 512 };
  assert.deepEqual(loadToJson(l), { mode: "trace", path: "t.jsonl", speedup: 2, block_size: 512 });
  assert.deepEqual(loadFromJson(JSON.parse(JSON.stringify(loadToJson(l)))), l);
  assert.equal(loadLabel(l), "trace t.jsonl x2");
  assert.equal(loadKey(l), "trace-t-x2");
  assert.match(loadProblem({ ...l, speedup: 0 }) ?? "", /^speedup: /);
  assert.throws(() => toOptions({ api: "openai-completions", speedup: 2, arrival: "poisson" } as never), /--speedup and --block-size apply to --trace/);
  assert.throws(() => toOptions({ api: "openai-completions", trace: "t.jsonl", rate: [1], arrival: "poisson" } as never), /--trace sets its own arrival times/);
});

test("replay at 100 req/s: requests leave at the trace's times; equal hash ids reach the server as byte-identical blocks", async () => {
  const bs = 16;
  const n = 60;
  // line i: block 0 (everyone), block 1+(i%3) (three tenants), then its own block, then 5 own tokens
  const lines = Array.from({ length: n }, (_, i) => ({ timestamp: i * 10, input_length: 3 * bs + 5, output_length: 2, hash_ids: [0, 1 + (i % 3), 100 + i] }));
  const path = write("replay.jsonl", lines);
  const bodies = new Map<number, string>();
  const srv = await startScriptedServer({
    script: (_n, body) => {
      // the body's seed is the run seed + the request's position in the trace
      bodies.set(Number(body.seed) - 5, String(body.prompt));
      // one chunk per answer: little work in this process, so its own load does not delay sends
      return { ttftMs: 2, itlMs: 1, tokensPerChunk: 2 };
    },
  });
  try {
    const flags = toOptions({ target: [srv.url], api: "openai-completions", trace: path, blockSize: bs, arrival: "poisson", exactOutput: true, balance: "round-robin", store: false, progress: false } as never);
    const r = await runBenchmark({ ...flags, db: null, warmup: 0, seed: 5, tokenizer: "bytes", preflight: false });
    const s = r.summaries[0];
    assert.equal(s.requests.completed, n);
    assert.deepEqual(s.load, { mode: "trace", path, speedup: 1, block_size: bs });
    assert.deepEqual(s.workload?.trace, { path, block_size: bs });
    assert.equal(s.workload?.requests, null);
    assert.match(describeWorkload(s.workload!), /^trace .*replay\.jsonl \(block size 16\), every request of the load \+ 0 warm-up/);
    const recs = [...r.records[0]].sort((a, b) => a.scheduledAt - b.scheduledAt);
    // scheduled exactly at the trace's times; sent within a few ms of them (client clock)
    recs.forEach((rec, i) => assert.equal(rec.scheduledAt, i * 10));
    const lag = recs.map((rec) => rec.sentAt - rec.scheduledAt);
    if (process.env.TB_DEBUG) console.log(lag.map((x) => x.toFixed(1)).join(" "));
    lag.sort((a, b) => a - b);
    // Never early. How late depends on this machine's load (sub-ms when idle; tens of ms on a
    // 2-core box running 15 processes): whatever it is, the run reports it as its own send lag.
    assert.ok(lag[0] >= 0, `sent early: ${lag[0]}`);
    // The monitor times the dispatch, the record the write after the request is built: never
    // later (exact), and earlier by the build, which one preemption on a loaded 2-core machine
    // makes tens of ms at worst (was: within 5 ms either way).
    assert.ok(s.client.send_lag_ms.max <= lag[n - 1] + 0.01 && s.client.send_lag_ms.max > lag[n - 1] - 25, `send lag reported ${s.client.send_lag_ms.max} vs records ${lag[n - 1]}`);
    assert.ok(lag[n - 1] < 1000, `max send lag ${lag[n - 1].toFixed(1)} ms`);
    // byte tokenizer: one character per token, so block k is characters [k*bs, (k+1)*bs)
    assert.equal(bodies.size, n);
    const block = (i: number, k: number) => bodies.get(i)!.slice(k * bs, (k + 1) * bs);
    for (let i = 0; i < n; i++) {
      assert.equal(bodies.get(i)!.length, 3 * bs + 5);
      assert.equal(block(i, 0), block(0, 0), `line ${i}: shared block 0`);
      assert.equal(block(i, 1), block(i % 3, 1), `line ${i}: tenant block`);
      if (i >= 1) assert.notEqual(block(i, 2), block(i - 1, 2), `line ${i}: own block`);
    }
    assert.notEqual(block(0, 1), block(1, 1));
  } finally {
    await srv.close();
  }
});

test("trace summary text: lengths, arrival windows, reuse share", async () => {
  const { renderTraceStats } = await import("../../src/cli/commands/trace.js");
  const s = traceStats(await readTrace("examples/workloads/mooncake-sample.jsonl"), { blockSize: 512, windows: 2 });
  const text = renderTraceStats("sample.jsonl", s);
  assert.match(text, /^trace sample\.jsonl: 8 requests over 2\.6 s \(mean 3\.08 req\/s\)$/m);
  assert.match(text, /^input tokens +mean 1127\.5 +min 300 /m);
  assert.match(text, /^ +0\.0 s +3\.08 +#{40}$/m);
  assert.match(text, /23 in all, 12 distinct; 47\.8% repeat an earlier request's block/);
  const plain = renderTraceStats("t", traceStats(await readTrace("examples/workloads/timed-prompts.jsonl"), { blockSize: 512, tokenizer: byteTokenizer }));
  assert.match(plain, /prefix blocks: none/);
  assert.match(plain, /input tokens +mean 40\.7  min 35  p50 41/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeHeader, type GgufValue, type TensorInfo } from "../../src/engine/gguf/format.js";
import { readGgufHeader } from "../../src/engine/gguf/read.js";
import { UsageError } from "../../src/errors.js";
import { openDb } from "../../src/store/db.js";
import { createRun, finishRun } from "../../src/store/runs.js";
import type { RunSummary } from "../../src/aggregate/types.js";
import {
  compareToPrediction,
  gpuByDeviceName,
  gpuById,
  GPUS,
  kvBytesPerToken,
  modelFromGguf,
  modelFromHfConfig,
  modelFromPreset,
  parameterCount,
  predict,
} from "../../src/predict/index.js";

// Published figures: Llama-2-7B has 6.74B parameters, 13.48 GB of f16 weights (32000-token embeddings and
// lm_head included), KV cache 0.5 MB/token in f16 (2 x 32 layers x 4096 x 2 bytes); Llama-3-8B has 8.03B
// parameters and, with 8 KV heads, 128 KiB of KV per token.
const LLAMA2_7B_HF = {
  hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32,
  intermediate_size: 11008, vocab_size: 32000, max_position_embeddings: 4096, torch_dtype: "float16", tie_word_embeddings: false,
};

test("Llama-2-7B from the preset and from its HF config: 6.74B parameters, 13.48 GB of f16 weights, 0.5 MiB of KV per token", () => {
  for (const m of [modelFromPreset("llama-2-7b"), modelFromHfConfig(LLAMA2_7B_HF, "llama-2-7b")]) {
    assert.equal(parameterCount(m), 6_738_415_616);
    assert.equal(m.weightBytes, 13_476_831_232);
    assert.equal((m.weightBytes / 1e9).toFixed(2), "13.48");
    assert.equal(kvBytesPerToken(m), 524_288);
    assert.equal(kvBytesPerToken(m, 1), 262_144);
  }
});

test("Llama-3-8B: 8.03B parameters (128256-token vocabulary), GQA cuts KV to 128 KiB per token", () => {
  const m = modelFromPreset("llama-3-8b");
  assert.equal(parameterCount(m), 8_030_261_248);
  assert.equal(kvBytesPerToken(m), 131_072);
  const tied = modelFromHfConfig({ ...LLAMA2_7B_HF, tie_word_embeddings: true });
  assert.equal(parameterCount(tied), 6_738_415_616 - 32000 * 4096);
});

test("HF config errors are one-line usage errors", () => {
  assert.throws(() => modelFromHfConfig({ hidden_size: 4096 }), (e: Error) => e instanceof UsageError && /num_attention_heads/.test(e.message));
  assert.throws(() => modelFromHfConfig({ ...LLAMA2_7B_HF, num_key_value_heads: 5 }), /multiple of kv heads/);
  assert.throws(() => modelFromPreset("llama-9"), /unknown preset/);
});

test("GGUF header reader: shape from metadata, weight bytes from the tensor data, long arrays skipped", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-gguf-"));
  const L = 2, H = 64, F = 160, V = 100;
  const tensors: TensorInfo[] = [{ name: "token_embd.weight", dims: [H, V], type: "f16" }];
  for (let i = 0; i < L; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [H], type: "f32" },
      { name: `blk.${i}.attn_q.weight`, dims: [H, H], type: "f16" },
      { name: `blk.${i}.attn_k.weight`, dims: [H, H / 2], type: "f16" },
      { name: `blk.${i}.attn_v.weight`, dims: [H, H / 2], type: "f16" },
      { name: `blk.${i}.attn_output.weight`, dims: [H, H], type: "f16" },
      { name: `blk.${i}.ffn_norm.weight`, dims: [H], type: "f32" },
      { name: `blk.${i}.ffn_gate.weight`, dims: [H, F], type: "f16" },
      { name: `blk.${i}.ffn_up.weight`, dims: [H, F], type: "f16" },
      { name: `blk.${i}.ffn_down.weight`, dims: [F, H], type: "f16" },
    );
  }
  tensors.push({ name: "output_norm.weight", dims: [H], type: "f32" }, { name: "output.weight", dims: [H, V], type: "f16" });
  const meta: [string, GgufValue][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "probe" }],
    ["llama.context_length", { type: "u32", value: 512 }],
    ["llama.embedding_length", { type: "u32", value: H }],
    ["llama.block_count", { type: "u32", value: L }],
    ["llama.feed_forward_length", { type: "u32", value: F }],
    ["llama.attention.head_count", { type: "u32", value: 4 }],
    ["llama.attention.head_count_kv", { type: "u32", value: 2 }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: Array.from({ length: V }, (_, i) => `t${i}`) }],
  ];
  const { header, dataBytes } = encodeHeader(meta, tensors);
  const path = join(dir, "m.gguf");
  writeFileSync(path, Buffer.concat([header, Buffer.alloc(dataBytes)]));
  const h = readGgufHeader(path);
  assert.equal(h.tensors.length, tensors.length);
  assert.deepEqual(h.metadata["tokenizer.ggml.tokens"], { arrayLength: V });
  assert.equal(h.dataOffset, header.length);
  assert.equal(h.tensors.reduce((a, t) => a + t.bytes, 0), dataBytes);
  const m = modelFromGguf(h);
  assert.deepEqual([m.name, m.layers, m.hidden, m.heads, m.kvHeads, m.headDim, m.intermediate, m.vocab, m.tiedEmbeddings], ["probe", L, H, 4, 2, 16, F, V, false]);
  assert.equal(m.weightBytes, dataBytes);
  // f16 matrices + f32 norms, plus alignment padding: between 2 and 2.1 bytes per parameter
  assert.ok(m.bytesPerParam > 2 && m.bytesPerParam < 2.1, String(m.bytesPerParam));
  writeFileSync(join(dir, "bad.gguf"), "not a gguf at all, just text");
  assert.throws(() => readGgufHeader(join(dir, "bad.gguf")), (e: Error) => e instanceof UsageError && /not a GGUF file/.test(e.message));
  assert.throws(() => readGgufHeader(join(dir, "missing.gguf")), /cannot open/);
});

test("GPU table: every entry has a source and sane figures; device names map to entries", () => {
  for (const id of ["mi300x", "a100", "a800", "h100", "h200", "l40s", "a6000", "rtx3090", "rtx4090"]) assert.ok(gpuById(id), id);
  for (const g of GPUS) {
    assert.ok(g.source.length > 20, g.id);
    assert.ok(g.memoryBandwidth >= 0.5e12 && g.memoryBandwidth <= 6e12, g.id);
    assert.ok(g.peakFlops16 >= 50e12 && g.peakFlops16 <= 1500e12, g.id);
  }
  assert.equal(gpuByDeviceName("NVIDIA H200")?.id, "h200");
  assert.equal(gpuByDeviceName("NVIDIA H100 PCIe")?.id, "h100-pcie");
  assert.equal(gpuByDeviceName("NVIDIA A100-SXM4-40GB")?.id, "a100-40gb");
  assert.equal(gpuByDeviceName("AMD Instinct MI300X")?.id, "mi300x");
  assert.equal(gpuByDeviceName("Tesla T4"), undefined);
});

test("predict: decode at batch 1 is weights + KV over bandwidth; batching amortizes weights; KV memory caps the batch", () => {
  const m = modelFromPreset("llama-2-7b");
  const h200 = gpuById("h200")!;
  const p = predict(m, h200, { inputTokens: 256, outputTokens: 256, concurrency: [1, 2, 4, 1000] });
  const ctx = 256 + 128;
  const expectStep1 = ((m.weightBytes + ctx * 524_288) / 4.8e12) * 1e3;
  assert.ok(Math.abs(p.rooflineTpotMs - expectStep1) < 1e-9);
  assert.ok(Math.abs(p.rooflineTpotMs - 2.85) < 0.01, String(p.rooflineTpotMs));
  const [c1, c2, c4, cBig] = p.rows;
  assert.equal(c1.tpotMs, c1.decodeStepMs); // no other requests' prefills at concurrency 1
  assert.equal(c1.bound, "memory-bandwidth");
  assert.ok(c4.outputTokensPerS > 3.5 * c1.outputTokensPerS && c4.outputTokensPerS < 4 * c1.outputTokensPerS);
  assert.ok(c2.tpotMs > c1.tpotMs && c4.tpotMs > c2.tpotMs);
  assert.equal(p.kvCapacityTokens, Math.floor((0.9 * 141e9 - m.weightBytes) / 524_288));
  assert.equal(p.maxBatchKv, Math.floor(p.kvCapacityTokens / 512));
  assert.equal(cBig.batch, p.maxBatchKv);
  assert.equal(cBig.bound, "kv-capacity");
  assert.ok(cBig.ttftMs > 100 * c1.ttftMs, "queued requests wait for a free sequence slot");
  // An engine cap binds before the KV memory does.
  const capped = predict(m, h200, { inputTokens: 256, outputTokens: 256, concurrency: [8], maxBatch: 4 });
  assert.equal(capped.rows[0].batch, 4);
  assert.equal(capped.rows[0].bound, "max-batch");
  // Tensor parallel doubles bandwidth: batch-1 decode about halves.
  const tp2 = predict(m, h200, { inputTokens: 256, outputTokens: 256, concurrency: [1], tensorParallel: 2 });
  assert.ok(Math.abs(tp2.rooflineTpotMs * 2 - p.rooflineTpotMs) < 1e-9);
});

test("predict: long prompts make prefill compute-bound; a GQA model at large batch turns decode compute-bound", () => {
  const h100 = gpuById("h100")!;
  const l3 = modelFromPreset("llama-3-8b");
  const p = predict(l3, h100, { inputTokens: 4096, outputTokens: 16, concurrency: [1] });
  assert.equal(p.prefill.bound, "compute");
  const q = predict(l3, h100, { inputTokens: 16, outputTokens: 16, concurrency: [1, 1024] });
  assert.ok(Number.isFinite(q.computeBoundBatch) && q.computeBoundBatch > 100 && q.computeBoundBatch < 1024, String(q.computeBoundBatch));
  assert.equal(q.rows[1].bound, "compute");
});

test("predict rejects what cannot run: weights larger than memory, bad options", () => {
  const m = modelFromPreset("llama-2-7b");
  assert.throws(() => predict(m, gpuById("rtx3090")!, { inputTokens: 256, outputTokens: 256, concurrency: [1], memoryUtilization: 0.5 }), /does not fit/);
  assert.throws(() => predict(m, gpuById("h200")!, { inputTokens: 0, outputTokens: 256, concurrency: [1] }), /input tokens/);
  assert.throws(() => predict(m, gpuById("h200")!, { inputTokens: 1, outputTokens: 1, concurrency: [] }), /concurrency/);
});

test("compareToPrediction: percent of the limit and achieved bandwidth from a measured TPOT", () => {
  const p = predict(modelFromPreset("llama-2-7b"), gpuById("h200")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 4] });
  const c = compareToPrediction(p, { concurrency: 1, tpotMs: p.rows[0].tpotMs * 2, outputTokensPerS: p.rows[0].outputTokensPerS / 2 });
  assert.ok(Math.abs(c.tpotPctOfLimit - 50) < 1e-9);
  assert.ok(Math.abs(c.bandwidthPct - 50) < 1e-9);
  assert.ok(Math.abs(c.throughputPctOfLimit! - 50) < 1e-9);
  const c8 = compareToPrediction(p, { concurrency: 8, tpotMs: 10 }); // not among the rows: predicted on demand
  assert.ok(c8.predictedTpotMs > p.rows[1].tpotMs);
});

test("tokenbench predict prints the table and --json; bad flags are one-line errors with exit code 2", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "predict", ...args], { encoding: "utf8" });
  const t = run(["--preset", "llama-2-7b", "--gpu", "h200", "-c", "1,4"]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /weights\s+13\.48 GB/);
  assert.match(t.stdout, /0\.500 MiB\/token/);
  assert.match(t.stdout, /memory-bandwidth/);
  const j = run(["--preset", "llama-2-7b", "--gpu", "a100", "-c", "2", "--json"]);
  assert.equal(j.status, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.rows[0].concurrency, 2);
  assert.equal(doc.gpu.id, "a100");
  for (const bad of [["--preset", "llama-2-7b"], ["--preset", "llama-2-7b", "--gpu", "x"], ["--gpu", "h200"], ["--preset", "llama-2-7b", "--gpu", "h200", "--kv-dtype", "q3"]]) {
    const r = run(bad);
    assert.equal(r.status, 2, bad.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const l = run(["--list-gpus"]);
  assert.match(l.stdout, /mi300x/);
});

test("prediction against the H200 llama-server run (docs/data/h200/llama-server): the roofline bounds it, 40-100% reached", () => {
  // Measured on one H200 (docs/gpu.md): llama-server -ngl 99 -np 4 -fa on, generated llama-2-7b (13.48 GB f16), 256/256.
  const runs = JSON.parse(readFileSync("docs/data/h200/llama-server/runs.json", "utf8")) as { cell_key: string; summary: { load: { concurrency: number }; latency_ms: { tpot: { mean: number } }; throughput: { output_tokens_per_s: number } } }[];
  const p = predict(modelFromPreset("llama-2-7b"), gpuById("h200")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 2, 4], maxBatch: 4 });
  const cells = runs.filter((r) => r.cell_key.startsWith("server=np4-fa-on/"));
  assert.equal(cells.length, 3);
  for (const r of cells) {
    const c = compareToPrediction(p, { concurrency: r.summary.load.concurrency, tpotMs: r.summary.latency_ms.tpot.mean, outputTokensPerS: r.summary.throughput.output_tokens_per_s });
    assert.ok(c.tpotPctOfLimit > 40 && c.tpotPctOfLimit <= 100, `c=${c.concurrency}: ${c.tpotPctOfLimit}% of the TPOT limit`);
    assert.ok(c.throughputPctOfLimit! > 15 && c.throughputPctOfLimit! <= 100, `c=${c.concurrency}: ${c.throughputPctOfLimit}% of the throughput limit`);
    if (c.concurrency === 1) assert.ok(c.tpotPctOfLimit > 55 && c.tpotPctOfLimit < 65, String(c.tpotPctOfLimit)); // 2.85 / 4.79 ms
  }
});

test("the H200 --cache-ram 0 run (docs/data/h200/llama-server-cache-ram): under the roofline, and the prompt cache is the TTFT", () => {
  // docs/gpu.md section 2, second run: the same server with and without llama-server's host-RAM prompt cache.
  type R = { cell_key: string; summary: RunSummary };
  const runs = JSON.parse(readFileSync("docs/data/h200/llama-server-cache-ram/runs.json", "utf8")) as R[];
  const cell = (server: string, c: number) => runs.find((r) => r.cell_key === `server=${server}/workload=in256-out256/load=c${c}/rep=1`)!.summary;
  assert.equal(runs.length, 12);
  for (const r of runs) assert.deepEqual([r.summary.requests.completed, r.summary.requests.failed, r.summary.requests.length_mismatch], [10, 0, 0], r.cell_key);
  const p = predict(modelFromPreset("llama-2-7b"), gpuById("h200")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 2, 4], maxBatch: 4 });
  for (const server of ["np4-fa-on-cram0", "np4-fa-off-cram0"]) {
    for (const c of [1, 2, 4]) {
      const s = cell(server, c);
      const cmp = compareToPrediction(p, { concurrency: c, tpotMs: s.latency_ms.tpot.mean, outputTokensPerS: s.throughput.output_tokens_per_s });
      assert.ok(cmp.tpotPctOfLimit > 25 && cmp.tpotPctOfLimit <= 100, `${server} c=${c}: ${cmp.tpotPctOfLimit}%`);
      assert.ok(cmp.throughputPctOfLimit! > 20 && cmp.throughputPctOfLimit! <= 100, `${server} c=${c}: ${cmp.throughputPctOfLimit}%`);
    }
  }
  // the claim in the docs: without the cache TTFT at concurrency 1 falls from ~200 ms (~1.4 s without flash attention) to tens of ms
  assert.ok(cell("np4-fa-on", 1).latency_ms.ttft.mean > 150 && cell("np4-fa-on-cram0", 1).latency_ms.ttft.mean < 30);
  assert.ok(cell("np4-fa-off", 1).latency_ms.ttft.mean > 1000 && cell("np4-fa-off-cram0", 1).latency_ms.ttft.mean < 30);
  assert.ok(cell("np4-fa-off-cram0", 4).throughput.output_tokens_per_s > 4 * cell("np4-fa-off", 4).throughput.output_tokens_per_s);
});

test("tokenbench predict --run: a stored run next to the prediction (the H200 run's summary), rate runs refused", () => {
  const runs = JSON.parse(readFileSync("docs/data/h200/llama-server/runs.json", "utf8")) as { id: string; cell_key: string; summary: RunSummary }[];
  const c1 = runs.find((r) => r.cell_key.startsWith("server=np4-fa-on/") && r.cell_key.includes("/load=c1/"))!;
  const dir = mkdtempSync(join(tmpdir(), "tb-predict-"));
  const dbPath = join(dir, "r.db");
  const db = openDb(dbPath);
  createRun(db, { id: c1.id, kind: "bench", toolVersion: "test" });
  finishRun(db, c1.id, "completed", c1.summary);
  createRun(db, { id: "rate-run", kind: "bench", toolVersion: "test" });
  finishRun(db, "rate-run", "completed", { ...c1.summary, load: { mode: "rate", rate: 2, arrival: "poisson" } });
  db.close();
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "predict", "--preset", "llama-2-7b", "--gpu", "h200", "--db", dbPath, ...args], { encoding: "utf8" });
  const r = run(["--run", c1.id, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.rows.map((x: { concurrency: number }) => x.concurrency), [1]); // the run's concurrency
  assert.equal(doc.options.outputTokens, 256); // the run's mean output length
  assert.ok(doc.measured[0].tpotPctOfLimit > 55 && doc.measured[0].tpotPctOfLimit < 65);
  const t = run(["--run", c1.id]);
  assert.match(t.stdout, /measured vs predicted/);
  for (const bad of [["--run", "rate-run"], ["--run", "nope"]]) {
    const b = run(bad);
    assert.equal(b.status, 2, b.stderr);
    assert.equal(b.stderr.trim().split("\n").length, 1, b.stderr);
  }
});

test("tokenbench report --gpu --preset: the H200 runs against the hardware limit in the HTML, a rate run named as not compared", () => {
  const runs = JSON.parse(readFileSync("docs/data/h200/llama-server/runs.json", "utf8")) as { id: string; cell_key: string; summary: RunSummary }[];
  const cells = runs.filter((r) => r.cell_key.startsWith("server=np4-fa-on/"));
  const dir = mkdtempSync(join(tmpdir(), "tb-report-hw-"));
  const dbPath = join(dir, "r.db");
  const db = openDb(dbPath);
  for (const c of cells) {
    createRun(db, { id: c.id, kind: "bench", toolVersion: "test" });
    finishRun(db, c.id, "completed", c.summary);
  }
  createRun(db, { id: "rate-run", kind: "bench", toolVersion: "test" });
  finishRun(db, "rate-run", "completed", { ...cells[0].summary, load: { mode: "rate", rate: 2, arrival: "poisson" } });
  db.close();
  const cli = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "report", ...args, "--db", dbPath], { encoding: "utf8" });
  const out = join(dir, "r.html");
  const r = cli([...cells.map((c) => c.id), "rate-run", "--gpu", "h200", "--preset", "llama-2-7b", "-o", out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /not compared with the hardware limit: run rate-run is not a concurrency run/);
  const html = readFileSync(out, "utf8");
  assert.match(html, /Measured vs the hardware limit: llama-2-7b on NVIDIA H200/);
  // The same figure as `predict --run` for c=1: 2.85 ms predicted / 4.79 ms measured.
  const c1 = cells.find((c) => c.cell_key.includes("/load=c1/"))!;
  const row = new RegExp(`${c1.id}</td><td class="num">1</td>.*?<td class="num">(\\d+)%</td>`).exec(html);
  assert.ok(row && Number(row[1]) >= 55 && Number(row[1]) <= 65, row?.[0]);
  const noModel = cli([cells[0].id, "--gpu", "h200", "-o", out]);
  assert.equal(noModel.status, 2);
  assert.match(noModel.stderr, /^tokenbench: error: --gpu needs the model the runs served/);
});

test("calibrated mode: the shipped llama.cpp constants are fitted on the H200 --cache-ram 0 cells and reproduce them (TPOT within 5 %, TTFT within 5 %)", async () => {
  const { H200_LLAMACPP_CELLS, LLAMACPP_CUDA_CALIBRATION: cal, predictCalibrated } = await import("../../src/predict/index.js");
  // The constants' inputs are the stored run's means (runs.json), not numbers typed apart from it.
  const runs = JSON.parse(readFileSync("docs/data/h200/llama-server-cache-ram/runs.json", "utf8")) as { cell_key: string; summary: { load: { concurrency: number }; latency_ms: { tpot: { mean: number }; ttft: { mean: number } } } }[];
  for (const c of H200_LLAMACPP_CELLS) {
    const r = runs.find((x) => x.cell_key.startsWith(`server=np4-fa-on-cram0/`) && x.summary.load.concurrency === c.concurrency)!;
    assert.ok(Math.abs(r.summary.latency_ms.tpot.mean - c.tpotMs) < 0.01, `c${c.concurrency} TPOT`);
    assert.ok(Math.abs(r.summary.latency_ms.ttft.mean - c.ttftMs) < 0.05, `c${c.concurrency} TTFT`);
  }
  // Physically possible constants: efficiencies in (0, 1], overheads positive.
  assert.ok(cal.decodeBandwidthEfficiency > 0.5 && cal.decodeBandwidthEfficiency <= 1, String(cal.decodeBandwidthEfficiency));
  assert.ok(cal.prefillFlopEfficiency > 0 && cal.prefillFlopEfficiency <= 1, String(cal.prefillFlopEfficiency));
  assert.ok(cal.decodePerSequenceMs > 0 && cal.prefillUbatchMs > 0 && cal.requestOverheadMs > 0);
  const p = predictCalibrated(modelFromPreset("llama-2-7b"), gpuById("h200")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 2, 4], maxBatch: 4 }, cal);
  assert.equal(p.mode, "calibrated");
  for (const c of H200_LLAMACPP_CELLS) {
    const row = p.rows.find((r) => r.concurrency === c.concurrency)!;
    assert.ok(Math.abs(row.tpotMs / c.tpotMs - 1) < 0.05, `c${c.concurrency} TPOT ${row.tpotMs} vs ${c.tpotMs}`);
    assert.ok(Math.abs(row.ttftMs / c.ttftMs - 1) < 0.05, `c${c.concurrency} TTFT ${row.ttftMs} vs ${c.ttftMs}`);
  }
  // The calibrated prediction never beats the limit.
  const lim = predict(modelFromPreset("llama-2-7b"), gpuById("h100")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 8, 64], maxBatch: 64 });
  const q = predictCalibrated(modelFromPreset("llama-2-7b"), gpuById("h100")!, { inputTokens: 256, outputTokens: 256, concurrency: [1, 8, 64], maxBatch: 64 }, cal);
  q.rows.forEach((r, i) => {
    assert.ok(r.tpotMs > lim.rows[i].tpotMs && r.ttftMs > lim.rows[i].ttftMs && r.outputTokensPerS < lim.rows[i].outputTokensPerS, `c${r.concurrency}`);
  });
});

test("fitCalibration recovers known constants from synthetic cells, and refuses one concurrency", async () => {
  const { fitCalibration, predictCalibrated } = await import("../../src/predict/index.js");
  const m = modelFromPreset("llama-2-7b");
  const g = gpuById("a100")!;
  const truth = { id: "t", fittedOn: "synthetic", decodeBandwidthEfficiency: 0.7, decodePerSequenceMs: 0.3, prefillFlopEfficiency: 0.5, prefillUbatchMs: 4, ubatchTokens: 512, requestOverheadMs: 3 };
  const o = { inputTokens: 256, outputTokens: 256, concurrency: [1, 2, 4, 8] };
  const p = predictCalibrated(m, g, o, truth);
  const pf = (c: number) => p.rows.find((r) => r.concurrency === c)!.ttftMs - truth.requestOverheadMs;
  const cells = p.rows.map((r) => ({ concurrency: r.concurrency, tpotMs: r.tpotMs, ttftMs: r.ttftMs, promptEvalMs: pf(r.concurrency) }));
  const fit = fitCalibration("t", "synthetic", m, g, cells, { inputTokens: 256, outputTokens: 256 });
  for (const k of ["decodeBandwidthEfficiency", "decodePerSequenceMs", "prefillFlopEfficiency", "prefillUbatchMs", "requestOverheadMs"] as const) {
    assert.ok(Math.abs(fit[k] / truth[k] - 1) < 1e-6, `${k}: ${fit[k]} vs ${truth[k]}`);
  }
  assert.throws(() => fitCalibration("t", "x", m, g, [cells[0], cells[0]], { inputTokens: 256, outputTokens: 256 }), /two or more concurrencies/);
});

test("tokenbench predict --calibrated: labelled mode line, unknown engine and --tp are one-line errors (exit 2)", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "predict", "--preset", "llama-2-7b", "--gpu", "h100", ...args], { encoding: "utf8" });
  const ok = run(["--calibrated", "llama.cpp-cuda", "-c", "1,64", "--max-batch", "64"]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^mode {6}calibrated \(llama\.cpp-cuda: fitted on .*H200/m);
  assert.match(run(["-c", "1"]).stdout, /^mode {6}limit \(roofline\)/m);
  for (const bad of [["--calibrated", "vllm"], ["--calibrated", "llama.cpp-cuda", "--tp", "2"]]) {
    const r = run(bad);
    assert.equal(r.status, 2, bad.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

import type { Command } from "commander";
import Table from "cli-table3";
import { readGgufHeader } from "../../engine/gguf/read.js";
import { CALIBRATIONS, GPUS, gpuById, measuredRun, predictCalibrated, modelFromGguf, modelFromHfConfigFile, modelFromPreset, predictRuns, type MeasuredRun, type CalibratedPrediction, type MeasuredVsPredicted, type ModelSpec, type Prediction } from "../../predict/index.js";
import { defaultDbPath, openDb } from "../../store/db.js";
import { getRun } from "../../store/runs.js";
import { UsageError } from "../errors.js";
import { percentileSorted } from "../../percentile.js";
import * as p from "../parse.js";

const BYTES_PER_PARAM: Record<string, number> = { f32: 4, f16: 2, bf16: 2, fp8: 1, int8: 1, q8_0: 34 / 32, q4_0: 18 / 32, q4_k_m: 4.85 / 8 };
const KV_BYTES: Record<string, number> = { f16: 2, bf16: 2, fp8: 1, q8_0: 34 / 32, q4_0: 18 / 32 };

interface Flags {
  preset?: string;
  gguf?: string;
  hfConfig?: string;
  gpu?: string;
  listGpus?: boolean;
  inputTokens?: number;
  outputTokens?: number;
  concurrency?: number[];
  run?: string[];
  db?: string;
  tp: number;
  dtype?: string;
  kvDtype: string;
  vocab?: number;
  memoryUtil: number;
  maxBatch?: number;
  bandwidth?: number;
  peak?: number;
  calibrated?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("predict")
    .description("what the hardware allows: weights, KV cache, and TTFT/TPOT/throughput at each concurrency from a roofline + continuous-batching model")
    .option("--preset <name>", "model: a tokenbench preset (the real model's shape and vocabulary)")
    .option("--gguf <file>", "model: a GGUF file (only its header is read)")
    .option("--hf-config <config.json>", "model: a Hugging Face config.json")
    .option("--gpu <id>", `GPU: ${GPUS.map((g) => g.id).join(", ")}`)
    .option("--list-gpus", "print the GPU table with its sources and exit")
    .option("--input-tokens <n>", "prompt tokens per request (default 256, or the runs' mean)", p.positiveInt)
    .option("--output-tokens <n>", "output tokens per request (default 256, or the runs' mean)", p.positiveInt)
    .option("-c, --concurrency <list>", "requests in flight, comma-separated (default 1,2,4,...,64, or the runs' concurrency)", p.intList)
    .option("--run <id>", "put a stored concurrency run next to the prediction: measured vs predicted, % of the limit (repeatable)", p.collect)
    .option("--db <path>", "results database for --run")
    .option("--tp <n>", "tensor-parallel GPUs", p.positiveInt, 1)
    .option("--dtype <type>", `weight storage for --preset/--hf-config: ${Object.keys(BYTES_PER_PARAM).join(", ")} (default f16)`)
    .option("--kv-dtype <type>", `KV-cache element type: ${Object.keys(KV_BYTES).join(", ")}`, "f16")
    .option("--vocab <n>", "vocabulary size (default: the real model's)", p.positiveInt)
    .option("--memory-util <f>", "fraction of GPU memory for weights + KV cache", p.positiveNumber, 0.9)
    .option("--max-batch <n>", "engine's cap on sequences decoded together (llama.cpp -np, vLLM --max-num-seqs)", p.positiveInt)
    .option("--bandwidth <TB/s>", "memory bandwidth ceiling instead of the datasheet's (e.g. a measured copy rate)", p.positiveNumber)
    .option("--peak <TFLOP/s>", "16-bit matrix ceiling instead of the datasheet's", p.positiveNumber)
    .option("--calibrated <engine>", `calibrated mode: the limit with an engine's fitted efficiencies and overheads (${CALIBRATIONS.map((c) => c.id).join(", ")}); default: the roofline limit`)
    .option("--json", "print the prediction as JSON")
    .action((f: Flags) => {
      if (f.listGpus) {
        if (f.json) process.stdout.write(JSON.stringify(GPUS, null, 2) + "\n");
        else for (const g of GPUS) process.stdout.write(`${g.id.padEnd(10)} ${g.name.padEnd(26)} ${(g.memoryBytes / 1e9).toFixed(0).padStart(4)} GB ${(g.memoryBandwidth / 1e12).toFixed(3).padStart(6)} TB/s ${(g.peakFlops16 / 1e12).toFixed(1).padStart(7)} TFLOP/s  ${g.source}\n`);
        return;
      }
      if (!f.gpu) throw new UsageError(`--gpu is required (${GPUS.map((g) => g.id).join(", ")})`);
      const gpu = gpuById(f.gpu);
      if (!gpu) throw new UsageError(`unknown --gpu "${f.gpu}" (known: ${GPUS.map((g) => g.id).join(", ")})`);
      const model = loadModel(f);
      const kvBytes = KV_BYTES[f.kvDtype.toLowerCase()];
      if (kvBytes === undefined) throw new UsageError(`unknown --kv-dtype "${f.kvDtype}" (known: ${Object.keys(KV_BYTES).join(", ")})`);
      if (f.memoryUtil > 1) throw new UsageError(`--memory-util must be at most 1 (got ${f.memoryUtil})`);
      let cal;
      if (f.calibrated !== undefined) {
        cal = CALIBRATIONS.find((c) => c.id === f.calibrated);
        if (!cal) throw new UsageError(`unknown --calibrated "${f.calibrated}" (known: ${CALIBRATIONS.map((c) => c.id).join(", ")})`);
        if (f.tp !== 1) throw new UsageError("--calibrated is fitted on one GPU: it does not model --tp");
      }
      const measured = f.run ? loadRuns(f.run, f.db) : [];
      const how = cal ? (m: ModelSpec, g: typeof gpu, o: Parameters<typeof predictCalibrated>[2]) => predictCalibrated(m, g, o, cal) : undefined;
      const { prediction: pr, rows: vs } = predictRuns(model, gpu, measured, {
        inputTokens: f.inputTokens,
        outputTokens: f.outputTokens,
        concurrency: f.concurrency,
        tensorParallel: f.tp,
        kvBytes,
        memoryUtilization: f.memoryUtil,
        maxBatch: f.maxBatch,
        memoryBandwidth: f.bandwidth !== undefined ? f.bandwidth * 1e12 : undefined,
        peakFlops: f.peak !== undefined ? f.peak * 1e12 : undefined,
      }, how);
      if (f.json) process.stdout.write(JSON.stringify(measured.length ? { ...pr, measured: vs } : pr, (_k, v) => (v === Infinity ? null : v), 2) + "\n");
      else process.stdout.write(renderPrediction(pr) + (vs.length ? renderMeasured(vs, cal !== undefined) : ""));
    });
}

/** Stored runs' figures the prediction is compared with; one-line errors for unknown or unusable runs. */
function loadRuns(ids: string[], dbPath?: string): MeasuredRun[] {
  const db = openDb(dbPath ?? defaultDbPath());
  try {
    return ids.map((id) => {
      const r = getRun(db, id);
      if (!r) throw new UsageError(`no run ${id} in ${dbPath ?? defaultDbPath()}`);
      const m = measuredRun(id, r.summary);
      if (typeof m === "string") throw new UsageError(m);
      return m;
    });
  } finally {
    db.close();
  }
}

/**
 * Measured vs predicted, one row per run (metrics.md section 19). Against the limit the ratios read "% of
 * limit" (predicted / measured TPOT, measured / predicted tok/s); against a calibrated prediction, "error %"
 * ((predicted - measured) / measured x 100) for TPOT, TTFT and output tok/s.
 */
export function renderMeasured(rows: (MeasuredVsPredicted & { run: string })[], calibrated = false): string {
  const err = (pred: number, meas?: number) => (meas !== undefined && meas > 0 ? (((pred - meas) / meas) * 100).toFixed(1) : "-");
  if (calibrated) {
    const t = new Table({
      head: ["run", "concurrency", "TPOT ms measured", "predicted", "error %", "TTFT ms measured", "predicted", "error %", "output tok/s measured", "predicted", "error %"],
      style: { head: [], border: [] },
      chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    });
    for (const r of rows) {
      t.push([r.run, r.concurrency, r.measuredTpotMs.toFixed(2), r.predictedTpotMs.toFixed(2), err(r.predictedTpotMs, r.measuredTpotMs), r.measuredTtftMs?.toFixed(1) ?? "-", r.predictedTtftMs.toFixed(1), err(r.predictedTtftMs, r.measuredTtftMs), r.measuredOutputTokensPerS?.toFixed(0) ?? "-", r.predictedOutputTokensPerS.toFixed(0), err(r.predictedOutputTokensPerS, r.measuredOutputTokensPerS)].map(String));
    }
    const med = (xs: number[]) => (xs.length ? percentileSorted([...xs].sort((a, b) => a - b), 50) : NaN);
    const abs = (f: (r: MeasuredVsPredicted) => [number, number | undefined]) => med(rows.map(f).filter(([, m]) => m !== undefined && m > 0).map(([p, m]) => Math.abs((p - m!) / m!) * 100));
    return "measured vs predicted (calibrated):\n" + t.toString() + `\nmedian |error|: TPOT ${abs((r) => [r.predictedTpotMs, r.measuredTpotMs]).toFixed(1)} %, TTFT ${abs((r) => [r.predictedTtftMs, r.measuredTtftMs]).toFixed(1)} %, output tok/s ${abs((r) => [r.predictedOutputTokensPerS, r.measuredOutputTokensPerS]).toFixed(1)} %\n`;
  }
  const t = new Table({
    head: ["run", "concurrency", "TPOT ms measured", "predicted", "% of limit", "achieved TB/s", "% of HBM", "output tok/s measured", "predicted", "% of limit"],
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const r of rows) {
    t.push([r.run, r.concurrency, r.measuredTpotMs.toFixed(2), r.predictedTpotMs.toFixed(2), r.tpotPctOfLimit.toFixed(0), (r.achievedBandwidth / 1e12).toFixed(2), r.bandwidthPct.toFixed(0), r.measuredOutputTokensPerS?.toFixed(0) ?? "-", r.predictedOutputTokensPerS.toFixed(0), r.throughputPctOfLimit?.toFixed(0) ?? "-"].map(String));
  }
  return "measured vs predicted:\n" + t.toString() + "\n";
}

/** The model of --preset / --gguf / --hf-config (exactly one), with --dtype and --vocab; one-line errors. */
export function loadModel(f: Pick<Flags, "preset" | "gguf" | "hfConfig" | "dtype" | "vocab">): ModelSpec {
  const given = [f.preset, f.gguf, f.hfConfig].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError("give exactly one of --preset, --gguf, --hf-config");
  let bpp: number | undefined;
  if (f.dtype !== undefined) {
    bpp = BYTES_PER_PARAM[f.dtype.toLowerCase()];
    if (bpp === undefined) throw new UsageError(`unknown --dtype "${f.dtype}" (known: ${Object.keys(BYTES_PER_PARAM).join(", ")})`);
    if (f.gguf) throw new UsageError("--dtype does not apply to --gguf (the file's tensors give the weight bytes)");
  }
  if (f.preset) return modelFromPreset(f.preset, { vocab: f.vocab, bytesPerParam: bpp ?? 2 });
  if (f.vocab !== undefined) throw new UsageError("--vocab applies to --preset only");
  if (f.gguf) return modelFromGguf(readGgufHeader(f.gguf));
  return modelFromHfConfigFile(f.hfConfig!, bpp);
}

const gb = (b: number) => (b / 1e9).toFixed(2);

/** The human-readable prediction: a header of sizes and limits, then one row per concurrency. */
export function renderPrediction(pr: Prediction): string {
  const m = pr.model;
  const head = [
    "mode" in pr && pr.mode === "calibrated"
      ? `mode      calibrated (${(pr as CalibratedPrediction).calibration.id}: fitted on ${(pr as CalibratedPrediction).calibration.fittedOn}): what the engine is expected to reach`
      : "mode      limit (roofline): what the hardware allows; measured runs sit below it",
    `model     ${m.name} (${m.source}): ${m.layers} layers, hidden ${m.hidden}, ${m.heads}/${m.kvHeads} heads x ${m.headDim}, ffn ${m.intermediate}, vocab ${m.vocab}`,
    `gpu       ${pr.tensorParallel} x ${pr.gpu.name}: ${(pr.memoryBandwidth / 1e12).toFixed(2)} TB/s, ${(pr.peakFlops / 1e12).toFixed(0)} TFLOP/s, ${((pr.gpu.memoryBytes * pr.tensorParallel) / 1e9).toFixed(0)} GB`,
    `weights   ${gb(pr.weightBytes)} GB    KV cache ${(pr.kvBytesPerToken / 2 ** 20).toFixed(3)} MiB/token, ${gb(pr.kvBytesPerSequence)} GB per ${pr.prefill.tokens}+${pr.options.outputTokens}-token request`,
    `capacity  ${pr.kvCapacityTokens} KV tokens = ${pr.maxBatchKv} requests at once    decode turns compute-bound at batch ${Number.isFinite(pr.computeBoundBatch) ? pr.computeBoundBatch.toFixed(0) : "never"}`,
    `prefill   ${pr.prefill.ms.toFixed(2)} ms for ${pr.prefill.tokens} tokens (${pr.prefill.bound})    roofline TPOT at batch 1: ${pr.rooflineTpotMs.toFixed(2)} ms`,
  ];
  const t = new Table({
    head: ["concurrency", "batch", "TTFT ms", "TPOT ms", "E2E ms", "req/s", "output tok/s", "total tok/s", "bound"],
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const r of pr.rows) {
    t.push([r.concurrency, r.batch, r.ttftMs.toFixed(2), r.tpotMs.toFixed(2), r.e2eMs.toFixed(0), r.requestsPerS.toFixed(2), r.outputTokensPerS.toFixed(0), r.totalTokensPerS.toFixed(0), r.bound]);
  }
  return head.join("\n") + "\n" + t.toString() + "\n";
}

// Roofline + continuous-batching model of an LLM server: what the hardware allows for a model, a GPU and a
// load. Pure functions. Units: bytes, FLOPs, seconds inside; the result's fields say ms or tokens/s.
// docs/predict.md states the model and its limits; docs/metrics.md defines every printed number.
import { UsageError } from "../errors.js";
import type { RunSummary } from "../aggregate/types.js";
import type { GpuSpec } from "./gpus.js";
import { decodeFlopsPerToken, kvBytesPerToken, prefillFlops, type ModelSpec } from "./model.js";

export interface PredictOptions {
  inputTokens: number;
  outputTokens: number;
  /** Requests kept in flight by the client (closed loop). */
  concurrency: number[];
  /** GPUs the model is split over (tensor parallel): weights, bandwidth, peak and memory scale by it; communication is ignored. */
  tensorParallel?: number;
  /** Bytes per KV-cache element: 2 (f16/bf16, default), 1 (fp8/q8_0). */
  kvBytes?: number;
  /** Fraction of GPU memory the engine may fill with weights + KV cache (default 0.9, vLLM's default). */
  memoryUtilization?: number;
  /** The engine's own cap on sequences decoded together (llama.cpp -np, vLLM --max-num-seqs); none by default. */
  maxBatch?: number;
  /** Replace the datasheet ceilings with measured ones (bytes/s, FLOP/s). */
  memoryBandwidth?: number;
  peakFlops?: number;
}

export type Bound = "memory-bandwidth" | "compute" | "kv-capacity" | "max-batch";

export interface PredictionRow {
  concurrency: number;
  /** Sequences decoded together: min(concurrency, maxBatch, KV-capacity batch). */
  batch: number;
  /** One decode step of `batch` sequences at the mean decode context, ms. */
  decodeStepMs: number;
  /** Bytes one decode step reads: weights + the batch's KV cache. */
  decodeStepBytes: number;
  decodeStepFlops: number;
  ttftMs: number;
  /** Time per output token after the first, ms (decode step + other requests' prefills spread over the output). */
  tpotMs: number;
  e2eMs: number;
  requestsPerS: number;
  outputTokensPerS: number;
  /** (input + output) tokens per second. */
  totalTokensPerS: number;
  /** What limits this row: the decode step's roofline side, or why batch < concurrency. */
  bound: Bound;
}

export interface Prediction {
  model: ModelSpec;
  gpu: GpuSpec;
  tensorParallel: number;
  memoryBandwidth: number;
  peakFlops: number;
  weightBytes: number;
  kvBytesPerToken: number;
  /** KV bytes one request holds at its end (input + output tokens). */
  kvBytesPerSequence: number;
  /** KV-cache tokens that fit next to the weights (memoryUtilization x memory - weights), 0 if the weights do not fit. */
  kvCapacityTokens: number;
  /** Sequences of input + output tokens the KV memory holds. */
  maxBatchKv: number;
  /** Batch at which a decode step turns compute-bound (FLOPs/peak = bytes/bandwidth), Infinity if never. */
  computeBoundBatch: number;
  prefill: { tokens: number; flops: number; bytes: number; ms: number; bound: "memory-bandwidth" | "compute" };
  /** Ideal decode time per token at batch 1: weights + KV over bandwidth, ms (the number to beat). */
  rooflineTpotMs: number;
  rows: PredictionRow[];
  /** The options this prediction was made with. */
  options: PredictOptions;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new UsageError(`${name} must be a positive integer (got ${v})`);
}

/**
 * Predicts TTFT, TPOT, E2E latency and throughput against concurrency for a continuous-batching server at
 * the hardware's limits (the roofline: time = max(bytes / bandwidth, FLOPs / peak)). The model:
 *  - decode step of b sequences at mean context C = input + output/2: reads weights + b C kv bytes,
 *    computes b x decodeFlopsPerToken(C);
 *  - prefill of the input: reads the weights once, computes prefillFlops(input);
 *  - TTFT = prefill + half a decode step (a new request waits for the step in flight);
 *  - TPOT = decode step + (b - 1) prefills / output (each other sequence is replaced once per request
 *    lifetime, and its prefill stalls decoding);
 *  - E2E = TTFT + (output - 1) TPOT; closed loop: requests/s = b / E2E; concurrency above b queues
 *    (E2E and TTFT grow by concurrency / b, throughput stays).
 * Throws UsageError for bad options or a model whose weights do not fit.
 */
export function predict(model: ModelSpec, gpu: GpuSpec, o: PredictOptions): Prediction {
  positiveInt("input tokens", o.inputTokens);
  positiveInt("output tokens", o.outputTokens);
  const tp = o.tensorParallel ?? 1;
  positiveInt("tensor parallel", tp);
  if (o.concurrency.length === 0) throw new UsageError("at least one concurrency");
  o.concurrency.forEach((c) => positiveInt("concurrency", c));
  if (o.maxBatch !== undefined) positiveInt("max batch", o.maxBatch);
  const kvBytes = o.kvBytes ?? 2;
  if (!(kvBytes > 0)) throw new UsageError(`KV bytes per element must be positive (got ${kvBytes})`);
  const util = o.memoryUtilization ?? 0.9;
  if (!(util > 0 && util <= 1)) throw new UsageError(`memory utilization must be in (0, 1] (got ${util})`);
  const bw = (o.memoryBandwidth ?? gpu.memoryBandwidth) * tp;
  const peak = (o.peakFlops ?? gpu.peakFlops16) * tp;
  if (!(bw > 0 && peak > 0)) throw new UsageError("bandwidth and peak must be positive");

  const W = model.weightBytes;
  const kvTok = kvBytesPerToken(model, kvBytes);
  const seqTokens = o.inputTokens + o.outputTokens;
  const kvSeq = kvTok * seqTokens;
  const kvCapacityTokens = Math.max(0, Math.floor((util * gpu.memoryBytes * tp - W) / kvTok));
  const maxBatchKv = Math.floor(kvCapacityTokens / seqTokens);
  if (maxBatchKv < 1) {
    throw new UsageError(
      `${model.name} does not fit on ${tp} x ${gpu.name}: ${(W / 1e9).toFixed(2)} GB of weights + ${(kvSeq / 1e9).toFixed(2)} GB of KV for one ${seqTokens}-token sequence > ${((util * gpu.memoryBytes * tp) / 1e9).toFixed(1)} GB usable`,
    );
  }
  const ctx = o.inputTokens + o.outputTokens / 2;
  const step = (b: number) => {
    const bytes = W + b * ctx * kvTok;
    const flops = b * decodeFlopsPerToken(model, ctx);
    return { bytes, flops, s: Math.max(bytes / bw, flops / peak), bound: (bytes / bw >= flops / peak ? "memory-bandwidth" : "compute") as Bound };
  };
  const pfFlops = prefillFlops(model, o.inputTokens);
  const pfBytes = W + o.inputTokens * kvTok;
  const pfS = Math.max(pfBytes / bw, pfFlops / peak);
  // b* where W/bw + b C kv/bw = b f/peak  =>  b* = (W/bw) / (f/peak - C kv/bw)
  const f1 = decodeFlopsPerToken(model, ctx) / peak;
  const k1 = (ctx * kvTok) / bw;
  const computeBoundBatch = f1 > k1 ? W / bw / (f1 - k1) : Infinity;

  const rows = o.concurrency.map((c): PredictionRow => {
    const cap = Math.min(o.maxBatch ?? Infinity, maxBatchKv);
    const b = Math.min(c, cap);
    const st = step(b);
    const ttft = pfS + st.s / 2;
    const tpot = st.s + ((b - 1) * pfS) / o.outputTokens;
    const e2eB = ttft + (o.outputTokens - 1) * tpot;
    const queue = c / b;
    const e2e = e2eB * queue;
    const rps = b / e2eB;
    const bound: Bound = c > b ? (b === o.maxBatch && o.maxBatch < maxBatchKv ? "max-batch" : "kv-capacity") : st.bound;
    return {
      concurrency: c,
      batch: b,
      decodeStepMs: st.s * 1e3,
      decodeStepBytes: st.bytes,
      decodeStepFlops: st.flops,
      ttftMs: (ttft + e2eB * (queue - 1)) * 1e3,
      tpotMs: tpot * 1e3,
      e2eMs: e2e * 1e3,
      requestsPerS: rps,
      outputTokensPerS: rps * o.outputTokens,
      totalTokensPerS: rps * seqTokens,
      bound,
    };
  });
  return {
    model,
    gpu,
    tensorParallel: tp,
    memoryBandwidth: bw,
    peakFlops: peak,
    weightBytes: W,
    kvBytesPerToken: kvTok,
    kvBytesPerSequence: kvSeq,
    kvCapacityTokens,
    maxBatchKv,
    computeBoundBatch,
    prefill: { tokens: o.inputTokens, flops: pfFlops, bytes: pfBytes, ms: pfS * 1e3, bound: pfBytes / bw >= pfFlops / peak ? "memory-bandwidth" : "compute" },
    rooflineTpotMs: step(1).s * 1e3,
    rows,
    options: o,
  };
}

export interface MeasuredVsPredicted {
  concurrency: number;
  measuredTpotMs: number;
  predictedTpotMs: number;
  /** Predicted / measured x 100: how close the run came to the hardware limit (100 = at the roofline). */
  tpotPctOfLimit: number;
  /** The predicted decode step's bytes (weights + KV) over the measured TPOT, bytes/s. */
  achievedBandwidth: number;
  /** achievedBandwidth / the GPU's bandwidth x 100. */
  bandwidthPct: number;
  measuredOutputTokensPerS?: number;
  predictedOutputTokensPerS: number;
  /** Measured / predicted output tokens/s x 100. */
  throughputPctOfLimit?: number;
  /** Mean TTFT of the run, ms, when given. */
  measuredTtftMs?: number;
  predictedTtftMs: number;
}

/**
 * Puts a measured run next to the prediction for the same concurrency. Measured TPOT is the run's mean
 * time per output token (ms); the achieved bandwidth charges each decode step its weights + KV bytes.
 */
export function compareToPrediction(p: Prediction, m: { concurrency: number; tpotMs: number; outputTokensPerS?: number; ttftMs?: number }): MeasuredVsPredicted {
  let row = p.rows.find((r) => r.concurrency === m.concurrency);
  if (!row) {
    // The limit can be predicted again for the missing concurrency; a calibrated prediction is not made here.
    if ("mode" in p && p.mode === "calibrated") throw new UsageError(`no predicted row for concurrency ${m.concurrency} (predicted: ${p.rows.map((r) => r.concurrency).join(", ")})`);
    row = predict(p.model, p.gpu, { ...p.options, concurrency: [m.concurrency] }).rows[0];
  }
  if (!(m.tpotMs > 0)) throw new UsageError(`measured TPOT must be positive (got ${m.tpotMs})`);
  const achieved = row.decodeStepBytes / (m.tpotMs / 1e3);
  return {
    concurrency: m.concurrency,
    measuredTpotMs: m.tpotMs,
    predictedTpotMs: row.tpotMs,
    tpotPctOfLimit: (100 * row.tpotMs) / m.tpotMs,
    achievedBandwidth: achieved,
    bandwidthPct: (100 * achieved) / p.memoryBandwidth,
    measuredOutputTokensPerS: m.outputTokensPerS,
    predictedOutputTokensPerS: row.outputTokensPerS,
    throughputPctOfLimit: m.outputTokensPerS !== undefined ? (100 * m.outputTokensPerS) / row.outputTokensPerS : undefined,
    measuredTtftMs: m.ttftMs,
    predictedTtftMs: row.ttftMs,
  };
}

/** A stored concurrency run's figures that a prediction is compared with. */
export interface MeasuredRun {
  id: string;
  concurrency: number;
  /** Mean TPOT, ms. */
  tpotMs: number;
  /** Mean TTFT, ms. */
  ttftMs: number;
  outputTokensPerS: number;
  /** Mean prompt / output tokens per completed request. */
  inputTokens: number;
  outputTokens: number;
}

/**
 * The figures of a stored run's summary (RunSummary, src/aggregate/types.ts), or why it cannot be compared:
 * only closed-loop runs (requests in flight = batch) with measured requests are.
 */
export function measuredRun(id: string, s: RunSummary | null | undefined): MeasuredRun | string {
  if (!s || !s.latency_ms || !s.throughput) return `run ${id} has no benchmark summary`;
  if (s.load.mode !== "concurrency" || !("concurrency" in s.load) || !s.load.concurrency) return `run ${id} is not a concurrency run; compare concurrency runs (requests in flight = batch)`;
  const rps = s.throughput.requests_per_s;
  if (!(rps > 0) || !(s.latency_ms.tpot.mean > 0)) return `run ${id} completed no measurable requests`;
  return {
    id,
    concurrency: s.load.concurrency,
    tpotMs: s.latency_ms.tpot.mean,
    ttftMs: s.latency_ms.ttft.mean,
    outputTokensPerS: s.throughput.output_tokens_per_s,
    inputTokens: s.throughput.input_tokens_per_s / rps,
    outputTokens: s.throughput.output_tokens_per_s / rps,
  };
}

/**
 * One prediction for a set of measured runs (at their mean prompt and output lengths and their
 * concurrencies, unless `o` says otherwise) and each run next to it.
 */
export function predictRuns(
  model: ModelSpec,
  gpu: GpuSpec,
  runs: readonly MeasuredRun[],
  o: Partial<PredictOptions> = {},
  how: (model: ModelSpec, gpu: GpuSpec, o: PredictOptions) => Prediction = predict,
): { prediction: Prediction; rows: Array<MeasuredVsPredicted & { run: string }> } {
  const mean = (k: "inputTokens" | "outputTokens") => (runs.length ? Math.round(runs.reduce((a, m) => a + m[k], 0) / runs.length) : 256);
  const prediction = how(model, gpu, {
    ...o,
    inputTokens: o.inputTokens ?? mean("inputTokens"),
    outputTokens: o.outputTokens ?? mean("outputTokens"),
    concurrency: o.concurrency ?? (runs.length ? [...new Set(runs.map((m) => m.concurrency))].sort((a, b) => a - b) : [1, 2, 4, 8, 16, 32, 64]),
  });
  const rows = runs.map((m) => ({ run: m.id, ...compareToPrediction(prediction, { concurrency: m.concurrency, tpotMs: m.tpotMs, outputTokensPerS: m.outputTokensPerS, ttftMs: m.ttftMs }) }));
  return { prediction, rows };
}

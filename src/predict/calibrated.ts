// Calibrated mode of the performance model: the roofline limit (predict.ts) with an engine's measured
// efficiencies and overheads, fitted once on one GPU and carried to others. Pure functions. Units: bytes,
// FLOPs, seconds inside; fields named *Ms are milliseconds. docs/gpu.md ("H100: the model on a GPU it was not
// fitted to") gives the fit, its data and how it held on a second GPU; docs/metrics.md section 19 the formulas.
import { UsageError } from "../errors.js";
import type { GpuSpec } from "./gpus.js";
import { gpuById } from "./gpus.js";
import { kvBytesPerToken, modelFromPreset, prefillFlops, type ModelSpec } from "./model.js";
import { predict, type Prediction, type PredictionRow, type PredictOptions } from "./predict.js";

/**
 * An engine's constants on top of the roofline. What scales with the GPU: the decode step's bytes over
 * (efficiency x bandwidth) and the prefill's FLOPs over (efficiency x peak). What does not: the per-sequence
 * cost of a decode step (sampling and per-sequence work on the host and in small kernels), the fixed cost of
 * a prefill micro-batch, and the per-request overhead (HTTP, tokenization, first-token hand-off).
 */
export interface EngineCalibration {
  id: string;
  /** What the constants were fitted on (engine, GPU, model, workload, data files). */
  fittedOn: string;
  /** Fraction of memory bandwidth a decode step's weight + KV reads reach (0-1]. */
  decodeBandwidthEfficiency: number;
  /** Time each sequence in the batch adds to a decode step, ms (not scaled by the GPU). */
  decodePerSequenceMs: number;
  /** Fraction of the 16-bit tensor peak a prefill reaches (0-1]. */
  prefillFlopEfficiency: number;
  /** Fixed time per prefill micro-batch, ms (not scaled by the GPU). */
  prefillUbatchMs: number;
  /** Prompt tokens per prefill micro-batch (llama.cpp -ub). */
  ubatchTokens: number;
  /** Per-request time outside prefill and decode, ms: TTFT = this + prefill. */
  requestOverheadMs: number;
}

/** One measured closed-loop cell a calibration is fitted on (means over the cell's requests). */
export interface CalibrationPoint {
  concurrency: number;
  tpotMs: number;
  ttftMs: number;
  /** The server's own prompt-evaluation time for the cell's (joint) prefill, ms (llama-server's log). */
  promptEvalMs: number;
}

/**
 * The H200 cells the shipped llama.cpp calibration is fitted on: llama-server (CUDA, de3ff815) with the generated
 * Llama-2-7B f16, `-np 4 -fa on -ub 512 --cache-ram 0`, 256 in / 256 out, closed loop; docs/gpu.md section 2
 * (docs/data/h200/llama-server-cache-ram/: runs.json for TPOT/TTFT, server-logs.txt for prompt eval).
 */
export const H200_LLAMACPP_CELLS: readonly CalibrationPoint[] = [
  { concurrency: 1, tpotMs: 4.77, ttftMs: 23.5, promptEvalMs: 16.9 },
  { concurrency: 2, tpotMs: 6.01, ttftMs: 29.8, promptEvalMs: 20.2 },
  { concurrency: 4, tpotMs: 7.1, ttftMs: 50.4, promptEvalMs: 43.5 },
];

/** Least squares without intercept for two unknowns: minimises sum (y - a x1 - b x2)^2. */
function lsq2(x1: number[], x2: number[], y: number[]): [number, number] {
  const s = (u: number[], v: number[]) => u.reduce((a, ui, i) => a + ui * v[i], 0);
  const a11 = s(x1, x1), a12 = s(x1, x2), a22 = s(x2, x2), b1 = s(x1, y), b2 = s(x2, y);
  const det = a11 * a22 - a12 * a12;
  if (!(Math.abs(det) > 0)) throw new UsageError("calibration: the points do not determine the constants (give at least two concurrencies)");
  return [(b1 * a22 - b2 * a12) / det, (a11 * b2 - a12 * b1) / det];
}

/** Mean decode context of a request: input + output / 2 tokens (as the limit model uses). */
const meanContext = (o: { inputTokens: number; outputTokens: number }) => o.inputTokens + o.outputTokens / 2;

/**
 * Fits an engine's constants on closed-loop cells of one model on one GPU, where every cell's requests start
 * together (equal lengths keep a closed loop in waves): TPOT(b) = (W + b C kv) / (eta_d BW) + b tau;
 * promptEval(b) = ceil(b in / ub) t_ub + b prefillFLOPs(in) / (eta_p peak); TTFT = t_req + promptEval.
 * Each pair of unknowns by least squares; t_req is the mean of TTFT - modelled prompt eval. Units: ms in the
 * points, the result as EngineCalibration. Throws UsageError when fewer than two concurrencies are given or a
 * fitted efficiency is not positive.
 */
export function fitCalibration(
  id: string,
  fittedOn: string,
  model: ModelSpec,
  gpu: GpuSpec,
  cells: readonly CalibrationPoint[],
  o: { inputTokens: number; outputTokens: number; ubatchTokens?: number; kvBytes?: number },
): EngineCalibration {
  if (new Set(cells.map((c) => c.concurrency)).size < 2) throw new UsageError("calibration needs cells at two or more concurrencies");
  const ub = o.ubatchTokens ?? 512;
  const kv = kvBytesPerToken(model, o.kvBytes ?? 2) * meanContext(o);
  const b = cells.map((c) => c.concurrency);
  const [invEtaD, tau] = lsq2(b.map((bi) => (model.weightBytes + bi * kv) / gpu.memoryBandwidth), b, cells.map((c) => c.tpotMs / 1e3));
  const pf = prefillFlops(model, o.inputTokens);
  const [tUb, invEtaP] = lsq2(b.map((bi) => Math.ceil((bi * o.inputTokens) / ub)), b.map((bi) => (bi * pf) / gpu.peakFlops16), cells.map((c) => c.promptEvalMs / 1e3));
  if (!(invEtaD > 0 && invEtaP > 0)) throw new UsageError(`calibration: fitted efficiencies are not positive (decode 1/${invEtaD}, prefill 1/${invEtaP})`);
  const promptModel = (bi: number) => Math.ceil((bi * o.inputTokens) / ub) * tUb + (bi * pf * invEtaP) / gpu.peakFlops16;
  const tReq = cells.reduce((a, c) => a + (c.ttftMs / 1e3 - promptModel(c.concurrency)), 0) / cells.length;
  return {
    id,
    fittedOn,
    decodeBandwidthEfficiency: 1 / invEtaD,
    decodePerSequenceMs: tau * 1e3,
    prefillFlopEfficiency: 1 / invEtaP,
    prefillUbatchMs: tUb * 1e3,
    ubatchTokens: ub,
    requestOverheadMs: tReq * 1e3,
  };
}

/** llama.cpp's llama-server on CUDA (flash attention on, -ub 512, no prompt cache), fitted on the H200 cells only. */
export const LLAMACPP_CUDA_CALIBRATION: EngineCalibration = fitCalibration(
  "llama.cpp-cuda",
  "llama-server de3ff815 (CUDA, -fa on -ub 512 --cache-ram 0), Llama-2-7B f16, 256/256, c = 1, 2, 4 on one H200 (docs/data/h200/llama-server-cache-ram)",
  modelFromPreset("llama-2-7b"),
  gpuById("h200")!,
  H200_LLAMACPP_CELLS,
  { inputTokens: 256, outputTokens: 256, ubatchTokens: 512 },
);

/** Calibrations `predict --calibrated ID` knows. */
export const CALIBRATIONS: readonly EngineCalibration[] = [LLAMACPP_CUDA_CALIBRATION];

/** A prediction in calibrated mode: the limit's sizes and capacities, rows from the engine's constants. */
export interface CalibratedPrediction extends Prediction {
  mode: "calibrated";
  calibration: EngineCalibration;
}

/**
 * Predicts what an engine reaches (not the limit) for a model, a GPU and a closed-loop load: the limit model's
 * batch and capacity (predict), with per batch b of equal-length requests started together:
 *  - decode step = max((W + b C kv) / (eta_d BW), b decodeFLOPs / peak) + b tau, TPOT = decode step;
 *  - prefill = ceil(b in / ub) t_ub + b prefillFLOPs(in) / (eta_p peak), TTFT = t_req + prefill;
 *  - E2E = TTFT + (output - 1) TPOT, requests/s = b / E2E; concurrency above b queues as in the limit model.
 * Throws UsageError as predict does.
 */
export function predictCalibrated(model: ModelSpec, gpu: GpuSpec, o: PredictOptions, cal: EngineCalibration): CalibratedPrediction {
  const limit = predict(model, gpu, o);
  const bw = limit.memoryBandwidth, peak = limit.peakFlops;
  const pf = prefillFlops(model, o.inputTokens);
  const rows = limit.rows.map((r): PredictionRow => {
    const b = r.batch;
    const mem = r.decodeStepBytes / (cal.decodeBandwidthEfficiency * bw);
    const step = Math.max(mem, r.decodeStepFlops / peak) + (b * cal.decodePerSequenceMs) / 1e3;
    const prefill = Math.ceil((b * o.inputTokens) / cal.ubatchTokens) * (cal.prefillUbatchMs / 1e3) + (b * pf) / (cal.prefillFlopEfficiency * peak);
    const ttft = cal.requestOverheadMs / 1e3 + prefill;
    const e2eB = ttft + (o.outputTokens - 1) * step;
    const queue = r.concurrency / b;
    const rps = b / e2eB;
    return {
      ...r,
      decodeStepMs: step * 1e3,
      ttftMs: (ttft + e2eB * (queue - 1)) * 1e3,
      tpotMs: step * 1e3,
      e2eMs: e2eB * queue * 1e3,
      requestsPerS: rps,
      outputTokensPerS: rps * o.outputTokens,
      totalTokensPerS: rps * (o.inputTokens + o.outputTokens),
    };
  });
  return { ...limit, rows, mode: "calibrated", calibration: cal };
}

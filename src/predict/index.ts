export { GPUS, GPU_IDS, gpuById, gpuByDeviceName, type GpuSpec } from "./gpus.js";
export {
  decodeFlopsPerToken,
  kvBytesPerToken,
  matmulParams,
  modelFromGguf,
  modelFromHfConfig,
  modelFromHfConfigFile,
  modelFromPreset,
  parameterCount,
  prefillFlops,
  type ModelSpec,
} from "./model.js";
export { compareToPrediction, measuredRun, predict, predictRuns, type MeasuredRun, type Bound, type MeasuredVsPredicted, type Prediction, type PredictionRow, type PredictOptions } from "./predict.js";
export { CALIBRATIONS, fitCalibration, H200_LLAMACPP_CELLS, LLAMACPP_CUDA_CALIBRATION, predictCalibrated, type CalibratedPrediction, type CalibrationPoint, type EngineCalibration } from "./calibrated.js";

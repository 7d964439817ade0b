// Datasheet figures of common inference GPUs, the ceilings of the performance model (predict.ts).
// Units: memory in bytes (1 GB = 1e9), bandwidth in bytes/s, peak in FLOP/s. "Dense" = without 2:4 sparsity.
// The matrix peak is the 16-bit (bf16, else fp16) tensor rate with FP32 accumulation, which is what
// PyTorch/cuBLAS/llama.cpp use for half-precision GEMMs (GeForce cards run FP32 accumulation at half
// their FP16-accumulation rate, so their figure is that half). These are leads, not measurements:
// docs/gpu.md compares them with what an H200 measured.

export interface GpuSpec {
  /** Key for --gpu (lowercase). */
  id: string;
  name: string;
  /** Device memory, bytes. */
  memoryBytes: number;
  /** Peak memory bandwidth, bytes/s. */
  memoryBandwidth: number;
  /** Dense 16-bit tensor peak (bf16 where supported, else fp16), FP32 accumulate, FLOP/s. */
  peakFlops16: number;
  /** Where the figures come from. */
  source: string;
  /** Substrings of the name nvidia-smi / rocm-smi / PyTorch report, for matching telemetry. */
  match: string[];
}

const GB = 1e9;
const TB = 1e12;
const TFLOP = 1e12;

export const GPUS: readonly GpuSpec[] = [
  {
    id: "h200",
    name: "NVIDIA H200 SXM",
    memoryBytes: 141 * GB,
    memoryBandwidth: 4.8 * TB,
    peakFlops16: 989 * TFLOP,
    source: "NVIDIA H200 Tensor Core GPU datasheet (2024): 141 GB HBM3e, 4.8 TB/s, BF16 1,979 TFLOPS with sparsity (989 dense)",
    match: ["H200"],
  },
  {
    id: "h100",
    name: "NVIDIA H100 SXM5 80GB",
    memoryBytes: 80 * GB,
    memoryBandwidth: 3.35 * TB,
    peakFlops16: 989 * TFLOP,
    source: "NVIDIA H100 Tensor Core GPU datasheet (2023), SXM: 80 GB HBM3, 3.35 TB/s, BF16 1,979 TFLOPS with sparsity (989 dense)",
    match: ["H100 80GB HBM3", "H100 SXM", "H100"],
  },
  {
    id: "h100-pcie",
    name: "NVIDIA H100 PCIe 80GB",
    memoryBytes: 80 * GB,
    memoryBandwidth: 2.0 * TB,
    peakFlops16: 756 * TFLOP,
    source: "NVIDIA H100 Tensor Core GPU datasheet (2023), PCIe: 80 GB HBM2e, 2 TB/s, BF16 1,513 TFLOPS with sparsity (756 dense)",
    match: ["H100 PCIe"],
  },
  {
    id: "a100",
    name: "NVIDIA A100 SXM4 80GB",
    memoryBytes: 80 * GB,
    memoryBandwidth: 2.039 * TB,
    peakFlops16: 312 * TFLOP,
    source: "NVIDIA A100 Tensor Core GPU datasheet (2021), 80GB SXM: 2,039 GB/s, BF16 312 TFLOPS dense (624 with sparsity)",
    match: ["A100-SXM4-80GB", "A100 80GB", "A100"],
  },
  {
    id: "a100-40gb",
    name: "NVIDIA A100 SXM4 40GB",
    memoryBytes: 40 * GB,
    memoryBandwidth: 1.555 * TB,
    peakFlops16: 312 * TFLOP,
    source: "NVIDIA A100 Tensor Core GPU datasheet (2021), 40GB: 1,555 GB/s, BF16 312 TFLOPS dense",
    match: ["A100-SXM4-40GB", "A100-PCIE-40GB"],
  },
  {
    id: "a800",
    name: "NVIDIA A800 SXM4 80GB",
    memoryBytes: 80 * GB,
    memoryBandwidth: 2.039 * TB,
    peakFlops16: 312 * TFLOP,
    source: "NVIDIA A800 40GB/80GB product brief (2022): the A100's memory and tensor rates, NVLink limited to 400 GB/s",
    match: ["A800"],
  },
  {
    id: "mi300x",
    name: "AMD Instinct MI300X",
    memoryBytes: 192 * GB,
    memoryBandwidth: 5.3 * TB,
    peakFlops16: 1307.4 * TFLOP,
    source: "AMD Instinct MI300X data sheet (2023): 192 GB HBM3, 5.3 TB/s, BF16 1,307.4 TFLOPS dense (2,614.9 with sparsity)",
    match: ["MI300X"],
  },
  {
    id: "l40s",
    name: "NVIDIA L40S",
    memoryBytes: 48 * GB,
    memoryBandwidth: 0.864 * TB,
    peakFlops16: 362.05 * TFLOP,
    source: "NVIDIA L40S datasheet (2023): 48 GB GDDR6, 864 GB/s, BF16 733 TFLOPS with sparsity (362.05 dense)",
    match: ["L40S"],
  },
  {
    id: "a6000",
    name: "NVIDIA RTX A6000",
    memoryBytes: 48 * GB,
    memoryBandwidth: 0.768 * TB,
    peakFlops16: 154.8 * TFLOP,
    source: "NVIDIA Ampere GA102 GPU architecture whitepaper (2021), RTX A6000: 48 GB GDDR6, 768 GB/s, FP16/BF16 tensor with FP32 accumulate 154.8 TFLOPS dense",
    match: ["RTX A6000"],
  },
  {
    id: "rtx3090",
    name: "NVIDIA GeForce RTX 3090",
    memoryBytes: 24 * GB,
    memoryBandwidth: 0.936 * TB,
    peakFlops16: 71 * TFLOP,
    source: "NVIDIA Ampere GA102 GPU architecture whitepaper (2021), RTX 3090: 24 GB GDDR6X, 936 GB/s, FP16 tensor with FP32 accumulate 71 TFLOPS dense (142 with FP16 accumulate)",
    match: ["RTX 3090"],
  },
  {
    id: "rtx4090",
    name: "NVIDIA GeForce RTX 4090",
    memoryBytes: 24 * GB,
    memoryBandwidth: 1.008 * TB,
    peakFlops16: 165.2 * TFLOP,
    source: "NVIDIA Ada Lovelace GPU architecture whitepaper (2023), RTX 4090: 24 GB GDDR6X, 1,008 GB/s, FP16 tensor with FP32 accumulate 165.2 TFLOPS dense (330.3 with FP16 accumulate)",
    match: ["RTX 4090"],
  },
];

export const GPU_IDS = GPUS.map((g) => g.id);

/** The GPU with this id (case-insensitive), or undefined. */
export function gpuById(id: string): GpuSpec | undefined {
  const k = id.trim().toLowerCase();
  return GPUS.find((g) => g.id === k);
}

/**
 * The GPU a reported device name (nvidia-smi's "NVIDIA H200", PyTorch's "NVIDIA A100-SXM4-80GB") most
 * likely is: the longest matching substring wins, so "H100 PCIe" beats "H100". Undefined when none matches.
 */
export function gpuByDeviceName(deviceName: string): GpuSpec | undefined {
  let best: { gpu: GpuSpec; len: number } | undefined;
  for (const gpu of GPUS) {
    for (const m of gpu.match) {
      if (deviceName.toLowerCase().includes(m.toLowerCase()) && (!best || m.length > best.len)) best = { gpu, len: m.length };
    }
  }
  return best?.gpu;
}

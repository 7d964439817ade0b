#!/usr/bin/env bash
# Recipe 6 end to end on a CUDA host: builds llama-server with CUDA from node-llama-cpp's bundled llama.cpp
# source, generates the Llama-2-7B-shaped model, runs experiment.yaml and writes the results to OUT_DIR:
# results.db (the stored runs), runs.json (their summaries), table.txt (the seed study's table shape).
# Usage (from the repository root): bash examples/llama-server-gpu/run-on-gpu.sh [OUT_DIR]
# Needs: tokenbench on PATH, git, cmake, nvcc; ~14 GB free disk for the model, ~14 GB of GPU memory.
# Env: CUDA_ARCH (default 90, Hopper; 80 Ampere A100, 86 RTX 30xx/A6000, 89 Ada), LLAMA_BUNDLE, WORK (default /tmp/tb-gpu).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-out-llama-server-gpu}" && cd "${1:-out-llama-server-gpu}" && pwd)
work=${WORK:-/tmp/tb-gpu}; mkdir -p "$work"
build=${BUILD_SCRIPT:-$here/../../scripts/build-llama-server.sh}
t0=$(date +%s)
# The build (minutes, all cores) and the model generation (minutes, one core + disk) run side by side.
LLAMA_SERVER_CMAKE_ARGS="-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-90}" \
  bash "$build" "$work/llama-server" > "$work/server-path" 2> "$out/build.log" &
bpid=$!
(cd "$work" && tokenbench model generate --preset llama-2-7b --out llama-2-7b.gguf) 2> "$out/generate.log"
echo "model generated after $(( $(date +%s) - t0 )) s" | tee -a "$out/timing.txt"
wait $bpid || { echo "llama-server build failed; see $out/build.log" >&2; tail -20 "$out/build.log" >&2; exit 1; }
echo "llama-server built after $(( $(date +%s) - t0 )) s: $(cat "$work/server-path")" | tee -a "$out/timing.txt"
export PATH="$(dirname "$(cat "$work/server-path")"):$PATH"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" || true
cd "$work"
cp "$here/experiment.yaml" "$work/experiment.yaml"   # servers run in the file's directory, next to the model
tokenbench experiment run "$work/experiment.yaml" --db "$out/results.db" --logs "$out/logs" --fresh 2>&1 | tee "$out/experiment.log"
echo "experiment done after $(( $(date +%s) - t0 )) s" | tee -a "$out/timing.txt"
tokenbench runs --db "$out/results.db" --experiment llama-server-gpu --json > "$out/runs.json"
tokenbench compare llama-server-gpu --db "$out/results.db" --metric output_tokens_per_s,requests_per_s,total_tokens_per_s,ttft_mean_ms,tpot_p50_ms,e2e_p50_ms > "$out/table.txt" 2>&1 || true
cat "$out/table.txt"

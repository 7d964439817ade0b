#!/usr/bin/env bash
# Device call (issue 19 part 1): the llama-server -np 64 sweep of the H100 runs (docs/data/h100/llama-server/dev1.sh),
# with 5 rounds per level (n = max(8, 5c)), llama-batched-bench (the pure batched decode step at b = 1..64, no HTTP,
# no scheduling), a greedy-sampling repeat at c = 16, 64 (the per-slot host term apart) and the GPU probe (achieved HBM read/copy, GEMV, f16 GEMM). Everything comes back in one tarball.
# Usage: bash scripts/device/pack-gl.sh here, then on the device: bash .gl/llama-server-sweep.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; mkdir -p $W; R=$OUT/r; mkdir -p $R
el() { echo $(( $(date +%s) - t0 )); }
log() { echo "[$(el) s] $*" | tee -a $R/info.txt; }
GPUN=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -c "A-Za-z0-9\n" -)
{ nvidia-smi; nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem,power.limit --format=csv; nvcc --version | tail -2; lscpu | head -20; } > $R/gpu.txt 2>&1
if [ "${1:-}" != probe-only ] && [ ! -x $W/build/bin/llama-server ]; then
  ( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
    cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server llama-batched-bench -j16 ) > $W/build.log 2>&1 &
  bpid=$!
else bpid=; fi
log "gpu probe on $GPUN"
python3 $G/gpuprobe.py > $R/gpuprobe.json 2> $R/gpuprobe.err; log "probe rc $? $(cat $R/gpuprobe.json | tr '\n' ' ' | cut -c1-600)"
if [ "${1:-}" = probe-only ]; then cp $R/* $OUT/; exit 0; fi
D=/tmp/tb-device; mkdir -p $D/bin $D/app
[ -x $D/bin/node ] || { xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; }
[ -f $D/app/dist/cli/main.js ] || tar -xJf $G/tb.tar.xz -C $D/app
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
ulimit -n 65536
log "tokenbench $(tokenbench --version) node $(node --version); nproc $(nproc)"
[ -f $W/llama-2-7b.gguf ] || (cd $W && tokenbench model generate --preset llama-2-7b --out gen.gguf && mv gen.gguf llama-2-7b.gguf) > $W/generate.log 2>&1
log "model: $(ls -la $W/*.gguf | awk '{print $5, $9}' | tr '\n' ' ')"
if [ -n "$bpid" ]; then wait $bpid; log "llama-server build rc $?"; fi
tail -20 $W/build.log > $R/build-tail.log
[ -x $W/build/bin/llama-server ] || { tail -40 $W/build.log; cp $R/* $OUT/; exit 4; }
LS=$W/build/bin/llama-server; $LS --version >> $R/info.txt 2>&1
$LS -m $W/llama-2-7b.gguf -ngl 99 -np 64 -c 36864 -fa on -ub 512 --cache-ram 0 --host 127.0.0.1 --port 8090 > $R/server-7b.log 2>&1 & spid=$!
for i in $(seq 1 240); do node -e "fetch('http://127.0.0.1:8090/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break; kill -0 $spid 2>/dev/null || break; sleep 0.5; done
log "server up: $(nvidia-smi --query-gpu=memory.used --format=csv,noheader)"
for c in 1 2 4 8 16 32 64; do
  n=$(( c * 5 < 8 ? 8 : c * 5 )); wu=$(( c < 2 ? 2 : c ))
  timeout 150 tokenbench run -t http://127.0.0.1:8090 --tokenizer mistral --input-tokens 256 --output-tokens 256 -c $c -n $n --warmup $wu \
    --timeout 120 --db $R/results.db --label "$GPUN-7b-np64" --json $R/7b-c$c.json --records $R/7b-c$c.jsonl --no-progress > $R/7b-c$c.txt 2>&1
  log "c=$c rc $? $(grep -m2 -i 'TPOT\|failed' $R/7b-c$c.txt | tr -s ' ' | tr '\n' ' ' | cut -c1-240)"
done
# The per-slot host term apart: the same server, each request asking for greedy sampling (temperature 0, top_k 1:
# the top-k partial sort over the vocabulary and the rest of the default chain shrink to one candidate).
for c in 16 64; do
  n=$(( c * 3 )); wu=$c
  timeout 100 tokenbench run -t http://127.0.0.1:8090 --tokenizer mistral --input-tokens 256 --output-tokens 256 -c $c -n $n --warmup $wu \
    --timeout 90 --temperature 0 --extra-body '{"top_k": 1}' --db $R/results.db --label "$GPUN-7b-np64-greedy" --json $R/7b-greedy-c$c.json --no-progress > $R/7b-greedy-c$c.txt 2>&1
  log "greedy c=$c rc $? $(grep -m2 -i 'TPOT\|failed' $R/7b-greedy-c$c.txt | tr -s ' ' | tr '\n' ' ' | cut -c1-240)"
done
kill $spid; wait $spid 2>/dev/null
log "batched-bench"
timeout 100 $W/build/bin/llama-batched-bench -m $W/llama-2-7b.gguf -ngl 99 -c 36864 -fa on -ub 512 -npp 256 -ntg 256 -npl 1,2,4,8,16,32,64 > $R/batched-bench.txt 2>&1
log "batched-bench rc $? $(grep -c '^|' $R/batched-bench.txt) rows"
log done
(cd $R && tar -cJf $OUT/run.tar.xz .)
cat $R/info.txt; grep '^|' $R/batched-bench.txt

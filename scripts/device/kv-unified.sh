#!/usr/bin/env bash
# Device call (issue 19 part 1): does llama-server's slot placement set TPOT? With -np 64 and per-slot KV streams
# (kv_unified = false, this build's default when -np is given) a wave of c requests spread over distant slots decoded
# 1.6-2.5x slower than one in adjacent slots (docs/gpu.md section 4, slot-waves.py). The same server with one unified
# KV buffer (-kvu), c = 4, 8, 16, 32, n = 5c, everything written under $OUT as it goes.
# Usage: bash scripts/device/pack-gl.sh here, then on the device: bash .gl/kv-unified.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; mkdir -p $W; R=$OUT/r; mkdir -p $R
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a $R/info.txt; }
GPUN=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -c "A-Za-z0-9\n" -)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > $R/gpu.txt 2>&1
( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
  cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server -j16 ) > $W/build.log 2>&1 & bpid=$!
D=/tmp/tb-device; mkdir -p $D/bin $D/app
xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; tar -xJf $G/tb.tar.xz -C $D/app
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
log "$GPUN; tokenbench $(tokenbench --version)"
(cd $W && tokenbench model generate --preset llama-2-7b --out gen.gguf && mv gen.gguf llama-2-7b.gguf) > $W/generate.log 2>&1
wait $bpid; log "build rc $?"; tail -5 $W/build.log > $R/build-tail.log
LS=$W/build/bin/llama-server
$LS -m $W/llama-2-7b.gguf -ngl 99 -np 64 -c 36864 -fa on -ub 512 --cache-ram 0 -kvu --host 127.0.0.1 --port 8090 > $R/server-7b.log 2>&1 & spid=$!
for i in $(seq 1 240); do node -e "fetch('http://127.0.0.1:8090/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break; kill -0 $spid 2>/dev/null || break; sleep 0.5; done
log "server up (-kvu): $(grep -m1 -o "kv_unified = '[a-z]*'" $R/server-7b.log)"
for c in 4 8 16 32; do
  timeout 100 tokenbench run -t http://127.0.0.1:8090 --tokenizer mistral --input-tokens 256 --output-tokens 256 -c $c -n $((5 * c)) --warmup $c \
    --timeout 90 --db $R/results.db --label "$GPUN-7b-np64-kvu" --json $R/7b-kvu-c$c.json --no-progress > $R/7b-kvu-c$c.txt 2>&1
  log "kvu c=$c rc $? $(grep -m1 'TPOT' $R/7b-kvu-c$c.txt | tr -s ' ' | cut -c1-120)"
done
kill $spid; log done

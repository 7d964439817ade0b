#!/usr/bin/env bash
# Device call (issue 19 part 2b): 1,024 streams against CUDA llama-server with the generated small model. The earlier
# try (docs/gpu.md section 6: -np 256 -c 65536 -fa on) aborted with "CUDA error: an illegal instruction" 15 s in.
# Which knob sets it off: the same server with flash attention off, then -np 64 with it on; each config a fresh server,
# 1,024 closed-loop streams of 32 in / 128 out, n = 1024, client pinned to cores 0,1 (--workers 2), server on 2-15.
# One tarball comes back ($OUT/run.tar.xz, rewritten after each config).
# Usage: npm run build && bash scripts/device/pack-gl.sh here, then on the device: bash .gl/cuda-1024.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; mkdir -p $W; R=/tmp/tb-out; rm -rf $R; mkdir -p $R
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a $R/info.txt; }
save() { tar -cJf $OUT/run.tar.xz.tmp -C $R . && mv $OUT/run.tar.xz.tmp $OUT/run.tar.xz; }
( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
  cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server -j16 ) > $W/build.log 2>&1 & bpid=$!
D=/tmp/tb-device; mkdir -p $D/bin $D/app
xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; tar -xJf $G/tb.tar.xz -C $D/app
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
ulimit -n 65536 2>/dev/null
GPUN=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -c "A-Za-z0-9\n" -)
log "$GPUN; tokenbench $(tokenbench --version); ulimit -n $(ulimit -n)"
(cd $W && tokenbench model generate --preset small --out small.gguf) > $W/generate.log 2>&1; log "model rc $?"
wait $bpid; log "build rc $?"; tail -3 $W/build.log > $R/build-tail.log
LS=$W/build/bin/llama-server
config() { # $1 tag, rest: server args
  local tag=$1; shift
  taskset -c 2-15 $LS -m $W/small.gguf -ngl 99 "$@" --cache-ram 0 --host 127.0.0.1 --port 8091 > $R/server-$tag.log 2>&1 & local spid=$!
  for i in $(seq 1 120); do node -e "fetch('http://127.0.0.1:8091/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break; kill -0 $spid 2>/dev/null || break; sleep 0.5; done
  log "$tag server up: $*"
  timeout 60 taskset -c 0,1 tokenbench run -t http://127.0.0.1:8091 --tokenizer mistral --input-tokens 32 --output-tokens 128 -c 1024 -n 1024 --warmup 256 \
    --workers 2 --timeout 50 --db $R/results.db --label "$GPUN-small-$tag" --json $R/$tag.json --no-progress > $R/$tag.txt 2>&1
  log "$tag rc $? alive $(kill -0 $spid 2>/dev/null && echo yes || echo no); cuda errors $(grep -c 'CUDA error' $R/server-$tag.log); $(grep -m3 -i 'completed,\|TPOT\|saturat' $R/$tag.txt | tr -s ' ' | tr '\n' ' ' | cut -c1-300)"
  kill $spid 2>/dev/null; wait $spid 2>/dev/null; save
}
config np256-fa-off -np 256 -c 65536 -fa off
config np64-fa-on -np 64 -c 16384 -fa on
config np256-fa-on -np 256 -c 65536 -fa on
log done; save

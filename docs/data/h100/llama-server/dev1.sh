#!/usr/bin/env bash
# Device call 1 (issue 19 parts 1-2) on one H100: CUDA llama-server build beside model generation, then
# llama-2-7b f16 with -np 64 --cache-ram 0 -fa on at c = 1..64 (256/256), then the small model with
# -np 256 and 1,024 streams from a client pinned to cores 0,1. Reuses /tmp/tb-gpu when warm.
# Usage: bash .gl/dev1.sh [LEVELS]   (carry .gl)
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; mkdir -p $W; R=$OUT/r; mkdir -p $R
el() { echo $(( $(date +%s) - t0 )); }
log() { echo "[$(el) s] $*" | tee -a $R/info.txt; }
D=/tmp/tb-device; mkdir -p $D/bin $D/app
[ -x $D/bin/node ] || { xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; }
[ -f $D/app/dist/cli/main.js ] || tar -xJf $G/tb.tar.xz -C $D/app
mkdir -p $D/app/bench && cp $G/bench/*.mjs $D/app/bench/
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
log "tokenbench $(tokenbench --version) node $(node --version); nproc $(nproc); ulimit -n $(ulimit -n)"
{ nvidia-smi; nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem,power.limit --format=csv; nvcc --version | tail -2; lscpu | head -20; } > $R/gpu.txt 2>&1
if [ ! -x $W/build/bin/llama-server ]; then
  ( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
    cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server -j16 ) > $W/build.log 2>&1 &
  bpid=$!
else bpid=; fi
[ -f $W/small.gguf ] || (cd $W && tokenbench model generate --preset small --out small.gguf) > $W/generate-small.log 2>&1
[ -f $W/llama-2-7b.gguf ] || (cd $W && tokenbench model generate --preset llama-2-7b --out gen.gguf && mv gen.gguf llama-2-7b.gguf) > $W/generate.log 2>&1
log "models: $(ls -la $W/*.gguf | awk '{print $5, $9}' | tr '\n' ' ')"
if [ -n "$bpid" ]; then wait $bpid; log "llama-server build rc $?"; fi
tail -20 $W/build.log > $R/build-tail.log
[ -x $W/build/bin/llama-server ] || { tail -40 $W/build.log; exit 4; }
GPUN=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -c "A-Za-z0-9\n" -); LS=$W/build/bin/llama-server; $LS --version >> $R/info.txt 2>&1
up() { # port log args...: start llama-server, wait for /health
  local port=$1 lg=$2; shift 2
  $LS "$@" --host 127.0.0.1 --port $port > $lg 2>&1 & spid=$!
  for i in $(seq 1 240); do node -e "fetch('http://127.0.0.1:$port/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && { log "server up on $port: $*"; return 0; }; kill -0 $spid 2>/dev/null || break; sleep 0.5; done
  log "server failed: $*"; tail -20 $lg | tee -a $R/info.txt; return 1
}
# Part 1: llama-2-7b f16, 64 slots of 512 tokens
if up 8090 $R/server-7b.log -m $W/llama-2-7b.gguf -ngl 99 -np 64 -c 36864 -fa on -ub 512 --cache-ram 0; then
  nvidia-smi --query-gpu=memory.used --format=csv >> $R/info.txt
  for c in ${1:-1 2 4 8 16 32 64}; do
    n=$(( c * 2 < 10 ? 10 : c * 2 )); wu=$(( c < 2 ? 2 : c ))
    log "7b c=$c requests $n warmup $wu"
    timeout 200 tokenbench run -t http://127.0.0.1:8090 --tokenizer mistral --input-tokens 256 --output-tokens 256 -c $c -n $n --warmup $wu \
      --timeout 120 --db $R/results.db --label "$GPUN-7b-np64" --json $R/7b-c$c.json --records $R/7b-c$c.jsonl --no-progress > $R/7b-c$c.txt 2>&1
    log "rc $? $(grep -m3 -i 'tok/s\|TPOT\|failed' $R/7b-c$c.txt | tr '\n' ' ' | cut -c1-300)"
  done
  kill $spid; wait $spid 2>/dev/null
fi
# Part 2b: 1,024 streams against CUDA llama-server (small model, 256 slots), client on cores 0,1
if up 8091 $R/server-small.log -m $W/small.gguf -ngl 99 -np 256 -c 65536 -fa on --cache-ram 0; then
  taskset -cp 2-15 $spid >/dev/null
  for wk in 1 2; do
    log "small ${SMALL_C:-1024} streams workers $wk"
    timeout 150 taskset -c 0,1 tokenbench run -t http://127.0.0.1:8091 --tokenizer mistral --input-tokens 32 --output-tokens 128 -c ${SMALL_C:-1024} -n $(( ${SMALL_C:-1024} * 2 )) --warmup $(( ${SMALL_C:-1024} / 4 )) \
      --workers $wk --timeout 120 --db $R/results.db --label "$GPUN-small-np256-w$wk" --json $R/small-w$wk.json --records $R/small-w$wk.jsonl --no-progress > $R/small-w$wk.txt 2>&1
    log "rc $? $(grep -m4 -i 'tok/s\|saturat\|failed' $R/small-w$wk.txt | tr '\n' ' ' | cut -c1-400)"
  done
  kill $spid; wait $spid 2>/dev/null
fi
cp $W/build.log $W/generate*.log $R/ 2>/dev/null
cp $R/results.db $OUT/results.db; cp $R/info.txt $OUT/info.txt
echo "[$(el) s] done" >> $R/info.txt; cp $R/info.txt $OUT/info.txt
(cd $OUT && tar -cJf run1.tar.xz r) && rm -rf $R
cat $OUT/info.txt
